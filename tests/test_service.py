"""The real service over HTTP: the protocol, the catalogue API, and every row of the security checklist.

One service process for the module (time limit 2 s, 50 rows), and a listener on
127.0.0.1 that must never be contacted.
"""

from __future__ import annotations

import concurrent.futures
import json
import time

import httpx
import pytest
from rdflib import Graph, URIRef

from service_fixtures import Listener, Service

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
LEAKS = ("Traceback", "File \"", "/work/", "/etc/passwd", "Errno", "127.0.0.1:")


@pytest.fixture(scope="module")
def service():
    svc = Service(timeout=2.0, max_rows=50)
    yield svc
    svc.stop()


@pytest.fixture(scope="module")
def listener():
    lis = Listener()
    yield lis
    lis.stop()


def get(service: Service, query: str, accept: str = "application/sparql-results+json",
        headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.get(f"{service.base}/sparql", params={"query": query}, headers={"Accept": accept, **(headers or {})},
                     timeout=30)


def count(service: Service) -> int:
    return int(get(service, COUNT).json()["results"]["bindings"][0]["n"]["value"])


def assert_generic(response: httpx.Response) -> None:
    for leak in LEAKS:
        assert leak not in response.text, f"error body leaks {leak!r}: {response.text}"


# --- protocol ---------------------------------------------------------------

def test_get_post_form_and_post_direct_agree(service: Service) -> None:
    via_get = get(service, COUNT).json()
    via_form = httpx.post(f"{service.base}/sparql", data={"query": COUNT}, timeout=30).json()
    via_direct = httpx.post(f"{service.base}/sparql", content=COUNT,
                            headers={"Content-Type": "application/sparql-query"}, timeout=30).json()
    assert via_get == via_form == via_direct
    assert int(via_get["results"]["bindings"][0]["n"]["value"]) > 5000


@pytest.mark.parametrize("accept,marker", [
    ("application/sparql-results+json", '"head"'), ("application/sparql-results+xml", "<sparql"),
    ("text/csv", "n\r\n"), ("text/tab-separated-values", "?n\n"),
])
def test_select_formats(service: Service, accept: str, marker: str) -> None:
    response = get(service, COUNT, accept)
    assert response.status_code == 200 and marker in response.text
    assert response.headers["content-type"].startswith(accept)


@pytest.mark.parametrize("accept,marker", [
    ("text/turtle", "@prefix"), ("application/n-triples", "<https://w3id.org/mfbt-kg/id/offer/unn-asgard>"),
    ("application/ld+json", "@id"), ("application/rdf+xml", "rdf:RDF"),
])
def test_construct_formats(service: Service, accept: str, marker: str) -> None:
    query = "CONSTRUCT { ?s ?p ?o } WHERE { BIND(<https://w3id.org/mfbt-kg/id/offer/unn-asgard> AS ?s) ?s ?p ?o }"
    response = get(service, query, accept)
    assert response.status_code == 200, response.text
    assert marker in response.text or (accept == "text/turtle" and "unn-asgard" in response.text)


def test_ask_answers_true(service: Service) -> None:
    response = get(service, "ASK { <https://w3id.org/mfbt-kg/id/offer/unn-asgard> ?p ?o }")
    assert response.json()["boolean"] is True


def test_malformed_query_is_400_with_parser_message(service: Service) -> None:
    response = get(service, "SELECT * WHERE { ?s ?p }")
    assert response.status_code == 400 and "syntax" in response.json()["error"].lower()
    assert_generic(response)


def test_service_description_and_query_page(service: Service) -> None:
    turtle = httpx.get(f"{service.base}/sparql", headers={"Accept": "text/turtle"}, timeout=10)
    assert turtle.status_code == 200 and "sd:Service" in turtle.text
    page = httpx.get(f"{service.base}/sparql", headers={"Accept": "text/html"}, timeout=10)
    assert page.status_code == 200 and "<form" in page.text and "Stated totals" in page.text
    assert "http://" not in page.text.split("<body>")[0] and "cdn" not in page.text.lower()
    table = get(service, COUNT, "text/html")
    assert "<table>" in table.text and "<th scope=\"col\">n</th>" in table.text


def test_etag_304_gzip_and_cors(service: Service) -> None:
    first = get(service, "SELECT ?s WHERE { ?s a <https://w3id.org/mfbt-kg/ontology#TreatmentOffer> }",
                headers={"Origin": "http://example.org", "Accept-Encoding": "gzip"})
    assert first.headers["access-control-allow-origin"] == "*"
    etag = first.headers["etag"]
    again = httpx.get(f"{service.base}/sparql", params={"query": COUNT}, headers={"If-None-Match": etag}, timeout=10)
    assert again.status_code == 304
    big = get(service, "SELECT * WHERE { ?s ?p ?o } LIMIT 40", headers={"Accept-Encoding": "gzip"})
    assert big.headers.get("content-encoding") == "gzip"


# --- the catalogue API --------------------------------------------------------

def test_api_lists_and_runs_catalogue(service: Service) -> None:
    listing = httpx.get(f"{service.base}/api/queries", timeout=10).json()
    assert any(q["name"] == "methods-backed-by-guideline" for q in listing)
    run = httpx.get(f"{service.base}/api/queries/methods-backed-by-guideline",
                    params={"unit": "unn-asgard", "guideline": "psykoselidelser-2013"}, timeout=30)
    methods = {b["method"]["value"] for b in run.json()["results"]["bindings"]}
    assert "https://w3id.org/mfbt-kg/id/method/miljoterapi" in methods and len(methods) == 15


@pytest.mark.parametrize("path,params,status,fragment", [
    ("/api/queries/no-such-query", {}, 404, "no query named"),
    ("/api/queries/offer-profile", {}, 400, "needs parameter 'offer'"),
    ("/api/queries/offer-profile", {"offer": "no-such-offer"}, 400, "no offer named"),
    ("/api/queries/offers-by-referrer", {"referrer": "gp", "date": "yesterday"}, 400, "must be a date"),
])
def test_api_errors_match_cli(service: Service, path: str, params: dict, status: int, fragment: str) -> None:
    response = httpx.get(f"{service.base}{path}", params=params, timeout=10)
    assert response.status_code == status and fragment in response.json()["error"]


def test_openapi_describes_the_routes(service: Service) -> None:
    paths = httpx.get(f"{service.base}/openapi.json", timeout=10).json()["paths"]
    assert {"/sparql", "/api/queries", "/api/queries/{name}", "/health"} <= set(paths)


# --- security checklist, rows 1-16 ----------------------------------------------

def outbound_queries(port: int) -> list[str]:
    return [
        f"SELECT * WHERE {{ SERVICE <http://127.0.0.1:{port}/sparql> {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ SERVICE SILENT <http://127.0.0.1:{port}/sparql> {{ ?s ?p ?o }} }}",
        f"select * where {{ service <http://127.0.0.1:{port}/sparql> {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ ?x ?y ?z OPTIONAL {{ SERVICE <http://127.0.0.1:{port}/> {{ ?s ?p ?o }} }} }}",
        f"SELECT * WHERE {{ {{ SELECT * WHERE {{ SERVICE <http://127.0.0.1:{port}/> {{ ?s ?p ?o }} }} }} }}",
        f"SELECT * FROM <http://127.0.0.1:{port}/x> WHERE {{ ?s ?p ?o }}",
        f"SELECT * FROM NAMED <http://127.0.0.1:{port}/x> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
        "SELECT * FROM <file:///etc/passwd> WHERE { ?s ?p ?o }",
    ]


def test_rows_1_to_4_no_outbound_request(service: Service, listener: Listener) -> None:
    for query in outbound_queries(listener.port):
        for response in (get(service, query), httpx.post(f"{service.base}/sparql", data={"query": query}, timeout=10)):
            if " FROM " in query:  # row 4: refused, or answered from the dataset's own graphs (here: none)
                assert response.status_code == 400 or response.json()["results"]["bindings"] == [], query
            else:
                assert response.status_code == 400, query
            assert_generic(response)
    time.sleep(0.3)
    assert listener.connections == 0


def test_row_3_same_message_for_file_and_closed_port(service: Service) -> None:
    a = get(service, "SELECT * WHERE { SERVICE <file:///etc/passwd> { ?s ?p ?o } }")
    b = get(service, "SELECT * WHERE { SERVICE <http://127.0.0.1:1/> { ?s ?p ?o } }")
    assert a.status_code == b.status_code == 400 and a.json() == b.json()


UPDATES = ["INSERT DATA { <http://e/a> <http://e/b> <http://e/c> }", "DELETE WHERE { ?s ?p ?o }", "LOAD <http://127.0.0.1:9/x>",
           "CLEAR ALL", "DROP ALL", "SELECT * WHERE { ?s ?p ?o } ; INSERT DATA { <http://e/a> <http://e/b> <http://e/c> }"]


@pytest.mark.parametrize("update", UPDATES)
def test_rows_5_and_7_updates_as_query_change_nothing(service: Service, update: str) -> None:
    before = count(service)
    for response in (get(service, update), httpx.post(f"{service.base}/sparql", data={"query": update}, timeout=10)):
        assert response.status_code == 400
        assert_generic(response)
    assert count(service) == before


def test_row_6_update_operations_refused(service: Service) -> None:
    before = count(service)
    responses = [
        httpx.post(f"{service.base}/sparql", content=UPDATES[0], headers={"Content-Type": "application/sparql-update"}, timeout=10),
        httpx.post(f"{service.base}/sparql", data={"update": UPDATES[0]}, timeout=10),
        httpx.get(f"{service.base}/sparql", params={"update": UPDATES[0]}, timeout=10),
    ]
    assert all(400 <= r.status_code < 500 for r in responses)
    assert count(service) == before


@pytest.mark.parametrize("opening", ["{", "("])
def test_row_8_deep_nesting(service: Service, opening: str) -> None:
    closing = "}" if opening == "{" else ")"
    body = "SELECT * WHERE " + opening * 5000 + " ?s ?p ?o " + closing * 5000
    response = httpx.post(f"{service.base}/sparql", content=body, headers={"Content-Type": "application/sparql-query"}, timeout=10)
    assert response.status_code == 400
    assert count(service) > 0  # still alive


def test_row_9_size_limits(service: Service) -> None:
    big = "SELECT * WHERE { ?s ?p ?o } #" + "x" * 1_000_000
    assert httpx.post(f"{service.base}/sparql", content=big, headers={"Content-Type": "application/sparql-query"},
                      timeout=30).status_code == 413
    assert get(service, "SELECT * WHERE { ?s ?p ?o } #" + "x" * 40_000).status_code == 414


@pytest.mark.parametrize("query", [SLOW, SLOW + " ORDER BY ?c LIMIT 1"])
def test_rows_10_11_time_limit_then_next_query_fine(service: Service, query: str) -> None:
    started = time.monotonic()
    response = get(service, query)
    elapsed = time.monotonic() - started
    assert response.status_code == 503 and elapsed < 2.0 + 3.0
    assert_generic(response)
    assert count(service) > 0


def test_row_12_regex_answers_or_503_in_time(service: Service) -> None:
    started = time.monotonic()
    response = get(service, 'ASK { FILTER(REGEX("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!", "^(a+)+$")) }')
    assert response.status_code in (200, 503) and time.monotonic() - started < 5.0


def test_row_13_fast_query_answers_beside_a_slow_one(service: Service) -> None:
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        slow = pool.submit(get, service, SLOW)
        time.sleep(0.2)
        started = time.monotonic()
        fast = get(service, "ASK { ?s ?p ?o }")
        fast_elapsed = time.monotonic() - started
        assert fast.json()["boolean"] is True and fast_elapsed < 1.5
        assert slow.result().status_code == 503


def test_row_14_rows_capped_and_said_so(service: Service) -> None:
    response = get(service, "SELECT * WHERE { ?s ?p ?o } LIMIT 999999999999")
    assert response.status_code == 200 and response.headers["x-result-capped"] == "true"
    body = response.json()
    assert body["capped"] is True and len(body["results"]["bindings"]) == 50


def test_row_15_bad_requests_are_4xx(service: Service) -> None:
    assert get(service, COUNT, "image/png").status_code == 406
    assert httpx.get(f"{service.base}/sparql?query=%FF%FE", timeout=10).status_code == 400
    assert httpx.get(f"{service.base}/sparql", params=[("query", COUNT), ("query", COUNT)], timeout=10).status_code == 400
    both = httpx.post(f"{service.base}/sparql", data={"query": COUNT, "update": "CLEAR ALL"}, timeout=10)
    assert both.status_code == 400
    assert_generic(both)


def test_twenty_concurrent_clients_get_correct_answers(service: Service) -> None:
    expected = count(service)
    with concurrent.futures.ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(lambda _: count(service), range(40)))
    assert answers == [expected] * 40


def test_health_names_data_version(service: Service) -> None:
    body = httpx.get(f"{service.base}/health", timeout=5).json()
    assert body["status"] == "ok" and len(body["data_version"]) == 16 and json.dumps(body)


# --- dereferenceable IRIs ---------------------------------------------------------

@pytest.mark.parametrize("path", ["/id/offer/unn-asgard", "/id/method/miljoterapi", "/id/guideline/psykoselidelser-2013",
                                  "/id/source/kbt-2018-tabell-kapasitet", "/id/region/helse-nord",
                                  "/id/figure/unn-asgard-earmarked-beds-2018-01-02"])
def test_resource_iris_dereference(service: Service, path: str) -> None:
    turtle = httpx.get(service.base + path, headers={"Accept": "text/turtle"}, timeout=10)
    assert turtle.status_code == 200
    graph = Graph().parse(data=turtle.text, format="turtle")
    assert (URIRef(f"https://w3id.org/mfbt-kg{path}"), None, None) in graph
    page = httpx.get(service.base + path, headers={"Accept": "text/html"}, timeout=10)
    assert page.status_code == 200 and '<html lang="nb">' in page.text and "<h1>" in page.text
    assert httpx.get(service.base + path + ".jsonld", timeout=10).headers["content-type"].startswith("application/ld+json")
    assert httpx.get(service.base + path + ".nt", timeout=10).text.count(" .\n") > 0


def test_resource_page_labels_links_and_language(service: Service) -> None:
    page = httpx.get(service.base + "/id/offer/unn-asgard", headers={"Accept": "text/html"}, timeout=10).text
    assert '<a href="/id/region/helse-nord">Helse Nord RHF</a>' in page
    english = httpx.get(service.base + "/id/offer/unn-asgard?lang=en", headers={"Accept": "text/html"}, timeout=10)
    assert '<html lang="en">' in english.text and "Northern Norway Regional Health Authority" in english.text
    assert english.cookies.get("lang") == "en"


@pytest.mark.parametrize("path", ["/id/offer/no-such-offer", "/id/nokind/x", "/id/offer/Bad_Slug"])
def test_unknown_iri_is_a_helpful_404(service: Service, path: str) -> None:
    response = httpx.get(service.base + path, headers={"Accept": "text/html"}, timeout=10)
    assert response.status_code == 404 and "/sparql" in response.text
