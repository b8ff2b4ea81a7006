"""Pages and linked data: ``/``, ``/id/{kind}/{slug}``, ``/id/{kind}``, ``/ontology``, ``/dataset``, ``/dump``.

HTML for people (Norwegian by default, English by ``?lang=en``, remembered in a cookie),
Turtle, JSON-LD, N-Triples or RDF/XML for machines (by ``Accept`` or by extension). Thin
on purpose: it picks language and format, checks the IRI against the slug rule before
any query, and leaves the page to ``pages/`` (``build_page``: what the store says and
what a page of that kind adds) and the templates. Links point at this host; RDF bodies
keep the canonical w3id IRIs. ``/dataset`` and ``/dump`` describe and hand out the data
being served (the snapshot's publication), not the files on disk.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import HTMLResponse, PlainTextResponse

from mfbt_kg.api import caching, errors
from mfbt_kg.api.deps import PublicationDep, ServiceDep, SiteDep
from mfbt_kg.api.html import STARTED, STATIC, language, remember_language, render, root_path
from mfbt_kg.namespaces import DATASET_IRI, KINDS, ONTOLOGY_IRI
from mfbt_kg.pages import factsheets
from mfbt_kg.pages.dataset_view import dataset_view
from mfbt_kg.pages.factsheets import Site
from mfbt_kg.pages.linked_data import (
    describe,
    ontology_graph,
    resource_iri,
    serialize,
    split_name,
)
from mfbt_kg.pages.page import build_page
from mfbt_kg.pages.presentation import Presenter
from mfbt_kg.pages.texts import texts
from mfbt_kg.sparql.answers import Outcome
from mfbt_kg.sparql.media import GRAPH, PAGE, NotAcceptable, for_extension, named, negotiate

# The RDF formats a page offers as alternates, in the order it lists them (names, types, extensions: sparql/media.py).
PAGE_RDF = ("turtle", "json-ld", "nt", "rdfxml")
OFFERED = ", ".join(["text/html"] + [named(fmt).media_type for fmt in PAGE_RDF])
PAGE_VARY = "Accept, Cookie"


async def page_errors(request: Request) -> None:
    """This router's errors answer as plain text in the reader's language. (Async: a plain ``def``
    dependency would cost every page request a worker thread of its own.)"""
    request.state.errors = errors.PAGE


router = APIRouter(tags=["pages"], dependencies=[Depends(page_errors)])
GET = ["GET", "HEAD"]


@router.api_route("/", methods=GET, summary="Home page: regions and offers")
def home(request: Request, site: SiteDep) -> Response:
    return html_only(
        request,
        site,
        "home.html",
        lambda present: {"title": texts(present.lang)["site_title"], **factsheets.home(site, present)},
    )


@router.api_route("/id/{kind}/{name}", methods=GET, summary="A resource: HTML or RDF by Accept or extension")
def resource(request: Request, kind: str, name: str, site: SiteDep, service: ServiceDep) -> Response:
    slug, ext = split_name(name)
    iri = resource_iri(kind, slug)
    fmt = choose_format(request, ext)
    if iri is None or fmt is None:
        return not_found(request, site, kind, slug, fmt)
    variant, vary = (html_variant(request), PAGE_VARY) if fmt == "html" else (fmt, "Accept")
    if (fresh := unchanged(request, site, variant, vary)) is not None:
        return fresh
    base = f"{root_path(request)}/id/{kind}/{slug}"
    if fmt != "html":
        triples = describe(site.store, site.queries, iri)
        if not triples:
            return not_found(request, site, kind, slug, fmt)
        return rdf_response(serialize(triples, fmt), fmt, base, validators(request, site, variant, vary))
    headers = validators(request, site, variant, vary)
    # A page is the same for the same data version, address, language and mount point (what its ETag
    # says): kept in the service's page cache, so a page read again costs no queries and no rendering
    # (about 30 ms of CPU holding the GIL for an offer page). Only over the embedded store, whose
    # version follows every change of the data.
    key = ("resource-page", request.url.path, language(request)[0], root_path(request))
    version = site.store.version if service.remote is None else ""
    if (kept := service.pages.get(version, key)) is not None:
        return remember_language(request, HTMLResponse(kept.body, headers={"Vary": PAGE_VARY, **headers}))
    page = build_page(site, presenter(request, site), kind, iri)
    if page is None:
        return not_found(request, site, kind, slug, fmt)
    response = show(
        request,
        site,
        page.template,
        headers=headers,
        title=page.title,
        alternates=alternates(base),
        **page.context,
    )
    service.pages.put(version, key, Outcome(ok=True, body=bytes(response.body)))
    return response


@router.api_route("/id/{kind}", methods=GET, summary="Every resource of a kind")
def kind_index(request: Request, kind: str, site: SiteDep) -> Response:
    if kind not in KINDS:
        return not_found(request, site, kind, "", "html")
    return html_only(
        request,
        site,
        "kind.html",
        lambda present: {
            "title": site.kind_name(kind, present.lang),
            "kind": kind,
            "members": factsheets.members(site, present, kind),
        },
    )


@router.api_route("/ontology", methods=GET, summary="The vocabulary: HTML or RDF")
def ontology(request: Request, site: SiteDep) -> Response:
    return _ontology(request, site, None)


@router.api_route("/ontology.{ext}", methods=GET, include_in_schema=False)
def ontology_file(request: Request, ext: str, site: SiteDep) -> Response:
    return _ontology(request, site, ext)


def _ontology(request: Request, site: Site, ext: str | None) -> Response:
    fmt = choose_format(request, ext)
    if fmt is None:
        return not_found(request, site, "", "", None)
    variant, vary = (html_variant(request), PAGE_VARY) if fmt == "html" else ("ontology-" + fmt, "Accept")
    if (fresh := unchanged(request, site, variant, vary)) is not None:
        return fresh
    headers = validators(request, site, variant, vary)
    base = f"{root_path(request)}/ontology"
    if fmt != "html":
        return rdf_response(serialize(ontology_graph(site.store, site.queries), fmt), fmt, base, headers)
    data = factsheets.ontology(site, presenter(request, site))
    data["heading"] = data.pop("title")
    title = data["heading"].text if data["heading"] else "mfbt"
    return show(
        request,
        site,
        "ontology.html",
        headers=headers,
        title=title,
        iri=ONTOLOGY_IRI,
        alternates=alternates(base),
        **data,
    )


@router.api_route("/dataset", methods=GET, summary="DCAT-AP-NO + VoID description of the data being served")
def dataset(request: Request, site: SiteDep, service: ServiceDep) -> Response:
    return _dataset(request, site, service, None)


@router.api_route("/dataset.{ext}", methods=GET, include_in_schema=False)
def dataset_file(request: Request, ext: str, site: SiteDep, service: ServiceDep) -> Response:
    return _dataset(request, site, service, ext)


def _dataset(request: Request, site: Site, service: ServiceDep, ext: str | None) -> Response:
    fmt = choose_format(request, ext)
    if fmt is None:
        return not_found(request, site, "", "", None)
    variant, vary = (html_variant(request), PAGE_VARY) if fmt == "html" else ("dataset-" + fmt, "Accept")
    if (fresh := unchanged(request, site, variant, vary)) is not None:
        return fresh
    published = service.publication()  # computed once per data version, on first use
    headers = validators(request, site, variant, vary)
    base = f"{root_path(request)}/dataset"
    if fmt != "html":
        return rdf_response(published.description_in(fmt), fmt, base, headers)
    readable = dataset_view(published.description_in("nt"), site.queries, presenter(request, site))
    return show(
        request,
        site,
        "dataset.html",
        headers=headers,
        title=texts(language(request)[0])["dataset_heading"],
        iri=DATASET_IRI,
        turtle=published.description_in("turtle").decode("utf-8"),
        alternates=alternates(base),
        **readable,
    )


@router.api_route("/dump/{path:path}", methods=GET, summary="A file of the dataset, as /dataset lists it")
def dump(path: str, published: PublicationDep) -> Response:
    """The files the description's download URLs name (when they point at this service)."""
    part = published.files.get(path)
    if part is None:
        return PlainTextResponse(f"no file {path!r} in the dataset; /dataset lists them\n", status_code=404)
    return Response(
        part.data,
        media_type=part.media_type,
        headers={"Content-Disposition": f'attachment; filename="{path.rsplit("/", 1)[-1]}"'},
    )


@router.api_route("/static/{name}", methods=GET, include_in_schema=False)
def static(name: str) -> Response:
    body = STATIC.get(name)
    if body is None:
        return PlainTextResponse("not found\n", status_code=404)
    return Response(body, media_type="text/css; charset=utf-8", headers={"Cache-Control": "public, max-age=3600"})


# --- the pieces -----------------------------------------------------------------------------


def show(request: Request, site: Site, template: str, **context: Any) -> Response:
    """A page of the site: ``render`` with the names of the kinds as the data gives them."""
    return render(request, template, kind_name=site.kind_name, **context)


def html_only(request: Request, site: Site, template: str, fill: Callable[[Presenter], dict[str, Any]]) -> Response:
    """A page without an RDF form: 304 when the reader's copy is current, else ``template`` with what ``fill``
    makes for the reader's language (its title among it), made only then."""
    variant = html_variant(request)
    if (fresh := unchanged(request, site, variant)) is not None:
        return fresh
    headers = validators(request, site, variant, PAGE_VARY)
    return show(request, site, template, headers=headers, **fill(presenter(request, site)))


def presenter(request: Request, site: Site) -> Presenter:
    return Presenter(language(request)[0], site.labels, root_path(request))


def choose_format(request: Request, ext: str | None) -> str | None:
    """The extension decides when there is one (None for an unknown one); else the Accept header (406)."""
    if ext is not None:
        found = for_extension(ext, GRAPH, PAGE)
        return found.name if found else None
    try:
        return negotiate(request.headers.get("accept"), "DESCRIBE", allow_html=True)
    except NotAcceptable:
        raise errors.Failed(406, OFFERED) from None


def html_variant(request: Request) -> str:
    """A page differs by data version (in the ETag), templates (a restart) and language."""
    return f"{STARTED}-html-{language(request)[0]}"


def unchanged(request: Request, site: Site, variant: str, vary: str = PAGE_VARY) -> Response | None:
    """304 when the reader's copy is current; never when ``?lang=`` chooses a language (that sets a cookie)."""
    if language(request)[1] or not caching.not_modified(request, site.store.version, None, variant):
        return None
    return caching.not_modified_response(site.store.version, None, variant, vary)


def validators(request: Request, site: Site, variant: str, vary: str) -> dict[str, str]:
    if language(request)[1]:
        return {"Vary": vary, "Cache-Control": "no-cache"}
    return caching.headers(site.store.version, None, variant, vary)


def not_found(request: Request, site: Site, kind: str, slug: str, fmt: str | None) -> Response:
    """A page that says what was asked, what an address looks like, and what is close by."""
    wants_html = fmt == "html" or (fmt is None and "text/html" in request.headers.get("accept", ""))
    if not wants_html:
        return PlainTextResponse(
            f"no resource has the address {request.url.path}\nsee / for what the graph holds\n", status_code=404
        )
    present = presenter(request, site)
    return show(
        request,
        site,
        "not_found.html",
        status=404,
        title=texts(present.lang)["not_found_title"],
        path=request.url.path,
        kinds=KINDS,
        known_kind=kind in KINDS,
        suggestions=factsheets.suggestions(site, present, kind, slug) if slug else [],
    )


def alternates(base: str) -> list[dict[str, str]]:
    return [{"media": f.media_type, "href": f"{base}.{f.extension}", "name": f.display} for f in map(named, PAGE_RDF)]


def rdf_response(body: bytes, fmt: str, base: str, headers: dict[str, str]) -> Response:
    found = named(fmt)
    return Response(
        body, media_type=found.content_type, headers={**headers, "Content-Location": f"{base}.{found.extension}"}
    )
