"""The sections particular pages add to a resource's description: each one a few page queries.

A person starts from the home page (regions and their offers), reads an offer like a
factsheet (figures over time, target groups, exclusions, methods by category with the
guidelines behind them), and follows links to methods, guidelines and sources. Every
section here is the answer of a query in ``queries/pages/``, shaped for a template.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import pyoxigraph as ox

from mfbt_kg.namespaces import ID, KINDS, MFBT, ONTOLOGY_IRI
from mfbt_kg.pages.linked_data import LANGUAGE_ORDER, LabelIndex, PageQueries, Row, kind_prefix, select
from mfbt_kg.pages.presentation import Link, Presenter, Text
from mfbt_kg.sparql.answers import Term
from mfbt_kg.sparql.store import Store


@dataclass
class Site:
    """The store, its page queries and its labels: what every page builder needs."""

    store: Store
    queries: PageQueries
    labels: LabelIndex

    def rows(self, name: str, **bindings: Term) -> list[Row]:
        return select(self.store, self.queries[name], bindings)

    def about(self, name: str, iri: str) -> list[Row]:
        """Rows of a page query about one resource, bound as ``?resource``."""
        return self.rows(name, resource=ox.NamedNode(iri))

    @cached_property
    def factsheet_order(self) -> dict[str, int]:
        """Properties and statement classes by their place on an offer's factsheet (mfbt:factsheetOrder)."""
        return {row["term"].value: int(row["order"].value) for row in self.rows("factsheet-order")}

    @cached_property
    def _kinds(self) -> dict[str, str]:
        """Path segment -> the concept of mfbt:ResourceKindScheme that names the kind."""
        return {row["kind"].value: row["concept"].value for row in self.rows("kinds")}

    def kind_name(self, kind: str, lang: str) -> str:
        """A kind's heading in ``lang``, from the kinds scheme's labels; the path segment where none is given."""
        concept = self._kinds.get(kind)
        label = self.labels.get(concept, lang) if concept else None
        return label.text if label else kind


def _iri(term: Any) -> str | None:
    return term.value if isinstance(term, ox.NamedNode) else None


def _truthy(term: Any) -> bool:
    return isinstance(term, ox.Literal) and term.value in ("true", "1")


def _group(rows: Iterable[Row], key: str) -> dict[str, list[Row]]:
    """Rows by the IRI in ``key``, in first-seen order (the query's ORDER BY)."""
    groups: dict[str, list[Row]] = {}
    for row in rows:
        iri = _iri(row.get(key))
        if iri is not None:
            groups.setdefault(iri, []).append(row)
    return groups


def _links(present: Presenter, rows: Iterable[Row], key: str, sort: bool = True) -> list[Link]:
    seen = dict.fromkeys(iri for iri in (_iri(row.get(key)) for row in rows) if iri)
    links = [present.link(iri) for iri in seen]
    return sorted(links, key=lambda link: link.label.lower()) if sort else links


def _first(rows: Iterable[Row], key: str) -> Any:
    return next((row[key] for row in rows if row.get(key) is not None), None)


def own_basis(site: Site, present: Presenter, iri: str) -> dict[str, Any] | None:
    """The basis of the resource's own claim (an assessment's verdict, a method's grouping under a table row),
    when it is not the source's own statement: every resource page shows it under its title."""
    return _basis(present, iri, site.about("own-basis", iri))


def _basis(
    present: Presenter, claim: str | None, rows: Iterable[Row], key: str = "basis", note_key: str = "basis_note"
) -> dict[str, Any] | None:
    """On what a claim rests when it is not the source's own statement about this resource (a group statement
    applied by the curator, the curator's reading, sources that disagree, unknown): the basis concept as a link
    (its label is the marker's text), the curator's note in the page's language, and the claim's IRI."""
    rows = list(rows)
    basis = _iri(_first(rows, key))
    if basis is None:
        return None
    notes = list(dict.fromkeys(row[note_key] for row in rows if row.get(note_key) is not None))
    return {
        "concept": present.link(basis),
        "key": basis.rsplit("/", 1)[-1],
        "claim": claim,
        "note": _in_language(notes, present),
    }


# --- home ----------------------------------------------------------------------------------


def _region_offers(present: Presenter, rows: list[Row]) -> list[dict[str, Any]]:
    offers = []
    for offer_iri, offer_rows in _group(rows, "offer").items():
        text = _first(offer_rows, "start_text")
        provider = _iri(_first(offer_rows, "provider"))
        offers.append(
            {
                "offer": present.link(offer_iri),
                "provider": present.link(provider) if provider else None,
                "start": present.literal(text) if text is not None else None,
            }
        )
    return offers


def home(site: Site, present: Presenter) -> dict[str, Any]:
    regions: list[dict[str, Any]] = [
        {"region": present.link(region), "offers": _region_offers(present, rows)}
        for region, rows in _group(site.rows("home-regions"), "region").items()
    ]
    regions.sort(key=lambda r: r["region"].label)
    counts = {row["kind"].value: int(row["n"].value) for row in site.rows("kind-counts", prefix=ox.Literal(str(ID)))}
    guidelines = [
        {
            "guideline": present.link(_iri(row["guideline"]) or ""),
            "issued": present.literal(row["issued"]) if row["issued"] else None,
        }
        for row in site.rows("home-guidelines")
    ]
    kinds = [
        {"kind": kind, "href": f"{present.root_path}/id/{kind}", "count": counts[kind]}
        for kind in KINDS
        if counts.get(kind)
    ]
    return {"regions": regions, "counts": counts, "guidelines": guidelines, "kinds": kinds}


def region(site: Site, present: Presenter, iri: str) -> dict[str, Any]:
    """A region's offers, as on the home page: where a person goes from a region."""
    return {"offers": _region_offers(present, site.rows("home-regions", region=ox.NamedNode(iri)))}


# --- an offer ------------------------------------------------------------------------------

# Variables of offer-statements.rq that qualify a statement, and the property each comes from (its label names it).
STATEMENT_DETAILS = {
    "priority": "priority",
    "allowed": "allowed",
    "via": "via",
    "offers_tapering": "offersTapering",
    "weeks": "durationWeeks",
    "status": "featureStatus",
    "condition": "condition",
}


def offer(site: Site, present: Presenter, iri: str) -> dict[str, Any]:
    return {
        "figures": _figures(site, present, iri),
        "statements": _statements(site, present, iri),
        "methods": _offer_methods(site, present, iri),
    }


def _figures(site: Site, present: Presenter, iri: str) -> list[dict[str, Any]]:
    """Figures by measure, each measure's figures in time order: capacity over time, as the sources give it."""
    measures: dict[str, list[dict[str, Any]]] = {}
    for figure, rows in _group(site.about("offer-figures", iri), "figure").items():
        row = rows[0]
        when = (
            present.literal(row["as_of"])
            if row["as_of"]
            else present.period(row["period_start"], row["period_end"])
            or (present.literal(row["status_date"]) if row["status_date"] else None)
        )
        about = _iri(row["about"])
        measures.setdefault(_iri(row["measure"]) or "", []).append(
            {
                "figure": present.link(figure),
                "when": when,
                "counted": present.literal(row["counted_text"]) if row["counted_text"] else None,
                "value": present.literal(row["value"], _truthy(row["approximate"])),
                "wording": present.literal(row["value_text"]) if row["value_text"] else None,
                "uom": present.link(row["uom"].value) if row["uom"] else None,
                "about": present.link(about) if about and about != iri else None,
                "total": _truthy(row["total"]),
                "label_uncertain": row["label_certain"] is not None and not _truthy(row["label_certain"]),
                "breakdown": _links(present, rows, "breakdown"),
                "sources": _links(present, rows, "source"),
                "basis": _basis(present, figure, rows),
            }
        )
    return [{"measure": present.link(measure), "rows": rows} for measure, rows in measures.items()]


def _statements(site: Site, present: Presenter, iri: str) -> list[dict[str, Any]]:
    """Statements by class in their factsheet order (mfbt:factsheetOrder: target groups and exclusions first,
    what a reader asks of an offer first), classes without a place after them by name."""
    order = site.factsheet_order
    classes: dict[str, list[dict[str, Any]]] = {}
    for statement, rows in _group(site.about("offer-statements", iri), "statement").items():
        details = [
            {"property": present.link(str(MFBT[prop])), "value": present.value(term)}
            for key, prop in STATEMENT_DETAILS.items()
            for term in dict.fromkeys(row[key] for row in rows if row[key] is not None)
        ]
        status = _first(rows, "status_date")
        unit = _iri(_first(rows, "unit"))
        classes.setdefault(_iri(rows[0]["class"]) or "", []).append(
            {
                "statement": present.link(statement),
                "values": _links(present, rows, "value"),
                "details": details,
                "texts": [present.value(t) for t in dict.fromkeys(r["text"] for r in rows if r["text"] is not None)],
                "as_of": present.literal(status) if status is not None else None,
                "unit": present.link(unit) if unit else None,
                "sources": _links(present, rows, "source"),
                "basis": _basis(present, statement, rows),
            }
        )
    for items in classes.values():
        items.sort(
            key=lambda s: ([v.label.lower() for v in s["values"]], (s["as_of"].datetime or "") if s["as_of"] else "")
        )
    ranked = sorted(classes, key=lambda c: (order.get(c, len(order) + 1), present.label(c).text))
    return [{"class": present.link(c), "key": c.rsplit("#", 1)[-1], "items": classes[c]} for c in ranked]


def guideline_columns(site: Site, present: Presenter) -> list[dict[str, Any]]:
    """The guidelines as KBT's table has them, each with a short name: diagnosis group and year."""
    columns = []
    for guideline_iri, rows in _group(site.rows("guideline-columns"), "guideline").items():
        scope, issued = _iri(rows[0]["scope"]), rows[0]["issued"]
        full = present.link(guideline_iri)
        if scope is None:
            columns.append({"iri": guideline_iri, "link": full})
            continue
        short = present.label(scope)
        text = f"{short.text} ({present.literal(issued).text})" if issued is not None else short.text
        columns.append({"iri": guideline_iri, "link": Link(full.href, text, present.foreign(short.lang))})
    return columns


def _offer_methods(site: Site, present: Presenter, iri: str) -> dict[str, Any]:
    """Methods grouped by category, and per guideline what KBT's table says of the category: X, empty, or unknown."""
    columns = guideline_columns(site, present)
    groups: dict[str, list[Row]] = {}
    for row in site.about("offer-methods", iri):
        groups.setdefault(_iri(row["category"]) or "", []).append(row)
    out = []
    for category, rows in groups.items():
        states = {}
        for row in rows:
            guideline_iri = _iri(row["guideline"])
            if guideline_iri:
                states[guideline_iri] = (
                    "named" if _truthy(row["named"]) else "unknown" if _truthy(row["unknown"]) else "not"
                )
        by_method = _group(rows, "method")
        out.append(
            {
                "category": present.link(category) if category else None,
                "methods": _links(present, rows, "method"),
                "bases": [
                    {"method": present.link(method), **basis}
                    for method, method_rows in by_method.items()
                    if (basis := _basis(present, method, method_rows, "method_basis", "method_basis_note"))
                ],
                "cells": [states.get(column["iri"], "none") for column in columns],
                "in_table": bool(states),
            }
        )
    return {"columns": columns, "rows": out}


# --- a method or method category -------------------------------------------------------------


def method(site: Site, present: Presenter, iri: str) -> dict[str, Any]:
    offers = []
    for offer_iri, rows in _group(site.about("method-offers", iri), "offer").items():
        region = _iri(rows[0]["region"])
        via = [link for link in _links(present, rows, "method") if link.href != present.href(iri)]
        offers.append(
            {"offer": present.link(offer_iri), "region": present.link(region) if region else None, "via": via}
        )
    cells = []
    for row in site.about("method-guidelines", iri):
        cells.append(
            {
                "category": present.link(_iri(row["category"]) or ""),
                "guideline": present.link(_iri(row["guideline"]) or ""),
                "cell": present.link(_iri(row["cell"]) or ""),
                "state": "named" if _truthy(row["named"]) else "unknown" if _truthy(row["unknown"]) else "not",
                "source": present.link(row["source"].value) if row["source"] else None,
            }
        )
    return {"offers": offers, "cells": cells, "backed": [c for c in cells if c["state"] == "named"]}


# --- a guideline ---------------------------------------------------------------------------


def guideline(site: Site, present: Presenter, iri: str) -> dict[str, Any]:
    states: dict[str, list[dict[str, Any]]] = {"named": [], "unknown": [], "not": []}
    for category, rows in _group(site.about("guideline-categories", iri), "category").items():
        state = "named" if _truthy(rows[0]["named"]) else "unknown" if _truthy(rows[0]["unknown"]) else "not"
        states[state].append(
            {
                "category": present.link(category),
                "cell": present.link(_iri(rows[0]["cell"]) or ""),
                "row": rows[0]["row"].value if rows[0]["row"] else "",
                "methods": _links(present, rows, "method"),
            }
        )
    offers = [
        {"offer": present.link(_iri(row["offer"]) or ""), "methods": int(row["methods"].value)}
        for row in site.about("guideline-offers", iri)
    ]
    recommendations = [
        {
            "recommendation": present.link(_iri(row["recommendation"]) or ""),
            "section": present.literal(row["section"]) if row["section"] else None,
            "grade": row["grade"].value if row["grade"] else None,
            "text": present.literal(row["text"]) if row["text"] else None,
        }
        for row in site.about("guideline-recommendations", iri)
    ]
    return {"states": states, "offers": offers, "recommendations": recommendations}


# --- a source passage or document ------------------------------------------------------------


def source(site: Site, present: Presenter, iri: str) -> dict[str, Any]:
    """Everything that cites the passage (or any passage of the document), grouped by class."""
    by_type: dict[str, list[Link]] = {}
    rows = site.about("source-citing", iri)
    for row in rows:
        subject = _iri(row["s"])
        if subject:
            by_type.setdefault(row["type"].value if row["type"] else "", []).append(present.link(subject))
    groups: list[dict[str, Any]] = [
        {"type": present.link(t) if t else None, "items": sorted(items, key=lambda link: link.label.lower())}
        for t, items in by_type.items()
    ]
    groups.sort(key=lambda g: g["type"].label.lower() if g["type"] else "~")
    return {"citing": groups, "citing_count": len(rows)}


# --- the vocabulary --------------------------------------------------------------------------


def ontology(site: Site, present: Presenter) -> dict[str, Any]:
    """Every class, property and concept scheme of the vocabulary, each with its definition."""
    ns = ox.Literal(str(MFBT))
    header: dict[str, list[Any]] = {}
    for row in site.about("ontology-header", ONTOLOGY_IRI):
        header.setdefault(row["p"].value.rsplit("/", 1)[-1].rsplit("#", 1)[-1], []).append(row["o"])
    terms: dict[str, dict[str, list[Any]]] = {}
    for row in site.rows("ontology-terms", ns=ns):
        terms.setdefault(row["term"].value, {}).setdefault(row["p"].value.rsplit("#", 1)[-1], []).append(row["o"])
    schemes: dict[str, list[str]] = {}
    for row in site.rows("ontology-schemes", ns=ns):
        schemes.setdefault(row["scheme"].value, []).append(row["concept"].value)
    sections: dict[str, list[dict[str, Any]]] = {
        "Class": [],
        "ObjectProperty": [],
        "DatatypeProperty": [],
        "ConceptScheme": [],
    }
    for term, facts in terms.items():
        kinds = [t.value.rsplit("#", 1)[-1] for t in facts.get("type", [])]
        kind = next((k for k in sections if k in kinds), None)
        if kind is None:
            continue
        entry = {
            "id": term.rsplit("#", 1)[-1],
            "iri": term,
            "label": present.label(term),
            "definition": _in_language(facts.get("definition", []) + facts.get("comment", []), present),
            "super": _term_links(present, facts.get("subClassOf", []) + facts.get("subPropertyOf", [])),
            "domain": _term_links(present, facts.get("domain", [])),
            "range": _term_links(present, facts.get("range", [])),
            "concepts": sorted((present.link(c) for c in schemes.get(term, [])), key=lambda link: link.label.lower()),
        }
        sections[kind].append(entry)
    for entries in sections.values():
        entries.sort(key=lambda e: e["id"].lower())
    return {
        "title": _in_language(header.get("title", []), present),
        "description": _in_language(header.get("description", []), present),
        "version": header.get("versionInfo", [None])[0],
        "sections": sections,
        "license": [present.value(t) for t in header.get("license", [])],
        "modified": [present.value(t) for t in header.get("modified", [])],
    }


def _in_language(literals: list[Any], present: Presenter) -> Text | None:
    """The literal in the page's language (Norwegian first on Norwegian pages), shown with its tag."""
    tagged = [t for t in literals if isinstance(t, ox.Literal)]
    if not tagged:
        return None
    order = LANGUAGE_ORDER[present.lang]
    best = min(tagged, key=lambda t: order.index(t.language or "") if (t.language or "") in order else len(order))
    return present.literal(best)


def _term_links(present: Presenter, terms: list[Any]) -> list[Link]:
    return sorted(
        (present.link(t.value) for t in terms if isinstance(t, ox.NamedNode)), key=lambda link: link.label.lower()
    )


# --- kinds and the 404 -----------------------------------------------------------------------


def members(site: Site, present: Presenter, kind: str) -> list[Link]:
    rows = site.rows("kind-members", prefix=ox.Literal(kind_prefix(kind)))
    return _links(present, rows, "s")


def suggestions(site: Site, present: Presenter, kind: str, slug: str, limit: int = 5) -> list[Link]:
    """Resources whose kind and slug are close to the ones asked for (a typo, an old spelling).

    Only the kind's namespace (a known kind) reaches the store; the asked-for slug is compared
    here, in Python, with the slugs the store returns.
    """
    kinds = [kind] if kind in KINDS else difflib.get_close_matches(kind.lower(), KINDS, n=2, cutoff=0.6)
    found: list[Link] = []
    for candidate in kinds:
        prefix = kind_prefix(candidate)
        iris = [row["s"].value for row in site.rows("kind-members", prefix=ox.Literal(prefix))]
        slugs = {iri[len(prefix) :]: iri for iri in iris}
        close = difflib.get_close_matches(slug.lower(), list(slugs), n=limit, cutoff=0.5)
        found.extend(present.link(slugs[s]) for s in close)
    return found[:limit]
