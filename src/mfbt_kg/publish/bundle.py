"""``mfbt-kg export``: the graph as files a recipient can load, check and catalogue.

The bundle holds the dataset in four RDF syntaxes (JSON-LD twice: compact with its context
beside it, and self-contained), the model files, each catalogue question as its ``.rq``, its
SPARQL CSV and a spreadsheet table (``publish/tables.py``) with a codebook of the columns, a
DCAT-AP-NO and a VoID description (size and checksums of every file) and a README. A graph
the shapes reject is never exported: a recipient must not get data the project's own checks refuse.

The same input gives byte-identical files: no clock, triples sorted, blank nodes
given canonical labels, JSON written with sorted keys. rdflib's JSON-LD and RDF/XML
writers follow hash order, so RDF goes through pyoxigraph's writers (which keep
input order) and JSON-LD through a small writer here.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import pyoxigraph as ox
from rdflib import BNode, Graph
from rdflib.compare import to_canonical_graph

from mfbt_kg.graph.files import SHAPES_FILE, load_graph
from mfbt_kg.graph.validate import validated
from mfbt_kg.namespaces import DESCRIPTION_PREFIXES, PREFIXES, NamespaceLike
from mfbt_kg.pages.linked_data import LabelIndex, PageQueries
from mfbt_kg.pages.linked_data import serialize as serialize_rdf
from mfbt_kg.progress import step
from mfbt_kg.publish.dcat import Facts, describe, describe_void, gather_facts
from mfbt_kg.publish.diff import CHANGESET, as_rdf
from mfbt_kg.publish.parts import Bundle, FilePart, QueryTable
from mfbt_kg.publish.readme import render_readme
from mfbt_kg.publish.release import DIFF_RDF, ReleaseError, release
from mfbt_kg.publish.settings import PublishSettings
from mfbt_kg.publish.tables import (
    CODEBOOK_FILE,
    codebook_csv,
    columns_of,
    each_resource,
    lead_columns,
    spreadsheet_csv,
)
from mfbt_kg.sparql.answers import Table, write
from mfbt_kg.sparql.catalogue import Column, NamedQuery, ParameterError, load_catalogue, run
from mfbt_kg.sparql.media import named
from mfbt_kg.sparql.store import EmbeddedStore, Store, to_ntriples

DUMP_STEM = "data/mfbt-kg"
CONTEXT_FILE = "context.jsonld"
STANDALONE_JSONLD = f"{DUMP_STEM}.standalone.jsonld"  # the context inline: loads without fetching anything
# The dumps pyoxigraph writes (JSON-LD has its own writer below); their names, types and extensions: sparql/media.py
RDF_DUMPS = ("turtle", "nt", "rdfxml")
CHECKSUMS_FILE = "SHA256SUMS"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
XSD_STRING = ox.NamedNode("http://www.w3.org/2001/XMLSchema#string")


class ExportError(Exception):
    """An export that cannot be carried out (e.g. the target folder); one line for the user."""


@dataclass(frozen=True)
class ExportResult:
    out: Path
    files: dict[str, int]
    tables: list[QueryTable]
    publisher_configured: bool

    def summary_line(self) -> str:
        written = sum(1 for t in self.tables if t.path)
        size = sum(self.files.values())
        return (
            f"exported {len(self.files)} files ({size:,} bytes) to {self.out}: "
            f"{written} query tables, {len(self.tables) - written} queries skipped (listed in README.md)"
        )


# --- serialising ----------------------------------------------------------------------


def sorted_triples(graph: Graph) -> list[ox.Triple]:
    """The graph's triples in N-Triples order; blank nodes get labels from the graph's shape, not from chance."""
    if any(isinstance(term, BNode) for triple in graph for term in triple):
        canonical = Graph()
        for triple in to_canonical_graph(graph):
            canonical.add(triple)
        graph = canonical
    triples = [quad.triple for quad in ox.parse(to_ntriples(graph), format=ox.RdfFormat.N_TRIPLES)]
    return sorted(triples, key=str)


def rdf_bytes(triples: list[ox.Triple], fmt: ox.RdfFormat, prefixes: Mapping[str, NamespaceLike]) -> bytes:
    # without an output to write to, serialize returns the bytes (None only when given an output)
    return ox.serialize(triples, format=fmt, prefixes={p: str(ns) for p, ns in prefixes.items()}) or b""


def jsonld_context(prefixes: Mapping[str, NamespaceLike]) -> bytes:
    """The context file: the project's prefixes, so the JSON-LD reads ``mfbt:region``."""
    return _json({"@context": {p: str(ns) for p, ns in prefixes.items()}})


def jsonld_bytes(triples: list[ox.Triple], prefixes: Mapping[str, NamespaceLike], context_ref: str | None) -> bytes:
    """Compact JSON-LD referring to ``context_ref`` (or, given None, carrying the context inline): one node
    per subject, every value an array, all sorted."""
    namespaces = sorted(((p, str(ns)) for p, ns in prefixes.items()), key=lambda item: (-len(item[1]), item[0]))

    def compact(iri: str) -> str:
        for prefix, ns in namespaces:
            if iri.startswith(ns) and len(iri) > len(ns) and not iri[len(ns) :].startswith("//"):
                return f"{prefix}:{iri[len(ns) :]}"
        return iri

    def ref(term: ox.NamedNode | ox.BlankNode | ox.Triple) -> str:
        if isinstance(term, ox.Triple):
            raise ExportError(f"an RDF-star triple has no JSON-LD form: {term}")
        return compact(term.value) if isinstance(term, ox.NamedNode) else f"_:{term.value}"

    def value(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple) -> dict[str, str]:
        if not isinstance(term, ox.Literal):
            return {"@id": ref(term)}
        if term.language:
            return {"@value": term.value, "@language": term.language}
        if term.datatype == XSD_STRING:
            return {"@value": term.value}
        return {"@value": term.value, "@type": compact(term.datatype.value)}

    # each node's values by key ("@type" or a compact predicate); its "@id" is the key of ``nodes``
    nodes: dict[str, dict[str, list[str | dict[str, str]]]] = {}
    for triple in triples:
        node = nodes.setdefault(ref(triple.subject), {})
        if triple.predicate == RDF_TYPE and not isinstance(triple.object, ox.Literal):
            node.setdefault("@type", []).append(ref(triple.object))
        else:
            node.setdefault(compact(triple.predicate.value), []).append(value(triple.object))
    for node in nodes.values():
        for values in node.values():
            values.sort(key=lambda v: json.dumps(v, sort_keys=True, ensure_ascii=False))
    context: object = context_ref if context_ref is not None else {p: str(ns) for p, ns in prefixes.items()}
    # _json sorts keys, so "@id" lands where it did when it was stored first in the node
    return _json({"@context": context, "@graph": [{"@id": key, **nodes[key]} for key in sorted(nodes)]})


def _json(document: object) -> bytes:
    return (json.dumps(document, ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode("utf-8")


# --- the bundle -----------------------------------------------------------------------


def render(root: Path, graph: Graph, store: Store, language: str = "nb") -> Bundle:
    """Every data file of the bundle, in memory; the description is built from these bytes. ``language``
    is the spreadsheet tables' (headers and labels)."""
    bundle = Bundle()
    triples = sorted_triples(graph)
    for dump in map(named, RDF_DUMPS):
        bundle.parts.append(
            FilePart(
                f"{DUMP_STEM}.{dump.extension}",
                rdf_bytes(triples, dump.rdf, PREFIXES),
                dump.eu_file_type,
                dump.media_type,
                f"Datasettet som {dump.display}",
                f"The dataset as {dump.display}",
                dump=True,
            )
        )
    jsonld, turtle = named("json-ld"), named("turtle")
    bundle.parts.append(
        FilePart(
            f"{DUMP_STEM}.{jsonld.extension}",
            jsonld_bytes(triples, PREFIXES, CONTEXT_FILE),
            jsonld.eu_file_type,
            jsonld.media_type,
            "Datasettet som JSON-LD",
            "The dataset as JSON-LD",
            f"Refers to its context by the relative reference {CONTEXT_FILE} (data/{CONTEXT_FILE}; "
            "keep the two together).",
            dump=True,
        )
    )
    bundle.parts.append(
        FilePart(
            f"data/{CONTEXT_FILE}",
            jsonld_context(PREFIXES),
            jsonld.eu_file_type,
            jsonld.media_type,
            "JSON-LD-kontekst for datasettet",
            "JSON-LD context of the dataset",
            "The prefixes the JSON-LD dump uses.",
        )
    )
    bundle.parts.append(
        FilePart(
            STANDALONE_JSONLD,
            jsonld_bytes(triples, PREFIXES, None),
            jsonld.eu_file_type,
            jsonld.media_type,
            "Datasettet som frittstående JSON-LD",
            "The dataset as self-contained JSON-LD",
            "The same JSON-LD with its context inline: loads in any JSON-LD processor without fetching anything.",
            dump=True,
        )
    )
    for path in sorted((root / "ontology").glob("*.ttl")):
        shapes = path.name == SHAPES_FILE
        bundle.parts.append(
            FilePart(
                f"ontology/{path.name}",
                path.read_bytes(),
                turtle.eu_file_type,
                turtle.media_type,
                "SHACL-regler for datasettet" if shapes else f"Modellfil {path.name}",
                "SHACL shapes the dataset conforms to" if shapes else f"Model file {path.name}",
                "What a curator must not get wrong; the export checks the graph against it."
                if shapes
                else "Part of the model: the OWL vocabulary or a controlled list (SKOS); also contained in the dumps.",
            )
        )
    labels = LabelIndex(store, PageQueries(root))

    def label(iri: str) -> str | None:
        found = labels.get(iri, language)
        return found.text if found else None

    codebook: list[tuple[str, str, Column, bool]] = []
    for query in load_catalogue(root).values():
        table, parts, entries = _query_table(query, store, language, label)
        bundle.tables.append(table)
        bundle.parts.extend(parts)
        codebook.extend(entries)
    csv = named("csv")
    bundle.parts.append(
        FilePart(
            CODEBOOK_FILE,
            codebook_csv(codebook, language),
            csv.eu_file_type,
            csv.media_type,
            "Kodebok: kolonnene i tabellene",
            "Codebook: the columns of the tables",
            "One row per column of every table in tables/: its variable, Norwegian and English header and meaning.",
        )
    )
    return bundle


def _query_table(
    query: NamedQuery,
    store: Store,
    language: str,
    label: Callable[[str], str | None],
) -> tuple[QueryTable, list[FilePart], list[tuple[str, str, Column, bool]]]:
    """Run one catalogue question (with its defaults, or once per resource a needed value accepts) and give
    its files: the ``.rq``, the SPARQL CSV and the spreadsheet table; skipped (with why) when it cannot run."""
    used = (
        ", ".join(f"{p.name}={p.default}" if p.default else f"{p.name} (not set: all)" for p in query.parameters)
        or "none"
    )
    rq = FilePart(
        f"queries/{query.name}.rq",
        query.path.read_bytes(),
        "SPARQLQ",
        "application/sparql-query",
        f"Spørringen: {query.title_nb}",
        f"The query: {query.title_en}",
        "The catalogue query (SPARQL 1.1). The project's prefixes it uses without declaring them "
        "(mfbt:, offer:, ...) are those of the Turtle dump.",
    )
    lead: list[Column] = []
    needed = [p for p in query.parameters if p.required]
    try:
        if needed:
            runs = each_resource(store, query)
            if runs.table is None:
                return QueryTable(query, None, used, runs.skipped), [rq], []
            result: object = runs.table
            lead = lead_columns(runs)
            used = "; ".join(
                f"{p.name}: every {'/'.join(p.kinds)} of the graph ({runs.runs} runs)" for p in needed
            ) + "".join(
                f"; {p.name}={p.default}" if p.default else f"; {p.name} (not set: all)"
                for p in query.parameters
                if not p.required
            )
        else:
            result = run(store, query, {})
    except ParameterError as exc:
        return QueryTable(query, None, used, f"its default does not resolve: {exc}"), [rq], []
    if not isinstance(result, Table):
        return QueryTable(query, None, used, "answers with a graph or a boolean, not a table"), [rq], []
    csv = named("csv")
    path, sheet = f"queries/{query.name}.{csv.extension}", f"tables/{query.name}.{csv.extension}"
    columns = columns_of(query, result, lead)
    part = FilePart(
        path,
        write(result, csv.name),
        csv.eu_file_type,
        csv.media_type,
        query.title_nb,
        query.title_en,
        f"{query.description} Parameters: {used}. Query: queries/{query.name}.rq (SPARQL CSV).",
    )
    table = FilePart(
        sheet,
        spreadsheet_csv(result, columns, language, label),
        csv.eu_file_type,
        csv.media_type,
        f"{query.title_nb} (regneark)",
        f"{query.title_en} (spreadsheet)",
        f"The table of queries/{query.name}.csv for a spreadsheet: UTF-8 with BOM, ';'-separated, "
        f"headers in {'Norwegian' if language == 'nb' else 'English'}, labels beside IRIs; "
        f"columns in {CODEBOOK_FILE}.",
    )
    names = [c.name for c in columns]
    entries = [
        (
            sheet,
            query.name,
            c,
            f"{c.name}_label" not in names and any(isinstance(row[i], ox.NamedNode) for row in result.rows),
        )
        for i, c in enumerate(columns)
    ]
    return QueryTable(query, path, used, sheet=sheet), [rq, part, table], entries


@dataclass(frozen=True)
class Publication:
    """The data files and what is published about them: the one computation behind both
    ``export`` (which writes it) and the service's ``/dataset`` and ``/dump`` (which serve it)."""

    bundle: Bundle
    facts: Facts
    dcat: Graph
    void: Graph
    _rendered: dict[str, bytes] = field(default_factory=dict, repr=False, compare=False)

    @property
    def description(self) -> Graph:
        """DCAT-AP-NO and VoID in one graph, as ``/dataset`` serves them."""
        return self.dcat + self.void

    def description_in(self, fmt: str) -> bytes:
        """The description as Turtle (as ``dcat.ttl`` is written), JSON-LD, N-Triples or RDF/XML; rendered once."""
        if fmt not in self._rendered:
            description = self.description
            self._rendered[fmt] = (
                description_bytes(description) if fmt == "turtle" else serialize_rdf(sorted_triples(description), fmt)
            )
        return self._rendered[fmt]

    @property
    def files(self) -> dict[str, FilePart]:
        """The data files by their path in the bundle, as the download URLs name them."""
        return {part.path: part for part in self.bundle.parts}


def publication(
    root: Path, settings: PublishSettings, graph: Graph | None = None, extra: Sequence[FilePart] = ()
) -> Publication:
    """Render the data files in memory and describe them (sizes, checksums: a few seconds); call once
    per graph and keep the result. It does not validate: ``export_bundle`` does, and the service
    describes the snapshot it serves (the project's graph, validated whenever it is read, or the
    ``--data`` file as given)."""
    graph = graph if graph is not None else load_graph(root)
    store = EmbeddedStore(to_ntriples(graph))
    step("writing the dumps and running the catalogue questions")
    bundle = render(root, graph, store, settings.language)
    bundle.parts.extend(extra)
    step("describing the dataset (DCAT-AP-NO, VoID)")
    facts = gather_facts(store)
    return Publication(
        bundle, facts, describe(facts, bundle.parts, settings), describe_void(facts, bundle.parts, settings)
    )


def description_bytes(description: Graph) -> bytes:
    """A description as byte-stable Turtle (the same input gives the same bytes)."""
    return rdf_bytes(sorted_triples(description), ox.RdfFormat.TURTLE, DESCRIPTION_PREFIXES)


def export_bundle(root: Path, out: Path, settings: PublishSettings, previous: Path | None = None) -> ExportResult:
    """Validate, render and write the bundle to ``out`` (replacing an earlier export there, nothing else);
    with ``previous`` (an earlier export), as the release after it (``publish/release.py``)."""
    out = out.resolve()
    _check_target(out)
    graph, report = validated(root)  # InvalidGraphError: nothing exported
    extra: tuple[FilePart, ...] = ()
    if previous is not None:
        step(f"comparing with the previous release {previous}")
        try:
            made = release(previous, graph, settings.version)
        except ReleaseError as exc:
            raise ExportError(str(exc)) from None
        diff_turtle = rdf_bytes(sorted_triples(as_rdf(made.diff)), ox.RdfFormat.TURTLE, {**PREFIXES, "cs": CHANGESET})
        extra = tuple(replace(part, data=diff_turtle) if part.path == DIFF_RDF else part for part in made.parts)
        settings = replace(
            settings,
            version=made.version,
            version_notes=tuple(sorted(made.notes.items())),
            previous_version=made.previous_version if made.version != made.previous_version else None,
        )
    published = publication(root, settings, graph, extra)
    files = {part.path: part.data for part in published.bundle.parts}
    files["dcat.ttl"] = description_bytes(published.dcat)
    files["void.ttl"] = description_bytes(published.void)
    files["README.md"] = render_readme(published.bundle, published.facts, settings, files, report).encode("utf-8")
    step(f"writing {len(files) + 1} files to {out}")
    files[CHECKSUMS_FILE] = "".join(
        f"{hashlib.sha256(data).hexdigest()}  {path}\n" for path, data in sorted(files.items())
    ).encode("utf-8")
    _write(out, files)
    return ExportResult(
        out,
        {p: len(d) for p, d in sorted(files.items())},
        published.bundle.tables,
        settings.publisher_orgnr is not None,
    )


def _check_target(out: Path) -> None:
    """Write into a new or empty folder, or over an earlier export; never over anything else."""
    if out.exists() and not out.is_dir():
        raise ExportError(f"{out} is a file, not a folder")
    if out.is_dir() and any(out.iterdir()) and not _is_bundle(out):
        raise ExportError(
            f"{out} is not empty and is not an earlier export (every file listed in its "
            f"{CHECKSUMS_FILE}); choose an empty or new folder"
        )


def _is_bundle(folder: Path) -> bool:
    """An earlier export: every file in the folder is one its SHA256SUMS lists, so replacing it loses nothing."""
    sums = folder / CHECKSUMS_FILE
    try:
        listed = {line.split("  ", 1)[1] for line in sums.read_text(encoding="utf-8").splitlines() if "  " in line}
    except (OSError, UnicodeDecodeError):
        return False
    present = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if not p.is_dir()}
    return present == listed | {CHECKSUMS_FILE}


def _write(out: Path, files: dict[str, bytes]) -> None:
    """Write beside the target, then swap, so a failed export leaves the earlier one whole."""
    staging = out.with_name(f".{out.name}.partial")
    shutil.rmtree(staging, ignore_errors=True)
    try:
        for path, data in files.items():
            target = staging / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        if out.exists():
            shutil.rmtree(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        staging.rename(out)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise ExportError(f"cannot write {out}: {exc.strerror or exc}") from None
