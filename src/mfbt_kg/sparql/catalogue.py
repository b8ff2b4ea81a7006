"""Query files: the one ``#+`` header grammar, the catalogue, and binding parameters as terms.

Every ``.rq`` file of the project starts with ``#+ key: value`` comment lines (they keep the
file valid SPARQL), read by ``read_query_file``: the analyst questions of the catalogue
(``queries/*.rq``), the page queries (``queries/pages/``), the code's own queries
(``queries/internal/``) and the fact checks (``tests/facts/``). Which keys a file must and
may carry depends on its kind (``HEADER_KEYS``); a parameter reads
``#+ param: name | type[(kinds)] | required|default=V | meaning``, and a catalogue question's answer
column ``#+ column: name | Norwegian header | English header | meaning`` (the codebook of its table).

One prefix policy: a file writes the project's prefixes (``mfbt:``, ``offer:``, ... from
``namespaces``) without declaring them, and the text the engine runs is the file with the
PREFIX lines of the project prefixes it uses put in front. A prefix that is not the
project's is declared in the file itself.

The CLI, the API, the pages and the tests all read the queries from here, so a question is
written once. Parameters are bound as typed RDF terms in a VALUES block opening every WHERE
group (``inject_values``), never pasted into text as the user wrote them.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import pyoxigraph as ox
from rdflib.namespace import XSD

from mfbt_kg.namespaces import ID, KINDS, MFBT, slug, sparql_prologue
from mfbt_kg.sparql.answers import Answer, Term, fetch, query_form

if TYPE_CHECKING:
    from mfbt_kg.sparql.store import Store

PARAM_TYPES = ("resource", "string", "integer", "date")
# Kind of query file -> (keys its header must have, keys it may have besides).
HEADER_KEYS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "catalogue": (("title_nb", "title_en", "description", "example"), ("param", "tags", "column")),
    "page": (("description",), ("param",)),
    "internal": (("description",), ("param",)),
    "fact": (("fact", "seed", "expect"), ()),
}
INTERNAL_FOLDER = ("queries", "internal")


class CatalogueError(Exception):
    """A query file whose header is malformed: file, line and what is wrong."""


class ParameterError(ValueError):
    """A parameter value a user gave that cannot be used; one line, says which."""


@dataclass(frozen=True)
class Parameter:
    name: str
    type: str
    required: bool
    default: str | None
    description: str
    kinds: tuple[str, ...] = ()
    schemes: tuple[str, ...] = ()  # a concept parameter: the vocabulary's concept schemes its value must be in

    def as_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "type": self.type,
            "required": self.required,
            "default": self.default,
            "description": self.description,
            "kinds": list(self.kinds),
            "schemes": list(self.schemes),
        }


@dataclass(frozen=True)
class Column:
    """One column of a question's answer, as its ``#+ column`` line documents it."""

    name: str
    header_nb: str
    header_en: str
    meaning: str

    def header(self, language: str) -> str:
        return self.header_nb if language == "nb" else self.header_en


@dataclass(frozen=True)
class QueryFile:
    """One ``.rq`` file as read: its header fields and parameters, the file's text, and ``sparql``, the
    text the engine runs (the project's PREFIX lines the file uses, then the file)."""

    name: str
    path: Path
    kind: str
    fields: dict[str, str]
    parameters: tuple[Parameter, ...]
    text: str
    sparql: str
    columns: tuple[Column, ...] = ()

    @property
    def form(self) -> str:
        """SELECT, ASK, CONSTRUCT or DESCRIBE."""
        return query_form(self.text)


@dataclass(frozen=True)
class NamedQuery:
    name: str
    title_nb: str
    title_en: str
    description: str
    parameters: tuple[Parameter, ...]
    example: str
    sparql: str  # what the engine runs: the project prefixes the file uses, then the file
    path: Path
    tags: tuple[str, ...] = field(default=())
    columns: tuple[Column, ...] = field(default=())  # the codebook: every answer column, in order

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)

    def parameter(self, name: str) -> Parameter | None:
        return next((p for p in self.parameters if p.name == name), None)

    @property
    def form(self) -> str:
        return query_form(self.sparql)

    def header(self) -> dict[str, object]:
        return {
            "name": self.name,
            "title": {"nb": self.title_nb, "en": self.title_en},
            "description": self.description,
            "parameters": [p.as_dict() for p in self.parameters],
            "example": self.example,
            "tags": list(self.tags),
            "columns": [
                {"name": c.name, "header": {"nb": c.header_nb, "en": c.header_en}, "meaning": c.meaning}
                for c in self.columns
            ],
        }


_HEADER = re.compile(r"^#\+\s*([a-z_]+)\s*:\s*(.*?)\s*$")
_COLUMN = re.compile(
    r"^(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s*\|\s*(?P<nb>[^|]+?)\s*\|\s*(?P<en>[^|]+?)\s*\|\s*(?P<meaning>.+)$"
)
_PARAM = re.compile(
    r"^(?P<name>[a-z][a-z0-9_]*)\s*\|\s*(?P<type>[a-z]+)(?:\((?P<kinds>[A-Za-z,\- ]+)\))?"
    r"\s*\|\s*(?P<req>required|default=.*?)\s*\|\s*(?P<desc>.+)$"
)


def read_query_file(path: Path, kind: str) -> QueryFile:
    """Read one ``.rq`` file of ``kind`` (a key of ``HEADER_KEYS``) and check its header: ``#+ key: value``
    lines; a key given on several lines (a long description) is one value, its lines joined by spaces."""
    required, optional = HEADER_KEYS[kind]
    text = path.read_text(encoding="utf-8")
    fields: dict[str, str] = {}
    params: list[Parameter] = []
    columns: list[Column] = []
    for number, line in enumerate(text.splitlines(), start=1):
        match = _HEADER.match(line)
        if not match:
            if line.startswith("#+"):
                raise CatalogueError(f"{path}:{number}: a header line reads '#+ key: value'")
            continue
        key, value = match.groups()
        if key not in required and key not in optional:
            raise CatalogueError(
                f"{path}:{number}: '#+ {key}' is not a header key of a {kind} query "
                f"(keys: {', '.join(required + optional)})"
            )
        if key == "param":
            params.append(_parse_param(path, number, value))
        elif key == "column":
            column = _COLUMN.match(value)
            if not column:
                raise CatalogueError(
                    f"{path}:{number}: a column reads 'name | Norwegian header | English header | meaning'"
                )
            if any(c.name == column["name"] for c in columns):
                raise CatalogueError(f"{path}:{number}: column '{column['name']}' documented twice")
            columns.append(Column(column["name"], column["nb"], column["en"], column["meaning"].strip()))
        else:
            fields[key] = f"{fields[key]} {value}" if key in fields else value
    missing = [k for k in required if not fields.get(k)]
    if missing:
        raise CatalogueError(f"{path}: header lacks {', '.join('#+ ' + k for k in missing)}")
    return QueryFile(path.stem, path, kind, fields, tuple(params), text, sparql_prologue(text) + text, tuple(columns))


def parse_query_file(path: Path) -> NamedQuery:
    """One catalogue query (``queries/*.rq``)."""
    read = read_query_file(path, "catalogue")
    fields = read.fields
    return NamedQuery(
        name=read.name,
        title_nb=fields["title_nb"],
        title_en=fields["title_en"],
        description=fields["description"],
        parameters=read.parameters,
        example=fields["example"],
        sparql=read.sparql,
        path=path,
        tags=tuple(t.strip() for t in fields.get("tags", "").split(",") if t.strip()),
        columns=read.columns,
    )


class QueryFiles:
    """A folder of query files of one kind, read (and their headers checked) once, so a missing or
    malformed file fails before anything is answered; ``files[name]`` is the text to run."""

    def __init__(self, folder: Path, kind: str, required: Iterable[str] = ()) -> None:
        self.folder = folder
        self._files = {f.name: f for f in (read_query_file(p, kind) for p in sorted(folder.glob("*.rq")))}
        missing = [name for name in required if name not in self._files]
        if missing:
            raise FileNotFoundError(f"{folder}: query file(s) missing: {', '.join(missing)}")

    def __getitem__(self, name: str) -> str:
        return self._files[name].sparql

    def file(self, name: str) -> QueryFile:
        return self._files[name]

    def names(self) -> list[str]:
        return sorted(self._files)


@cache
def internal() -> QueryFiles:
    """The code's own queries (``queries/internal/``: labels, counts, the dataset description, the
    version marker), from the checkout or the copy an installed wheel carries."""
    here = Path(__file__).resolve()
    for base in (here.parents[3], here.parents[1] / "project"):
        folder = base.joinpath(*INTERNAL_FOLDER)
        if folder.is_dir():
            return QueryFiles(folder, "internal")
    raise FileNotFoundError("/".join(INTERNAL_FOLDER) + ": the code's own queries are missing")


def _parse_param(path: Path, line: int, value: str) -> Parameter:
    match = _PARAM.match(value)
    if not match or match["type"] not in PARAM_TYPES:
        raise CatalogueError(
            f"{path}:{line}: parameter must read 'name | type[(kinds)] | required|default=V | meaning'"
        )
    named = [k.strip() for k in (match["kinds"] or "").split(",") if k.strip()]
    # a capitalised name is a concept scheme of the vocabulary (mfbt:CompulsoryCarePolicyScheme): the value must
    # be a concept in it, not merely some concept
    schemes = tuple(k for k in named if k[0].isupper())
    kinds = tuple(k for k in named if not k[0].isupper()) or (("concept",) if schemes else ())
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        raise CatalogueError(f"{path}:{line}: unknown resource kind {unknown[0]!r}")
    if schemes and kinds != ("concept",):
        raise CatalogueError(f"{path}:{line}: a concept scheme ({schemes[0]}) goes with the kind concept only")
    required = match["req"] == "required"
    default = None if required else match["req"].split("=", 1)[1].strip() or None
    return Parameter(match["name"], match["type"], required, default, match["desc"].strip(), kinds, schemes)


def load_catalogue(root: Path) -> dict[str, NamedQuery]:
    """Every query of ``queries/``, by name, in name order."""
    return {q.name: q for q in (parse_query_file(p) for p in sorted((root / "queries").glob("*.rq")))}


def bind(query: NamedQuery, values: dict[str, str], store: Store) -> dict[str, Term]:
    """Turn user strings into typed terms; refuse anything the query does not declare."""
    unknown = sorted(set(values) - {p.name for p in query.parameters})
    if unknown:
        known = ", ".join(p.name for p in query.parameters) or "none"
        raise ParameterError(f"query '{query.name}' has no parameter '{unknown[0]}' (parameters: {known})")
    bound: dict[str, Term] = {}
    for param in query.parameters:
        raw = values.get(param.name, param.default)
        if raw is None:
            if param.required:
                raise ParameterError(f"query '{query.name}' needs parameter '{param.name}': {param.description}")
            continue
        bound[param.name] = _term(query, param, raw, store)
    return bound


def _term(query: NamedQuery, param: Parameter, raw: str, store: Store) -> Term:
    where = f"parameter '{param.name}' of query '{query.name}'"
    if param.type == "string":
        return ox.Literal(raw)
    if param.type == "integer":
        if not re.fullmatch(r"[+-]?\d{1,18}", raw.strip()):
            raise ParameterError(f"{where} must be a whole number, not {raw!r}")
        return ox.Literal(str(int(raw)), datatype=ox.NamedNode(str(XSD.integer)))
    if param.type == "date":
        try:
            day = dt.date.fromisoformat(raw.strip())
        except ValueError:
            raise ParameterError(f"{where} must be a date YYYY-MM-DD, not {raw!r}") from None
        return ox.Literal(day.isoformat(), datatype=ox.NamedNode(str(XSD.date)))
    return _resource(where, param, raw.strip(), store)


def _resource(where: str, param: Parameter, raw: str, store: Store) -> ox.NamedNode:
    """A slug (tried under each allowed kind) or a full IRI that exists in the graph. What a person types is
    put through the slug rule first (``UNN Åsgård``, ``unn-åsgård`` → ``unn-asgard``); a miss names the
    nearest slugs of the allowed kinds ("did you mean")."""
    if not raw.startswith(("http://", "https://")) and not _SLUG_PATH.fullmatch(raw) and _NAME_LIKE.fullmatch(raw):
        kind, sep, rest = raw.partition("/")
        raw = (f"{slug(kind)}/{slug(rest)}" if sep and slug(kind) in KINDS else slug(raw)) or raw
    if raw.startswith(("http://", "https://")):
        candidates = [raw]
    elif _SLUG_PATH.fullmatch(raw):
        candidates = [f"{ID}{raw}"] if "/" in raw else [f"{ID}{kind}/{raw}" for kind in (param.kinds or KINDS)]
    else:
        raise ParameterError(f"{where} must be a slug (like 'unn-asgard') or a full IRI, not {raw!r}")
    if param.kinds and not any(candidates[0].startswith(f"{ID}{kind}/") for kind in param.kinds):
        # a resource of another kind would give an empty answer that reads like "none"
        named = candidates[0][len(str(ID)) :].split("/", 1)[0] if candidates[0].startswith(str(ID)) else ""
        what = f"is a {named}" if named in KINDS else "is not a resource of this graph"
        raise ParameterError(f"{where} must name a resource of kind {' or '.join(param.kinds)}, but {raw!r} {what}")
    for iri in candidates:
        try:
            node = ox.NamedNode(iri)
        except ValueError:
            raise ParameterError(f"{where} is not a valid IRI: {raw!r}") from None
        if _exists(store, node):
            if param.schemes and not any(_in_scheme(store, node, scheme) for scheme in param.schemes):
                raise ParameterError(
                    f"{where} must name a concept of {' or '.join(param.schemes)}, but {raw!r} is not one"
                )
            return node
    kinds = "/".join(param.kinds) if param.kinds else "resource"
    near = _nearest(store, raw, param.kinds) if not raw.startswith(("http://", "https://")) else []
    hint = f"; did you mean {' or '.join(repr(n) for n in near)}?" if near else ""
    raise ParameterError(f"{where}: no {kinds} named {raw!r} in the graph{hint}")


_SLUG_PATH = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*(/[a-z0-9]+(-[a-z0-9]+)*)?")
# What a person types for a name (letters of any alphabet, digits, spaces, '-', '_', '.', one '/'): put through
# the slug rule. Anything else (quotes, brackets, '<', '#' ...) is refused as it stands, never "corrected".
_NAME_LIKE = re.compile(r"[^\W_]?[\w .\-]*(/[\w .\-]+)?")


def _nearest(store: Store, raw: str, kinds: tuple[str, ...]) -> list[str]:
    """The slugs of the allowed kinds closest to ``raw`` (at most three): a typo's likely meaning."""
    slugs: list[str] = []
    for kind in kinds or KINDS:
        rows = store.select(internal()["resources-of-kind"], {"space": ox.Literal(f"{ID}{kind}/")}).records()
        slugs += [term.value[len(f"{ID}{kind}/") :] for row in rows if (term := row["resource"]) is not None]
    wanted = raw.rsplit("/", 1)[-1]
    close = difflib.get_close_matches(wanted, slugs, n=3, cutoff=0.6)
    starts = [s for s in slugs if s.startswith(wanted) and s not in close] if len(wanted) >= 3 else []
    return (close + starts)[:3]


def _in_scheme(store: Store, node: ox.NamedNode, scheme: str) -> bool:
    return store.ask(internal()["concept-in-scheme"], {"resource": node, "scheme": ox.NamedNode(str(MFBT[scheme]))})


def _exists(store: Store, node: ox.NamedNode) -> bool:
    return store.ask(internal()["resource-exists"], {"resource": node})


def bound_text(query: NamedQuery, values: dict[str, str], store: Store) -> str:
    """The query's text with ``values`` bound as terms (checked by ``bind``): the one way every caller
    (CLI, API, query page, export, benchmark) turns a catalogue query and its parameters into SPARQL."""
    terms = bind(query, values, store)
    return inject_values(query.sparql, terms) if terms else query.sparql


def run(store: Store, query: NamedQuery, values: dict[str, str]) -> Answer:
    """Bind and execute one catalogue query: rows, a boolean or triples, as its form answers."""
    return fetch(store, bound_text(query, values, store))


_TOKENS = re.compile(
    r'"""[\s\S]*?"""|\'\'\'[\s\S]*?\'\'\'|"(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\])*\'|<[^<>"\s]*>|#[^\n]*|\{|\}|\bWHERE\b',
    re.IGNORECASE,
)


def inject_values(sparql: str, bindings: dict[str, Term]) -> str:
    """Bind parameters: a VALUES block opening every WHERE group (the outer one and subqueries').

    The values are RDF terms serialised by pyoxigraph (escaped N-Triples syntax),
    never raw user text, so this is binding, not concatenation. Every group gets
    the block because a subquery does not see the outer query's bindings.
    """
    names = sorted(bindings)
    block = (
        " VALUES (" + " ".join(f"?{n}" for n in names) + ") { (" + " ".join(str(bindings[n]) for n in names) + ") } "
    )
    out, last = [], 0
    for position in _where_braces(sparql):
        out.append(sparql[last : position + 1] + block)
        last = position + 1
    return "".join(out) + sparql[last:]


def _where_braces(sparql: str) -> list[int]:
    """Offsets of the '{' opening each WHERE group, plus the outer group of a query
    written without the WHERE keyword (``ASK { ... }``); never a CONSTRUCT template."""
    found, depth, after_where, outer_where, first_brace = [], 0, False, False, None
    for match in _TOKENS.finditer(sparql):
        token = match.group()
        if token.upper() == "WHERE":
            after_where = True
        elif token == "{":
            if after_where:
                found.append(match.start())
                outer_where = outer_where or depth == 0
                after_where = False
            elif depth == 0 and first_brace is None:
                first_brace = match.start()
            depth += 1
        elif token == "}":
            depth -= 1
    if not outer_where:
        if first_brace is None or re.search(r"\bCONSTRUCT\b", sparql[:first_brace], re.IGNORECASE):
            raise CatalogueError("query has no WHERE clause to bind parameters into")
        found.insert(0, first_brace)
    return found
