"""Dereferenceable IRIs and the pages, in-process against the real data: content negotiation for
every kind of resource, extensions, the 404 page, the language switch and its cookie, the
factsheets, the ontology page listing every term, and /dataset.

What a page must show is asked of the store with SPARQL here too, so the tests follow the data
as curators extend it; a few facts are pinned to the seed passages they come from.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from typing import Any

import pyoxigraph as ox
import pytest
from fastapi.testclient import TestClient
from rdflib import Graph, URIRef
from rdflib.namespace import DCAT, RDF, VOID

import pages_app as pages_app_module
from conftest import ROOT
from mfbt_kg.namespaces import BASE, DATASET_IRI, ID, KINDS, MFBT, ONTOLOGY_IRI, sparql_prologue
from mfbt_kg.pages.linked_data import PageQueries, resource_iri
from mfbt_kg.service import service as service_module
from mfbt_kg.sparql.answers import Table, fetch
from mfbt_kg.sparql.store import Store, to_ntriples
from pages_app import pages_app

HTML = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
RDF_TYPES = {
    "turtle": "text/turtle",
    "json-ld": "application/ld+json",
    "nt": "application/n-triples",
    "xml": "application/rdf+xml",
}
EXTENSIONS = {
    "ttl": ("text/turtle", "turtle"),
    "jsonld": ("application/ld+json", "json-ld"),
    "nt": ("application/n-triples", "nt"),
    "rdf": ("application/rdf+xml", "xml"),
}


app = pages_app_module.app  # the shared fixtures, by name: the pages app over the real data, a fresh client
client = pages_app_module.client


def select(store: Store, query: str) -> list[dict[str, Any]]:
    return store.select(sparql_prologue() + query).records()


def sample_of_kind(store: Store, kind: str) -> str | None:
    rows = select(
        store, f'SELECT (MIN(STR(?s)) AS ?iri) WHERE {{ ?s ?p ?o FILTER (STRSTARTS(STR(?s), "{ID}{kind}/")) }}'
    )
    return rows[0]["iri"].value if rows and rows[0]["iri"] is not None else None


def path_of(iri: str) -> str:
    return "/" + iri[len(BASE) :]


class Outline(HTMLParser):
    """What a page is made of: headings, landmarks, tables, links, languages, scripts."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def all(self, tag: str) -> list[dict[str, str | None]]:
        return [attrs for name, attrs in self.tags if name == tag]


def outline(html: str) -> Outline:
    parser = Outline()
    parser.feed(html)
    return parser


def assert_accessible(html: str, lang: str = "nb") -> Outline:
    page = outline(html)
    assert page.all("html") == [{"lang": lang}]
    assert len(page.all("h1")) == 1, "one h1 per page"
    for landmark in ("header", "main", "footer", "nav"):
        assert page.all(landmark), f"no <{landmark}> landmark"
    levels = [int(name[1]) for name, _ in page.tags if re.fullmatch(r"h[1-6]", name)]
    for before, after in zip(levels, levels[1:], strict=False):
        assert after <= before + 1, f"heading levels skip from h{before} to h{after}"
    for th in page.all("th"):
        assert th.get("scope") in ("col", "row"), "every table header says what it heads"
    # the pages need no JavaScript: a script element is only ever a data block (the embedded schema.org JSON-LD)
    assert all(s.get("type") == "application/ld+json" for s in page.all("script")), "the pages need no JavaScript"
    for link in page.all("link"):
        assert not (link.get("href") or "").startswith(("http:", "https:", "//")), "no external CDN"
    assert any(m.get("name") == "viewport" for m in page.all("meta")), "a viewport for phones"
    for anchor in page.all("a"):
        href = anchor.get("href") or ""
        assert not href.startswith(BASE), f"a link to the w3id host instead of this one: {href}"
    return page


# --- content negotiation for every kind ---------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_dereferences_by_accept_and_extension(client: TestClient, store: Store, kind: str) -> None:
    iri = sample_of_kind(store, kind)
    assert iri is not None, f"no resource of kind {kind!r}: every kind of namespaces.KINDS has one in the data"
    path = path_of(iri)
    for parser, media in RDF_TYPES.items():
        response = client.get(path, headers={"Accept": media})
        assert response.status_code == 200 and response.headers["content-type"].startswith(media)
        graph = Graph().parse(data=response.text, format=parser)
        assert (URIRef(iri), None, None) in graph, f"{media} for {path} says nothing about {iri}"
        assert "testserver" not in response.text, "RDF bodies keep the canonical IRIs"
    for ext, (media, parser) in EXTENSIONS.items():
        response = client.get(f"{path}.{ext}")
        assert response.status_code == 200 and response.headers["content-type"].startswith(media)
        assert (URIRef(iri), None, None) in Graph().parse(data=response.text, format=parser)
    for headers, url in ((HTML, path), ({}, f"{path}.html")):
        page = client.get(url, headers=headers)
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert iri in page.text, "the page names the canonical IRI"
        assert_accessible(page.text)


def test_rdf_answer_is_what_the_store_says(client: TestClient, store: Store) -> None:
    iri = f"{ID}offer/unn-asgard"
    expected = {
        (str(t.subject), str(t.predicate), str(t.object))
        for t in store.construct(
            f"CONSTRUCT {{ <{iri}> ?p ?o . ?s ?q <{iri}> }} WHERE {{ {{ <{iri}> ?p ?o }} UNION {{ ?s ?q <{iri}> }} }}"
        )
    }
    body = client.get("/id/offer/unn-asgard.nt").content
    got = {(str(q.subject), str(q.predicate), str(q.object)) for q in ox.parse(body, format=ox.RdfFormat.N_TRIPLES)}
    assert got == expected


@pytest.mark.parametrize(
    "accept,expected",
    [
        ("text/turtle;q=0.5, application/ld+json", "application/ld+json"),
        ("application/rdf+xml", "application/rdf+xml"),
        ("*/*", "text/turtle"),
        (HTML["Accept"], "text/html"),
        ("text/html;q=0.1, application/n-triples", "application/n-triples"),
    ],
)
def test_accept_header_with_q_values(client: TestClient, accept: str, expected: str) -> None:
    response = client.get("/id/guideline/psykoselidelser-2013", headers={"Accept": accept})
    assert response.status_code == 200 and response.headers["content-type"].startswith(expected)
    assert "Accept" in response.headers["vary"]


def test_unacceptable_media_type_is_406(client: TestClient) -> None:
    response = client.get("/id/offer/unn-asgard", headers={"Accept": "image/png"})
    assert response.status_code == 406 and "text/turtle" in response.text


def test_links_point_at_this_host_and_follow_the_mount_point(store: Store) -> None:
    page = TestClient(pages_app(store)).get("/id/offer/unn-asgard", headers=HTML).text
    assert '<a href="/id/region/helse-nord">Helse Nord RHF</a>' in page
    mounted = TestClient(pages_app(store), root_path="/kg").get("/id/offer/unn-asgard", headers=HTML).text
    assert 'href="/kg/id/region/helse-nord"' in mounted and 'href="/kg/static/site.css"' in mounted


def test_head_and_conditional_get(client: TestClient) -> None:
    head = client.head("/id/offer/unn-asgard", headers={"Accept": "text/turtle"})
    assert head.status_code == 200 and head.content == b""
    first = client.get("/id/offer/unn-asgard", headers={"Accept": "text/turtle"})
    again = client.get(
        "/id/offer/unn-asgard", headers={"Accept": "text/turtle", "If-None-Match": first.headers["etag"]}
    )
    assert again.status_code == 304


# --- the 404 page ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path,suggested",
    [
        ("/id/offer/unn-asgrd", "/id/offer/unn-asgard"),
        ("/id/ofer/unn-asgard", "/id/offer/unn-asgard"),
        ("/id/offer/no-such-offer", None),
        ("/id/offer/Bad_Slug", None),
        ("/id/offer/unn-asgard.exe", None),
        ("/id/offer/" + "a" * 300, None),
    ],
)
def test_unknown_iris_get_a_helpful_404(client: TestClient, path: str, suggested: str | None) -> None:
    response = client.get(path, headers=HTML)
    assert response.status_code == 404 and response.headers["content-type"].startswith("text/html")
    assert_accessible(response.text)
    assert (
        "/id/{type}/{navn}" in response.text
        and 'href="/id/offer"' in response.text
        and 'href="/sparql"' in response.text
    )
    if suggested:
        assert f'href="{suggested}"' in response.text
    plain = client.get(path, headers={"Accept": "text/turtle"})
    assert plain.status_code == 404 and plain.headers["content-type"].startswith("text/plain")


class SpyStore:
    """The real store, recording every query and binding: a path that breaks the slug rule must reach neither."""

    def __init__(self, inner: Store) -> None:
        self.inner = inner
        self.seen: list[str] = []

    def _saw(self, sparql: str, bindings: dict | None) -> None:
        self.seen.append(sparql + " " + " ".join(str(v) for v in (bindings or {}).values()))

    def select(self, sparql: str, bindings: dict | None = None, **dataset: Any) -> Any:
        self._saw(sparql, bindings)
        return self.inner.select(sparql, bindings, **dataset)

    def ask(self, sparql: str, bindings: dict | None = None, **dataset: Any) -> bool:
        self._saw(sparql, bindings)
        return self.inner.ask(sparql, bindings, **dataset)

    def construct(self, sparql: str, bindings: dict | None = None, **dataset: Any) -> Any:
        self._saw(sparql, bindings)
        return self.inner.construct(sparql, bindings, **dataset)

    def graph_names(self) -> frozenset[str]:
        return self.inner.graph_names()

    def replace(self, ntriples: bytes) -> None:
        self.inner.replace(ntriples)

    def triple_count(self) -> int:
        return self.inner.triple_count()

    @property
    def version(self) -> str:
        return self.inner.version


@pytest.mark.parametrize("slug", ["x%3E%20%7D%20DROP%20ALL", "x%22%20.%20%3Fs", "UPPER", "a_b", "-a", "a---b"])
def test_a_path_outside_the_slug_rule_never_reaches_the_store(store: Store, slug: str) -> None:
    spy = SpyStore(store)
    client = TestClient(pages_app(spy))
    assert client.get(f"/id/offer/{slug}", headers=HTML).status_code == 404
    assert resource_iri("offer", slug) is None
    for text in spy.seen:
        assert "DROP" not in text and "UPPER" not in text and "a_b" not in text


def test_slug_rule_matches_the_shapes() -> None:
    assert resource_iri("table-cell", "miljoterapi--psykoselidelser-2013")
    assert resource_iri("offer", "unn-asgard") == f"{ID}offer/unn-asgard"
    for bad in ("Unn", "unn_asgard", "unn-", "-unn", "unn.asgard", "unn/asgard", "", "æøå"):
        assert resource_iri("offer", bad) is None
    assert resource_iri("nokind", "x") is None


# --- language -------------------------------------------------------------------------------------


def test_language_switch_is_remembered_in_a_cookie(store: Store) -> None:
    client = TestClient(pages_app(store))
    norwegian = client.get("/id/region/helse-nord", headers=HTML)
    assert '<html lang="nb">' in norwegian.text and "Helse Nord RHF" in norwegian.text
    assert "lang" not in norwegian.cookies and "Cookie" in norwegian.headers["vary"]
    english = client.get("/id/region/helse-nord?lang=en", headers=HTML)
    assert '<html lang="en">' in english.text and "Northern Norway Regional Health Authority" in english.text
    assert english.cookies.get("lang") == "en"
    remembered = client.get("/", headers=HTML)
    assert '<html lang="en">' in remembered.text and "Regions and offers" in remembered.text
    assert 'href="/?lang=nb"' in remembered.text and 'hreflang="nb"' in remembered.text
    back = client.get("/?lang=nb", headers=HTML)
    assert '<html lang="nb">' in back.text and "Regioner og tilbud" in back.text
    ignored = client.get("/?lang=xx", headers=HTML)
    assert '<html lang="nb">' in ignored.text


def test_text_in_another_language_is_marked(client: TestClient) -> None:
    page = outline(client.get("/id/offer/unn-asgard", headers=HTML).text)
    assert any(attrs.get("lang") == "en" for _, attrs in page.tags), "English curator notes carry lang=en"
    english = outline(client.get("/id/offer/unn-asgard?lang=en", headers=HTML).text)
    assert any(attrs.get("lang") == "nb" for _, attrs in english.tags), "Norwegian quotes carry lang=nb"


# --- the pages people start from -------------------------------------------------------------------


def test_home_lists_every_region_and_its_offers(client: TestClient, store: Store) -> None:
    page = client.get("/", headers=HTML).text
    assert_accessible(page)
    rows = select(
        store,
        "SELECT ?region ?offer WHERE { ?region a mfbt:RegionalHealthAuthority . "
        "OPTIONAL { ?offer a mfbt:TreatmentOffer ; mfbt:region ?region } }",
    )
    assert {r["region"].value for r in rows} and len({r["offer"].value for r in rows if r["offer"]}) >= 14
    for row in rows:
        assert f'href="{path_of(row["region"].value)}"' in page
        if row["offer"]:
            assert f'href="{path_of(row["offer"].value)}"' in page
    for link in ('href="/ontology"', 'href="/dataset"', 'href="/sparql"'):
        assert link in page


def test_kind_index_lists_the_kind(client: TestClient, store: Store) -> None:
    page = client.get("/id/offer", headers=HTML).text
    offers = select(store, "SELECT ?o WHERE { ?o a mfbt:TreatmentOffer }")
    assert all(f'href="{path_of(r["o"].value)}"' in page for r in offers)
    assert client.get("/id/nokind", headers=HTML).status_code == 404


def test_offer_reads_like_a_factsheet(client: TestClient) -> None:
    page = client.get("/id/offer/unn-asgard", headers=HTML).text
    assert_accessible(page)
    text = " ".join(outline(page).text)
    for heading in (
        "Kort om tilbudet",
        "Kapasitet og tall over tid",
        "Behandlingsmetoder etter kategori",
        "Målgruppe",
        "Eksklusjonskriterium for tilbud",
    ):
        assert heading in text
    # Seed 001, «Tabell oppdatert 2.1.2018»: 6 earmarked beds; patients per 1.10.2017 «Ca. 24».
    assert re.search(r'<time datetime="2018-01-02">2\.1\.2018</time>.*?>6</a>', page, re.S)
    assert "ca. 24</a>" in page and "«Ca. 24»" in page
    assert '<a href="/id/statement/unn-asgard-start">1.1.2017</a>' in page
    # Methods by category, with the guideline columns of KBT's table: NADA acupuncture is named by none.
    nada = re.search(r'<tr>\s*<th scope="row"><a href="/id/method-category/nada-akupunktur">.*?</tr>', page, re.S)
    assert nada and "X</span>" not in nada.group() and nada.group().count("ikke nevnt") == 4
    milieu = re.search(r'<tr>\s*<th scope="row"><a href="/id/method-category/miljoterapi">.*?</tr>', page, re.S)
    assert milieu and "nevnt (X)" in milieu.group()


def test_vocabulary_the_pages_show_comes_from_the_graph(client: TestClient, store: Store) -> None:
    """Kind headings are the labels of mfbt:ResourceKindScheme (ontology/vocab-core.ttl), one concept per kind
    of namespaces.KINDS; other vocabularies' terms are named by ontology/labels-external.ttl; the offer
    factsheet's order is mfbt:factsheetOrder (ontology/mfbt.ttl). No Python table holds any of them."""
    kinds = select(
        store,
        "SELECT ?kind ?nb ?en WHERE { ?c skos:inScheme mfbt:ResourceKindScheme ; skos:notation ?kind ; "
        "skos:prefLabel ?nb , ?en FILTER (LANG(?nb) = 'nb' && LANG(?en) = 'en') }",
    )
    assert sorted(row["kind"].value for row in kinds) == sorted(KINDS)
    for row in kinds:
        assert f"<h1>{row['nb'].value}</h1>" in client.get(f"/id/{row['kind'].value}", headers=HTML).text
    english = next(row["en"].value for row in kinds if row["kind"].value == "offer")
    assert f"<h1>{english}</h1>" in client.get("/id/offer?lang=en", headers=HTML).text
    # SKOS's terms are named by labels-external.ttl: skos:inScheme "i begrepsliste" / "in scheme", skos:Concept
    # "begrep" / "concept" (a unit of measure's page: its type and its properties table)
    concept_nb = client.get("/id/concept/uom-count?lang=nb", headers=HTML).text
    concept_en = client.get("/id/concept/uom-count?lang=en", headers=HTML).text
    assert (
        'core#inScheme" rel="external">i begrepsliste</a>' in concept_nb
        and 'core#Concept" rel="external">begrep</a>' in concept_nb
    )
    assert (
        'core#inScheme" rel="external">in scheme</a>' in concept_en
        and 'core#Concept" rel="external">concept</a>' in concept_en
    )
    # the factsheet shows its first facts in mfbt:factsheetOrder: region, provider, unit, ... (Seed 001)
    order = [
        row["term"].value
        for row in select(
            store,
            "SELECT ?term WHERE { ?term mfbt:factsheetOrder ?o "
            "FILTER (?term IN (mfbt:region, mfbt:providedBy, mfbt:atUnit)) } ORDER BY ?o",
        )
    ]
    assert order == [str(MFBT["region"]), str(MFBT["providedBy"]), str(MFBT["atUnit"])]
    page = client.get("/id/offer/unn-asgard?lang=nb", headers=HTML).text
    facts = page[page.index("Kort om tilbudet") :]
    assert facts.index("Helse Nord RHF") < facts.index("/id/trust/unn") < facts.index("/id/unit/unn-asgard")


def test_offer_figures_the_source_does_not_tie_to_a_label_say_so(client: TestClient, store: Store) -> None:
    """Seed 002 (UNN deck, neuroleptics slides): the extraction gives values and labels apart, so the
    graph records mfbt:labelCertain false; the factsheet must not present them as plain category values."""
    uncertain = select(store, "SELECT DISTINCT ?f WHERE { ?f mfbt:about offer:unn-asgard ; mfbt:labelCertain false }")
    assert len(uncertain) == 8  # 60/40 % at referral, 41/7/30/22 % in the pathway, 62/38 % unlabelled shares
    page = client.get("/id/offer/unn-asgard", headers=HTML).text
    assert page.count("kilden knytter ikke verdien sikkert til en kategori") == len(uncertain)
    english = client.get("/id/offer/unn-asgard?lang=en", headers=HTML).text
    assert english.count("the source does not tie the value to a category with certainty") == len(uncertain)
    assert "kilden knytter ikke" not in client.get("/id/offer/vegsund-dps", headers=HTML).text


def test_dates_keep_their_precision(client: TestClient) -> None:
    # Seed 001, capacity table: Vestfold started «Slutten av 2016» — a year, late in it, no day invented.
    page = client.get("/id/offer/vestfold", headers=HTML).text
    assert 'Slutten av 2016</a> <span class="note">(2016, sent i perioden)</span>' in page
    english = client.get("/id/offer/vestfold?lang=en", headers=HTML).text
    assert 'lang="nb">Slutten av 2016</a> <span class="note">(2016, late in the period)</span>' in english


def test_method_page_shows_offers_and_guideline_backing(client: TestClient, store: Store) -> None:
    page = client.get("/id/method/nada-akupunktur", headers=HTML).text
    assert_accessible(page)
    users = select(store, "SELECT ?o WHERE { ?o mfbt:offersMethod method:nada-akupunktur }")
    assert users and all(f'href="{path_of(r["o"].value)}"' in page for r in users)
    assert "Ingen retningslinje i tabellen nevner kategorien" in page  # KBT appendix table: no X for NADA
    milieu = client.get("/id/method/miljoterapi", headers=HTML).text
    assert re.search(r'href="/id/guideline/psykoselidelser-2013".*?nevnt \(X\)', milieu, re.S)
    category = client.get("/id/method-category/miljoterapi", headers=HTML).text
    assert "Tilbud som bruker metoder i kategorien" in category


def test_guideline_page_groups_categories_by_what_the_table_says(client: TestClient, store: Store) -> None:
    page = client.get("/id/guideline/psykoselidelser-2013", headers=HTML).text
    assert_accessible(page)
    assert "Metodekategorier retningslinjen nevner" in page
    named = page.split('id="categories-named"')[1].split('<h2 id="categories-')[0]
    rows = select(
        store,
        "SELECT ?c WHERE { ?cell mfbt:guideline guideline:psykoselidelser-2013 ; "
        "mfbt:methodCategory ?c ; mfbt:cellState concept:cell-state-named }",
    )
    assert rows and all(f'href="{path_of(r["c"].value)}"' in named for r in rows)
    assert 'href="/id/method-category/nada-akupunktur"' not in named
    assert "Tilbud med metoder i kategorier retningslinjen nevner" in page
    bipolar = client.get("/id/guideline/bipolare-lidingar-2012", headers=HTML).text
    assert "Graderte anbefalinger" in bipolar and 'lang="nn"' in bipolar


def test_source_page_lists_everything_that_cites_it(client: TestClient, store: Store) -> None:
    page = client.get("/id/source/kbt-2018-tabell-kapasitet", headers=HTML).text
    assert_accessible(page)
    citing = select(store, "SELECT DISTINCT ?s WHERE { ?s dcterms:source source:kbt-2018-tabell-kapasitet }")
    assert len(citing) > 10
    for row in citing:
        assert f'href="{path_of(row["s"].value)}"' in page
    assert f"{len(citing)} ressurser viser til kilden" in page
    document = client.get("/id/document/kbt-2018", headers=HTML).text
    assert 'href="/id/offer/unn-asgard"' in document


def test_resource_page_shows_labels_types_properties_sources_and_backlinks(client: TestClient) -> None:
    page = client.get("/id/figure/unn-asgard-earmarked-beds-2018-01-02", headers=HTML).text
    assert_accessible(page)
    assert '<a href="/ontology#Figure">tall</a>' in page
    assert '<a href="/id/measure/earmarked-beds">øremerkede senger</a>' in page
    assert 'href="/id/source/kbt-2018-tabell-kapasitet"' in page and 'href="/id/document/kbt-2018"' in page
    assert "Lenker hit" in page


# --- the vocabulary -----------------------------------------------------------------------------------


def test_ontology_page_documents_every_class_and_property(client: TestClient, store: Store) -> None:
    page = client.get("/ontology", headers=HTML).text
    assert_accessible(page)
    ids = {attrs.get("id") for _, attrs in outline(page).tags}
    terms = select(
        store,
        f"SELECT DISTINCT ?t ?def WHERE {{ ?t a ?k . VALUES ?k {{ owl:Class owl:ObjectProperty "
        f'owl:DatatypeProperty skos:ConceptScheme }} FILTER (STRSTARTS(STR(?t), "{MFBT}")) '
        f'OPTIONAL {{ ?t skos:definition ?def FILTER (LANG(?def) = "nb") }} }}',
    )
    assert len(terms) > 100
    for row in terms:
        local = row["t"].value[len(str(MFBT)) :]
        assert local in ids, f"/ontology has no #{local}"
        if row["def"] is not None:
            assert row["def"].value.replace('"', "&#34;").replace("'", "&#39;") in page or row["def"].value in page
    english = client.get("/ontology?lang=en", headers=HTML).text
    assert "A health trust (HF) owned by a regional health authority" in english


@pytest.mark.parametrize(
    "url,headers,parser",
    [
        ("/ontology", {"Accept": "text/turtle"}, "turtle"),
        ("/ontology.ttl", {}, "turtle"),
        ("/ontology.jsonld", {}, "json-ld"),
        ("/ontology.nt", {}, "nt"),
        ("/ontology.rdf", {}, "xml"),
    ],
)
def test_ontology_as_rdf(client: TestClient, url: str, headers: dict[str, str], parser: str) -> None:
    response = client.get(url, headers=headers)
    assert response.status_code == 200
    graph = Graph().parse(data=response.text, format=parser)
    assert (URIRef(ONTOLOGY_IRI), None, None) in graph
    assert (URIRef(str(MFBT["TreatmentOffer"])), None, None) in graph


# --- the dataset description --------------------------------------------------------------------------


def test_dataset_description_by_negotiation_computed_once(store: Store, graph, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    real = service_module.publication

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(service_module, "publication", counting)
    client = TestClient(pages_app(store, data=to_ntriples(graph)))
    turtle = client.get("/dataset", headers={"Accept": "text/turtle"})
    assert turtle.status_code == 200 and turtle.headers["content-type"].startswith("text/turtle")
    graph = Graph().parse(data=turtle.text, format="turtle")
    assert (URIRef(DATASET_IRI), RDF.type, DCAT.Dataset) in graph
    assert any(graph.triples((None, RDF.type, VOID.Dataset)))
    jsonld = client.get("/dataset", headers={"Accept": "application/ld+json"})
    assert jsonld.headers["content-type"].startswith("application/ld+json")
    assert len(Graph().parse(data=jsonld.text, format="json-ld")) == len(graph)
    assert isinstance(json.loads(jsonld.text), list)
    assert client.get("/dataset.ttl").text == turtle.text
    for ext, (media, parser) in EXTENSIONS.items():
        response = client.get(f"/dataset.{ext}")
        assert response.headers["content-type"].startswith(media)
        assert len(Graph().parse(data=response.text, format=parser)) == len(graph)
    assert client.get("/dataset.xyz").status_code == 404
    page = client.get("/dataset", headers=HTML)
    assert page.status_code == 200 and DATASET_IRI in page.text
    assert_accessible(page.text)
    assert len(calls) == 1, "the description is computed once and kept"


# --- the pieces ----------------------------------------------------------------------------------------


def test_every_page_query_runs(store: Store) -> None:
    queries = PageQueries(ROOT)
    bindings = {
        "resource": ox.NamedNode(f"{ID}offer/unn-asgard"),
        "prefix": ox.Literal(str(ID)),
        "ns": ox.Literal(str(MFBT)),
    }
    for name in queries.names():
        declared = {p.name for p in queries.file(name).parameters if p.required}
        assert declared <= set(bindings), f"{name}: a parameter this test does not bind: {declared - set(bindings)}"
        used = {k: v for k, v in bindings.items() if k in declared}
        shape = {"ASK": bool, "CONSTRUCT": list, "DESCRIBE": list}.get(queries.file(name).form, Table)
        assert isinstance(fetch(store, queries[name], used or None), shape), f"{name}: answers as its form says"


def test_stylesheet_is_served_and_responsive(client: TestClient) -> None:
    css = client.get("/static/site.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert "@media (max-width" in css.text and "http" not in css.text
    assert client.get("/static/../pages.py").status_code == 404
