"""The /sparql query page is a page of the site: base template, stylesheet, mount point, nb/en.

In-process: the sparql router in an app of its own, its service swapped in with
``dependency_overrides`` (answering from the real graph; queries themselves are run by the
service's workers, which the served tests cover)."""

from __future__ import annotations

import re

from fastapi import FastAPI
from fastapi.testclient import TestClient

from conftest import ROOT
from mfbt_kg.api import errors, sparql
from mfbt_kg.api.deps import get_service
from mfbt_kg.service.service import Service
from mfbt_kg.service.settings import Settings
from mfbt_kg.sparql.store import Store

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def query_app(store: Store) -> FastAPI:
    service = Service.over(store, Settings(root=ROOT))
    app = FastAPI()
    errors.install(app)
    app.include_router(sparql.router)
    app.dependency_overrides[get_service] = lambda: service
    return app


def test_query_page_follows_the_mount_point_and_the_language(store: Store, catalogue) -> None:
    client = TestClient(query_app(store), root_path="/kg")
    page = client.get("/sparql", headers={"Accept": BROWSER})
    assert page.status_code == 200 and '<html lang="nb">' in page.text and "<h1>SPARQL-endepunkt</h1>" in page.text
    assert 'href="/kg/static/site.css"' in page.text and 'action="/kg/sparql"' in page.text
    assert 'href="/kg/api/queries"' in page.text and "<style" not in page.text  # the site's stylesheet only
    listed = page.text[page.text.index('<ul class="examples">') :]
    examples = re.findall(r'<li><a href="([^"]+)"', listed)
    assert len(examples) == len(catalogue) and all(href.startswith("/kg/") for href in examples)
    english = client.get("/sparql?lang=en", headers={"Accept": BROWSER})
    assert '<html lang="en">' in english.text and "<h1>SPARQL endpoint</h1>" in english.text
    assert english.cookies.get("lang") == "en" and english.headers["content-language"] == "en"


def test_a_refused_query_is_shown_on_the_page_for_a_browser_and_as_json_otherwise(store: Store) -> None:
    client = TestClient(query_app(store))
    query = "SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }"
    page = client.get("/sparql", params={"query": query}, headers={"Accept": BROWSER})
    assert page.status_code == 400 and 'role="alert"' in page.text and "SERVICE" in page.text
    assert "SERVICE &lt;http://example.org/sparql&gt;" in page.text  # the query again, in the box, escaped
    program = client.get("/sparql", params={"query": query}, headers={"Accept": "application/sparql-results+json"})
    assert program.status_code == 400 and "SERVICE" in program.json()["error"]
