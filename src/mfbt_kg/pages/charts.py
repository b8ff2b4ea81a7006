"""Charts for the figures page (``/tall``, English ``/figures``): what the charts show, as plain data.

The template (``figures.html``, macros in ``charts_macros.html``) draws each chart as SVG on the server
(``role="img"``, a ``<title>`` and ``<desc>``, no script, no style from another host) with the numbers
as a table beside it. Every number comes from a query: the catalogue's questions
(``earmarked-beds-per-region``, ``figures-by-measure``) and the page queries ``offer-figures`` and
``chart-guideline-matrix``. A value whose label the source does not tie to it for certain
(``mfbt:labelCertain false``) is drawn as uncertain and says so; a value that is not the source's own
statement carries its basis marker; an approximate value keeps its «ca.»; an unknown cell of KBT's
table stays unknown.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

import pyoxigraph as ox

from mfbt_kg.namespaces import ID, XSD
from mfbt_kg.pages.factsheets import Site, _basis, _group, _iri, _truthy
from mfbt_kg.pages.presentation import Presenter
from mfbt_kg.pages.texts import texts
from mfbt_kg.sparql.catalogue import NamedQuery, bound_text

BEDS_AS_OF = "2018-01-02"  # the day KBT's capacity table (tabell-kapasitet) counts the beds on
UNN = f"{ID}offer/unn-asgard"
UNN_PERIOD = ("2017-01-01", "2021-10-31")  # the UNN 2021 deck's figures: «Jan 2017 – okt 2021»
COMMON_PREFIXES = ("Medikamentfritt behandlingstilbud, ", "Medication-free treatment offer, ")


def _number(term: Any) -> Decimal | None:
    if not isinstance(term, ox.Literal):
        return None
    try:
        return Decimal(term.value)
    except InvalidOperation:
        return None


def _value(term: Any) -> str | None:
    return term.value if term is not None else None


def short(label: str) -> str:
    """A chart's row label without the words every offer's name starts with (the table keeps the full name)."""
    for prefix in COMMON_PREFIXES:
        if label.startswith(prefix):
            return label[len(prefix) :]
    return label


def _shown(present: Presenter, value: Decimal, approximate: bool) -> str:
    text = format(value.normalize(), "f")
    if present.lang == "nb":
        text = text.replace(".", ",")
    return ("ca. " if present.lang == "nb" else "approx. ") + text if approximate else text


def _not_stated(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows whose basis is not the source's own statement (catalogue answers name basis-stated too)."""
    return [r for r in rows if _iri(r.get("basis")) not in (None, f"{ID}concept/basis-stated")]


def _catalogue_rows(site: Site, query: NamedQuery, values: dict[str, str]) -> list[dict[str, Any]]:
    return site.store.select(bound_text(query, values, site.store)).records()


# --- beds per region: the sum of the offers' figures beside the totals the sources state ---------


def beds_per_region(site: Site, present: Presenter, catalogue: dict[str, NamedQuery]) -> dict[str, Any]:
    rows = _catalogue_rows(site, catalogue["earmarked-beds-per-region"], {"date": BEDS_AS_OF})
    groups: list[dict[str, Any]] = []
    for scope, scope_rows in _group(rows, "scope").items():
        first = scope_rows[0]
        summed = _number(first["sum_of_offers"]) or Decimal(0)
        bars: list[dict[str, Any]] = [
            {
                "label": "sum",
                "value": summed,
                "text": _shown(present, summed, False),
                "kind": "summed",
                "uncertain": False,
                "basis": None,
            }
        ]
        for total, total_rows in _group(scope_rows, "total").items():
            stated = _number(total_rows[0]["stated"])
            if stated is None:
                continue
            wording = _value(total_rows[0]["stated_text"]) or ""
            approximate = wording.lower().startswith("ca.")
            bars.append(
                {
                    "label": "stated",
                    "value": stated,
                    "text": _shown(present, stated, approximate),
                    "kind": "stated",
                    "uncertain": False,
                    "wording": wording,
                    "href": present.href(total),
                    "basis": _basis(present, total, _not_stated(total_rows)),
                }
            )
        groups.append(
            {
                "link": present.link(scope),
                "label": present.link(scope).label,
                "offers": int(_number(first["offers"]) or 0),
                "bars": bars,
            }
        )
    return {
        "groups": groups,
        "max": max((b["value"] for g in groups for b in g["bars"]), default=Decimal(1)),
        "as_of": present.formatted(BEDS_AS_OF, str(XSD.date))[0],
    }


# --- beds per offer, on the day of KBT's capacity table ---------------------------------------


def beds_per_offer(site: Site, present: Presenter, catalogue: dict[str, NamedQuery]) -> dict[str, Any]:
    rows = _catalogue_rows(site, catalogue["figures-by-measure"], {"measure": "earmarked-beds"})
    bars: list[dict[str, Any]] = []
    for figure, figure_rows in _group(rows, "figure").items():
        row = figure_rows[0]
        about = _iri(row["about"]) or ""
        value = _number(row["value"])
        if not about.startswith(f"{ID}offer/") or _value(row["as_of"]) != BEDS_AS_OF or value is None:
            continue
        approximate = _truthy(row["approximate"])
        link = present.link(about)
        bars.append(
            {
                "label": short(link.label),
                "link": link,
                "value": value,
                "text": _shown(present, value, approximate),
                "wording": _value(row["value_text"]) or "",
                "href": present.href(figure),
                "kind": "stated",
                "uncertain": False,
                "basis": _basis(present, figure, _not_stated(figure_rows)),
            }
        )
    bars.sort(key=lambda b: (-b["value"], b["label"].lower()))
    return {
        "bars": bars,
        "max": max((b["value"] for b in bars), default=Decimal(1)),
        "as_of": present.formatted(BEDS_AS_OF, str(XSD.date))[0],
    }


# --- one offer's figures: breakdowns of a period, and counts over time --------------------------


def _offer_figures(site: Site, iri: str) -> dict[str, list[dict[str, Any]]]:
    return _group(site.about("offer-figures", iri), "figure")


def breakdowns(
    site: Site, present: Presenter, iri: str = UNN, period: tuple[str, str] = UNN_PERIOD
) -> list[dict[str, Any]]:
    """The figures of ``period`` that split a whole into parts (by diagnosis group, by number of admissions,
    by use of neuroleptics ...), one chart per measure; a part whose label the source does not tie to its
    value for certain is drawn dashed and labelled as uncertain."""
    charts: dict[str, dict[str, Any]] = {}
    for figure, rows in _offer_figures(site, iri).items():
        row = rows[0]
        value = _number(row["value"])
        if value is None or (_value(row["period_start"]), _value(row["period_end"])) != period:
            continue
        uncertain = row["label_certain"] is not None and not _truthy(row["label_certain"])
        if row["breakdown"] is None and not uncertain:
            continue
        measure = _iri(row["measure"]) or ""
        chart = charts.setdefault(measure, {"measure": present.link(measure), "bars": [], "uom": None})
        if row["uom"] is not None:
            chart["uom"] = present.link(_iri(row["uom"]) or "")
        part = present.link(_iri(row["breakdown"]) or "") if row["breakdown"] is not None else None
        words = texts(present.lang)
        label = (
            (f"{words['ch_uncertain_prefix']} {part.label}" if uncertain else part.label)
            if part
            else (words["ch_no_category"] if uncertain else "–")
        )
        chart["bars"].append(
            {
                "label": label,
                "link": part,
                "value": value,
                "uncertain": uncertain,
                "text": _value(row["value_text"]) or _shown(present, value, _truthy(row["approximate"])),
                "href": present.href(figure),
                "kind": "stated",
                "basis": _basis(present, figure, rows),
            }
        )
    out = [c for c in charts.values() if len(c["bars"]) >= 2]
    for chart in out:
        chart["bars"].sort(key=lambda b: -b["value"])
        chart["max"] = max(b["value"] for b in chart["bars"])
        chart["any_uncertain"] = any(b["uncertain"] for b in chart["bars"])
    return sorted(out, key=lambda c: c["measure"].label.lower())


def over_time(site: Site, present: Presenter, iri: str = UNN) -> dict[str, Any]:
    """Counts about the offer itself (capacity, patients, referrals, admissions) by the day or period they hold
    for, one row per measure: figures that are parts of a breakdown, percentages and uncertain ones are left to
    the breakdown charts, and its units' figures to the offer's page."""
    series: dict[str, dict[str, Any]] = {}
    for figure, rows in _offer_figures(site, iri).items():
        row = rows[0]
        value = _number(row["value"])
        when_term = row["as_of"] or row["period_start"] or row["status_date"]
        when = _value(when_term)
        if value is None or when is None or row["breakdown"] is not None or row["uom"] is not None:
            continue
        if _iri(row["about"]) != iri:  # a unit's figure is a part of the offer's; the offer page lists them
            continue
        if row["label_certain"] is not None and not _truthy(row["label_certain"]):
            continue
        end = _value(row["period_end"])
        end_term = row["period_end"]
        measure = _iri(row["measure"]) or ""
        entry = series.setdefault(measure, {"measure": present.link(measure), "points": []})
        kind = "period" if row["period_start"] is not None else "day" if row["as_of"] is not None else "status"
        shown_when = present.literal(when_term).text
        if end_term is not None:
            shown_when += " – " + present.literal(end_term).text
        entry["points"].append(
            {
                "when": when[:10],
                "end": (end or "")[:10],
                "shown_when": shown_when,
                "kind": kind,
                "value": value,
                "text": _shown(present, value, _truthy(row["approximate"])),
                "wording": _value(row["value_text"]) or "",
                "href": present.href(figure),
                "total": _truthy(row["total"]),
                "basis": _basis(present, figure, rows),
            }
        )
    rows_out = [s for s in series.values() if s["points"]]
    for s in rows_out:
        s["points"].sort(key=lambda p: p["when"])
    years = [int(p["when"][:4]) for s in rows_out for p in s["points"]]
    years += [int(p["end"][:4]) for s in rows_out for p in s["points"] if p["end"]]
    first, last = (min(years), max(years) + 1) if years else (2016, 2022)
    for s in rows_out:
        for p in s["points"]:
            p["x"] = _year_fraction(p["when"], first, last)
            p["x_end"] = _year_fraction(p["end"], first, last) if p["end"] else None
    rows_out.sort(key=lambda s: s["measure"].label.lower())
    return {
        "series": rows_out,
        "first": first,
        "last": last,
        "years": list(range(first, last + 1)),
        "offer": present.link(iri),
    }


def _year_fraction(day: str, first: int, last: int) -> float:
    """Where a day falls between 1 January of ``first`` and of ``last`` (0..1)."""
    parts = [int(part) for part in day[:10].split("-")] + [1, 1]  # a gYear or gYearMonth starts the year/month
    year, month, dom = parts[:3]
    position = year + (month - 1) / 12 + (dom - 1) / 365
    return (position - first) / (last - first)


# --- KBT's table: method categories against the guidelines -------------------------------------


def guideline_matrix(site: Site, present: Presenter) -> dict[str, Any]:
    rows = site.rows("chart-guideline-matrix")
    columns: dict[str, int] = {}
    categories: dict[str, dict[str, Any]] = {}
    for row in rows:
        guideline = _iri(row["guideline"]) or ""
        columns.setdefault(guideline, int(_number(row["column"]) or len(columns) + 1))
        category = _iri(row["category"]) or ""
        entry = categories.setdefault(
            category, {"link": present.link(category), "row": _value(row["row"]) or "", "cells": {}}
        )
        state = (_iri(row["state"]) or "").rsplit("/", 1)[-1].replace("cell-state-", "").replace("not-named", "not")
        entry["cells"][guideline] = {"state": state, "basis": _basis(present, category, [row])}
    ordered = sorted(columns, key=lambda g: columns[g])
    return {
        "columns": [{"link": present.link(g), "number": columns[g]} for g in ordered],
        "rows": [
            {
                "link": c["link"],
                "row": c["row"],
                "cells": [c["cells"].get(g, {"state": "none", "basis": None}) for g in ordered],
            }
            for c in categories.values()
        ],
    }
