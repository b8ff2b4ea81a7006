"""One resource's page: which template shows it and everything that template is given.

The HTTP layer picks language and format and hands the rest here: ``build_page`` asks the
store what it says about the resource (``linked_data``), shapes it for people
(``presentation``) and adds what the resource's kind shows (``factsheets``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rdflib.namespace import DCTERMS

from mfbt_kg.namespaces import MFBT
from mfbt_kg.pages import factsheets
from mfbt_kg.pages.embedded import meta_description, schema_org
from mfbt_kg.pages.factsheets import Site
from mfbt_kg.pages.finder_texts import finder_texts
from mfbt_kg.pages.linked_data import describe
from mfbt_kg.pages.presentation import Presenter, resource_view
from mfbt_kg.pages.summary import offer_summary
from mfbt_kg.pages.texts import texts

# The kinds with pages of their own; every other kind gets the generic resource page.
PAGE_KINDS = {
    "region": "region",
    "offer": "offer",
    "method": "method",
    "method-category": "method",
    "guideline": "guideline",
    "source": "source",
    "document": "source",
}
BUILDERS: dict[str, Callable[[Site, Presenter, str], dict[str, Any]]] = {
    "region": factsheets.region,
    "offer": factsheets.offer,
    "method": factsheets.method,
    "guideline": factsheets.guideline,
    "source": factsheets.source,
}


@dataclass
class Page:
    template: str
    title: str
    context: dict[str, Any]


def build_page(site: Site, present: Presenter, kind: str, iri: str) -> Page | None:
    """The page of ``iri`` (of ``kind``); None when the graph says nothing about it."""
    triples = describe(site.store, site.queries, iri)
    if not triples:
        return None
    present.load_dates(site.about("datespecs", iri))
    view = resource_view(iri, triples, site.about("sources", iri), present)
    page = PAGE_KINDS.get(kind, "resource")
    extra: dict[str, Any] = BUILDERS[page](site, present, iri) if page in BUILDERS else {}
    if page == "offer":  # what the factsheet shows first (mfbt:factsheetOrder); the rest stays in the table
        first = site.factsheet_order
        extra["facts"] = sorted((p for p in view.properties if p.iri in first), key=lambda p: first[p.iri])
        # methods are listed once, by category in the methods section, not again among the properties
        view.properties = [p for p in view.properties if p.iri not in first and p.iri != str(MFBT.offersMethod)]
        extra["brief"] = offer_summary(site, present, iri)  # what a GP reads first (pages/summary.py)
        extra["f"] = finder_texts(present.lang)
    if page == "source":  # what cites a source is listed by the source section, not again as backlinks
        view.backlinks = [b for b in view.backlinks if b.iri != str(DCTERMS.source)]
    # the resource's own claim, when it is a reading: a marker under the title of every resource page
    extra["own_basis"] = factsheets.own_basis(site, present, iri)
    # for search engines: schema.org JSON-LD from the graph (inline context) and a meta description
    extra["jsonld"] = schema_org(site, iri, present.href(iri))
    extra["meta_description"] = meta_description(
        site, iri, present.lang, view.title.text, site.kind_name(kind, present.lang), texts(present.lang)["data_notice"]
    )
    return Page(f"{page}.html", view.title.text, {"view": view, "kind": kind, **extra})
