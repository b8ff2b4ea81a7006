"""The figures page: ``/tall`` (English ``/figures``), charts drawn on the server as SVG with their numbers.

Beds per region (the offers' figures summed beside the totals the sources state), beds per offer, one
offer's counts over time (``?offer=``, UNN Åsgård by default: the offer with figures from 2017 to 2021),
the UNN 2017–2021 breakdowns (uncertain labels shown as uncertain) and KBT's method × guideline table
(unknown cells as unknown). What each chart shows is shaped by ``pages/charts.py``.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response

from mfbt_kg.api.deps import ServiceDep
from mfbt_kg.api.html import language, render, root_path
from mfbt_kg.api.pages import page_errors
from mfbt_kg.namespaces import ID
from mfbt_kg.pages import charts
from mfbt_kg.pages.factsheets import members
from mfbt_kg.pages.presentation import Presenter
from mfbt_kg.pages.texts import texts

router = APIRouter(tags=["pages"], dependencies=[Depends(page_errors)])
PATHS = {"nb": "/tall", "en": "/figures"}


@router.api_route("/tall", methods=["GET", "HEAD"], summary="Figures as charts (SVG) with their numbers")
@router.api_route("/figures", methods=["GET", "HEAD"], include_in_schema=False)
def figures(request: Request, service: ServiceDep) -> Response:
    lang = language(request)[0]
    site = service.site()
    present = Presenter(lang, site.labels, root_path(request))
    offers = members(site, present, "offer")
    asked = request.query_params.get("offer", "unn-asgard")
    slugs = {link.href.rsplit("/", 1)[-1] for link in offers}
    slug = asked if asked in slugs else "unn-asgard"
    return render(
        request,
        "figures.html",
        title=texts(lang)["ch_heading"],
        region_beds=charts.beds_per_region(site, present, service.catalogue),
        offer_beds=charts.beds_per_offer(site, present, service.catalogue),
        timeline=charts.over_time(site, present, f"{ID}offer/{slug}"),
        breakdowns=charts.breakdowns(site, present),
        matrix=charts.guideline_matrix(site, present),
        offers=[{"slug": link.href.rsplit("/", 1)[-1], "label": link.label, "lang": link.lang} for link in offers],
        chosen=slug,
        action=root_path(request) + PATHS[lang],
        short=charts.short,
    )
