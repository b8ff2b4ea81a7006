"""Every namespace and base IRI of the project, spelled out once.

Other modules import from here; nothing else writes an IRI string by hand.
"""

from __future__ import annotations

from rdflib import Graph, Namespace
from rdflib.namespace import DCAT, DCTERMS, OWL, PROV, RDF, RDFS, SH, SKOS, XSD, VOID

BASE = "https://w3id.org/mfbt-kg/"
ONTOLOGY_IRI = BASE + "ontology"
MFBT = Namespace(ONTOLOGY_IRI + "#")
ID = Namespace(BASE + "id/")

ORG = Namespace("http://www.w3.org/ns/org#")
SCHEMA = Namespace("https://schema.org/")
FOAF = Namespace("http://xmlns.com/foaf/0.1/")
VANN = Namespace("http://purl.org/vocab/vann/")

# Resource kinds: the first path segment after /id/. The shapes check the same list.
KINDS = (
    "region", "trust", "unit", "offer", "organisation", "area",
    "method", "method-category", "guideline", "table-cell", "graded-recommendation",
    "diagnosis-group", "exclusion-criterion", "referrer", "measure", "concept",
    "protocol", "definition", "statement", "figure", "total",
    "document", "source", "requirement", "assessment",
)

PREFIXES: dict[str, Namespace] = {
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


def kind_namespace(kind: str) -> Namespace:
    """The namespace of one resource kind, e.g. ``kind_namespace('offer')``."""
    if kind not in KINDS:
        raise KeyError(f"unknown resource kind {kind!r}; known: {', '.join(KINDS)}")
    return Namespace(f"{ID}{kind}/")


def bind_prefixes(graph: Graph) -> Graph:
    """Bind the project's prefixes so every serialisation reads the same."""
    for prefix, ns in PREFIXES.items():
        graph.bind(prefix, ns, override=True, replace=True)
    return graph


def sparql_prologue() -> str:
    """PREFIX lines for ad-hoc queries, so analysts can write ``offer:unn-asgard``."""
    return "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in PREFIXES.items())
