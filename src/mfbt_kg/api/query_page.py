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
import json
import shlex
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import pyoxigraph as ox
from fastapi import Request

from mfbt_kg.api.html import language, render_text, root_path
from mfbt_kg.namespaces import BASE, MFBT, PREFIXES
from mfbt_kg.service.service import Service
from mfbt_kg.sparql.catalogue import CatalogueError, NamedQuery, ParameterError, bound_text, internal
from mfbt_kg.sparql.media import GRAPH, ROWS, answering
from mfbt_kg.sparql.store import Store, StoreError

# What the box holds when the page opens without a query (queries/internal/query-page-starter.rq, without its
# header): the project's prefixes need no PREFIX lines.
STARTER = "".join(
    line for line in internal().file("query-page-starter").text.splitlines(keepends=True) if not line.startswith("#+")
)

# The formats the form offers (?format= value, name): every format an answer can take.
FORMATS = tuple((f.name, f.display) for f in (*answering(ROWS), *answering(GRAPH)))


async def render_page(
    request: Request,
    service: Service,
    query: str,
    results: dict[str, Any] | None = None,
    capped: bool = False,
    error: str = "",
) -> str:
    """The page in the reader's language, rendered off the event loop (a capped table is large)."""
    return await asyncio.to_thread(_render, request, service, query, results, capped, error)


def _render(
    request: Request, service: Service, query: str, results: dict[str, Any] | None, capped: bool, error: str
) -> str:
    snapshot = service.snapshot
    assert snapshot is not None
    found = snapshot.kept("query-examples", lambda: examples(service))
    terms = snapshot.kept("editor-terms", lambda: editor_terms(service))
    root = root_path(request)
    label = _labeller(service, language(request)[0])
    variables, rows = _table(results, root, label) if results is not None and "boolean" not in results else ([], [])
    return render_text(
        request,
        "sparql.html",
        title="SPARQL",
        query=query or STARTER,
        results=results,
        variables=variables,
        rows=rows,
        capped=capped,
        max_rows=service.settings.max_rows,
        timeout=f"{service.settings.timeout:g}",
        formats=FORMATS,
        examples=found,
        error=error,
        terms_json=terms,
        prefixes=[(p, str(ns)) for p, ns in PREFIXES.items()],
    )


def editor_terms(service: Service) -> str:
    """The completion list of the page's editor, as JSON: the project's prefixes and the ontology's classes,
    properties and concept schemes (queries/pages/editor-terms.rq) with their labels in Norwegian."""
    site = service.site()
    terms = []
    for row in site.rows("editor-terms", ns=ox.Literal(str(MFBT))):
        iri = row["term"].value
        found = site.labels.get(iri, "nb")
        terms.append(
            {"name": "mfbt:" + iri[len(str(MFBT)) :], "kind": row["kind"].value, "label": found.text if found else ""}
        )
    data = {"prefixes": {p: str(ns) for p, ns in PREFIXES.items()}, "terms": terms}
    # inside <script type="application/json">: no "</" may end the element early
    return json.dumps(data, ensure_ascii=False).replace("</", "<\\/")


def _labeller(service: Service, lang: str) -> Callable[[str], str | None]:
    site = service.site()

    def label(iri: str) -> str | None:
        found = site.labels.get(iri, lang)
        return found.text if found else None

    return label


def examples(service: Service) -> list[dict[str, str]]:
    """Each catalogue query, runnable: its example parameters bound, as a link (or text to edit).
    Links are paths on this site, without the mount point (the page adds it)."""
    out = []
    limit = service.settings.max_url_bytes - 100
    for query in service.catalogue.values():
        sparql = _bound(query, service.store)
        href = "/sparql?" + urlencode({"query": sparql})
        out.append(
            {
                "title_en": query.title_en,
                "title_nb": query.title_nb,
                "description": query.description,
                "sparql": sparql,
                "href": href if len(href) < limit else f"/api/queries/{query.name}",
            }
        )
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


def _table(
    results: dict[str, Any], root: str, label: Callable[[str], str | None] | None = None
) -> tuple[list[str], list[list[dict[str, str]]]]:
    variables = results["head"]["vars"]
    rows = [[_cell(binding.get(v), root, label) for v in variables] for binding in results["results"]["bindings"]]
    return variables, rows


def _cell(term: dict[str, str] | None, root: str, label: Callable[[str], str | None] | None = None) -> dict[str, str]:
    """Text, link, a note (language tag or datatype) and the IRI (shown beside a label) of one value; every key
    present (strict templates). A project IRI with a label shows the label, the IRI as its title."""
    if term is None:
        return {"text": "", "href": "", "meta": "", "iri": ""}
    value = term["value"]
    if term["type"] == "uri":
        href = root + value[len(BASE) - 1 :] if value.startswith(BASE + "id/") else value
        named = label(value) if label is not None and value.startswith(BASE) else None
        return {
            "text": named or value,
            "href": href if href.startswith(("/", "http://", "https://")) else "",
            "meta": "",
            "iri": value if named else "",
        }
    if term["type"] == "bnode":
        return {"text": "_:" + value, "href": "", "meta": "", "iri": ""}
    meta = "@" + term["xml:lang"] if "xml:lang" in term else term.get("datatype", "").rsplit("#", 1)[-1]
    return {"text": value, "href": "", "meta": meta, "iri": ""}
