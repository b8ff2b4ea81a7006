"""The offer in brief, the finder and the comparison: what a GP or a patient reads first.

``offer_summary`` is an offer's first screen (who it is for, who is excluded, how to be
referred, compulsory care, programme, tapering, features, beds and places, start, and the
date the facts hold for), from ``queries/pages/offer-summary.rq``; every row that is not the
source's own statement about the offer carries its basis (a region's or all offers'
statement is shown as applied from the group). ``find`` runs ``finder.rq`` with the form's
values bound as RDF terms; ``compare`` puts 2–4 summaries side by side with their methods.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

import pyoxigraph as ox

from mfbt_kg.namespaces import ID, XSD
from mfbt_kg.pages.factsheets import Site, _basis, _group, _iri, _links, _offer_methods, _truthy
from mfbt_kg.pages.presentation import Link, Presenter

PARTS = ("target", "exclusion", "policy", "referral", "programme", "tapering", "feature", "capacity", "start")
XSD_DATE = ox.NamedNode(str(XSD.date))
# The finder's filters: the form field, the kind of resource it takes (its IRI is ID + kind + "/" + slug).
RESOURCE_FILTERS = {
    "region": "region",
    "area": "area",
    "group": "diagnosis-group",
    "priority": "concept",
    "exclude": "exclusion-criterion",
    "policy": "concept",
    "policy_not": "concept",
    "referrer": "referrer",
    "care_level": "concept",
    "feature": "concept",
}
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,80}$")
# The words every offer's name starts with: short link texts leave them out where the list is of offers only.
COMMON_START = re.compile(r"^(Medikamentfritt behandlingstilbud|Medication-free treatment offer), ")
MAX_WORDS = 4
MAX_COMPARED = 4


def offer_summary(site: Site, present: Presenter, iri: str) -> dict[str, Any]:
    parts: dict[str, list[dict[str, Any]]] = {part: [] for part in PARTS}
    newest: ox.Literal | None = None
    for statement, rows in _group(site.about("offer-summary", iri), "statement").items():
        row = rows[0]
        part = row["part"].value
        status = row["status_date"]
        if status is not None and (newest is None or status.value > newest.value):
            newest = status
        value, qualifier, via, where = (_iri(row[k]) for k in ("value", "qualifier", "via", "from"))
        parts[part].append(
            {
                "statement": present.link(statement),
                "value": present.link(value) if value else None,
                "qualifier": present.link(qualifier) if qualifier else None,
                "allowed": _truthy(row["qualifier"]) if isinstance(row["qualifier"], ox.Literal) else None,
                "via": present.link(via) if via else None,
                "condition": present.literal(row["condition"]) if row["condition"] else None,
                "text": present.literal(row["text"]) if row["text"] else None,
                "number": present.literal(row["number"], _truthy(row["approximate"])) if row["number"] else None,
                "wording": present.literal(row["value_text"]) if row["value_text"] else None,
                "when_text": present.literal(row["when_text"]) if row["when_text"] else None,
                "as_of": present.literal(status) if status is not None else None,
                "from": present.link(where) if where else None,
                "basis": _basis(present, statement, rows),
                "sources": _links(present, rows, "source"),
            }
        )
    link = present.link(iri)
    short = Link(link.href, COMMON_START.sub("", link.label), link.lang, link.external)
    parts = {part: _merged(items) for part, items in parts.items()}
    return {"offer": link, "short": short, "parts": parts, "as_of": present.literal(newest) if newest else None}


def _merged(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Statements that say the same (same value, qualifier, route, condition, number, group) as one line with
    every date it is stated for, each with its own basis marker: a summary read in seconds, nothing dropped."""
    out: dict[tuple[Any, ...], dict[str, Any]] = {}
    for item in items:
        said: tuple[Any, ...] = (
            item["value"],
            item["qualifier"],
            item["allowed"],
            item["via"],
            item["condition"],
            item["from"],
            item["number"],
            item["when_text"],
            None if item["value"] or item["number"] else item["text"],
        )
        key = tuple((v.href if hasattr(v, "href") else getattr(v, "text", v)) for v in said)
        merged = out.setdefault(key, {**item, "stated": []})
        # each statement keeps its own date and its own basis marker: a reading is marked where it was made
        if item["basis"] is None and any(d["as_of"] == item["as_of"] and d["basis"] is None for d in merged["stated"]):
            continue  # the same thing stated twice for the same date (two passages): one date shown
        merged["stated"].append({"as_of": item["as_of"], "basis": item["basis"], "statement": item["statement"]})
    return list(out.values())


def parse_form(params: Mapping[str, str]) -> dict[str, Any]:
    """The finder's form as given: text, each filter's slug (unknown shapes dropped), date, checkboxes."""
    form: dict[str, Any] = {"q": params.get("q", "")[:200].strip()}
    for field in RESOURCE_FILTERS:
        value = params.get(field, "").strip()
        form[field] = value if SLUG.match(value) else ""
    asked = params.get("date", "").strip()
    try:
        form["date"] = date.fromisoformat(asked).isoformat() if asked else ""
    except ValueError:
        form["date"] = ""
    form["tapering"] = params.get("tapering") == "true"
    return form


def find(site: Site, present: Presenter, form: dict[str, Any]) -> list[dict[str, Any]]:
    """The offers the form finds, ranked, each with its summary."""
    bindings: dict[str, Any] = {}
    for n, word in enumerate(form["q"].split()[:MAX_WORDS], start=1):
        bindings[f"q{n}"] = ox.Literal(word)
    for field, kind in RESOURCE_FILTERS.items():
        if form[field]:
            bindings[field] = ox.NamedNode(f"{ID}{kind}/{form[field]}")
    if form["date"]:
        bindings["date"] = ox.Literal(form["date"], datatype=XSD_DATE)
    if form["tapering"]:
        bindings["tapering"] = ox.Literal("true")
    rows = site.rows("finder", **bindings)
    return [{"rank": int(row["rank"].value), **offer_summary(site, present, row["offer"].value)} for row in rows]


def options(site: Site, present: Presenter) -> dict[str, list[dict[str, Any]]]:
    """Each filter's choices: slug and label, by label."""
    found: dict[str, list[dict[str, Any]]] = {}
    for row in site.rows("finder-options"):
        iri = row["option"].value
        found.setdefault(row["field"].value, []).append({"slug": iri.rsplit("/", 1)[-1], "link": present.link(iri)})
    for field in found.values():
        field.sort(key=lambda o: o["link"].label.lower())
    found["policy_not"] = found.get("policy", [])
    return found


def compare(site: Site, present: Presenter, slugs: list[str]) -> list[dict[str, Any]]:
    """2–4 offers side by side: each summary with its methods by category (and the guidelines naming each)."""
    known = {
        row["s"].value.rsplit("/", 1)[-1]: row["s"].value
        for row in site.rows("kind-members", prefix=ox.Literal(f"{ID}offer/"))
    }
    chosen = [known[s] for s in dict.fromkeys(slugs) if s in known][:MAX_COMPARED]
    out = []
    for iri in chosen:
        methods = _offer_methods(site, present, iri)
        columns = methods["columns"]
        categories = [
            {
                "category": m["category"],
                "methods": m["methods"],
                "bases": m["bases"],
                "named_by": [columns[i]["link"] for i, state in enumerate(m["cells"]) if state == "named"],
                "in_table": m["in_table"],
            }
            for m in methods["rows"]
        ]
        out.append({**offer_summary(site, present, iri), "slug": iri.rsplit("/", 1)[-1], "categories": categories})
    return out


def all_offers(site: Site, present: Presenter) -> list[Any]:
    """Every offer by its short name (the comparison's choices)."""
    rows = site.rows("kind-members", prefix=ox.Literal(f"{ID}offer/"))
    links = [Link(li.href, COMMON_START.sub("", li.label), li.lang, li.external) for li in _links(present, rows, "s")]
    return sorted(links, key=lambda li: li.label.lower())


def regions(site: Site, present: Presenter, offers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per region of the compared offers (queries/pages/region-summary.rq): offers recorded, units
    required, stated bed totals beside the sum of their parts, the protocol's dates, KBT's assessments (who
    gives each verdict: KBT, KBT about a group applied by the curator, or the curator's reading)."""
    wanted = {_offer_iri(o) for o in offers}
    chosen = list(
        dict.fromkeys(
            row["region"].value
            for row in site.rows("home-regions")
            if row["offer"] is not None and row["offer"].value in wanted
        )
    )
    out = []
    for region in chosen:
        parts: dict[str, list[dict[str, Any]]] = {"required": [], "beds": [], "protocol": [], "assessment": []}
        for node, rows in _group(site.about("region-summary", region), "node").items():
            parts.setdefault(rows[0]["part"].value, []).extend(_region_items(present, node, rows))
        offers_row = [r for r in site.about("region-summary", region) if r["part"].value == "offers"]
        count = int(offers_row[0]["number"].value) if offers_row else 0
        out.append({"region": present.link(region), "offers": count, **parts})
    return out


def _region_items(present: Presenter, node: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    items = []
    for value_rows in _group(rows, "value").values() if rows[0]["value"] is not None else [rows]:
        row = value_rows[0]
        basis = _basis(
            present, _iri(row["value"]) if row["part"].value == "protocol" and row["value"] else node, value_rows
        )
        verdict = _iri(row["verdict"])
        by = (
            ""
            if verdict is None
            else "kbt"
            if basis is None
            else ("group" if basis["key"] == "basis-group-applied" else "curator")
        )
        items.append(
            {
                "node": present.link(node),
                "value": (
                    present.link(_iri(row["value"]) or "")
                    if _iri(row["value"]) and row["part"].value != "protocol"
                    else None
                ),
                "number": present.literal(row["number"], _truthy(row["approximate"])) if row["number"] else None,
                "sum": present.literal(row["sum"]) if row["sum"] else None,
                "wording": present.literal(row["value_text"]) if row["value_text"] else None,
                "verdict": present.link(verdict) if verdict else None,
                "by": by,
                "basis": basis,
            }
        )
    return items


def _offer_iri(summary: dict[str, Any]) -> str:
    return f"{ID}offer/{summary['slug']}"
