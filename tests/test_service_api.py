"""/api/queries, /health and the OpenAPI document, over real HTTP against the real graph.

Errors are the CLI's own sentences (the same catalogue binds the parameters), so
the tests hold the API's error text against what ``mfbt-kg query run`` prints.
"""

from __future__ import annotations

import csv
import io

import httpx
import pytest

from mfbt_kg.api.query_page import example_values
from mfbt_kg.cli import main
from service_fixtures import ROOT, Service, ServicePool, assert_generic


@pytest.fixture(scope="module")
def service(services: ServicePool) -> Service:
    return services.get()


def api(service: Service, path: str, params=None, accept: str = "application/sparql-results+json") -> httpx.Response:
    return httpx.get(f"{service.base}/api/queries{path}", params=params, headers={"Accept": accept}, timeout=30)


def test_list_gives_every_query_with_its_header(service: Service, catalogue) -> None:
    listing = api(service, "", accept="application/json")
    assert listing.status_code == 200 and listing.headers["content-type"].startswith("application/json")
    assert listing.json() == [q.header() for q in catalogue.values()]
    first = listing.json()[0]
    assert {"name", "title", "description", "parameters", "example", "tags"} <= set(first)


def test_every_catalogue_query_runs_with_its_example_parameters(service: Service, catalogue) -> None:
    for query in catalogue.values():
        response = api(service, f"/{query.name}", example_values(query.example))
        assert response.status_code == 200, (query.name, response.text[:300])
        body = response.json()
        assert "results" in body or "boolean" in body


def test_run_binds_parameters_and_gives_the_expected_answer(service: Service) -> None:
    run = api(service, "/methods-backed-by-guideline", {"unit": "unn-asgard", "guideline": "psykoselidelser-2013"})
    methods = {b["method"]["value"] for b in run.json()["results"]["bindings"]}
    assert "https://w3id.org/mfbt-kg/id/method/miljoterapi" in methods and len(methods) == 15
    assert run.headers["x-result-rows"] == "15"


def test_run_answers_in_every_row_format(service: Service) -> None:
    params = {"unit": "unn-asgard", "guideline": "psykoselidelser-2013"}
    as_csv = api(service, "/methods-backed-by-guideline", params, "text/csv")
    assert as_csv.headers["content-type"].startswith("text/csv")
    assert len(list(csv.reader(io.StringIO(as_csv.text)))) == 16
    named = api(service, "/methods-backed-by-guideline", {**params, "format": "tsv"}, "application/json")
    assert named.headers["content-type"].startswith("text/tab-separated-values")
    xml = api(service, "/methods-backed-by-guideline", params, "application/sparql-results+xml")
    assert xml.text.count("<result>") == 15
    assert api(service, "/methods-backed-by-guideline", params, "image/png").status_code == 406


def test_large_answers_are_capped_and_say_so(service: Service) -> None:
    response = api(service, "/find-resources-by-label", {"text": "a"})
    assert response.status_code == 200
    assert response.headers["x-result-capped"] == "true" and response.json()["capped"] is True
    assert len(response.json()["results"]["bindings"]) == 50


CLI_CASES = [
    ("offer-profile", {}, "needs parameter 'offer'"),
    ("offer-profile", {"offer": "no-such-offer"}, "no offer named 'no-such-offer'"),
    ("offers-by-referrer", {"referrer": "gp", "date": "yesterday"}, "must be a date"),
    ("offer-profile", {"offer": "unn-asgard", "colour": "red"}, "has no parameter 'colour'"),
    # a resource of the wrong kind, or a concept of another list, is refused, never an empty answer
    ("offer-profile", {"offer": "method/miljoterapi"}, "but 'method/miljoterapi' is a method"),
    (
        "offers-accepting-compulsory-care",
        {"policy": "feature-crisis-plan"},
        "must name a concept of CompulsoryCarePolicyScheme",
    ),
]


@pytest.mark.parametrize("name,params,fragment", CLI_CASES)
def test_errors_are_the_clis_as_json_4xx(service: Service, capsys, name: str, params: dict, fragment: str) -> None:
    response = api(service, f"/{name}", params)
    assert response.status_code == 400 and response.headers["content-type"] == "application/json"
    message = response.json()["error"]
    assert fragment in message
    argv = ["--root", str(ROOT), "query", "run", name] + [a for k, v in params.items() for a in ("--param", f"{k}={v}")]
    assert main(argv) == 2
    assert capsys.readouterr().err.strip() == f"mfbt-kg: {message}"
    assert_generic(response)


def test_unknown_query_is_404_with_a_pointer(service: Service) -> None:
    response = api(service, "/no-such-query")
    assert (
        response.status_code == 404 and response.json()["error"] == "no query named 'no-such-query' (see /api/queries)"
    )


def test_parameter_values_are_bound_not_pasted(service: Service) -> None:
    hostile = '" } } ; DROP ALL ; SELECT * WHERE { ?s ?p ?o . FILTER("'
    response = api(service, "/find-resources-by-label", {"text": hostile})
    assert response.status_code == 200 and response.json()["results"]["bindings"] == []
    slug = api(service, "/offer-profile", {"offer": "unn-asgard> ?p ?o } #"})
    assert slug.status_code == 400 and "must be a slug" in slug.json()["error"]


def test_health(service: Service, graph) -> None:
    body = httpx.get(f"{service.base}/health", timeout=10).json()
    assert body["status"] == "ok" and body["store"] == "embedded" and len(body["data_version"]) == 16
    assert body["triples"] == len(graph) and body["queries"] >= 30
    # 2 general workers, the reserved fast lane (1) and its started standby, all alive
    workers = body["workers"]
    assert workers["size"] == 2 and workers["fast_lane"] == 1 and workers["standby"] == 1 and workers["alive"] == 4
    assert body["time_limit_seconds"] == 2.0 and body["max_rows"] == 50


def test_openapi_describes_the_protocol_the_catalogue_and_health(service: Service, catalogue) -> None:
    doc = httpx.get(f"{service.base}/openapi.json", timeout=10).json()
    paths = doc["paths"]
    assert {"/sparql", "/store", "/api/queries", "/api/queries/{name}", "/health"} <= set(paths)
    get, post = paths["/sparql"]["get"], paths["/sparql"]["post"]
    assert {p["name"] for p in get["parameters"]} == {
        "query",
        "default-graph-uri",
        "named-graph-uri",
        "format",
        "output",
        "results",
    }
    assert set(post["requestBody"]["content"]) == {"application/x-www-form-urlencoded", "application/sparql-query"}
    media = set(get["responses"]["200"]["content"])
    assert {
        "application/sparql-results+json",
        "application/sparql-results+xml",
        "text/csv",
        "text/tab-separated-values",
        "text/turtle",
        "application/n-triples",
        "application/ld+json",
        "application/rdf+xml",
    } <= media
    assert {"400", "406", "414", "503"} <= set(get["responses"]) and {"413", "415"} <= set(post["responses"])
    assert paths["/api/queries/{name}"]["get"]["parameters"][0]["schema"]["enum"] == sorted(catalogue)
    for query in catalogue.values():
        operation = paths[f"/api/queries/{query.name}"]["get"]
        declared = {p["name"]: p for p in operation["parameters"]}
        assert set(declared) == {p.name for p in query.parameters} | {"format"}
        for parameter in query.parameters:
            assert declared[parameter.name]["required"] == parameter.required
    assert doc["components"]["schemas"]["Error"]["required"] == ["error"]
    assert {"/", "/id/{kind}/{name}", "/ontology", "/dataset", "/dump/{path}"} <= set(paths)
    assert httpx.get(f"{service.base}/docs", timeout=10).status_code == 404  # its viewer would load from a CDN
