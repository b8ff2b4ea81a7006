"""Checking the graph against ontology/shapes.ttl, and saying what is wrong in words.

pyshacl does the checking; this module turns its report graph into lines a
curator can act on (label, IRI, file, property, message) and a JSON form for
machines.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, SH, SKOS
from rdflib.term import Node

from mfbt_kg.graph import snapshot
from mfbt_kg.graph.files import load_graph, parse_file, shapes_file
from mfbt_kg.graph.references import SourceIndex, find_problems, index_files
from mfbt_kg.graph.snapshot import content_key, keep_ntriples, kept_ntriples
from mfbt_kg.namespaces import bind_prefixes
from mfbt_kg.progress import step
from mfbt_kg.sparql.catalogue import internal
from mfbt_kg.sparql.store import EmbeddedStore, to_ntriples

# What `validate` prints when the graph conforms (queries/internal/summary.rq): the size of what we hold.
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
    line: int | None = None  # where the node is described (its `a` block), or where a reference is made

    def describe(self) -> str:
        who = f"{self.label} <{self.focus}>" if self.label else f"<{self.focus}>"
        where = f" [{self.file}:{self.line}]" if self.file and self.line else f" [{self.file}]" if self.file else ""
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
        return {
            "conforms": self.conforms,
            "triples": self.triples,
            "counts": self.counts,
            "violations": [asdict(v) for v in self.violations],
        }


def shacl_validate(*args: object, **kwargs: object) -> tuple:
    """pySHACL's ``validate``, imported when a check runs (a command answered from kept files never pays for it)."""
    from pyshacl import validate

    return validate(*args, **kwargs)  # type: ignore[arg-type]


def load_shapes(root: Path) -> Graph:
    return parse_file(shapes_file(root), root)


def validate_graph(
    graph: Graph, shapes: Graph, origins: dict | None = None, index: SourceIndex | None = None
) -> Report:
    """Run SHACL, and with an ``index`` of the files also the reference checks (graph.references);
    count what the graph holds (the counting goes through the store)."""
    conforms, results, _ = shacl_validate(
        graph, shacl_graph=shapes, inference="none", advanced=True, allow_warnings=True
    )
    references = _reference_violations(index, graph) if index is not None else []
    violations = sorted(
        _violations(results, graph, origins or {}, index) + references,
        key=lambda v: (v.file or "", v.line or 0, v.focus, v.message),
    )
    return Report(
        conforms=bool(conforms) and not references,
        triples=len(graph),
        counts=count_resources(graph),
        violations=violations,
    )


def validate_project(root: Path) -> Report:
    """Load ontology/ and data/ttl/ (raising DataFileError on a bad file) and validate; files checked before,
    byte for byte, give the kept report (``validated_ntriples``)."""
    return _snapshot(root)[1]


def _check(root: Path) -> tuple[Graph, Report]:
    origins: dict = {}
    texts: list[tuple[str, str, Graph]] = []
    step("reading ontology/ and data/ttl/")
    graph = load_graph(root, origins=origins, texts=texts)
    step(f"checking {len(graph):,} triples against the SHACL shapes and the reference rules")
    return graph, validate_graph(graph, load_shapes(root), origins, index_files(texts))


class InvalidGraphError(Exception):
    """The graph does not conform to the shapes, so it is not handed on; ``report`` lists the violations."""

    def __init__(self, report: Report) -> None:
        super().__init__(f"the graph does not conform ({len(report.violations)} violation(s)); see 'mfbt-kg validate'")
        self.report = report


def validated(root: Path) -> tuple[Graph, Report]:
    """The project's graph and its report, or ``InvalidGraphError``: the one "validate or refuse" behind
    export, upload and the service's (re)load. A file that does not load raises ``DataFileError``.

    The report of files already checked byte for byte (the same graph files, shapes, checking code and
    pySHACL) is read back from the user's cache instead of validating again: a service restarted on
    unchanged data starts in seconds less, and the answer is the one the full check gave."""
    data, report, graph = _snapshot(root)
    if not report.conforms:
        raise InvalidGraphError(report)
    return graph if graph is not None else bind_prefixes(Graph()).parse(data=data, format="nt"), report


CHECK_CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "mfbt-kg" / "validated"


def validated_ntriples(root: Path) -> tuple[bytes, Report]:
    """``validated`` without an rdflib graph: the project's sorted N-Triples and its report, or
    ``InvalidGraphError``. From files checked before, byte for byte, nothing is parsed or checked: the
    kept N-Triples (their digest checked, ``graph.snapshot``) and the kept report, the counts asked again."""
    data, report, _ = _snapshot(root)
    if not report.conforms:
        raise InvalidGraphError(report)
    return data, report


def project_ntriples(root: Path) -> bytes:
    """The project's graph as sorted N-Triples, unchecked (what ``query run`` asks): kept or parsed once."""
    return snapshot.project_ntriples(root, CHECK_CACHE)


def _snapshot(root: Path) -> tuple[bytes, Report, Graph | None]:
    """The N-Triples and the report, kept or made now (then with the rdflib graph the check parsed).
    The violations of a kept report are as the check found them; the counts are asked again."""
    key = _check_key(root)
    kept, data = _kept_report(key), kept_ntriples(CHECK_CACHE, key)
    if kept is not None and data is not None:
        step("reading the kept graph (these files were checked before, byte for byte)")
        counts, triples = count_ntriples(data)
        return data, Report(kept.conforms, triples, counts, kept.violations), None
    graph, report = _check(root)
    data = to_ntriples(graph)
    if _check_key(root) == key:  # no file changed while it was read
        _keep_report(key, report)
        keep_ntriples(CHECK_CACHE, key, data)
    return data, report, graph


def known_to_conform(root: Path) -> bool:
    """Whether these exact files were checked and conform (a digest and a small read; nothing is parsed)."""
    kept = _kept_report(_check_key(root))
    return kept is not None and kept.conforms


def _check_key(root: Path) -> str:
    """A digest of everything the check's violations depend on: the files, the shapes, this code, pySHACL's version."""
    return content_key(root)


def _kept_report(key: str) -> Report | None:
    try:
        kept = json.loads((CHECK_CACHE / f"{key}.json").read_text(encoding="utf-8"))
        return Report(
            conforms=kept["conforms"],
            triples=kept["triples"],
            counts=kept["counts"],
            violations=[Violation(**v) for v in kept["violations"]],
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _keep_report(key: str, report: Report) -> None:
    """Written beside, then renamed: a reader sees a whole report or none. A cache that cannot be written is skipped."""
    try:
        CHECK_CACHE.mkdir(parents=True, exist_ok=True)
        partial = CHECK_CACHE / f".{key}.{os.getpid()}"
        partial.write_text(json.dumps(report.as_json(), ensure_ascii=False), encoding="utf-8")
        partial.replace(CHECK_CACHE / f"{key}.json")
    except OSError:
        pass


def count_resources(graph: Graph) -> dict[str, int]:
    return count_ntriples(to_ntriples(graph))[0]


def count_ntriples(data: bytes) -> tuple[dict[str, int], int]:
    """What the graph holds (queries/internal/summary.rq) and its triples, asked of pyoxigraph."""
    store = EmbeddedStore(data)
    row = store.select(internal()["summary"]).records()[0]
    return {
        name: int(value.value) if (value := row[name]) is not None else 0 for name in SUMMARY_FIELDS
    }, store.triple_count()


def _reference_violations(index: SourceIndex, data: Graph) -> list[Violation]:
    return [
        Violation(
            focus=f.iri,
            label=_label(data, URIRef(f.iri)),
            file=f.place.file,
            line=f.place.line,
            path=None,
            value=None,
            message=f.message,
            severity="Violation",
        )
        for f in find_problems(index)
    ]


def _violations(results: Graph, data: Graph, origins: dict, index: SourceIndex | None = None) -> list[Violation]:
    out = []
    for result in results.subjects(RDF.type, SH.ValidationResult):
        focus = results.value(result, SH.focusNode)
        path = results.value(result, SH.resultPath)
        value = results.value(result, SH.value)
        severity = results.value(result, SH.resultSeverity)
        message = _message(results, result)
        place = index.place_of(str(focus)) if index is not None else None
        out.append(
            Violation(
                focus=str(focus),
                label=_label(data, focus),
                file=place.file if place else origins.get(focus),
                line=place.line if place else None,
                path=_qname(data, path) if isinstance(path, URIRef) else None,
                value=str(value) if value is not None else None,
                message=message,
                severity=str(severity).rsplit("#", 1)[-1] if severity else "Violation",
            )
        )
    return out


def _message(results: Graph, result: Node) -> str:
    messages = list(results.objects(result, SH.resultMessage))
    english = [m for m in messages if isinstance(m, Literal) and m.language == "en"]
    chosen = english or messages
    return str(chosen[0]) if chosen else "does not conform"


def _label(graph: Graph, node: Node | None) -> str | None:
    if node is None:  # rdflib reads None as 'any subject'
        return None
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
