"""Checking the graph against ontology/shapes.ttl, and saying what is wrong in words.

pyshacl does the checking; this module turns its report graph into lines a
curator can act on (label, IRI, file, property, message) and a JSON form for
machines.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

from pyshacl import validate as shacl_validate
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, SH, SKOS

from mfbt_kg.graph.files import load_graph, parse_file, shapes_file
from mfbt_kg.namespaces import bind_prefixes, sparql_prologue
from mfbt_kg.sparql.store import EmbeddedStore, to_ntriples

# What `validate` prints when the graph conforms: the size of what we hold.
SUMMARY_QUERY = sparql_prologue() + """
SELECT
  (SUM(IF(?c = mfbt:TreatmentOffer, 1, 0)) AS ?offers)
  (SUM(IF(?c = mfbt:Unit, 1, 0)) AS ?units)
  (SUM(IF(?c = mfbt:Method, 1, 0)) AS ?methods)
  (SUM(IF(?c = mfbt:Figure || ?c = mfbt:StatedTotal, 1, 0)) AS ?figures)
  (SUM(IF(?c = mfbt:SourcePassage || ?c = mfbt:Document, 1, 0)) AS ?sources)
WHERE { ?s a ?c }
"""
SUMMARY_FIELDS = ("offers", "units", "methods", "figures", "sources")


@dataclass(frozen=True)
class Violation:
    focus: str
    label: str | None
    file: str | None
    path: str | None
    value: str | None
    message: str
    severity: str

    def describe(self) -> str:
        who = f"{self.label} <{self.focus}>" if self.label else f"<{self.focus}>"
        where = f" [{self.file}]" if self.file else ""
        prop = f" {self.path}:" if self.path else ""
        value = f" (value: {self.value})" if self.value and self.value != self.focus else ""
        return f"{self.severity}: {who}{where}{prop} {self.message}{value}"


@dataclass
class Report:
    conforms: bool
    triples: int
    counts: dict[str, int] = field(default_factory=dict)
    violations: list[Violation] = field(default_factory=list)

    def summary_line(self) -> str:
        parts = ", ".join(f"{self.counts.get(k, 0)} {k}" for k in SUMMARY_FIELDS)
        state = "conforms" if self.conforms else f"{len(self.violations)} violation(s)"
        return f"graph {state}: {self.triples} triples, {parts}"

    def as_json(self) -> dict[str, object]:
        return {"conforms": self.conforms, "triples": self.triples, "counts": self.counts,
                "violations": [asdict(v) for v in self.violations]}


def load_shapes(root: Path) -> Graph:
    return parse_file(shapes_file(root), root)


def validate_graph(graph: Graph, shapes: Graph, origins: dict | None = None) -> Report:
    """Run SHACL and count what the graph holds (the counting goes through the store)."""
    conforms, results, _ = shacl_validate(graph, shacl_graph=shapes, inference="none", advanced=True,
                                          allow_warnings=True)
    violations = sorted(_violations(results, graph, origins or {}), key=lambda v: (v.file or "", v.focus, v.message))
    return Report(conforms=bool(conforms), triples=len(graph), counts=count_resources(graph), violations=violations)


def validate_project(root: Path) -> Report:
    """Load ontology/ and data/ttl/ (raising DataFileError on a bad file) and validate."""
    origins: dict = {}
    graph = load_graph(root, origins=origins)
    return validate_graph(graph, load_shapes(root), origins)


def count_resources(graph: Graph) -> dict[str, int]:
    store = EmbeddedStore(to_ntriples(graph))
    row = next(iter(store.query(SUMMARY_QUERY)))
    return {name: int(row[name].value) if row[name] is not None else 0 for name in SUMMARY_FIELDS}


def _violations(results: Graph, data: Graph, origins: dict) -> list[Violation]:
    out = []
    for result in results.subjects(RDF.type, SH.ValidationResult):
        focus = results.value(result, SH.focusNode)
        path = results.value(result, SH.resultPath)
        value = results.value(result, SH.value)
        severity = results.value(result, SH.resultSeverity)
        message = _message(results, result)
        out.append(Violation(
            focus=str(focus), label=_label(data, focus), file=origins.get(focus),
            path=_qname(data, path) if isinstance(path, URIRef) else None,
            value=str(value) if value is not None else None, message=message,
            severity=str(severity).rsplit("#", 1)[-1] if severity else "Violation",
        ))
    return out


def _message(results: Graph, result) -> str:
    messages = list(results.objects(result, SH.resultMessage))
    english = [m for m in messages if isinstance(m, Literal) and m.language == "en"]
    chosen = english or messages
    return str(chosen[0]) if chosen else "does not conform"


def _label(graph: Graph, node) -> str | None:
    for prop in (SKOS.prefLabel, RDFS.label):
        labels = list(graph.objects(node, prop))
        for lang in ("nb", "nn", "en", None):
            for label in labels:
                if isinstance(label, Literal) and label.language == lang:
                    return str(label)
    return None


def _qname(graph: Graph, iri: URIRef) -> str:
    bind_prefixes(graph)
    try:
        return graph.namespace_manager.normalizeUri(iri)
    except ValueError:
        return str(iri)
