"""The real service over HTTP: dereferenceable resource IRIs (/id/{kind}/{slug}).

The SPARQL protocol, the catalogue API, caching and the security checklist moved
to test_service_protocol.py, test_service_api.py, test_service_caching.py,
test_security.py, test_service_reload.py and test_w3c_protocol.py.
"""

from __future__ import annotations

import httpx
import pytest
from rdflib import Graph, URIRef

from service_fixtures import Service, shared_service


@pytest.fixture(scope="module")
def service() -> Service:
    return shared_service()


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
