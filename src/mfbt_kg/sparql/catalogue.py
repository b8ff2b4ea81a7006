"""The query catalogue: ``queries/*.rq`` files and their comment headers.

The CLI, the API and the tests all read the catalogue from here, so a question
is written once. Parameters are bound as typed RDF terms (pyoxigraph
substitutions, or a VALUES block for a remote store), never pasted into text.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from mfbt_kg.namespaces import ID, KINDS
from mfbt_kg.sparql.store import Result, Store, Term

PARAM_TYPES = ("resource", "string", "integer", "date")

# The one query the catalogue itself needs: does a resource exist in the graph?
RESOURCE_EXISTS = "ASK { { ?resource ?p ?o } UNION { ?s ?p ?resource } }"


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

    def as_dict(self) -> dict[str, object]:
        return {"name": self.name, "type": self.type, "required": self.required, "default": self.default,
                "description": self.description, "kinds": list(self.kinds)}


@dataclass(frozen=True)
class NamedQuery:
    name: str
    title_nb: str
    title_en: str
    description: str
    parameters: tuple[Parameter, ...]
    example: str
    sparql: str
    path: Path
    tags: tuple[str, ...] = field(default=())

    def parameter(self, name: str) -> Parameter | None:
        return next((p for p in self.parameters if p.name == name), None)

    def header(self) -> dict[str, object]:
        return {"name": self.name, "title": {"nb": self.title_nb, "en": self.title_en},
                "description": self.description, "parameters": [p.as_dict() for p in self.parameters],
                "example": self.example, "tags": list(self.tags)}


_HEADER = re.compile(r"^#\+\s*([a-z_]+)\s*:\s*(.*?)\s*$")
_PARAM = re.compile(r"^(?P<name>[a-z][a-z0-9_]*)\s*\|\s*(?P<type>[a-z]+)(?:\((?P<kinds>[a-z,\- ]+)\))?\s*\|\s*(?P<req>required|default=.*?)\s*\|\s*(?P<desc>.+)$")
_REQUIRED_KEYS = ("title_nb", "title_en", "description", "example")


def parse_query_file(path: Path) -> NamedQuery:
    """Read one ``.rq`` file. Header lines are ``#+ key: value``; they keep the file valid SPARQL."""
    text = path.read_text(encoding="utf-8")
    fields: dict[str, str] = {}
    params: list[Parameter] = []
    for number, line in enumerate(text.splitlines(), start=1):
        match = _HEADER.match(line)
        if not match:
            continue
        key, value = match.groups()
        if key == "param":
            params.append(_parse_param(path, number, value))
        elif key == "description" and "description" in fields:
            fields[key] += " " + value
        else:
            fields[key] = value
    missing = [k for k in _REQUIRED_KEYS if k not in fields]
    if missing:
        raise CatalogueError(f"{path}: header lacks {', '.join('#+ ' + k for k in missing)}")
    return NamedQuery(
        name=path.stem, title_nb=fields["title_nb"], title_en=fields["title_en"],
        description=fields["description"], parameters=tuple(params), example=fields["example"],
        sparql=text, path=path, tags=tuple(t.strip() for t in fields.get("tags", "").split(",") if t.strip()),
    )


def _parse_param(path: Path, line: int, value: str) -> Parameter:
    match = _PARAM.match(value)
    if not match or match["type"] not in PARAM_TYPES:
        raise CatalogueError(f"{path}:{line}: parameter must read 'name | type[(kinds)] | required|default=V | meaning'")
    kinds = tuple(k.strip() for k in (match["kinds"] or "").split(",") if k.strip())
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        raise CatalogueError(f"{path}:{line}: unknown resource kind {unknown[0]!r}")
    required = match["req"] == "required"
    default = None if required else match["req"].split("=", 1)[1].strip() or None
    return Parameter(match["name"], match["type"], required, default, match["desc"].strip(), kinds)


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
        return ox.Literal(str(int(raw)), datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer"))
    if param.type == "date":
        try:
            day = dt.date.fromisoformat(raw.strip())
        except ValueError:
            raise ParameterError(f"{where} must be a date YYYY-MM-DD, not {raw!r}") from None
        return ox.Literal(day.isoformat(), datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#date"))
    return _resource(where, param, raw.strip(), store)


def _resource(where: str, param: Parameter, raw: str, store: Store) -> ox.NamedNode:
    """A slug (tried under each allowed kind) or a full IRI that exists in the graph."""
    if raw.startswith(("http://", "https://")):
        candidates = [raw]
    elif re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*(/[a-z0-9]+(-[a-z0-9]+)*)?", raw):
        candidates = [f"{ID}{raw}"] if "/" in raw else [f"{ID}{kind}/{raw}" for kind in (param.kinds or KINDS)]
    else:
        raise ParameterError(f"{where} must be a slug (like 'unn-asgard') or a full IRI, not {raw!r}")
    for iri in candidates:
        try:
            node = ox.NamedNode(iri)
        except ValueError:
            raise ParameterError(f"{where} is not a valid IRI: {raw!r}") from None
        if _exists(store, node):
            return node
    kinds = "/".join(param.kinds) if param.kinds else "resource"
    raise ParameterError(f"{where}: no {kinds} named {raw!r} in the graph")


def _exists(store: Store, node: ox.NamedNode) -> bool:
    return bool(store.query(RESOURCE_EXISTS, {"resource": node}))


def run(store: Store, query: NamedQuery, values: dict[str, str]) -> Result:
    """Bind and execute one catalogue query."""
    return store.query(query.sparql, bind(query, values, store))
