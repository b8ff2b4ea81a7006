"""The HTML query page of ``/sparql``: a form, the catalogue as runnable examples, results as a table.

It is a page of the site like the others: it extends ``base.html``, uses ``site.css``
and the mount point, and speaks Norwegian or English (``?lang=``, the cookie).
Everything it needs is in the page (no CDN), so it works offline. Examples are
the catalogue's queries with their example parameters bound (the catalogue's
own binding, as terms, never pasted text); binding asks the store whether each
example resource exists, so the list is built off the event loop, once per data version
(kept on the snapshot).
"""

from __future__ import annotations

import asyncio
import shlex
from typing import Any
from urllib.parse import urlencode

from fastapi import Request

from mfbt_kg.api.html import render_text, root_path
from mfbt_kg.namespaces import BASE
from mfbt_kg.service.service import Service
from mfbt_kg.sparql.catalogue import CatalogueError, NamedQuery, ParameterError, bound_text
from mfbt_kg.sparql.media import GRAPH, ROWS, answering
from mfbt_kg.sparql.store import Store, StoreError

# The formats the form offers (?format= value, name): every format an answer can take.
FORMATS = tuple((f.name, f.display) for f in (*answering(ROWS), *answering(GRAPH)))


async def render_page(request: Request, service: Service, query: str, results: dict[str, Any] | None = None,
                      capped: bool = False, error: str = "") -> str:
    """The page in the reader's language, rendered off the event loop (a capped table is large)."""
    return await asyncio.to_thread(_render, request, service, query, results, capped, error)


def _render(request: Request, service: Service, query: str, results: dict[str, Any] | None, capped: bool,
            error: str) -> str:
    snapshot = service.snapshot
    assert snapshot is not None
    found = snapshot.kept("query-examples", lambda: examples(service))
    root = root_path(request)
    variables, rows = _table(results, root) if results is not None and "boolean" not in results else ([], [])
    return render_text(request, "sparql.html", title="SPARQL", query=query, results=results, variables=variables,
                       rows=rows, capped=capped, max_rows=service.settings.max_rows,
                       timeout=f"{service.settings.timeout:g}", formats=FORMATS, examples=found, error=error)


def examples(service: Service) -> list[dict[str, str]]:
    """Each catalogue query, runnable: its example parameters bound, as a link (or text to edit).
    Links are paths on this site, without the mount point (the page adds it)."""
    out = []
    limit = service.settings.max_url_bytes - 100
    for query in service.catalogue.values():
        sparql = _bound(query, service.store)
        href = "/sparql?" + urlencode({"query": sparql})
        out.append({"title_en": query.title_en, "title_nb": query.title_nb, "description": query.description,
                    "sparql": sparql, "href": href if len(href) < limit else f"/api/queries/{query.name}"})
    return out


def _bound(query: NamedQuery, store: Store) -> str:
    try:
        return bound_text(query, example_values(query.example), store)
    except (ParameterError, CatalogueError, StoreError):
        return query.sparql


def example_values(example: str) -> dict[str, str]:
    """``--param name=value`` pairs of a catalogue example (a CLI command line)."""
    try:
        words = shlex.split(example)
    except ValueError:
        return {}
    pairs = [words[i + 1] for i, w in enumerate(words[:-1]) if w == "--param"]
    return dict(p.split("=", 1) for p in pairs if "=" in p)


def _table(results: dict[str, Any], root: str) -> tuple[list[str], list[list[dict[str, str]]]]:
    variables = results["head"]["vars"]
    rows = [[_cell(binding.get(v), root) for v in variables] for binding in results["results"]["bindings"]]
    return variables, rows


def _cell(term: dict[str, str] | None, root: str) -> dict[str, str]:
    """Text, link and a note (language tag or datatype) of one value; every key present (strict templates)."""
    if term is None:
        return {"text": "", "href": "", "meta": ""}
    value = term["value"]
    if term["type"] == "uri":
        href = root + value[len(BASE) - 1:] if value.startswith(BASE + "id/") else value
        return {"text": value, "href": href if href.startswith(("/", "http://", "https://")) else "", "meta": ""}
    if term["type"] == "bnode":
        return {"text": "_:" + value, "href": "", "meta": ""}
    meta = "@" + term["xml:lang"] if "xml:lang" in term else term.get("datatype", "").rsplit("#", 1)[-1]
    return {"text": value, "href": "", "meta": meta}
