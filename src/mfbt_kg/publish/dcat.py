"""The dataset's description: DCAT-AP-NO for data.norge.no, VoID for linked-data tools.

Built from three things only: facts the store answers about the graph, the bytes of
the files the export writes, and the settings. So the same input always gives the
same description, and the service's ``/dataset`` says what the bundle's ``dcat.ttl``
says. No clock: issued and modified come from the settings or the ontology's header.

DCAT-AP-NO checks that themes, formats, languages, licence, access rights and
coverage come from the EU authority tables (``skos:inScheme``). The description
says so for each table entry it uses, so it validates offline as the national
catalogue validates it after fetching those entries.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import pyoxigraph as ox
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, OWL, PROV, RDF, RDFS, SKOS, VOID, XSD

from mfbt_kg.namespaces import (
    ADMS,
    BASE,
    CATALOG_IRI,
    DATASET_IRI,
    DCAT_PREVIOUS_VERSION,
    DESCRIPTION,
    DESCRIPTION_PREFIXES,
    EU_ACCESS_RIGHT,
    EU_COUNTRY,
    EU_DATA_THEME,
    EU_FILE_TYPE,
    EU_FREQUENCY,
    EU_LANGUAGE,
    EU_LICENCE,
    EU_LICENCE_OF,
    IANA_MEDIA_TYPE,
    ID,
    MFBT,
    ONTOLOGY_IRI,
    ORGANIZATION_CATALOG,
    PROJECT_AGENT_IRI,
    SCHEMA,
    SPARQL_PROTOCOL,
    SPDX,
    VCARD,
    W3C_FORMATS,
    authority_scheme,
)
from mfbt_kg.publish.parts import FilePart
from mfbt_kg.publish.settings import PublishSettings
from mfbt_kg.sparql.answers import Term
from mfbt_kg.sparql.catalogue import internal
from mfbt_kg.sparql.media import GRAPH, ROWS, answering, for_media_type
from mfbt_kg.sparql.store import Store

# --- what the store tells us about the graph ---------------------------------------

# The questions are queries/internal/{ontology-header,source-years,languages,keywords,void-*,examples}.rq.

# Two-letter tags the data uses -> EU language table entries.
EU_LANGUAGE_CODES = {"nb": "NOB", "nn": "NNO", "no": "NOR", "en": "ENG", "se": "SME"}

TITLE = {
    "nb": "Medikamentfrie behandlingstilbud i psykisk helsevern (kunnskapsgraf)",
    "en": "Medication-free treatment offers in Norwegian mental health care (knowledge graph)",
}
DESCRIPTION_TEXT = {
    "nb": "De medikamentfrie behandlingstilbudene i psykisk helsevern i Norge som lenkede data: hvem som "
    "driver dem, under hvilken regional protokoll, for hvem, med hvilke behandlingsmetoder, og hvilke "
    "nasjonale retningslinjer som støtter metodene. Hvert faktum har sin kilde (dokument og avsnitt) "
    "og kildens presisjon.",
    "en": "Norway's medication-free mental-health treatment offers as linked data: who runs them, under "
    "which regional protocol, for whom, with which treatment methods, and which national guidelines "
    "back those methods. Every fact carries its source (document and section) at the source's precision.",
}
EXTRA_KEYWORDS = (("psykisk helsevern", "nb"), ("mental health care", "en"))
# The data changes when a curator adds or corrects facts, on no schedule: the EU frequency table's "irregular".
ACCRUAL = EU_FREQUENCY["IRREG"]
PROVENANCE = {
    "nb": "Sammenstilt for hånd fra offentlige dokumenter (rapporter, brev, nettsider og presentasjoner fra blant "
    "andre KBT, Universitetssykehuset Nord-Norge og Helse- og omsorgsdepartementet). Hvert faktum har "
    "dcterms:source til avsnittet i dokumentet det er hentet fra, med kildens presisjon, og grafen er "
    "kontrollert mot prosjektets SHACL-regler før eksport.",
    "en": "Curated by hand from public documents (reports, letters, web pages and slide decks of KBT, the "
    "University Hospital of North Norway, the Ministry of Health and Care Services and others). Every fact "
    "carries dcterms:source to the passage of the document it comes from, at the source's precision, and "
    "the graph is checked against the project's SHACL shapes before export.",
}
ATTRIBUTION_NOTE = {
    "nb": "Utgiver av dokumenter dataene er hentet fra.",
    "en": "Publisher of documents the data is taken from.",
}


@dataclass(frozen=True)
class Facts:
    """What the description takes from the graph, answered by the store."""

    modified: str | None
    issued: str | None
    version: str | None
    first_year: int | None
    last_year: int | None
    languages: tuple[str, ...]
    keywords: tuple[tuple[str, str], ...]
    counts: Mapping[str, int]
    examples: tuple[str, ...]
    source_organisations: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = ()  # IRI, (name, language)


def gather_facts(store: Store) -> Facts:
    """Ask the store every question the description needs answered about the graph."""
    header = _one(store, "ontology-header", {"ontology": ox.NamedNode(ONTOLOGY_IRI)})
    years = _one(store, "source-years")
    counts = {
        **_one(store, "void-counts"),
        **_one(store, "void-classes"),
        **_one(store, "void-entities", {"space": ox.Literal(str(ID))}),
    }
    languages = sorted({row["lang"].value.split("-")[0] for row in _rows(store, "languages")})
    keywords = sorted(
        {(row["label"].value, row["label"].language) for row in _rows(store, "keywords")} | set(EXTRA_KEYWORDS)
    )
    examples = sorted(row["example"].value for row in _rows(store, "examples"))
    organisations: dict[str, list[tuple[str, str]]] = {}
    for row in _rows(store, "source-organisations"):
        organisations.setdefault(row["organisation"].value, []).append((row["name"].value, row["name"].language))
    return Facts(
        modified=header.get("modified"),
        issued=header.get("issued"),
        version=header.get("version"),
        first_year=int(years["first"]) if "first" in years else None,
        last_year=int(years["last"]) if "last" in years else None,
        languages=tuple(languages),
        keywords=tuple(keywords),
        counts={k: int(v) for k, v in counts.items()},
        examples=tuple(examples),
        source_organisations=tuple((iri, tuple(sorted(names))) for iri, names in sorted(organisations.items())),
    )


def _rows(store: Store, name: str, bindings: dict[str, Term] | None = None) -> list[dict[str, Any]]:
    return store.select(internal()[name], bindings).records()


def _one(store: Store, name: str, bindings: dict[str, Term] | None = None) -> dict[str, str]:
    """The first row of an internal query as plain strings, unbound variables left out."""
    for row in _rows(store, name, bindings):
        return {name: term.value for name, term in row.items() if term is not None}
    return {}


# --- the files being described ------------------------------------------------------


def download_url(settings: PublishSettings, path: str) -> URIRef:
    return URIRef(settings.base_url + quote(path))


def publisher(settings: PublishSettings) -> URIRef:
    """The publisher the Norwegian way, or the project itself until a number is configured."""
    if settings.publisher_orgnr:
        return ORGANIZATION_CATALOG[settings.publisher_orgnr]
    return URIRef(PROJECT_AGENT_IRI)


# --- DCAT-AP-NO ---------------------------------------------------------------------


def describe(facts: Facts, parts: Sequence[FilePart], settings: PublishSettings) -> Graph:
    """The DCAT-AP-NO description: catalogue, dataset, SPARQL data service, one distribution per file."""
    g = _graph()
    dataset, catalog, service = URIRef(DATASET_IRI), URIRef(CATALOG_IRI), DESCRIPTION["sparql-service"]
    licence = EU_LICENCE_OF.get(settings.licence, URIRef(settings.licence))
    agent, contact = publisher(settings), DESCRIPTION["contact-point"]
    modified = settings.modified or facts.modified
    issued = settings.issued or facts.issued
    version = settings.version or facts.version

    _texts(
        g,
        catalog,
        DCTERMS.title,
        {"nb": "Katalog for kunnskapsgrafen mfbt-kg", "en": "Catalogue of the mfbt-kg knowledge graph"},
    )
    _texts(
        g,
        catalog,
        DCTERMS.description,
        {
            "nb": "Datasettet og SPARQL-tjenesten til kunnskapsgrafen over medikamentfrie behandlingstilbud.",
            "en": "The dataset and SPARQL service of the medication-free treatment offers knowledge graph.",
        },
    )
    g.add((catalog, RDF.type, DCAT.Catalog))
    g.add((catalog, DCTERMS.identifier, Literal(CATALOG_IRI)))
    g.add((catalog, DCTERMS.publisher, agent))
    g.add((catalog, DCTERMS.license, licence))
    g.add((catalog, DCAT.dataset, dataset))
    g.add((catalog, DCAT.service, service))

    g.add((dataset, RDF.type, DCAT.Dataset))
    g.add((dataset, DCTERMS.identifier, Literal(DATASET_IRI)))
    _texts(g, dataset, DCTERMS.title, TITLE)
    _texts(g, dataset, DCTERMS.description, DESCRIPTION_TEXT)
    for predicate, value in (
        (DCTERMS.publisher, agent),
        (DCAT.contactPoint, contact),
        (DCTERMS.license, licence),
        (DCTERMS.accessRights, EU_ACCESS_RIGHT["PUBLIC"]),
        (FOAF.page, download_url(settings, "README.md")),
        (
            DCAT.landingPage,
            URIRef(settings.landing_page) if settings.landing_page else download_url(settings, "README.md"),
        ),
        (DCTERMS.accrualPeriodicity, ACCRUAL),
    ):
        g.add((dataset, predicate, value))
    provenance = DESCRIPTION["provenance"]
    g.add((dataset, DCTERMS.provenance, provenance))
    g.add((provenance, RDF.type, DCTERMS.ProvenanceStatement))
    _texts(g, provenance, RDFS.label, PROVENANCE)
    for iri, names in facts.source_organisations:
        attribution = DESCRIPTION["attribution/" + iri.rstrip("/").rsplit("/", 1)[-1]]
        g.add((dataset, PROV.qualifiedAttribution, attribution))
        g.add((attribution, RDF.type, PROV.Attribution))
        g.add((attribution, PROV.agent, URIRef(iri)))
        _texts(g, attribution, DCTERMS.description, ATTRIBUTION_NOTE)
        g.add((URIRef(iri), RDF.type, FOAF.Agent))
        for name, lang in names:
            g.add((URIRef(iri), FOAF.name, Literal(name, lang=lang)))
    for theme in settings.themes:
        g.add((dataset, DCAT.theme, URIRef(theme)))
    for place in settings.spatial:
        g.add((dataset, DCTERMS.spatial, URIRef(place)))
    for text, lang in facts.keywords:
        g.add((dataset, DCAT.keyword, Literal(text, lang=lang)))
    for code in facts.languages:
        if code in EU_LANGUAGE_CODES:
            g.add((dataset, DCTERMS.language, EU_LANGUAGE[EU_LANGUAGE_CODES[code]]))
    if facts.first_year and facts.last_year:
        period = DESCRIPTION["temporal-coverage"]
        g.add((dataset, DCTERMS.temporal, period))
        g.add((period, RDF.type, DCTERMS.PeriodOfTime))
        g.add((period, DCAT.startDate, Literal(f"{facts.first_year:04d}-01-01", datatype=XSD.date)))
        g.add((period, DCAT.endDate, Literal(f"{facts.last_year:04d}-12-31", datatype=XSD.date)))
    for predicate, day in ((DCTERMS.issued, issued), (DCTERMS.modified, modified)):
        if day:
            g.add((dataset, predicate, _date(day)))
            g.add((catalog, predicate, _date(day)))
    if version:
        g.add((dataset, OWL.versionInfo, Literal(version)))
    for lang, text in settings.version_notes:
        g.add((dataset, ADMS.versionNotes, Literal(text, lang=lang)))
    if settings.previous_version:  # the release before (DCAT 3; DCAT-AP-NO 2.0 neither asks nor forbids it)
        earlier = DESCRIPTION["release/" + settings.previous_version]
        g.add((dataset, URIRef(DCAT_PREVIOUS_VERSION), earlier))
        g.add((earlier, OWL.versionInfo, Literal(settings.previous_version)))

    _describe_publisher(g, agent, settings)
    g.add((contact, RDF.type, VCARD.Organization))
    g.add((contact, VCARD.fn, Literal("mfbt-kg")))
    g.add((contact, VCARD.hasURL, URIRef(BASE)))
    if settings.contact_email:
        g.add((contact, VCARD.hasEmail, URIRef("mailto:" + settings.contact_email)))

    _describe_service(g, service, dataset, agent, contact, licence, settings)
    for part in sorted(parts, key=lambda p: p.path):
        _describe_distribution(g, dataset, part, licence, settings)
    _authority_entries(g, licence, settings)
    return g


def _describe_publisher(g: Graph, agent: URIRef, settings: PublishSettings) -> None:
    g.add((agent, RDF.type, FOAF.Agent))
    if settings.publisher_orgnr:
        g.add((agent, DCTERMS.identifier, Literal(settings.publisher_orgnr)))
        return
    _texts(g, agent, FOAF.name, {"nb": "mfbt-kg-prosjektet", "en": "the mfbt-kg project"})
    _texts(
        g,
        agent,
        RDFS.comment,
        {
            "nb": "Ingen organisasjonsnummer er oppgitt, så utgiveren er prosjektet selv. Oppgi utgiverens "
            "organisasjonsnummer (--publisher-orgnr) før beskrivelsen sendes til data.norge.no.",
            "en": "No organisation number is configured, so the publisher is the project itself. Configure the "
            "publisher's organisation number (--publisher-orgnr) before submitting this to data.norge.no.",
        },
    )
    g.add((agent, FOAF.homepage, URIRef(BASE)))


def _describe_service(
    g: Graph,
    service: URIRef,
    dataset: URIRef,
    agent: URIRef,
    contact: URIRef,
    licence: URIRef,
    settings: PublishSettings,
) -> None:
    g.add((service, RDF.type, DCAT.DataService))
    g.add((service, DCTERMS.identifier, Literal(str(service))))
    _texts(g, service, DCTERMS.title, {"nb": "SPARQL-endepunkt for mfbt-kg", "en": "SPARQL endpoint of mfbt-kg"})
    _texts(
        g,
        service,
        DCTERMS.description,
        {
            "nb": "SPARQL 1.1-protokollen, bare lesing; svar som SPARQL JSON, XML, CSV og TSV, grafer som Turtle, "
            "N-Triples, JSON-LD og RDF/XML.",
            "en": "The SPARQL 1.1 Protocol, read only; answers as SPARQL JSON, XML, CSV and TSV, graphs as Turtle, "
            "N-Triples, JSON-LD and RDF/XML.",
        },
    )
    for predicate, value in (
        (DCAT.endpointURL, URIRef(settings.endpoint_url)),
        (DCAT.servesDataset, dataset),
        (DCTERMS.publisher, agent),
        (DCAT.contactPoint, contact),
        (DCTERMS.license, licence),
        (DCTERMS.accessRights, EU_ACCESS_RIGHT["PUBLIC"]),
        (DCTERMS.conformsTo, URIRef(SPARQL_PROTOCOL)),
    ):
        g.add((service, predicate, value))
    for answer_format in answering(ROWS, GRAPH):  # what the endpoint answers in (sparql/media.py)
        g.add((service, DCAT.mediaType, IANA_MEDIA_TYPE[answer_format.media_type]))
    g.add((URIRef(SPARQL_PROTOCOL), DCTERMS.title, Literal("SPARQL 1.1 Protocol", lang="en")))


def _describe_distribution(
    g: Graph, dataset: URIRef, part: FilePart, licence: URIRef, settings: PublishSettings
) -> None:
    node = DESCRIPTION["distribution/" + quote(part.path)]
    url = download_url(settings, part.path)
    g.add((dataset, DCAT.distribution, node))
    g.add((node, RDF.type, DCAT.Distribution))
    _texts(g, node, DCTERMS.title, {"nb": part.title_nb, "en": part.title_en})
    if part.description_en:
        g.add((node, DCTERMS.description, Literal(part.description_en, lang="en")))
    for predicate, value in (
        (DCAT.accessURL, url),
        (DCAT.downloadURL, url),
        (DCTERMS.license, licence),
        (DCTERMS.format, EU_FILE_TYPE[part.file_type]),
        (DCAT.mediaType, IANA_MEDIA_TYPE[part.media_type]),
    ):
        g.add((node, predicate, value))
    g.add((node, DCAT.byteSize, Literal(str(len(part.data)), datatype=XSD.decimal)))
    # DCAT-AP-NO 2.0 allows SHA-1 only in spdx:checksum; the SHA-256 goes beside it.
    checksum = URIRef(str(node) + "#sha1")
    g.add((node, SPDX.checksum, checksum))
    g.add((checksum, RDF.type, SPDX.Checksum))
    g.add((checksum, SPDX.algorithm, SPDX.checksumAlgorithm_sha1))
    g.add((checksum, SPDX.checksumValue, Literal(part.sha1, datatype=XSD.hexBinary)))
    g.add((node, SCHEMA.sha256, Literal(part.sha256)))


def _authority_entries(g: Graph, licence: URIRef, settings: PublishSettings) -> None:
    """State the table (skos:inScheme) of every authority-table entry the description uses."""
    used = (
        set(g.objects(None, DCTERMS.format))
        | set(g.objects(None, DCAT.theme))
        | set(g.objects(None, DCTERMS.spatial))
        | set(g.objects(None, DCTERMS.language))
        | set(g.objects(None, DCTERMS.accessRights))
        | {licence}
        | set(g.objects(None, DCTERMS.accrualPeriodicity))
    )
    tables = (EU_FILE_TYPE, EU_DATA_THEME, EU_COUNTRY, EU_LANGUAGE, EU_ACCESS_RIGHT, EU_LICENCE, EU_FREQUENCY)
    for entry in used:
        table = next((t for t in tables if str(entry).startswith(str(t))), None)
        if table is not None:
            g.add((entry, RDF.type, SKOS.Concept))
            g.add((entry, SKOS.inScheme, URIRef(authority_scheme(table))))
    if licence != URIRef(settings.licence):
        g.add((licence, RDFS.seeAlso, URIRef(settings.licence)))


# --- VoID ---------------------------------------------------------------------------


def describe_void(facts: Facts, parts: Sequence[FilePart], settings: PublishSettings) -> Graph:
    """The VoID description: size, URI space, endpoint, dumps and example resources."""
    g = _graph()
    dataset = URIRef(DATASET_IRI)
    g.add((dataset, RDF.type, VOID.Dataset))
    _texts(g, dataset, DCTERMS.title, TITLE)
    g.add((dataset, DCTERMS.license, EU_LICENCE_OF.get(settings.licence, URIRef(settings.licence))))
    g.add((dataset, DCTERMS.publisher, publisher(settings)))
    for name in ("triples", "entities", "classes", "properties", "distinctSubjects", "distinctObjects"):
        g.add((dataset, VOID[name], Literal(facts.counts[name], datatype=XSD.integer)))
    g.add((dataset, VOID.sparqlEndpoint, URIRef(settings.endpoint_url)))
    g.add((dataset, VOID.uriSpace, Literal(str(ID))))
    g.add((dataset, VOID.vocabulary, URIRef(str(MFBT))))
    for iri in facts.examples:
        g.add((dataset, VOID.exampleResource, URIRef(iri)))
    for part in parts:
        if part.dump:
            g.add((dataset, VOID.dataDump, download_url(settings, part.path)))
            syntax = for_media_type(part.media_type)
            if syntax is not None and syntax.w3c:
                g.add((dataset, VOID.feature, W3C_FORMATS[syntax.w3c]))
    return g


def _graph() -> Graph:
    g = Graph()
    for prefix, ns in DESCRIPTION_PREFIXES.items():
        g.bind(prefix, ns, override=True, replace=True)
    return g


def _texts(g: Graph, subject: URIRef, predicate: URIRef, texts: Mapping[str, str]) -> None:
    for lang, text in texts.items():
        g.add((subject, predicate, Literal(text, lang=lang)))


def _date(value: str) -> Literal:
    return Literal(value, datatype=XSD.date if len(value) == 10 else XSD.dateTime)
