"""What changed between two releases of the dataset: facts added, removed and changed, per resource.

A release is read from an export bundle (its N-Triples dump), a project folder (ontology/ and
data/ttl/), one RDF file, or a git revision of this repository (``git:REV``). The answer is grouped
by resource, with the resource's label and the passages it cites, so a curator reads "Vestfold:
mfbt:value 8 → 10 (source: KBT 2018, Kapasitet)" rather than a triple dump; the same change set is
also written as RDF (the Talis changeset vocabulary, reified statements) for machines.

The kind of change decides the next version number (semantic versioning of the data, see
docs/curation.md "Releases"): a fact removed or changed → major; only facts or resources added →
minor; only wording (labels, definitions, notes) → patch.
"""

from __future__ import annotations

import subprocess
import tempfile
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.compare import to_canonical_graph
from rdflib.namespace import DCTERMS, RDF, RDFS, SKOS, XSD

from mfbt_kg.graph.files import DataFileError, load_graph, parse_file
from mfbt_kg.namespaces import MFBT, bind_prefixes

CHANGESET = Namespace("http://purl.org/vocab/changeset/schema#")
DUMP = Path("data") / "mfbt-kg.nt"  # the bundle's N-Triples dump (publish.bundle)
# Wording: a change here never changes what the data says, only how it says it.
WORDING = frozenset(
    {
        RDFS.label,
        RDFS.comment,
        SKOS.prefLabel,
        SKOS.altLabel,
        SKOS.definition,
        SKOS.scopeNote,
        SKOS.note,
        SKOS.editorialNote,
        MFBT.note,
        MFBT.basisNote,
        DCTERMS.description,
    }
)
LEVELS = ("none", "patch", "minor", "major")
Namer = Callable[[URIRef], str]


class DiffError(ValueError):
    """A release that cannot be read; the message names it."""


@dataclass
class ResourceChange:
    iri: URIRef
    label: str | None
    sources: list[str]
    added: list[tuple[URIRef, object]] = field(default_factory=list)
    removed: list[tuple[URIRef, object]] = field(default_factory=list)

    def changed(self) -> list[tuple[URIRef, list[object], list[object]]]:
        """Properties with values both removed and added: one fact changed, not two."""
        old: dict[URIRef, list[object]] = defaultdict(list)
        new: dict[URIRef, list[object]] = defaultdict(list)
        for p, o in self.removed:
            old[p].append(o)
        for p, o in self.added:
            new[p].append(o)
        return [(p, sorted(old[p], key=str), sorted(new[p], key=str)) for p in sorted(set(old) & set(new))]

    def level(self) -> str:
        props = {p for p, _ in self.added} | {p for p, _ in self.removed}
        if props <= WORDING:
            return "patch"
        if any(p not in WORDING for p, _ in self.removed):
            return "major"
        return "minor"


@dataclass
class Diff:
    old: str
    new: str
    resources: list[ResourceChange]

    def level(self) -> str:
        return max((r.level() for r in self.resources), key=LEVELS.index, default="none")

    def counts(self) -> dict[str, int]:
        return {
            "resources": len(self.resources),
            "added": sum(len(r.added) for r in self.resources),
            "removed": sum(len(r.removed) for r in self.resources),
        }


def read_release(spec: str, repository: Path) -> Graph:
    """An export folder, a project folder, an RDF file, or ``git:REV`` of ``repository``."""
    if spec.startswith("git:"):
        return _from_git(spec[4:], repository)
    path = Path(spec)
    if path.is_dir() and (path / DUMP).is_file():
        return parse_file(path / DUMP)
    if path.is_dir() and (path / "ontology").is_dir() and (path / "data" / "ttl").is_dir():
        return load_graph(path)
    if path.is_file():
        return parse_file(path)
    raise DiffError(f"{spec}: not an export folder (no {DUMP}), a project folder, an RDF file or git:REV")


def _from_git(revision: str, repository: Path) -> Graph:
    with tempfile.TemporaryDirectory(prefix="mfbt-kg-diff-") as folder:
        archive = subprocess.run(
            ["git", "-C", str(repository), "archive", "--format=tar", revision, "ontology", "data/ttl"],
            capture_output=True,
        )
        if archive.returncode != 0:
            raise DiffError(f"git:{revision}: {archive.stderr.decode(errors='replace').strip().splitlines()[-1]}")
        subprocess.run(["tar", "-x", "-C", folder], input=archive.stdout, check=True)
        try:
            return load_graph(Path(folder))
        except DataFileError as exc:
            raise DiffError(f"git:{revision}: {exc}") from None


def compare(old: Graph, new: Graph, old_name: str = "old", new_name: str = "new") -> Diff:
    old_set, new_set = _triples(old), _triples(new)
    by_subject: dict[URIRef, ResourceChange] = {}

    def change(s: URIRef) -> ResourceChange:
        if s not in by_subject:
            graph = new if (s, None, None) in new else old
            by_subject[s] = ResourceChange(
                s, _label(graph, s), sorted(str(o) for o in graph.objects(s, DCTERMS.source))
            )
        return by_subject[s]

    for s, p, o in sorted(new_set - old_set, key=str):
        change(s).added.append((p, o))
    for s, p, o in sorted(old_set - new_set, key=str):
        change(s).removed.append((p, o))
    return Diff(old_name, new_name, [by_subject[s] for s in sorted(by_subject, key=str)])


def next_version(current: str, level: str) -> str:
    major, minor, patch = (int(x) for x in current.split("."))
    if level == "major":
        return f"{major + 1}.0.0"
    if level == "minor":
        return f"{major}.{minor + 1}.0"
    if level == "patch":
        return f"{major}.{minor}.{patch + 1}"
    return current


def as_text(diff: Diff, graph: Graph) -> str:
    """One block per resource: label, IRI, sources, then changed / added / removed facts."""
    name = bind_prefixes(graph).namespace_manager.normalizeUri
    counts = diff.counts()
    lines = [
        f"{diff.old} → {diff.new}: {counts['resources']} resources changed, {counts['added']} facts added, "
        f"{counts['removed']} removed; kind of change: {diff.level()}"
    ]
    for r in diff.resources:
        lines.append("")
        lines.append(f"{r.label or name(r.iri)}  {name(r.iri)}")
        if r.sources:
            lines.append("  sources: " + ", ".join(name(URIRef(s)) for s in r.sources))
        changed = {p for p, _, _ in r.changed()}
        for p, before, after in r.changed():
            lines.append(f"  changed {name(p)}: {_values(before, name)} → {_values(after, name)}")
        lines += [f"  added   {name(p)}: {_value(o, name)}" for p, o in r.added if p not in changed]
        lines += [f"  removed {name(p)}: {_value(o, name)}" for p, o in r.removed if p not in changed]
    return "\n".join(lines) + "\n"


def as_rdf(diff: Diff) -> Graph:
    """The change set in the changeset vocabulary: one cs:ChangeSet per resource, statements reified."""
    g = bind_prefixes(Graph())
    g.bind("cs", CHANGESET)
    for r in diff.resources:
        changeset = BNode()
        g.add((changeset, RDF.type, CHANGESET.ChangeSet))
        g.add((changeset, CHANGESET.subjectOfChange, r.iri))
        g.add((changeset, CHANGESET.changeReason, Literal(f"{diff.old} → {diff.new}: {r.level()}")))
        for relation, facts in ((CHANGESET.addition, r.added), (CHANGESET.removal, r.removed)):
            for p, o in facts:
                statement = BNode()
                g.add((changeset, relation, statement))
                g.add((statement, RDF.type, RDF.Statement))
                g.add((statement, RDF.subject, r.iri))
                g.add((statement, RDF.predicate, p))
                g.add((statement, RDF.object, o))  # type: ignore[arg-type]
    return g


def _triples(graph: Graph) -> set[tuple]:
    if any(isinstance(t, BNode) for triple in graph for t in triple):
        graph = to_canonical_graph(graph)
    return {(s, p, o) for s, p, o in graph}


def _label(graph: Graph, iri: URIRef) -> str | None:
    for prop in (SKOS.prefLabel, RDFS.label):
        labels = {lit.language: str(lit) for lit in graph.objects(iri, prop) if isinstance(lit, Literal)}
        for lang in ("nb", "nn", "en", None):
            if lang in labels:
                return labels[lang]
    return None


def _value(term: object, name: Namer) -> str:
    if isinstance(term, URIRef):
        return name(term)
    if isinstance(term, Literal):
        if term.language:
            return f'"{term}"@{term.language}'
        if term.datatype in (None, XSD.string):
            return f'"{term}"'
        return str(term)
    return str(term)


def _values(terms: list[object], name: Namer) -> str:
    return ", ".join(_value(t, name) for t in terms)
