"""Pages and linked data: ``/``, ``/id/{kind}/{slug}``, ``/id/{kind}``, ``/ontology``, ``/dataset``, ``/dump``.

HTML for people (Norwegian by default, English by ``?lang=en``, remembered in a cookie),
Turtle, JSON-LD, N-Triples or RDF/XML for machines (by ``Accept`` or by extension). Thin
on purpose: it picks language and format, checks the IRI against the slug rule before
any query, and leaves the rest to ``linked_data`` (what the store says), ``factsheets``
(what a page adds) and the templates. Links point at this host; RDF bodies keep the
canonical w3id IRIs.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, PlainTextResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from rdflib.namespace import DCTERMS

from mfbt_kg.pages import factsheets
from mfbt_kg.graph.files import project_root
from mfbt_kg.publish.dcat import ExportSettings
from mfbt_kg.publish.parts import FilePart
from mfbt_kg.publish.bundle import description_bytes, publication, sorted_triples
from mfbt_kg.pages.factsheets import Site
from mfbt_kg.pages.linked_data import (EXTENSIONS, RDF_FORMATS, LabelIndex, PageQueries, describe, ontology_graph, resource_iri,
                           serialize, split_name)
from mfbt_kg.sparql.media import NotAcceptable, negotiate
from mfbt_kg.namespaces import DATASET_IRI, KINDS, MFBT, ONTOLOGY_IRI
from mfbt_kg.pages.presentation import Presenter, resource_view
from mfbt_kg.sparql.store import Store
from mfbt_kg.pages.texts import DEFAULT_LANGUAGE, LANGUAGES, kind_name, texts

HERE = Path(__file__).parent
LANG_COOKIE = "lang"
COOKIE_AGE = 365 * 24 * 3600
STARTED = format(time.time_ns(), "x")  # in ETags: a restart with new templates is a new page

# The kinds with pages of their own; every other kind gets the generic resource page.
PAGE_KINDS = {"region": "region", "offer": "offer", "method": "method", "method-category": "method", "guideline": "guideline",
              "source": "source", "document": "source"}
BUILDERS = {"region": factsheets.region, "offer": factsheets.offer, "method": factsheets.method, "guideline": factsheets.guideline,
            "source": factsheets.source}
# What an offer's factsheet shows first, in this order (the rest stays in the properties table).
OFFER_FACTS = tuple(str(MFBT[name]) for name in ("region", "providedBy", "atUnit", "organisationForm", "careLevel",
                                                 "catchmentArea", "start", "projectDuration"))
FORMAT_NAMES = {"turtle": "Turtle", "json-ld": "JSON-LD", "nt": "N-Triples", "rdfxml": "RDF/XML"}


def pages_router(store: Store | None = None, settings: Any = None,
                 export_settings: ExportSettings | None = None) -> APIRouter:
    """The router. ``store``: the store to read (default: the service's, ``app.state.service.store``,
    which exists only once the app has started); ``settings``: the app's Settings (for ``root``);
    ``export_settings``: publication facts for ``/dataset`` (default: the ``MFBT_KG_*`` environment)."""
    pages = Pages(store, project_root(getattr(settings, "root", None)), export_settings)
    router = APIRouter(tags=["pages"])
    methods = ["GET", "HEAD"]

    @router.api_route("/", methods=methods, response_class=HTMLResponse, summary="Home page: regions and offers")
    async def home(request: Request) -> Response:
        return await asyncio.to_thread(pages.home, request)

    @router.api_route("/id/{kind}/{name}", methods=methods, summary="A resource: HTML or RDF by Accept or extension")
    async def resource(request: Request, kind: str, name: str) -> Response:
        return await asyncio.to_thread(pages.resource, request, kind, name)

    @router.api_route("/id/{kind}", methods=methods, response_class=HTMLResponse, summary="Every resource of a kind")
    async def kind_index(request: Request, kind: str) -> Response:
        return await asyncio.to_thread(pages.kind_index, request, kind)

    @router.api_route("/ontology", methods=methods, summary="The vocabulary: HTML or RDF")
    async def ontology(request: Request) -> Response:
        return await asyncio.to_thread(pages.ontology, request, None)

    @router.api_route("/ontology.{ext}", methods=methods, include_in_schema=False)
    async def ontology_file(request: Request, ext: str) -> Response:
        return await asyncio.to_thread(pages.ontology, request, ext)

    @router.api_route("/dataset", methods=methods, summary="DCAT-AP-NO + VoID description of the dataset")
    async def dataset(request: Request) -> Response:
        return await asyncio.to_thread(pages.dataset, request, None)

    @router.api_route("/dataset.{ext}", methods=methods, include_in_schema=False)
    async def dataset_file(request: Request, ext: str) -> Response:
        return await asyncio.to_thread(pages.dataset, request, ext)

    @router.api_route("/dump/{path:path}", methods=methods, summary="A file of the dataset, as /dataset lists it")
    async def dump(request: Request, path: str) -> Response:
        return await asyncio.to_thread(pages.dump, request, path)

    @router.api_route("/static/{name}", methods=methods, include_in_schema=False)
    async def static(name: str) -> Response:
        body = pages.static.get(name)
        if body is None:
            return PlainTextResponse("not found\n", status_code=404)
        return Response(body, media_type="text/css; charset=utf-8", headers={"Cache-Control": "public, max-age=3600"})

    return router


class Pages:
    """The router's state: page queries, templates, the label index, the cached dataset description."""

    def __init__(self, store: Store | None, root: Path, export_settings: ExportSettings | None) -> None:
        self.fixed_store = store
        self.root = root
        self.export_settings = export_settings
        self.queries = PageQueries(root)
        self.env = Environment(loader=FileSystemLoader(HERE / "templates"), undefined=StrictUndefined,
                               autoescape=select_autoescape(default=True, default_for_string=True),
                               trim_blocks=True, lstrip_blocks=True)
        self.env.globals["kind_name"] = kind_name
        self.env.filters["upfirst"] = lambda text: text[:1].upper() + text[1:]
        self.static = {p.name: p.read_bytes() for p in (HERE / "static").glob("*.css")}
        self._site: Site | None = None
        self._lock = threading.Lock()
        self._description: dict[str, bytes] = {}
        self._files: dict[str, FilePart] = {}
        self._description_version: str | None = None

    def site(self, request: Request) -> Site:
        """The store to read: the one given, or the running service's (created when the app starts)."""
        store = self.fixed_store if self.fixed_store is not None else request.app.state.service.store
        site = self._site
        if site is None or site.store is not store:
            site = self._site = Site(store, self.queries, LabelIndex(store, self.queries))
        return site

    # --- pages ---------------------------------------------------------------------------

    def home(self, request: Request) -> Response:
        lang, chosen = language(request)
        site = self.site(request)
        present = Presenter(lang, site.labels, root_path(request))
        return self.html(request, lang, chosen, "home.html", title=texts(lang)["site_title"],
                         **factsheets.home(site, present))

    def resource(self, request: Request, kind: str, name: str) -> Response:
        slug, ext = split_name(name)
        lang, chosen = language(request)
        iri = resource_iri(kind, slug)
        try:
            fmt = choose_format(request, ext)
        except NotAcceptable:
            return not_acceptable(lang)
        if iri is None or fmt is None:
            return self.not_found(request, lang, chosen, kind, slug, fmt)
        site = self.site(request)
        etag = f'W/"{site.store.version}-{STARTED}-{fmt}-{lang}"'
        if not chosen and etag in request.headers.get("if-none-match", ""):
            return Response(status_code=304, headers={"ETag": etag, "Vary": "Accept, Cookie"})
        triples = describe(site.store, site.queries, iri)
        if not triples:
            return self.not_found(request, lang, chosen, kind, slug, fmt)
        base = f"{root_path(request)}/id/{kind}/{slug}"
        if fmt != "html":
            return rdf_response(serialize(triples, fmt), fmt, base, etag)
        present = Presenter(lang, site.labels, root_path(request))
        present.load_dates(site.about("datespecs", iri))
        view = resource_view(iri, triples, site.about("sources", iri), present)
        page = PAGE_KINDS.get(kind, "resource")
        extra: dict[str, Any] = BUILDERS[page](site, present, iri) if page in BUILDERS else {}
        if page == "offer":
            extra["facts"] = sorted((p for p in view.properties if p.iri in OFFER_FACTS),
                                    key=lambda p: OFFER_FACTS.index(p.iri))
            view.properties = [p for p in view.properties if p.iri not in OFFER_FACTS]
        if page == "source":
            view.backlinks = [b for b in view.backlinks if b.iri != str(DCTERMS.source)]
        response = self.html(request, lang, chosen, f"{page}.html", title=view.title.text, view=view, kind=kind,
                             alternates=alternates(base), **extra)
        response.headers["ETag"] = etag
        return response

    def kind_index(self, request: Request, kind: str) -> Response:
        lang, chosen = language(request)
        if kind not in KINDS:
            return self.not_found(request, lang, chosen, kind, "", "html")
        site = self.site(request)
        present = Presenter(lang, site.labels, root_path(request))
        return self.html(request, lang, chosen, "kind.html", title=kind_name(kind, lang), kind=kind,
                         members=factsheets.members(site, present, kind))

    def ontology(self, request: Request, ext: str | None) -> Response:
        lang, chosen = language(request)
        try:
            fmt = choose_format(request, ext)
        except NotAcceptable:
            return not_acceptable(lang)
        if fmt is None:
            return self.not_found(request, lang, chosen, "", "", None)
        site = self.site(request)
        base = f"{root_path(request)}/ontology"
        if fmt != "html":
            return rdf_response(serialize(ontology_graph(site.store, site.queries), fmt), fmt, base, None)
        present = Presenter(lang, site.labels, root_path(request))
        data = factsheets.ontology(site, present)
        data["heading"] = data.pop("title")
        title = data["heading"].text if data["heading"] else "mfbt"
        return self.html(request, lang, chosen, "ontology.html", title=title, iri=ONTOLOGY_IRI,
                         alternates=alternates(base), **data)

    def dataset(self, request: Request, ext: str | None) -> Response:
        lang, chosen = language(request)
        try:
            fmt = choose_format(request, ext)
        except NotAcceptable:
            return not_acceptable(lang)
        if fmt is None:
            return self.not_found(request, lang, chosen, "", "", None)
        base = f"{root_path(request)}/dataset"
        version = self.site(request).store.version
        if fmt != "html":
            return rdf_response(self.description(fmt, version), fmt, base, None)
        return self.html(request, lang, chosen, "dataset.html", title=texts(lang)["dataset_heading"],
                         iri=DATASET_IRI, turtle=self.description("turtle", version).decode("utf-8"),
                         alternates=alternates(base))

    def dump(self, request: Request, path: str) -> Response:
        """The files the description's download URLs name (when they point at this service)."""
        part = self.published(self.site(request).store.version)[1].get(path)
        if part is None:
            return PlainTextResponse(f"no file {path!r} in the dataset; /dataset lists them\n", status_code=404)
        return Response(part.data, media_type=part.media_type,
                        headers={"Content-Disposition": f'attachment; filename="{path.rsplit("/", 1)[-1]}"'})

    def description(self, fmt: str, version: str) -> bytes:
        return self.published(version)[0][fmt]

    def published(self, version: str) -> tuple[dict[str, bytes], dict[str, FilePart]]:
        """DCAT + VoID in every format and the files they describe, computed once per data version
        (it renders the dumps to size them: seconds), so /dataset and /dump answer at once afterwards."""
        with self._lock:
            if self._description_version != version:
                settings = self.export_settings or ExportSettings.from_env(os.environ)
                published = publication(self.root, settings)
                description = published.description
                self._description = {"turtle": description_bytes(description)}
                triples = sorted_triples(description)
                for other in ("json-ld", "nt", "rdfxml"):
                    self._description[other] = serialize(triples, other)
                self._files = published.files
                self._description_version = version
            return self._description, self._files

    # --- responses -----------------------------------------------------------------------

    def not_found(self, request: Request, lang: str, chosen: bool, kind: str, slug: str, fmt: str | None) -> Response:
        """A page that says what was asked, what an address looks like, and what is close by."""
        wants_html = fmt == "html" or (fmt is None and "text/html" in request.headers.get("accept", ""))
        if not wants_html:
            return PlainTextResponse(f"no resource has the address {request.url.path}\nsee / for what the graph holds\n",
                                     status_code=404)
        site = self.site(request)
        present = Presenter(lang, site.labels, root_path(request))
        return self.html(request, lang, chosen, "not_found.html", status=404, title=texts(lang)["not_found_title"],
                         path=request.url.path, kinds=KINDS, known_kind=kind in KINDS,
                         suggestions=factsheets.suggestions(site, present, kind, slug) if slug else [])

    def html(self, request: Request, lang: str, chosen: bool, template: str, status: int = 200,
             **context: Any) -> HTMLResponse:
        other = "en" if lang == "nb" else "nb"
        context.setdefault("alternates", [])
        body = self.env.get_template(template).render(
            lang=lang, other_lang=other, t=texts(lang), root=root_path(request),
            switch_href=f"{request.url.path}?lang={other}", current=request.url.path, **context)
        response = HTMLResponse(body, status_code=status,
                                headers={"Vary": "Accept, Cookie", "Content-Language": lang})
        if chosen:
            response.set_cookie(LANG_COOKIE, lang, max_age=COOKIE_AGE, samesite="lax", httponly=True)
        return response


def language(request: Request) -> tuple[str, bool]:
    """(page language, whether the request chose it with ?lang=): the parameter, then the cookie, then Norwegian."""
    asked = request.query_params.get("lang")
    if asked in LANGUAGES:
        return asked, True
    remembered = request.cookies.get(LANG_COOKIE)
    return (remembered if remembered in LANGUAGES else DEFAULT_LANGUAGE), False


def choose_format(request: Request, ext: str | None) -> str | None:
    """The extension decides when there is one (None for an unknown one); else the Accept header."""
    if ext is not None:
        return EXTENSIONS.get(ext)
    return negotiate(request.headers.get("accept"), "DESCRIBE", allow_html=True)


def root_path(request: Request) -> str:
    """Where the app is mounted, so links work behind a proxy that serves it under a prefix."""
    return str(request.scope.get("root_path", "")).rstrip("/")


def alternates(base: str) -> list[dict[str, str]]:
    return [{"media": RDF_FORMATS[fmt][1].split(";")[0], "href": f"{base}.{RDF_FORMATS[fmt][2]}",
             "name": FORMAT_NAMES[fmt]} for fmt in ("turtle", "json-ld", "nt", "rdfxml")]


def rdf_response(body: bytes, fmt: str, base: str, etag: str | None) -> Response:
    _, media, ext = RDF_FORMATS[fmt]
    headers = {"Vary": "Accept", "Content-Location": f"{base}.{ext}"}
    if etag:
        headers["ETag"] = etag
    return Response(body, media_type=media, headers=headers)


def not_acceptable(lang: str) -> Response:
    offered = ", ".join(["text/html"] + [media.split(";")[0] for _, media, _ in RDF_FORMATS.values()])
    return PlainTextResponse(f"{texts(lang)['not_acceptable']}: {offered}\n", status_code=406)
