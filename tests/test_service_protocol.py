"""/sparql over real HTTP: the SPARQL 1.1 Protocol query operation, formats, errors,
the protocol dataset, the service description and the HTML query page.

The service is the real one (``mfbt-kg serve`` in a subprocess on 127.0.0.1, time
limit 2 s, 50 rows) over the real graph.
"""

from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ET
from html import unescape

import httpx
import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import RDF

from mfbt_kg.namespaces import SD
from service_fixtures import COUNT, Listener, Service, ServicePool, assert_generic

ASGARD = "https://w3id.org/mfbt-kg/id/offer/unn-asgard"
CONSTRUCT = f"CONSTRUCT {{ <{ASGARD}> ?p ?o }} WHERE {{ <{ASGARD}> ?p ?o }}"
RESULTS = "{http://www.w3.org/2005/sparql-results#}"


@pytest.fixture(scope="module")
def service(services: ServicePool) -> Service:
    return services.get()


def n_of(response: httpx.Response) -> int:
    return int(response.json()["results"]["bindings"][0]["n"]["value"])


# --- the three ways to send a query ---------------------------------------------


def test_get_post_form_and_post_direct_agree_with_the_graph(service: Service, graph) -> None:
    via_get = service.get(COUNT)
    via_form = httpx.post(f"{service.base}/sparql", data={"query": COUNT}, timeout=30)
    via_direct = httpx.post(
        f"{service.base}/sparql",
        content=COUNT,
        headers={"Content-Type": "application/sparql-query; charset=utf-8"},
        timeout=30,
    )
    assert via_get.status_code == via_form.status_code == via_direct.status_code == 200
    assert via_get.json() == via_form.json() == via_direct.json()
    assert n_of(via_get) == len(graph)


def test_post_direct_takes_dataset_parameters_from_the_url(service: Service) -> None:
    response = httpx.post(
        f"{service.base}/sparql",
        params={"default-graph-uri": "http://example.org/none"},
        content=COUNT,
        headers={"Content-Type": "application/sparql-query"},
        timeout=30,
    )
    assert response.status_code == 200 and n_of(response) == 0  # read: the graph it names is not in the data


# --- formats by content negotiation -------------------------------------------------

SELECT_ROWS = f"SELECT ?p ?o WHERE {{ <{ASGARD}> ?p ?o }} ORDER BY ?p ?o"


def test_select_in_every_row_format_says_the_same(service: Service) -> None:
    as_json = service.get(SELECT_ROWS)
    pairs = [(b["p"]["value"], b["o"]["value"]) for b in as_json.json()["results"]["bindings"]]
    assert len(pairs) > 5 and as_json.headers["content-type"].startswith("application/sparql-results+json")

    as_xml = service.get(SELECT_ROWS, "application/sparql-results+xml")
    assert as_xml.headers["content-type"].startswith("application/sparql-results+xml")
    root = ET.fromstring(as_xml.content)
    xml_pairs = [tuple(b[0].text for b in result) for result in root.iter(RESULTS + "result")]
    assert xml_pairs == pairs

    as_csv = service.get(SELECT_ROWS, "text/csv")
    assert as_csv.headers["content-type"].startswith("text/csv")
    assert [tuple(r) for r in csv.reader(io.StringIO(as_csv.text))][1:] == pairs

    as_tsv = service.get(SELECT_ROWS, "text/tab-separated-values")
    lines = as_tsv.text.rstrip("\n").split("\n")
    assert lines[0] == "?p\t?o" and len(lines) == len(pairs) + 1
    assert all(line.split("\t")[0] == f"<{p}>" for line, (p, _) in zip(lines[1:], pairs, strict=True))


@pytest.mark.parametrize(
    "accept,check",
    [
        ("application/sparql-results+json", lambda r: r.json()["boolean"] is True),
        ("application/sparql-results+xml", lambda r: ET.fromstring(r.content).find(RESULTS + "boolean").text == "true"),
    ],
)
def test_ask_in_every_row_format(service: Service, accept: str, check) -> None:
    response = service.get(f"ASK {{ <{ASGARD}> ?p ?o }}", accept)
    assert response.status_code == 200 and check(response)


@pytest.mark.parametrize("accept", ["text/csv", "text/tab-separated-values"])
def test_ask_is_never_a_table(service: Service, accept: str) -> None:
    """The CSV/TSV results format defines SELECT results only; a client would read a false ASK as one row."""
    for query in (f"ASK {{ <{ASGARD}> ?p ?o }}", "ASK { ?s <http://example.org/none> ?o }"):
        response = service.get(query, accept)
        assert response.status_code == 406 and "offered" in response.json()["error"]
        for name in ("csv", "tsv"):
            assert (
                httpx.get(
                    f"{service.base}/sparql",
                    params={"query": query, "format": name},
                    headers={"Accept": accept},
                    timeout=10,
                ).status_code
                == 406
            )
    fallback = service.get(f"ASK {{ <{ASGARD}> ?p ?o }}", accept + ", application/sparql-results+json;q=0.5")
    assert fallback.status_code == 200 and fallback.json()["boolean"] is True


@pytest.mark.parametrize(
    "accept,rdflib_format",
    [
        ("text/turtle", "turtle"),
        ("application/n-triples", "nt"),
        ("application/ld+json", "json-ld"),
        ("application/rdf+xml", "xml"),
    ],
)
@pytest.mark.parametrize("form", ["CONSTRUCT", "DESCRIBE"])
def test_graph_answers_in_every_rdf_format(service: Service, graph, accept: str, rdflib_format: str, form: str) -> None:
    query = CONSTRUCT if form == "CONSTRUCT" else f"DESCRIBE <{ASGARD}>"
    response = service.get(query, accept)
    assert response.status_code == 200 and response.headers["content-type"].startswith(accept)
    answer = Graph().parse(data=response.content, format=rdflib_format)
    expected = list(graph.triples((URIRef(ASGARD), None, None)))
    assert {p for _, p, _ in answer.triples((URIRef(ASGARD), None, None))} == {p for _, p, _ in expected}
    if form == "CONSTRUCT":
        assert len(answer) == len(expected)
    else:  # DESCRIBE: the resource's triples and its blank nodes' (Concise Bounded Description)
        assert len(answer) >= len(expected)


@pytest.mark.parametrize(
    "accept,expected",
    [
        (None, "application/sparql-results+json"),
        ("*/*", "application/sparql-results+json"),
        ("text/*", "text/csv"),
        ("application/sparql-results+json;q=0, */*;q=0.5", "application/sparql-results+xml"),
        ("text/tab-separated-values;q=0.4, application/sparql-results+xml;q=0.9", "application/sparql-results+xml"),
        ("application/json", "application/sparql-results+json"),
    ],
)
def test_accept_is_negotiated_by_q_and_specificity(service: Service, accept: str | None, expected: str) -> None:
    headers = {"Accept": accept} if accept else {}
    response = httpx.get(f"{service.base}/sparql", params={"query": COUNT}, headers=headers, timeout=10)
    assert response.status_code == 200 and response.headers["content-type"].startswith(expected)


@pytest.mark.parametrize(
    "query,accept",
    [
        (COUNT, "image/png"),
        (COUNT, "text/turtle"),
        (CONSTRUCT, "application/sparql-results+json"),
        (CONSTRUCT, "text/csv"),
        (COUNT, "application/sparql-results+json;q=0"),
    ],
)
def test_406_when_nothing_acceptable(service: Service, query: str, accept: str) -> None:
    response = service.get(query, accept)
    assert response.status_code == 406 and "offered" in response.json()["error"]


def test_format_parameter_names_the_format(service: Service) -> None:
    csv_answer = httpx.get(f"{service.base}/sparql", params={"query": COUNT, "format": "csv"}, timeout=10)
    assert csv_answer.headers["content-type"].startswith("text/csv")
    turtle = httpx.get(f"{service.base}/sparql", params={"query": CONSTRUCT, "format": "ttl"}, timeout=10)
    assert turtle.headers["content-type"].startswith("text/turtle")
    # A value that cannot carry the answer is ignored: Accept decides (httpx sends */*), never a 406 it could meet.
    wrong = httpx.get(f"{service.base}/sparql", params={"query": COUNT, "format": "turtle"}, timeout=10)
    assert wrong.status_code == 200 and wrong.headers["content-type"] == "application/sparql-results+json"
    refused = httpx.get(
        f"{service.base}/sparql",
        params={"query": COUNT, "format": "turtle"},
        headers={"Accept": "text/turtle"},
        timeout=10,
    )
    assert refused.status_code == 406


# --- errors --------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["SELECT * WHERE { ?s ?p }", "ASK {", "SELEC * WHERE { ?s ?p ?o }"])
def test_malformed_query_is_400_with_the_parsers_message(service: Service, query: str) -> None:
    response = service.get(query)
    assert response.status_code == 400
    message = response.json()["error"]
    assert message.startswith("SPARQL syntax error: ") and re.search(r"error at \d+:\d+", message)
    assert_generic(response)


@pytest.mark.parametrize(
    "content_type,status",
    [
        ("text/plain", 415),
        (None, 415),
        ("application/sparql-query; charset=UTF-16", 415),
        ("application/sparql-update", 403),
    ],
)
def test_post_media_types(service: Service, content_type: str | None, status: int) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    response = httpx.post(f"{service.base}/sparql", content=b"ASK {}", headers=headers, timeout=10)
    assert response.status_code == status
    assert_generic(response)


def test_form_without_query_is_400(service: Service) -> None:
    response = httpx.post(f"{service.base}/sparql", data={"default-graph-uri": "http://example.org/g"}, timeout=10)
    assert response.status_code == 400 and "query" in response.json()["error"]


def test_other_methods_are_405(service: Service) -> None:
    assert httpx.put(f"{service.base}/sparql", params={"query": "ASK {}"}, timeout=10).status_code == 405
    assert httpx.delete(f"{service.base}/sparql", timeout=10).status_code == 405


# --- the protocol dataset -----------------------------------------------------------


def test_protocol_dataset_selects_only_graphs_of_the_dataset_and_fetches_nothing(service: Service) -> None:
    """A graph the data does not have is an empty graph, whichever way it is named; nothing is fetched."""
    listener = Listener()
    named = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
    try:
        for key in ("default-graph-uri", "named-graph-uri"):
            query = COUNT if key == "default-graph-uri" else named
            response = httpx.get(
                f"{service.base}/sparql",
                params={"query": query, key: listener.url + "data.ttl"},
                headers={"Accept": "application/sparql-results+json"},
                timeout=10,
            )
            assert response.status_code == 200 and n_of(response) == 0
        for query in (
            f"SELECT (COUNT(*) AS ?n) FROM <{listener.url}data.ttl> WHERE {{ ?s ?p ?o }}",
            f"SELECT (COUNT(*) AS ?n) FROM NAMED <{listener.url}data.ttl> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
            f"BASE <{listener.url}> SELECT (COUNT(*) AS ?n) FROM <data.ttl> WHERE {{ ?s ?p ?o }}",
        ):
            response = service.get(query)
            assert response.status_code == 200 and n_of(response) == 0
        assert listener.settle() == 0
    finally:
        listener.stop()


@pytest.mark.parametrize("value", ["not an iri", "relative/path", "<http://example.org/>"])
def test_protocol_dataset_needs_absolute_iris(service: Service, value: str) -> None:
    response = httpx.get(f"{service.base}/sparql", params={"query": COUNT, "default-graph-uri": value}, timeout=10)
    assert response.status_code == 400 and "absolute IRI" in response.json()["error"]


def test_relative_iris_resolve_against_the_endpoint(service: Service) -> None:
    response = service.get("SELECT (<thing> AS ?iri) WHERE {}")
    assert response.json()["results"]["bindings"][0]["iri"]["value"] == f"{service.base}/thing"


# --- service description and query page -------------------------------------------------


@pytest.mark.parametrize(
    "accept,rdflib_format",
    [
        ("text/turtle", "turtle"),
        (None, "turtle"),
        ("application/n-triples", "nt"),
        ("application/ld+json", "json-ld"),
        ("application/rdf+xml", "xml"),
    ],
)
def test_service_description(service: Service, accept: str | None, rdflib_format: str, graph) -> None:
    response = httpx.get(f"{service.base}/sparql", headers={"Accept": accept} if accept else {}, timeout=10)
    assert response.status_code == 200
    description = Graph().parse(data=response.content, format=rdflib_format)
    node = description.value(None, RDF.type, SD.Service)
    assert (node, SD.endpoint, URIRef(f"{service.base}/sparql")) in description
    assert (node, SD.supportedLanguage, SD.SPARQL11Query) in description
    assert (node, SD.supportedLanguage, SD.SPARQL11Update) not in description
    assert len(list(description.objects(node, SD.resultFormat))) == 8
    default = description.value(description.value(node, SD.defaultDataset), SD.defaultGraph)
    assert int(description.value(default, URIRef("http://rdfs.org/ns/void#triples"))) == len(graph)


def test_service_description_406(service: Service) -> None:
    assert httpx.get(f"{service.base}/sparql", headers={"Accept": "image/png"}, timeout=10).status_code == 406


BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def test_query_page_works_offline_and_offers_every_catalogue_query(service: Service, catalogue) -> None:
    page = httpx.get(f"{service.base}/sparql", headers={"Accept": BROWSER}, timeout=30)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    text = page.text
    assert (
        '<form id="query-form" method="get" action="/sparql">' in text and '<textarea id="query" name="query"' in text
    )
    external = re.findall(r'<(?:script|link|img|iframe)[^>]+(?:src|href)="(?:https?:)?//', text)
    assert external == [] and "cdn" not in text.lower()
    for query in catalogue.values():
        assert query.title_en in unescape(text), query.name


def test_every_example_on_the_page_runs(service: Service) -> None:
    page = httpx.get(f"{service.base}/sparql", headers={"Accept": BROWSER}, timeout=30).text
    links = re.findall(r'<li><a href="(/sparql\?query=[^"]+)"', page)
    assert len(links) >= 30
    for link in links:
        response = httpx.get(service.base + link.replace("&amp;", "&"), headers={"Accept": BROWSER}, timeout=30)
        assert response.status_code == 200, (link, response.text[:200])
        assert '<table class="sortable">' in response.text or "<strong>" in response.text


def test_query_page_shows_results_as_a_table(service: Service) -> None:
    select = service.get(f"SELECT ?p ?o WHERE {{ <{ASGARD}> ?p ?o }}", BROWSER)
    assert '<th scope="col">p</th><th scope="col">o</th>' in select.text
    assert 'href="/id/region/helse-nord"' in select.text  # IRIs of the dataset link to their pages here
    construct = service.get(CONSTRUCT, BROWSER)
    assert '<th scope="col">subject</th>' in construct.text and "/id/offer/unn-asgard" in construct.text
    capped = service.get("SELECT * WHERE { ?s ?p ?o }", BROWSER)
    assert capped.headers["x-result-capped"] == "true" and "Avkortet: bare de første 50 radene" in capped.text
    english = service.get("SELECT * WHERE { ?s ?p ?o }", BROWSER, cookies={"lang": "en"})  # the page speaks nb/en
    assert '<html lang="en">' in english.text and "Capped: only the first 50 rows" in english.text
    assert capped.text.count("<tr>") == 51


def test_query_page_shows_errors_in_place(service: Service) -> None:
    response = service.get("SELECT * WHERE { ?s ?p }", BROWSER)
    assert response.status_code == 400 and 'role="alert"' in response.text and "SPARQL syntax error" in response.text
    assert "?s ?p }</textarea>" in response.text


def test_query_page_escapes_what_it_shows(service: Service) -> None:
    response = service.get('SELECT ("<script>alert(1)</script>" AS ?x) WHERE {}', BROWSER)
    assert "<script>alert(1)</script>" not in response.text and "&lt;script&gt;" in response.text


def test_answers_report_their_row_count(service: Service) -> None:
    response = service.get("SELECT * WHERE { ?s ?p ?o } LIMIT 7")
    assert response.headers["x-result-rows"] == "7" and "x-result-capped" not in response.headers
    assert json.loads(response.text).get("capped") is None
