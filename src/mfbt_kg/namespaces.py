"""Every namespace and base IRI of the project, spelled out once.

Other modules import from here; nothing else writes an IRI string by hand.
"""

from __future__ import annotations

import re
import unicodedata

from rdflib import Graph, Namespace
from rdflib.namespace import DCAT, DCTERMS, OWL, PROV, RDF, RDFS, SH, SKOS, VOID, XSD, DefinedNamespace

BASE = "https://w3id.org/mfbt-kg/"
ONTOLOGY_IRI = BASE + "ontology"
MFBT = Namespace(ONTOLOGY_IRI + "#")
ID = Namespace(BASE + "id/")

ORG = Namespace("http://www.w3.org/ns/org#")
SCHEMA = Namespace("https://schema.org/")
FOAF = Namespace("http://xmlns.com/foaf/0.1/")
VANN = Namespace("http://purl.org/vocab/vann/")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")

# The dataset description (DCAT-AP-NO, VoID): the project's own resources about the dataset.
DATASET_IRI = BASE + "dataset"
CATALOG_IRI = BASE + "catalog"
DESCRIPTION = Namespace(BASE + "dataset/")  # distributions, data service, contact point, period
PROJECT_AGENT_IRI = BASE + "project"  # the publisher until an organisation number is configured

# Vocabularies the description uses beyond the model's own.
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
SPDX = Namespace("http://spdx.org/rdf/terms#")
W3C_FORMATS = Namespace("http://www.w3.org/ns/formats/")

# Registries and authority tables DCAT-AP-NO asks values from. A table's scheme IRI is
# its namespace without the trailing slash (``authority_scheme``).
EU_AUTHORITY = "http://publications.europa.eu/resource/authority/"
EU_DATA_THEME = Namespace(EU_AUTHORITY + "data-theme/")
EU_FILE_TYPE = Namespace(EU_AUTHORITY + "file-type/")
EU_COUNTRY = Namespace(EU_AUTHORITY + "country/")
EU_LANGUAGE = Namespace(EU_AUTHORITY + "language/")
EU_LICENCE = Namespace(EU_AUTHORITY + "licence/")
EU_ACCESS_RIGHT = Namespace(EU_AUTHORITY + "access-right/")
EU_FREQUENCY = Namespace(EU_AUTHORITY + "frequency/")
# Los, the national vocabulary of public-sector themes (Digdir). Only the health-and-care theme is used:
# its IRI is the one Digdir's own reference-data importer tests for (fdk-reference-data, LosImporterTest).
LOS_HEALTH_AND_CARE = "https://psi.norge.no/los/tema/helse-og-omsorg"
LOS_SCHEME = "https://psi.norge.no/los/tema"
ADMS = Namespace("http://www.w3.org/ns/adms#")
# DCAT 3's link from a release to the one before (rdflib's DCAT namespace predates it)
DCAT_PREVIOUS_VERSION = str(DCAT) + "previousVersion"
IANA_MEDIA_TYPE = Namespace("https://www.iana.org/assignments/media-types/")
ORGANIZATION_CATALOG = Namespace("https://organization-catalog.fellesdatakatalog.digdir.no/organizations/")
SPARQL_PROTOCOL = "https://www.w3.org/TR/sparql11-protocol/"

# A namespace as the prefix tables hold it: one made here, or one of rdflib's closed vocabularies
# (DCAT, DCTERMS, RDF, ...), which are DefinedNamespace classes, not Namespace instances.
NamespaceLike = Namespace | type[DefinedNamespace]

NLOD_2_0 = "https://data.norge.no/nlod/no/2.0"
# Licence documents and their entry in the EU licence table (the table DCAT-AP-NO checks).
EU_LICENCE_OF = {
    NLOD_2_0: EU_LICENCE["NLOD_2_0"],
    "http://data.norge.no/nlod/no/2.0": EU_LICENCE["NLOD_2_0"],
    "https://data.norge.no/nlod/no/1.0": EU_LICENCE["NLOD_1_0"],
    "http://data.norge.no/nlod/no/1.0": EU_LICENCE["NLOD_1_0"],
    "https://creativecommons.org/licenses/by/4.0/": EU_LICENCE["CC_BY_4_0"],
    "https://creativecommons.org/publicdomain/zero/1.0/": EU_LICENCE["CC0"],
}

# Prefixes for the description's serialisations (dcat.ttl, void.ttl, /dataset).
DESCRIPTION_PREFIXES: dict[str, NamespaceLike] = {
    "dcat": DCAT,
    "dcterms": DCTERMS,
    "foaf": FOAF,
    "owl": OWL,
    "rdf": RDF,
    "rdfs": RDFS,
    "schema": SCHEMA,
    "skos": SKOS,
    "spdx": SPDX,
    "vcard": VCARD,
    "void": VOID,
    "xsd": XSD,
    "mfbt": MFBT,
    "datatheme": EU_DATA_THEME,
    "filetype": EU_FILE_TYPE,
    "country": EU_COUNTRY,
    "language": EU_LANGUAGE,
    "licence": EU_LICENCE,
    "accessright": EU_ACCESS_RIGHT,
    "formats": W3C_FORMATS,
    "frequency": EU_FREQUENCY,
    "prov": PROV,
    "adms": ADMS,
}


def authority_scheme(namespace: Namespace) -> str:
    """The concept scheme of an authority table: ``…/file-type/`` is in ``…/file-type``."""
    return str(namespace).rstrip("/")


# Resource kinds: the first path segment after /id/. The shapes check the same list.
KINDS = (
    "region",
    "trust",
    "unit",
    "offer",
    "organisation",
    "area",
    "method",
    "method-category",
    "guideline",
    "table-cell",
    "graded-recommendation",
    "diagnosis-group",
    "exclusion-criterion",
    "referrer",
    "measure",
    "concept",
    "protocol",
    "definition",
    "statement",
    "figure",
    "total",
    "document",
    "source",
    "requirement",
    "assessment",
)

PREFIXES: dict[str, NamespaceLike] = {
    "mfbt": MFBT,
    "id": ID,
    "org": ORG,
    "skos": SKOS,
    "dcterms": DCTERMS,
    "prov": PROV,
    "schema": SCHEMA,
    "foaf": FOAF,
    "owl": OWL,
    "rdf": RDF,
    "rdfs": RDFS,
    "xsd": XSD,
    "sh": SH,
    "dcat": DCAT,
    "void": VOID,
    "vann": VANN,
}
for _kind in KINDS:
    PREFIXES[_kind.replace("-", "")] = Namespace(f"{ID}{_kind}/")


_SLUG_LETTERS = str.maketrans({"æ": "ae", "ø": "o", "å": "a"})


def slug(text: str) -> str:
    """The slug rule applied to what a person types: ``UNN Åsgård`` and ``unn-åsgård`` give ``unn-asgard``.

    Lowercase ASCII, words joined by ``-``, æ→ae, ø→o, å→a; other accents are dropped.
    """
    folded = unicodedata.normalize("NFKD", text.lower().translate(_SLUG_LETTERS))
    return "-".join(re.findall(r"[a-z0-9]+", folded.encode("ascii", "ignore").decode()))


# Prefixes written into Turtle answers of queries (the vocabularies; not one per resource kind), by the
# service and the CLI alike, so both give the same bytes.
ANSWER_PREFIXES: tuple[tuple[str, str], ...] = tuple(
    (p, str(ns))
    for p, ns in PREFIXES.items()
    if p in ("mfbt", "id", "skos", "dcterms", "prov", "org", "schema", "rdf", "rdfs", "xsd", "owl")
)


def bind_prefixes(graph: Graph) -> Graph:
    """Bind the project's prefixes so every serialisation reads the same."""
    for prefix, ns in PREFIXES.items():
        graph.bind(prefix, ns, override=True, replace=True)
    return graph


def sparql_prologue(text: str | None = None) -> str:
    """PREFIX lines for the project's prefixes, so a query can write ``offer:unn-asgard``: every one,
    or, given the query's ``text``, those it uses and does not declare itself (the one prefix policy
    of the project's .rq files and of ad-hoc queries)."""
    chosen = list(PREFIXES.items())
    if text is not None:
        declared = {p.lower() for p in _DECLARED.findall(text)}
        used = set(_USED.findall(text))  # one pass over the text, not one search per prefix
        chosen = [(p, ns) for p, ns in chosen if p not in declared and p in used]
    return "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in chosen)


_DECLARED = re.compile(r"\bPREFIX\s+([A-Za-z][\w.\-]*)?\s*:", re.IGNORECASE)
# A prefix in use: a name (every prefix of PREFIXES is one) right before ':', not inside a longer name or IRI path.
_USED = re.compile(r"(?<![\w:.\-])([A-Za-z][\w.\-]*):")


def curie(iri: str) -> str:
    """``offer:unn-asgard`` for a known namespace (longest match), else the IRI itself."""
    matches = [
        (len(str(ns)), prefix) for prefix, ns in PREFIXES.items() if iri.startswith(str(ns)) and len(iri) > len(str(ns))
    ]
    if not matches:
        return iri
    length, prefix = max(matches)
    return f"{prefix}:{iri[length:]}"
