"""The HTML query page of ``/sparql``: a form, the catalogue as runnable examples, results as a table.

Everything it needs is in the page (no CDN), so it works offline. Examples are
the catalogue's queries with their example parameters bound (the catalogue's
own binding, as terms, never pasted text); binding asks the store whether each
example resource exists, so the list is built off the event loop, once per data version.
"""

from __future__ import annotations

import asyncio
import shlex
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from jinja2 import Environment, FileSystemLoader, select_autoescape

from mfbt_kg.sparql.catalogue import NamedQuery, ParameterError, bind
from mfbt_kg.namespaces import BASE
from mfbt_kg.sparql.store import StoreError, inject_values

HERE = Path(__file__).parent
FORMATS = (("json", "SPARQL JSON"), ("xml", "SPARQL XML"), ("csv", "CSV"), ("tsv", "TSV"), ("turtle", "Turtle"),
           ("nt", "N-Triples"), ("jsonld", "JSON-LD"), ("rdfxml", "RDF/XML"))
_env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"]))
_examples: dict[tuple[int, str], list[dict[str, str]]] = {}


async def render_page(service: Any, request: Request, query: str, results: dict[str, Any] | None, capped: bool,
                      max_rows: int, error: str = "") -> str:
    key = (id(service), service.version)
    if key not in _examples:
        _examples.clear()
        _examples[key] = await asyncio.to_thread(examples, service)
    variables, rows = _table(results) if results is not None and "boolean" not in results else ([], [])
    return _env.get_template("sparql.html").render(
        query=query, results=results, variables=variables, rows=rows, capped=capped, max_rows=max_rows,
        timeout=f"{service.settings.timeout:g}", formats=FORMATS, examples=_examples[key], error=error)


def examples(service: Any) -> list[dict[str, str]]:
    """Each catalogue query, runnable: its example parameters bound, as a link (or text to edit)."""
    out = []
    limit = service.settings.max_url_bytes - 100
    for query in service.catalogue.values():
        sparql = _bound(query, service.store)
        href = "/sparql?" + urlencode({"query": sparql})
        out.append({"title_en": query.title_en, "title_nb": query.title_nb, "description": query.description,
                    "sparql": sparql, "href": href if len(href) < limit else f"/api/queries/{query.name}"})
    return out


def _bound(query: NamedQuery, store: Any) -> str:
    values = example_values(query.example)
    try:
        terms = bind(query, values, store)
        return inject_values(query.sparql, terms) if terms else query.sparql
    except (ParameterError, StoreError):
        return query.sparql


def example_values(example: str) -> dict[str, str]:
    """``--param name=value`` pairs of a catalogue example (a CLI command line)."""
    try:
        words = shlex.split(example)
    except ValueError:
        return {}
    pairs = [words[i + 1] for i, w in enumerate(words[:-1]) if w == "--param"]
    return dict(p.split("=", 1) for p in pairs if "=" in p)


def _table(results: dict[str, Any]) -> tuple[list[str], list[list[dict[str, str]]]]:
    variables = results["head"]["vars"]
    rows = [[_cell(binding.get(v)) for v in variables] for binding in results["results"]["bindings"]]
    return variables, rows


def _cell(term: dict[str, str] | None) -> dict[str, str]:
    if term is None:
        return {"text": ""}
    value = term["value"]
    if term["type"] == "uri":
        href = value[len(BASE) - 1:] if value.startswith(BASE + "id/") else value
        return {"text": value, "href": href if href.startswith(("/", "http://", "https://")) else ""}
    if term["type"] == "bnode":
        return {"text": "_:" + value}
    meta = "@" + term["xml:lang"] if "xml:lang" in term else term.get("datatype", "").rsplit("#", 1)[-1]
    return {"text": value, "meta": meta}
