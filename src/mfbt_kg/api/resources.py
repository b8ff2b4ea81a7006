"""/id/{kind}/{slug}: every resource IRI dereferences — HTML for people, RDF for machines.

The IRI's path is checked against the slug rule before any query, and bound as
a term. Links in HTML point at this host, so the pages work on 127.0.0.1 as
they would on the public host; RDF bodies keep the canonical w3id IRIs.
"""

from __future__ import annotations

import asyncio
import html
import re
from typing import Any

import pyoxigraph as ox
from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from ..media import CONTENT_TYPE, NotAcceptable, negotiate
from ..namespaces import BASE, ID, KINDS

router = APIRouter(tags=["linked data"])

# Everything said about a resource and everything that points at it.
RESOURCE_DESCRIPTION = """
CONSTRUCT { ?resource ?p ?o . ?s ?q ?resource . }
WHERE { { ?resource ?p ?o } UNION { ?s ?q ?resource } }
"""
# Labels for the nodes a page links to, Norwegian and English.
LABELS = """
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?node ?label WHERE { { ?node skos:prefLabel ?label } UNION { ?node rdfs:label ?label } }
"""
EXTENSIONS = {"ttl": "turtle", "nt": "nt", "jsonld": "json-ld", "rdf": "rdfxml", "html": "html"}
SLUG = re.compile(r"^[a-z0-9]+(-{1,2}[a-z0-9]+)*$")
RDF_FORMATS = {"turtle": ox.RdfFormat.TURTLE, "nt": ox.RdfFormat.N_TRIPLES, "json-ld": ox.RdfFormat.JSON_LD,
               "rdfxml": ox.RdfFormat.RDF_XML}


@router.get("/id/{kind}/{name}", summary="A resource of the graph, by content negotiation or extension")
async def resource(kind: str, name: str, request: Request) -> Response:
    slug, _, ext = name.partition(".")
    lang = _language(request)
    if kind not in KINDS or not SLUG.match(slug) or (ext and ext not in EXTENSIONS):
        return _not_found(request, lang)
    try:
        fmt = EXTENSIONS[ext] if ext else negotiate(request.headers.get("accept"), "DESCRIBE", allow_html=True)
    except NotAcceptable as exc:
        return Response(str(exc), status_code=406)
    iri = f"{ID}{kind}/{slug}"
    store = request.app.state.service.store
    triples = await asyncio.to_thread(lambda: list(store.query(RESOURCE_DESCRIPTION, {"resource": ox.NamedNode(iri)})))
    if not triples:
        return _not_found(request, lang)
    if fmt != "html":
        return Response(ox.serialize(triples, format=RDF_FORMATS[fmt]), media_type=CONTENT_TYPE[fmt])
    labels = await asyncio.to_thread(_labels, store)
    response = HTMLResponse(_page(iri, triples, labels, lang, str(request.url.path)))
    if "lang" in request.query_params:
        response.set_cookie("lang", lang, max_age=365 * 24 * 3600, samesite="lax")
    return response


def _language(request: Request) -> str:
    wanted = request.query_params.get("lang") or request.cookies.get("lang") or "nb"
    return "en" if wanted == "en" else "nb"


def _labels(store: Any) -> dict[tuple[str, str], str]:
    """(IRI, language) -> label, computed per request from the store (cheap at this size)."""
    out: dict[tuple[str, str], str] = {}
    for row in store.query(LABELS):
        label = row["label"]
        lang = "en" if label.language == "en" else "nb"
        out.setdefault((row["node"].value, lang), label.value)
    return out


def _label(iri: str, labels: dict[tuple[str, str], str], lang: str) -> str:
    other = "nb" if lang == "en" else "en"
    return labels.get((iri, lang)) or labels.get((iri, other)) or iri.rsplit("/", 1)[-1].rsplit("#", 1)[-1]


def _local(iri: str) -> str:
    return iri[len(BASE) - 1:] if iri.startswith(BASE) else iri


def _term_html(term: Any, labels: dict[tuple[str, str], str], lang: str) -> str:
    if isinstance(term, ox.NamedNode):
        return f'<a href="{html.escape(_local(term.value))}">{html.escape(_label(term.value, labels, lang))}</a>'
    if isinstance(term, ox.Literal):
        attr = f' lang="{html.escape(term.language)}"' if term.language else ""
        return f"<span{attr}>{html.escape(term.value)}</span>"
    return html.escape(str(term))


TEXT = {
    "nb": {"about": "Om ressursen", "says": "Egenskaper", "links": "Lenker hit", "property": "Egenskap", "value": "Verdi",
           "from": "Fra", "switch": "English", "missing": "Fant ingen ressurs med denne adressen.", "home": "Til SPARQL-siden"},
    "en": {"about": "About the resource", "says": "Properties", "links": "What links here", "property": "Property",
           "value": "Value", "from": "From", "switch": "Norsk", "missing": "No resource has this address.", "home": "To the SPARQL page"},
}


def _page(iri: str, triples: list[Any], labels: dict[tuple[str, str], str], lang: str, path: str) -> str:
    t = TEXT[lang]
    title = _label(iri, labels, lang)
    own = sorted((tr for tr in triples if tr.subject.value == iri), key=lambda tr: (tr.predicate.value, str(tr.object)))
    incoming = sorted((tr for tr in triples if tr.subject.value != iri), key=lambda tr: (tr.predicate.value, tr.subject.value))
    rows = "".join(f"<tr><th scope=\"row\">{_term_html(tr.predicate, labels, lang)}</th><td>{_term_html(tr.object, labels, lang)}</td></tr>"
                   for tr in own)
    links = "".join(f"<tr><td>{_term_html(tr.subject, labels, lang)}</td><th scope=\"row\">{_term_html(tr.predicate, labels, lang)}</th></tr>"
                    for tr in incoming)
    other = "en" if lang == "nb" else "nb"
    return _shell(lang, title, f"""<p><code>{html.escape(iri)}</code> ·
<a href="{html.escape(path)}?lang={other}">{t['switch']}</a> ·
<a href="{html.escape(path)}.ttl">Turtle</a> · <a href="{html.escape(path)}.jsonld">JSON-LD</a></p>
<section><h2>{t['says']}</h2><table><thead><tr><th scope="col">{t['property']}</th><th scope="col">{t['value']}</th></tr></thead>
<tbody>{rows}</tbody></table></section>
<section><h2>{t['links']}</h2><table><thead><tr><th scope="col">{t['from']}</th><th scope="col">{t['property']}</th></tr></thead>
<tbody>{links}</tbody></table></section>""")


def _shell(lang: str, title: str, body: str) -> str:
    return f"""<!doctype html><html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{html.escape(title)} – mfbt-kg</title>
<style>body{{font-family:system-ui,sans-serif;margin:1rem;max-width:60rem}}table{{border-collapse:collapse;width:100%}}
th,td{{border-bottom:1px solid #ccc;padding:.3rem;text-align:left;vertical-align:top}}</style></head>
<body><header><p><a href="/sparql">mfbt-kg</a></p></header><main><h1>{html.escape(title)}</h1>{body}</main></body></html>"""


def _not_found(request: Request, lang: str) -> Response:
    t = TEXT[lang]
    if "text/html" in request.headers.get("accept", ""):
        return HTMLResponse(_shell(lang, "404", f"<p>{t['missing']}</p><p><a href=\"/sparql\">{t['home']}</a></p>"),
                            status_code=404)
    return Response("no resource has this address\n", status_code=404, media_type="text/plain")
