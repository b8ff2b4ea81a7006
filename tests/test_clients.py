"""Other people's clients against the real service: SPARQLWrapper, rdflib's SPARQLStore, a YASGUI-style
browser sequence, and Graph Store Protocol reads.

The service is the real one (``mfbt-kg serve`` on 127.0.0.1 over the real graph, 50 rows a
answer); every expected answer is pyoxigraph's own answer to the same query on the same graph
(the ``store`` fixture), so each check says: this client, this way, gets exactly the engine's answer.
"""

from __future__ import annotations

import csv
import io
import urllib.error
import warnings
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
from rdflib import Graph, URIRef
from rdflib.compare import isomorphic
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import CSV as CSV_FORMAT
from SPARQLWrapper import (
    GET,
    JSON,
    JSONLD,
    N3,
    POST,
    POSTDIRECTLY,
    RDFXML,
    TSV,
    TURTLE,
    URLENCODED,
    XML,
    SPARQLWrapper,
)

from service_fixtures import Service

ASGARD = "https://w3id.org/mfbt-kg/id/offer/unn-asgard"
SELECT = f"SELECT ?p ?o WHERE {{ <{ASGARD}> ?p ?o }}"
ASK_TRUE = f"ASK {{ <{ASGARD}> ?p ?o }}"
ASK_FALSE = "ASK { ?s <http://example.org/none> ?o }"
CONSTRUCT = f"CONSTRUCT {{ <{ASGARD}> ?p ?o }} WHERE {{ <{ASGARD}> ?p ?o }}"
DESCRIBE = f"DESCRIBE <{ASGARD}>"
YASGUI_ORIGIN = "https://yasgui.example"
W3C_DATASET = Path(__file__).resolve().parent / "external" / "w3c-sparql-query-eval" / "sparql10" / "dataset"


@pytest.fixture(scope="module")
def service(services) -> Service:
    return services.get()


def _graph(triples: list[ox.Triple]) -> Graph:
    return Graph().parse(data=ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES).decode(), format="nt")


@pytest.fixture(scope="module")
def expected(store) -> dict:
    """pyoxigraph's answers on the graph the service serves."""
    table = store.select(SELECT)
    return {
        "rows": {(row[0].value, row[1].value) for row in table.rows},
        "construct": _graph(store.construct(CONSTRUCT)),
        "describe": _graph(store.construct(DESCRIBE)),
    }


# --- SPARQLWrapper: default mode (format parameters and Accept) and conneg only ----------------------------

METHODS = {"GET": (GET, URLENCODED), "POST form": (POST, URLENCODED), "POST direct": (POST, POSTDIRECTLY)}
MODES = {"default": False, "conneg only": True}


def _wrapper(service: Service, query: str, fmt: str, method: str, conneg: bool) -> SPARQLWrapper:
    client = SPARQLWrapper(f"{service.base}/sparql")
    client.setQuery(query)
    client.setReturnFormat(fmt)
    http_method, request_method = METHODS[method]
    client.setMethod(http_method)
    client.setRequestMethod(request_method)
    client.setOnlyConneg(conneg)
    return client


def _converted(client: SPARQLWrapper):
    """The answer converted as SPARQLWrapper does; a warning (the answer's type is not the one asked) fails."""
    result = client.query()
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # SPARQLWrapper's "format X asked, Y returned"
        return result.info()["content-type"].split(";")[0], result.convert()


def _rows(fmt: str, body) -> set[tuple[str, str]]:
    if fmt == JSON:
        return {(b["p"]["value"], b["o"]["value"]) for b in body["results"]["bindings"]}
    if fmt == CSV_FORMAT:
        return {(r["p"], r["o"]) for r in csv.DictReader(io.StringIO(body.decode("utf-8")))}
    data = body.toxml().encode() if fmt == XML else body
    parsed = ox.parse_query_results(data, format=ox.QueryResultsFormat.XML if fmt == XML else ox.QueryResultsFormat.TSV)
    return {(s["p"].value, s["o"].value) for s in parsed}


ROW_MEDIA = {
    JSON: "application/sparql-results+json",
    XML: "application/sparql-results+xml",
    CSV_FORMAT: "text/csv",
    TSV: "text/tab-separated-values",
}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("fmt", [JSON, XML, CSV_FORMAT, TSV])
def test_sparqlwrapper_select(service: Service, expected: dict, fmt: str, method: str, mode: str) -> None:
    media, body = _converted(_wrapper(service, SELECT, fmt, method, MODES[mode]))
    assert media == ROW_MEDIA[fmt]
    assert _rows(fmt, body) == expected["rows"] and len(expected["rows"]) > 20


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("fmt", [JSON, XML])
def test_sparqlwrapper_ask(service: Service, fmt: str, method: str, mode: str) -> None:
    for query, answer in ((ASK_TRUE, True), (ASK_FALSE, False)):
        media, body = _converted(_wrapper(service, query, fmt, method, MODES[mode]))
        assert media == ROW_MEDIA[fmt]
        if fmt == JSON:
            assert body["boolean"] is answer
        else:
            assert bool(ox.parse_query_results(body.toxml().encode(), format=ox.QueryResultsFormat.XML)) is answer


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("fmt", [CSV_FORMAT, TSV])
def test_sparqlwrapper_ask_as_a_table_is_refused(service: Service, fmt: str, method: str, mode: str) -> None:
    """CSV and TSV carry SELECT results only: a 406, never a one-row table a client reads as true."""
    with pytest.raises(urllib.error.HTTPError) as refused:
        _wrapper(service, ASK_FALSE, fmt, method, MODES[mode]).query()
    assert refused.value.code == 406


# What each return format gets for a graph: SPARQLWrapper's XML and JSON mean RDF/XML and JSON-LD there.
GRAPH_MEDIA = {
    TURTLE: "text/turtle",
    N3: "text/turtle",
    XML: "application/rdf+xml",
    RDFXML: "application/rdf+xml",
    JSONLD: "application/ld+json",
    JSON: "application/ld+json",
}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("fmt", list(GRAPH_MEDIA))
@pytest.mark.parametrize("form", ["construct", "describe"])
def test_sparqlwrapper_graphs(service: Service, expected: dict, form: str, fmt: str, method: str, mode: str) -> None:
    query = CONSTRUCT if form == "construct" else DESCRIBE
    client = _wrapper(service, query, fmt, method, MODES[mode])
    if fmt == JSON and MODES[mode]:  # JSON for a graph by Accept alone: SPARQLWrapper sends */*, Turtle comes
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            result = client.query()
            media, body = result.info()["content-type"].split(";")[0], result.convert()
        assert media == "text/turtle"
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # SPARQLWrapper warns that it sends */* for JSON
            media, body = _converted(client)
        assert media == GRAPH_MEDIA[fmt]
    graph = Graph().parse(data=body, format="turtle") if isinstance(body, bytes) else body
    assert isomorphic(Graph() + graph, expected[form]) and len(expected[form]) > 20


def test_sparqlwrapper_custom_accept_is_honoured(service: Service, expected: dict) -> None:
    """N-Triples asked by Accept gets N-Triples, although the format parameters say Turtle."""
    client = _wrapper(service, CONSTRUCT, TURTLE, "GET", conneg=False)
    client.addCustomHttpHeader("Accept", "application/n-triples")
    result = client.query()
    assert result.info()["content-type"].split(";")[0] == "application/n-triples"
    assert isomorphic(Graph().parse(data=result.response.read(), format="nt"), expected["construct"])


# --- rdflib's SPARQLStore -------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "POST", "POST_FORM"])
def test_rdflib_sparqlstore(service: Service, expected: dict, graph, method: str) -> None:
    remote = Graph(store=SPARQLStore(f"{service.base}/sparql", method=method))
    assert {(str(p), str(o)) for p, o in remote.query(SELECT)} == expected["rows"]
    assert remote.query(ASK_TRUE).askAnswer is True and bool(remote.query(ASK_TRUE)) is True
    assert remote.query(ASK_FALSE).askAnswer is False and bool(remote.query(ASK_FALSE)) is False
    assert isomorphic(Graph() + remote.query(CONSTRUCT).graph, expected["construct"])
    assert isomorphic(Graph() + remote.query(DESCRIBE).graph, expected["describe"])
    assert len(remote) == len(graph)
    offer = URIRef(ASGARD)
    assert {(str(p), str(o)) for _, p, o in remote.triples((offer, None, None))} == expected["rows"]


@pytest.mark.parametrize("return_format", ["csv", "tsv"])
def test_rdflib_ask_as_a_table_is_refused_not_read_as_true(service: Service, return_format: str) -> None:
    remote = Graph(store=SPARQLStore(f"{service.base}/sparql", returnFormat=return_format))
    with pytest.raises(Exception) as refused:  # rdflib raises urllib's HTTPError (GET: a ValueError around it)
        remote.query(ASK_FALSE)
    assert "406" in repr(refused.value) or "wrong" in str(refused.value)
    assert {(str(p), str(o)) for p, o in remote.query(SELECT)}  # SELECT in CSV/TSV still answers


# --- a browser client: YASGUI's requests, and jQuery-style preflight -------------------------------------------


@pytest.mark.parametrize(
    "headers",
    ["content-type", "x-requested-with, accept, content-type", "accept, content-type, if-none-match, cache-control"],
)
def test_cors_preflight(service: Service, headers: str) -> None:
    response = httpx.options(
        f"{service.base}/sparql",
        headers={
            "Origin": YASGUI_ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": headers,
        },
    )
    assert response.status_code == 200
    allowed = {h.strip().lower() for h in response.headers["access-control-allow-headers"].split(",")}
    assert {h.strip() for h in headers.split(",")} <= allowed
    assert "POST" in response.headers["access-control-allow-methods"]


def test_yasgui_sequence(service: Service, expected: dict) -> None:
    """Preflight, then the form POST YASGUI sends, answered in JSON with CORS headers; a graph in Turtle."""
    preflight = httpx.options(
        f"{service.base}/sparql",
        headers={
            "Origin": YASGUI_ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "accept, content-type",
        },
    )
    assert preflight.status_code == 200
    form = {"Origin": YASGUI_ORIGIN, "Content-Type": "application/x-www-form-urlencoded; charset=UTF-8"}
    select = httpx.post(
        f"{service.base}/sparql",
        data={"query": SELECT},
        headers={**form, "Accept": "application/sparql-results+json,*/*;q=0.9"},
    )
    assert select.status_code == 200 and select.headers["content-type"] == "application/sparql-results+json"
    assert select.headers["access-control-allow-origin"] == "*"
    assert "X-Result-Rows" in select.headers["access-control-expose-headers"]
    assert {(b["p"]["value"], b["o"]["value"]) for b in select.json()["results"]["bindings"]} == expected["rows"]
    construct = httpx.post(
        f"{service.base}/sparql", data={"query": CONSTRUCT}, headers={**form, "Accept": "text/turtle,*/*;q=0.9"}
    )
    assert construct.headers["content-type"].startswith("text/turtle")
    assert isomorphic(Graph().parse(data=construct.text, format="turtle"), expected["construct"])


# --- Graph Store Protocol, read only ----------------------------------------------------------------------------

RDF_MEDIA = {
    "text/turtle": "turtle",
    "application/n-triples": "nt",
    "application/ld+json": "json-ld",
    "application/rdf+xml": "xml",
}


@pytest.mark.parametrize("media", RDF_MEDIA)
def test_store_default_graph_is_the_whole_graph(service: Service, graph, media: str) -> None:
    response = httpx.get(f"{service.base}/store?default", headers={"Accept": media}, timeout=60)
    assert response.status_code == 200 and response.headers["content-type"].split(";")[0] == media
    assert "etag" in response.headers and "x-result-capped" not in response.headers  # whole, not capped at 50
    assert isomorphic(Graph().parse(data=response.content, format=RDF_MEDIA[media]), graph)
    head = httpx.head(f"{service.base}/store?default", headers={"Accept": media}, timeout=60)
    assert head.status_code == 200 and head.content == b"" and head.headers["etag"] == response.headers["etag"]
    again = httpx.get(
        f"{service.base}/store?default",
        timeout=60,
        headers={"Accept": media, "If-None-Match": response.headers["etag"]},
    )
    assert again.status_code == 304


def test_graph_store_request_to_the_query_endpoint_is_sent_to_the_store(service: Service) -> None:
    """Not the service description by mistake: a Graph Store request at /sparql is redirected to /store."""
    for query in ("default", "graph=http%3A%2F%2Fexample.org%2Fg"):
        response = httpx.get(f"{service.base}/sparql?{query}", headers={"Accept": "text/turtle"})
        assert response.status_code == 303 and response.headers["location"] == f"{service.base}/store?{query}"
    followed = httpx.get(
        f"{service.base}/sparql?default", headers={"Accept": "application/n-triples"}, follow_redirects=True, timeout=60
    )
    assert followed.status_code == 200 and str(followed.url) == f"{service.base}/store?default"


def test_store_refusals(service: Service) -> None:
    base = f"{service.base}/store"
    assert httpx.get(base + "?default", headers={"Accept": "application/sparql-results+json"}).status_code == 406
    assert httpx.get(base).status_code == 400
    assert httpx.get(base + "?default&graph=http://example.org/g").status_code == 400
    assert httpx.get(base, params={"graph": "relative"}).status_code == 400
    assert httpx.get(base, params={"graph": "http://example.org/none"}).status_code == 404  # the data has no graphs
    for method in ("PUT", "POST", "DELETE", "PATCH"):
        response = httpx.request(
            method,
            base + "?default",
            content=b"<http://a> <http://b> <http://c> .",
            headers={"Content-Type": "application/n-triples"},
        )
        assert response.status_code == 405 and response.headers["allow"] == "GET, HEAD"
    assert httpx.get(f"{service.base}/store?default", headers={"Accept": "application/n-triples"}).status_code == 200


@pytest.fixture(scope="module")
def dataset_service(tmp_path_factory):
    """A service over a two-graph dataset: the W3C data-r2 dataset tests' data-g1.ttl as the default graph and
    data-g2.ttl as a named graph."""
    quads = [
        ox.Quad(t.subject, t.predicate, t.object, graph)
        for name, graph in (("data-g1.ttl", ox.DefaultGraph()), ("data-g2.ttl", ox.NamedNode("http://example.org/g2")))
        for t in ox.parse(path=W3C_DATASET / name, format=ox.RdfFormat.TURTLE)
    ]
    path = tmp_path_factory.mktemp("gsp") / "dataset.nq"
    path.write_bytes(ox.serialize(quads, format=ox.RdfFormat.N_QUADS))
    with Service("--data", str(path)) as running:
        yield running


def test_store_named_graph(dataset_service: Service) -> None:
    def triples(name: str) -> set[tuple[str, str, str]]:
        return {
            (str(t.subject), str(t.predicate), str(t.object))
            for t in ox.parse(path=W3C_DATASET / name, format=ox.RdfFormat.TURTLE)
        }

    def served(params: str) -> set[tuple[str, str, str]]:
        response = httpx.get(f"{dataset_service.base}/store?{params}", headers={"Accept": "application/n-triples"})
        assert response.status_code == 200
        return {
            (str(t.subject), str(t.predicate), str(t.object))
            for t in ox.parse(response.content, format=ox.RdfFormat.N_TRIPLES)
        }

    assert served("graph=http%3A%2F%2Fexample.org%2Fg2") == triples("data-g2.ttl") and triples("data-g2.ttl")
    assert served("default") == triples("data-g1.ttl") and triples("data-g1.ttl")
    assert httpx.get(f"{dataset_service.base}/store", params={"graph": "http://example.org/g1"}).status_code == 404


def test_dataset_clauses(dataset_service: Service) -> None:
    """FROM selects a graph of the data (relative IRIs against BASE, else the endpoint's URL); the protocol's
    dataset takes precedence over FROM; a graph the data lacks is empty from either place."""
    g2 = len(list(ox.parse(path=W3C_DATASET / "data-g2.ttl", format=ox.RdfFormat.TURTLE)))

    def count(query: str, **params: str) -> int:
        response = httpx.get(
            f"{dataset_service.base}/sparql",
            params={"query": query, **params},
            headers={"Accept": "application/sparql-results+json"},
        )
        assert response.status_code == 200, response.text
        return int(response.json()["results"]["bindings"][0]["n"]["value"])

    from_g2 = "SELECT (COUNT(*) AS ?n) FROM <http://example.org/g2> WHERE { ?s ?p ?o }"
    assert g2 > 0 and count(from_g2) == g2
    assert count("BASE <http://example.org/> SELECT (COUNT(*) AS ?n) FROM <g2> WHERE { ?s ?p ?o }") == g2
    assert count("SELECT (COUNT(*) AS ?n) FROM <g2> WHERE { ?s ?p ?o }") == 0  # <endpoint's URL>/g2: no such graph
    assert count(from_g2, **{"default-graph-uri": "http://example.org/none"}) == 0  # the protocol's dataset wins
    assert count("SELECT (COUNT(*) AS ?n) FROM <http://example.org/none> WHERE { ?s ?p ?o }") == 0
    assert count("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", **{"default-graph-uri": "http://example.org/g2"}) == g2


FIREFOX = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def test_query_page_answer_as(service: Service) -> None:
    """The query page's "Answer as" sends ``format`` with a browser's Accept: a format that fits is given; one
    that cannot carry the answer leaves the browser its page, not a raw 406."""

    def get(query: str, fmt: str) -> httpx.Response:
        return httpx.get(f"{service.base}/sparql", params={"query": query, "format": fmt}, headers={"Accept": FIREFOX})

    assert get(SELECT, "csv").headers["content-type"].startswith("text/csv")
    assert get(CONSTRUCT, "nt").headers["content-type"].startswith("application/n-triples")
    page = get(SELECT, "turtle")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html") and ASGARD in page.text
    assert get(ASK_TRUE, "csv").headers["content-type"].startswith("text/html")
