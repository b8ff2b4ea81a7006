"""Caching and headers: ETag / Last-Modified tied to the data version, 304 on revalidation,
gzip, and CORS for read requests — over real HTTP."""

from __future__ import annotations

import datetime as dt
from email.utils import format_datetime, parsedate_to_datetime

import httpx
import pytest

from service_fixtures import COUNT, Service, ServicePool


@pytest.fixture(scope="module")
def service(services: ServicePool) -> Service:
    return services.get()


def revalidate(service: Service, path: str, params: dict | None, headers: dict[str, str]) -> httpx.Response:
    return httpx.get(service.base + path, params=params, headers=headers, timeout=30)


TARGETS = [
    ("/sparql", {"query": COUNT}, "application/sparql-results+json"),
    ("/sparql", None, "text/turtle"),  # the service description
    ("/api/queries/offer-profile", {"offer": "unn-asgard"}, "text/csv"),
    ("/api/queries", None, "application/json"),
]


@pytest.mark.parametrize("path,params,accept", TARGETS)
def test_etag_revalidates_with_304(service: Service, path: str, params: dict | None, accept: str) -> None:
    first = revalidate(service, path, params, {"Accept": accept})
    assert first.status_code == 200
    tag = first.headers["etag"]
    assert tag.startswith('W/"')
    again = revalidate(service, path, params, {"Accept": accept, "If-None-Match": tag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == tag
    listed = revalidate(service, path, params, {"Accept": accept, "If-None-Match": f'"other", {tag}'})
    assert listed.status_code == 304
    stale = revalidate(service, path, params, {"Accept": accept, "If-None-Match": '"something-else"'})
    assert stale.status_code == 200


def test_etag_is_the_data_version_and_the_format(service: Service) -> None:
    version = service.health()["data_version"]
    as_json = service.get(COUNT)
    as_csv = service.get(COUNT, "text/csv")
    assert as_json.headers["etag"] == f'W/"{version}-json"' and as_csv.headers["etag"] == f'W/"{version}-csv"'
    other_format = service.get(COUNT, "text/csv", headers={"If-None-Match": as_json.headers["etag"]})
    assert other_format.status_code == 200
    assert "Accept" in as_json.headers["vary"]


def test_last_modified_and_if_modified_since(service: Service) -> None:
    first = service.get(COUNT)
    modified = parsedate_to_datetime(first.headers["last-modified"])
    assert modified.tzinfo is not None
    assert service.get(COUNT, headers={"If-Modified-Since": first.headers["last-modified"]}).status_code == 304
    earlier = format_datetime(modified - dt.timedelta(days=1), usegmt=True)
    assert service.get(COUNT, headers={"If-Modified-Since": earlier}).status_code == 200
    assert service.get(COUNT, headers={"If-Modified-Since": "not a date"}).status_code == 200


def test_post_is_never_304(service: Service) -> None:
    tag = service.get(COUNT).headers["etag"]
    response = httpx.post(
        f"{service.base}/sparql",
        data={"query": COUNT},
        headers={"If-None-Match": tag, "Accept": "application/sparql-results+json"},
        timeout=10,
    )
    assert response.status_code == 200


def test_refused_queries_are_never_304(service: Service) -> None:
    tag = service.get(COUNT).headers["etag"]
    response = service.get(
        "SELECT * WHERE { SERVICE <http://example.org/> { ?s ?p ?o } }", headers={"If-None-Match": tag}
    )
    assert response.status_code == 400


def test_gzip_for_large_answers_only(service: Service) -> None:
    large = service.get("SELECT * WHERE { ?s ?p ?o } LIMIT 40", headers={"Accept-Encoding": "gzip"})
    assert large.headers.get("content-encoding") == "gzip" and "Accept-Encoding" in large.headers["vary"]
    assert len(large.json()["results"]["bindings"]) == 40  # decoded by the client
    small = service.get("ASK {}", headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in small.headers


def test_cors_for_reads(service: Service) -> None:
    simple = service.get(COUNT, headers={"Origin": "https://analyst.example"})
    assert simple.headers["access-control-allow-origin"] == "*"
    exposed = simple.headers["access-control-expose-headers"]
    assert "ETag" in exposed and "X-Result-Capped" in exposed
    preflight = httpx.options(
        f"{service.base}/sparql",
        headers={
            "Origin": "https://analyst.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
        timeout=10,
    )
    assert preflight.status_code == 200 and "POST" in preflight.headers["access-control-allow-methods"]
    assert "content-type" in preflight.headers["access-control-allow-headers"].lower()
    for method in ("PUT", "DELETE"):
        refused = httpx.options(
            f"{service.base}/sparql",
            headers={"Origin": "https://analyst.example", "Access-Control-Request-Method": method},
            timeout=10,
        )
        assert refused.status_code == 400
    api = httpx.get(f"{service.base}/api/queries", headers={"Origin": "https://analyst.example"}, timeout=10)
    assert api.headers["access-control-allow-origin"] == "*"


def test_head_gives_the_headers_without_the_body(service: Service) -> None:
    for path, params in [
        ("/sparql", {"query": COUNT}),
        ("/sparql", None),
        ("/api/queries", None),
        ("/api/queries/offer-profile", {"offer": "unn-asgard"}),
    ]:
        head = httpx.head(service.base + path, params=params, timeout=10)
        get = httpx.get(service.base + path, params=params, timeout=10)
        assert head.status_code == get.status_code == 200 and head.content == b""
        assert head.headers["etag"] == get.headers["etag"]


def test_repeated_query_is_answered_from_kept_answers(service: Service) -> None:
    """The same query in the same format on the same data version: the same bytes, without a worker."""
    query = (
        "PREFIX mfbt: <https://w3id.org/mfbt-kg/ontology#> "
        "SELECT ?offer WHERE { ?offer a mfbt:TreatmentOffer } ORDER BY ?offer"
    )
    accept = {"Accept": "application/sparql-results+json"}
    first = httpx.get(service.base + "/sparql", params={"query": query}, headers=accept, timeout=30)
    before = httpx.get(service.base + "/health", timeout=10).json()["answer_cache"]
    second = httpx.get(service.base + "/sparql", params={"query": query}, headers=accept, timeout=30)
    after = httpx.get(service.base + "/health", timeout=10).json()["answer_cache"]
    assert first.status_code == second.status_code == 200 and first.content == second.content
    assert len(first.json()["results"]["bindings"]) == 14  # KBT 2018, table 1: fourteen offers
    assert after["hits"] == before["hits"] + 1 and after["entries"] >= 1
    refused = httpx.get(
        service.base + "/sparql",
        params={"query": "SELECT * { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }"},
        headers=accept,
        timeout=30,
    )
    assert refused.status_code == 400
    assert httpx.get(service.base + "/health", timeout=10).json()["answer_cache"]["entries"] == after["entries"]
