"""The W3C SPARQL 1.1 Protocol tests, read from their manifest and run against the real service.

The service is started over the tests' own dataset (data1–3 as named graphs,
named by the manifest's labels). Tests that expect an update to succeed get a
4xx here, by design: the endpoint is read only. They are listed once, below.
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

SUITE = Path(__file__).resolve().parents[2] / "shared" / "external" / "w3c-sparql11-protocol"
MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = Namespace("http://www.w3.org/2011/http#")
CNT = Namespace("http://www.w3.org/2011/content#")
UT = Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
HTS = Namespace("http://www.w3.org/2011/http-statusCodes#")

# Read only by design: these tests expect an update to succeed; here they must get a 4xx and change nothing.
EXPECTED_REFUSALS = {
    "update_dataset_default_graph", "update_dataset_default_graphs", "update_dataset_named_graphs",
    "update_dataset_full", "update_post_form", "update_post_direct", "update_base_uri",
}


def _manifest() -> Graph:
    if not SUITE.exists():
        pytest.fail(f"the W3C protocol tests are expected at {SUITE} (../shared/external beside the checkout)")
    graph = Graph()
    graph.parse(SUITE / "manifest.ttl", format="turtle", publicID=SUITE.as_uri() + "/")
    return graph


MANIFEST = _manifest()
TESTS = sorted(MANIFEST.subjects(RDF.type, MF.ProtocolTest), key=str)


def _name(test: URIRef) -> str:
    return str(test).rsplit("#", 1)[-1]


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    """The service over the suite's dataset: each data file as the named graph its label gives."""
    quads = []
    for data in MANIFEST.objects(None, UT.graphData):
        path = Path(str(MANIFEST.value(data, UT.graph)).replace("file://", ""))
        name = str(MANIFEST.value(data, RDFS.label))
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip().endswith(" ."):
                quads.append(f"{line.strip()[:-1].rstrip()} <{name}> .")
    folder = tmp_path_factory.mktemp("w3c")
    dataset = folder / "dataset.nq"
    dataset.write_text("\n".join(sorted(set(quads))) + "\n", encoding="utf-8")
    svc = Service("--data", str(dataset), timeout=5.0, max_rows=1000)
    yield svc
    svc.stop()
    shutil.rmtree(folder, ignore_errors=True)


def _requests(test: URIRef) -> list[URIRef]:
    action = MANIFEST.value(test, MF.action)
    return list(Collection(MANIFEST, MANIFEST.value(action, HT.requests)))


def _send(service: Service, request: URIRef) -> httpx.Response:
    method = str(MANIFEST.value(request, HT.methodName))
    path = str(MANIFEST.value(request, HT.absolutePath)).replace("/sparql/", "/sparql", 1)
    headers = {}
    header_list = MANIFEST.value(request, HT.headers)
    if header_list is not None:
        for header in Collection(MANIFEST, header_list):
            headers[str(MANIFEST.value(header, HT.fieldName))] = str(MANIFEST.value(header, HT.fieldValue))
    body = MANIFEST.value(request, HT.body)
    content = None
    if body is not None:
        encoding = str(MANIFEST.value(body, CNT.characterEncoding) or "UTF-8")
        content = str(MANIFEST.value(body, CNT.chars)).encode(encoding.replace("UTF-16", "utf-16"))
    return httpx.request(method, service.base + path, headers=headers, content=content, timeout=30)


def _check(response: httpx.Response, expected: URIRef) -> None:
    statuses = {str(s).rsplit("StatusCode", 1)[-1] for s in MANIFEST.objects(expected, MF.expectedStatus)}
    assert f"{str(response.status_code)[0]}xx" in statuses, f"status {response.status_code}, expected {statuses}: {response.text[:200]}"
    fmt = MANIFEST.value(expected, MF.expectedFormat)
    boolean = MANIFEST.value(expected, MF.expectedBoolean)
    if boolean is not None:
        assert json.loads(response.text)["boolean"] is boolean.toPython()
    if fmt is not None and str(fmt) == "RDF":
        Graph().parse(data=response.text, format=response.headers["content-type"].split(";")[0])
    elif fmt is not None and str(fmt) == "tabular":
        assert response.headers["content-type"].startswith(("application/sparql-results", "text/csv", "text/tab"))


@pytest.mark.parametrize("test", TESTS, ids=[_name(t) for t in TESTS])
def test_protocol(service: Service, test: URIRef) -> None:
    name = _name(test)
    for request in _requests(test):
        response = _send(service, request)
        if name in EXPECTED_REFUSALS:
            assert 400 <= response.status_code < 500, f"{name}: an update must be refused here"
            return
        _check(response, MANIFEST.value(request, HT.resp))


def test_refusals_changed_nothing(service: Service) -> None:
    answer = httpx.get(f"{service.base}/sparql", params={"query": "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"},
                       timeout=10).json()
    expected = sum(1 for line in "".join(p.read_text() for p in SUITE.glob("data*.nt")).splitlines() if line.strip().endswith("."))
    assert int(answer["results"]["bindings"][0]["n"]["value"]) <= expected
