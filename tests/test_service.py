"""The real service over HTTP: dereferenceable resource IRIs (/id/{kind}/{slug}) and the dataset's files (/dump/).

The SPARQL protocol, the catalogue API, caching and the security checklist moved
to test_service_protocol.py, test_service_api.py, test_service_caching.py,
test_security.py, test_service_reload.py and test_w3c_protocol.py.
"""

from __future__ import annotations

import hashlib

import httpx
import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import DCAT

from mfbt_kg.namespaces import DATASET_IRI, SPDX
from service_fixtures import ROOT, Service, ServicePool


@pytest.fixture(scope="module")
def service(services: ServicePool) -> Service:
    return services.get()


# --- dereferenceable IRIs ---------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/id/offer/unn-asgard",
        "/id/method/miljoterapi",
        "/id/guideline/psykoselidelser-2013",
        "/id/source/kbt-2018-tabell-kapasitet",
        "/id/region/helse-nord",
        "/id/figure/unn-asgard-earmarked-beds-2018-01-02",
    ],
)
def test_resource_iris_dereference(service: Service, path: str) -> None:
    turtle = httpx.get(service.base + path, headers={"Accept": "text/turtle"}, timeout=10)
    assert turtle.status_code == 200
    graph = Graph().parse(data=turtle.text, format="turtle")
    assert (URIRef(f"https://w3id.org/mfbt-kg{path}"), None, None) in graph
    page = httpx.get(service.base + path, headers={"Accept": "text/html"}, timeout=10)
    assert page.status_code == 200 and '<html lang="nb">' in page.text and "<h1>" in page.text
    assert (
        httpx.get(service.base + path + ".jsonld", timeout=10).headers["content-type"].startswith("application/ld+json")
    )
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


def test_every_download_url_of_the_dataset_description_resolves(service: Service) -> None:
    """/dataset lists the dataset's files with size and checksum; the service serves each under /dump/."""
    description = Graph().parse(data=httpx.get(service.base + "/dataset.ttl", timeout=60).text, format="turtle")
    default_base = service.base + "/dump/"  # the address it listens on: never a port it does not listen on
    distributions = list(description.objects(URIRef(DATASET_IRI), DCAT.distribution))
    paths = {str(description.value(node, DCAT.downloadURL))[len(default_base) :]: node for node in distributions}
    assert {f"ontology/{p.name}" for p in (ROOT / "ontology").glob("*.ttl")} | {"data/context.jsonld"} < set(paths)
    # Turtle, N-Triples, RDF/XML, JSON-LD with its context beside it and JSON-LD with the context inline
    assert sum(path.startswith("data/mfbt-kg.") for path in paths) == 5
    for path, node in paths.items():
        url = default_base + path
        assert str(description.value(node, DCAT.downloadURL)) == url
        response = httpx.get(service.base + "/dump/" + path, timeout=30)
        assert response.status_code == 200, url
        assert len(response.content) == int(description.value(node, DCAT.byteSize)), url
        checksum = description.value(node, SPDX.checksum)
        assert str(description.value(checksum, SPDX.checksumValue)) == hashlib.sha1(response.content).hexdigest(), url
    assert httpx.get(service.base + "/dump/data/no-such-file.ttl", timeout=10).status_code == 404
