"""The W3C SPARQL 1.1 Protocol tests, read from their manifests and run against the real service.

The service runs over the tests' own dataset: each data file as the named graph its
manifest label gives (``--data dataset.nq``). Every request of every test is sent as
the manifest writes it (method, path, headers, body bytes in the stated encoding);
the status class, boolean answer and result format are checked as the manifest says.

The endpoint is read-only by design, so the tests that expect an update to succeed
are expected to fail in one way only, listed in EXPECTED_FAILURES: the update gets a
4xx, and each later request of the test (the query that would see the update) must
still answer 2xx — and, where the manifest expects ``true``, answer ``false``: the
update changed nothing. The service-description tests run from their own manifest.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import httpx
import pytest
from rdflib import Graph, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS

from service_fixtures import Service

pytestmark = pytest.mark.slow  # a service of its own over the suite's dataset

SUITE = Path(__file__).resolve().parent / "external" / "w3c-sparql11-protocol"  # vendored, see its README
MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = Namespace("http://www.w3.org/2011/http#")
CNT = Namespace("http://www.w3.org/2011/content#")
UT = Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")

# test name -> (what the manifest expects, what this read-only endpoint does instead)
EXPECTED_FAILURES = {
    "update_dataset_default_graph": ("update with using-graph-uri succeeds (2xx)", "403: read-only; nothing changes"),
    "update_dataset_default_graphs": (
        "update with two using-graph-uri succeeds (2xx)",
        "403: read-only; nothing changes",
    ),
    "update_dataset_named_graphs": (
        "update with using-named-graph-uri succeeds (2xx)",
        "403: read-only; nothing changes",
    ),
    "update_dataset_full": (
        "update with using-graph-uri and using-named-graph-uri succeeds (2xx)",
        "403: read-only; nothing changes",
    ),
    "update_post_form": ("update=CLEAR ALL by form POST succeeds (2xx)", "403: read-only; nothing changes"),
    "update_post_direct": ("CLEAR ALL as application/sparql-update succeeds (2xx)", "403: read-only; nothing changes"),
    "update_base_uri": ("INSERT DATA resolving a relative IRI succeeds (2xx)", "403: read-only; nothing changes"),
}


def _manifest(name: str) -> Graph:
    graph = Graph()
    graph.parse(SUITE / name, format="turtle", publicID=SUITE.as_uri() + "/")
    return graph


MANIFEST = _manifest("manifest.ttl")
ENTRIES = list(Collection(MANIFEST, MANIFEST.value(MANIFEST.value(None, RDF.type, MF.Manifest), MF.entries)))
SD_MANIFEST = _manifest("service-description-manifest.ttl")
SD_TESTS = sorted(SD_MANIFEST.subjects(RDF.type, MF.ServiceDescriptionTest), key=str)


def _name(test: URIRef) -> str:
    return str(test).rsplit("#", 1)[-1]


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    """The service over the suite's dataset: each data file as the named graph its label gives."""
    quads = set()
    for data in MANIFEST.objects(None, UT.graphData):
        path = Path(str(MANIFEST.value(data, UT.graph)).replace("file://", ""))
        name = str(MANIFEST.value(data, RDFS.label))
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip().endswith(" ."):
                quads.add(f"{line.strip()[:-1].rstrip()} <{name}> .")
    folder = tmp_path_factory.mktemp("w3c")
    dataset = folder / "dataset.nq"
    dataset.write_text("\n".join(sorted(quads)) + "\n", encoding="utf-8")
    svc = Service("--data", str(dataset), timeout=5.0, max_rows=1000)
    yield svc
    svc.stop()
    shutil.rmtree(folder, ignore_errors=True)


def _requests(test: URIRef) -> list[URIRef]:
    action = MANIFEST.value(test, MF.action)
    return list(Collection(MANIFEST, MANIFEST.value(action, HT.requests)))


def _send(service: Service, request: URIRef) -> httpx.Response:
    """The request as written, its path's ``/sparql/`` prefix mapped to this endpoint (as the manifest asks)."""
    method = str(MANIFEST.value(request, HT.methodName))
    path = "/sparql" + str(MANIFEST.value(request, HT.absolutePath))[len("/sparql/") :]
    headers = {}
    header_list = MANIFEST.value(request, HT.headers)
    if header_list is not None:
        for header in Collection(MANIFEST, header_list):
            headers[str(MANIFEST.value(header, HT.fieldName))] = str(MANIFEST.value(header, HT.fieldValue))
    body = MANIFEST.value(request, HT.body)
    content = None
    if body is not None:
        encoding = str(MANIFEST.value(body, CNT.characterEncoding) or "UTF-8")
        content = str(MANIFEST.value(body, CNT.chars)).encode(encoding)
    return httpx.request(method, service.base + path, headers=headers, content=content, timeout=30)


def _statuses(expected: URIRef) -> set[str]:
    return {str(s).rsplit("StatusCode", 1)[-1] for s in MANIFEST.objects(expected, MF.expectedStatus)}


def _check(response: httpx.Response, expected: URIRef) -> None:
    statuses = _statuses(expected)
    assert f"{str(response.status_code)[0]}xx" in statuses, (
        f"status {response.status_code}, expected {statuses}: {response.text[:200]}"
    )
    fmt = MANIFEST.value(expected, MF.expectedFormat)
    boolean = MANIFEST.value(expected, MF.expectedBoolean)
    media = response.headers.get("content-type", "").split(";")[0]
    if boolean is not None:
        assert media == "application/sparql-results+json" and json.loads(response.text)["boolean"] is boolean.toPython()
    if fmt is not None and str(fmt) == "RDF":
        assert media in ("application/rdf+xml", "text/turtle", "application/n-triples")
        Graph().parse(
            data=response.content, format={"application/rdf+xml": "xml", "text/turtle": "turtle"}.get(media, "nt")
        )
    elif fmt is not None and str(fmt) == "tabular":
        assert media in (
            "application/sparql-results+xml",
            "application/sparql-results+json",
            "text/csv",
            "text/tab-separated-values",
        )


PROTOCOL_TESTS = [t for t in ENTRIES if (t, RDF.type, MF.ProtocolTest) in MANIFEST]


def test_the_manifest_is_read_whole() -> None:
    assert len(PROTOCOL_TESTS) == len(ENTRIES) == 34
    assert set(EXPECTED_FAILURES) <= {_name(t) for t in PROTOCOL_TESTS}


@pytest.mark.parametrize("test", PROTOCOL_TESTS, ids=[_name(t) for t in PROTOCOL_TESTS])
def test_protocol(service: Service, test: URIRef) -> None:
    name = _name(test)
    requests = _requests(test)
    if name not in EXPECTED_FAILURES:
        for request in requests:
            _check(_send(service, request), MANIFEST.value(request, HT.resp))
        return
    refused = _send(service, requests[0])
    assert "2xx" in _statuses(MANIFEST.value(requests[0], HT.resp))  # the manifest does expect success
    assert refused.status_code == 403 and "read-only" in refused.json()["error"], f"{name}: an update must be refused"
    for request in requests[1:]:  # the checks that would see the update: they answer, and see no change
        response = _send(service, request)
        assert response.status_code == 200
        expected = MANIFEST.value(MANIFEST.value(request, HT.resp), MF.expectedBoolean)
        if expected is not None and expected.toPython() is True:
            assert json.loads(response.text)["boolean"] is False, f"{name}: the refused update changed the data"


def test_refusals_changed_nothing(service: Service) -> None:
    answer = httpx.get(
        f"{service.base}/sparql",
        params={"query": "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"},
        headers={"Accept": "application/sparql-results+json"},
        timeout=10,
    ).json()
    assert int(answer["results"]["bindings"][0]["n"]["value"]) == 3


@pytest.mark.parametrize("test", SD_TESTS, ids=[_name(t) for t in SD_TESTS])
def test_service_description(service: Service, test: URIRef) -> None:
    """returns-rdf, has-endpoint-triple, conforms-to-schema (the sd: terms used are the vocabulary's)."""
    endpoint = f"{service.base}/sparql"
    response = httpx.get(endpoint, headers={"Accept": "text/turtle"}, timeout=10)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/turtle")
    description = Graph().parse(data=response.content, format="turtle")
    name = _name(test)
    node = description.value(None, RDF.type, SD.Service)
    if name == "returns-rdf":
        assert len(description) > 5
    elif name == "has-endpoint-triple":
        assert (node, SD.endpoint, URIRef(endpoint)) in description
    else:
        terms = {p for p in description.predicates() if str(p).startswith(str(SD))} | {
            o for o in description.objects(None, RDF.type) if str(o).startswith(str(SD))
        }
        known = {
            SD.endpoint,
            SD.supportedLanguage,
            SD.resultFormat,
            SD.defaultDataset,
            SD.defaultGraph,
            SD.namedGraph,
            SD.name,
            SD.Service,
            SD.Dataset,
            SD.Graph,
            SD.NamedGraph,
            SD.feature,
            SD.graph,
        }
        assert terms and terms <= known
        assert set(description.objects(node, SD.supportedLanguage)) == {SD.SPARQL11Query}
        dataset = description.value(node, SD.defaultDataset)
        names = {str(description.value(g, SD.name)) for g in description.objects(dataset, SD.namedGraph)}
        assert names == {f"http://kasei.us/2009/09/sparql/data/data{i}.rdf" for i in (1, 2, 3)}
