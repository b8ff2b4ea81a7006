"""The finder (``/finn``, English ``/find``) and the comparison (``/sammenlign``, ``/compare``): plain GET forms
that work without JavaScript. Thin: it reads the form, leaves the matching to ``queries/pages/finder.rq`` (values
bound as RDF terms, through ``pages/summary.py``) and the showing to ``finder.html`` / ``compare.html``."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response

from mfbt_kg.api.deps import SiteDep
from mfbt_kg.api.pages import GET, PAGE_VARY, page_errors, presenter, show
from mfbt_kg.pages import summary
from mfbt_kg.pages.finder_texts import finder_texts

router = APIRouter(tags=["pages"], dependencies=[Depends(page_errors)])
NO_STORE = {"Vary": PAGE_VARY, "Cache-Control": "no-cache"}


@router.api_route("/finn", methods=GET, summary="Find an offer: free text and filters (Norwegian path)")
@router.api_route("/find", methods=GET, summary="Find an offer: free text and filters")
def find(request: Request, site: SiteDep) -> Response:
    present = presenter(request, site)
    form = summary.parse_form(request.query_params)
    f = finder_texts(present.lang)
    compare_path = "/sammenlign" if request.url.path.endswith("/finn") else "/compare"
    return show(
        request,
        site,
        "finder.html",
        headers=NO_STORE,
        title=f["find_title"],
        f=f,
        form=form,
        path=request.url.path[len(present.root_path) :],
        compare_path=compare_path,
        options=summary.options(site, present),
        results=summary.find(site, present, form),
    )


@router.api_route("/sammenlign", methods=GET, summary="Compare 2–4 offers side by side (Norwegian path)")
@router.api_route("/compare", methods=GET, summary="Compare 2–4 offers side by side")
def compare(request: Request, site: SiteDep) -> Response:
    present = presenter(request, site)
    f = finder_texts(present.lang)
    slugs = request.query_params.getlist("offer")
    offers = summary.compare(site, present, slugs)
    chosen = [o["slug"] for o in offers]
    choices = [{"slug": link.href.rsplit("/", 1)[-1], "link": link} for link in summary.all_offers(site, present)]
    regions = summary.regions(site, present, offers) if len(offers) >= 2 else []
    return show(
        request,
        site,
        "compare.html",
        headers=NO_STORE,
        title=f["compare_title"],
        f=f,
        offers=offers,
        regions=regions,
        chosen=chosen,
        choices=choices,
        path=request.url.path[len(present.root_path) :],
    )
