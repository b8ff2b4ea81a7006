"""What a page shows for an RDF term: a label in the reader's language, a link on this host, a literal at its precision.

Kept apart from the router so the same rules serve every page, and apart from the store
code so they can be read (and tested) as plain functions: a date given as a year stays a
year, «ca.» stays with an approximate figure, and a label in another language than the
page's carries its own ``lang``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import pyoxigraph as ox
from rdflib.namespace import DCTERMS, RDF, RDFS, SKOS, XSD

from mfbt_kg.namespaces import MFBT, curie
from mfbt_kg.pages.linked_data import LANGUAGE_ORDER, Label, LabelIndex, Row, local_path

MONTHS = {
    "nb": (
        "januar",
        "februar",
        "mars",
        "april",
        "mai",
        "juni",
        "juli",
        "august",
        "september",
        "oktober",
        "november",
        "desember",
    ),
    "en": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
}
YES_NO = {"nb": ("ja", "nei"), "en": ("yes", "no")}
APPROXIMATELY = {"nb": "ca.", "en": "approx."}
IN_ENGLISH = "på engelsk"


@dataclass(frozen=True)
class Link:
    """A node shown as a link: on this host for the project's IRIs, to the IRI itself otherwise."""

    href: str
    label: str
    lang: str | None = None  # set only when the label's language is not the page's
    external: bool = False
    note: str | None = None  # e.g. a date's value and qualifier beside the source's words


@dataclass(frozen=True)
class Text:
    """A literal as shown: the text, its language when not the page's, a machine date, a precision note."""

    text: str
    lang: str | None = None
    datetime: str | None = None
    note: str | None = None


Value = Link | Text


@dataclass(frozen=True)
class DateInfo:
    """A mfbt:DateSpec: the source's words, the value at its precision, the qualifier ("late in ...")."""

    text: ox.Literal | None
    value: ox.Literal | None
    qualifier: str | None


class Presenter:
    """Shows terms for one page: one language, one host prefix, the dates the page's resource links to."""

    def __init__(self, lang: str, labels: LabelIndex, root_path: str = "") -> None:
        self.lang = lang
        self.labels = labels
        self.root_path = root_path.rstrip("/")
        self.dates: dict[str, DateInfo] = {}

    # --- nodes -------------------------------------------------------------------------

    def href(self, iri: str) -> str:
        path = local_path(iri)
        return self.root_path + path if path is not None else iri

    def label(self, iri: str) -> Label:
        found = self.labels.get(iri, self.lang)
        if found is not None:
            return found
        return Label(curie(iri), None)

    def link(self, iri: str) -> Link:
        label = self.label(iri)
        external = local_path(iri) is None
        return Link(self.href(iri), label.text, self.foreign(label.lang), external)

    def text(self, text: str, lang: str | None = None) -> Text:
        return Text(text, self.foreign(lang))

    def foreign(self, lang: str | None) -> str | None:
        """A language tag worth marking: only where it differs from the page's (nb page: nb is not marked)."""
        if not lang or lang.split("-")[0] == self.lang:
            return None
        return lang

    def value(self, term: Any, approximate: bool = False) -> Value:
        if isinstance(term, ox.NamedNode):
            link = self.link(term.value)
            date = self.dates.get(term.value)
            note = self.date_note(date) if date is not None else None
            return Link(link.href, link.label, link.lang, link.external, note) if note else link
        if isinstance(term, ox.Literal):
            return self.literal(term, approximate)
        return Text(str(term))

    # --- literals ----------------------------------------------------------------------

    def literal(self, literal: ox.Literal, approximate: bool = False) -> Text:
        if literal.language:
            foreign = self.foreign(literal.language)
            # the curators' notes are English: a Norwegian page says so beside them
            english = self.lang == "nb" and foreign is not None and foreign.split("-")[0] == "en"
            return Text(literal.value, foreign, note=IN_ENGLISH if english else None)
        datatype = literal.datatype.value
        raw = literal.value
        shown, machine = self.formatted(raw, datatype)
        if approximate and datatype in NUMERIC:
            shown = f"{APPROXIMATELY[self.lang]} {shown}"
        return Text(shown, datetime=machine)

    def formatted(self, raw: str, datatype: str) -> tuple[str, str | None]:
        """(what a reader sees, the machine-readable date or None), keeping the literal's precision."""
        try:
            if datatype == str(XSD.date):
                year, month, day = (int(part) for part in raw[:10].split("-"))
                if self.lang == "nb":
                    return f"{day}.{month}.{year}", raw[:10]
                return f"{day} {MONTHS['en'][month - 1]} {year}", raw[:10]
            if datatype == str(XSD.gYearMonth):
                year, month = (int(part) for part in raw[:7].split("-"))
                return f"{MONTHS[self.lang][month - 1]} {year}", raw[:7]
            if datatype == str(XSD.gYear):
                return raw[:4], raw[:4]
            if datatype == str(XSD.boolean):
                yes, no = YES_NO[self.lang]
                return (yes if raw in ("true", "1") else no), None
            if datatype in (str(XSD.decimal), str(XSD.double), str(XSD.float)):
                number = format(Decimal(raw).normalize(), "f")
                return (number.replace(".", ",") if self.lang == "nb" else number), None
        except (ValueError, IndexError, InvalidOperation):
            return raw, None
        return raw, None

    def period(self, start: ox.Literal | None, end: ox.Literal | None) -> Text | None:
        if start is None and end is None:
            return None
        first = self.literal(start).text if start is not None else "…"
        last = self.literal(end).text if end is not None else "…"
        return Text(f"{first} – {last}")

    def date_note(self, date: DateInfo) -> str | None:
        """The value and qualifier beside the source's words, when they add something ("2016, late in the period")."""
        parts = []
        if date.value is not None:
            shown = self.literal(date.value).text
            if date.text is None or shown != date.text.value:
                parts.append(shown)
        if date.qualifier:
            parts.append(self.label(date.qualifier).text)
        return ", ".join(parts) or None

    def load_dates(self, rows: list[Row]) -> None:
        """Remember the DateSpecs a page links to (rows of datespecs.rq), so their links show the precision."""
        for row in rows:
            self.dates[row["date"].value] = DateInfo(
                row["text"], row["value"], row["qualifier"].value if row["qualifier"] else None
            )


NUMERIC = {
    str(XSD.integer),
    str(XSD.decimal),
    str(XSD.double),
    str(XSD.float),
    str(XSD.nonNegativeInteger),
    str(XSD.positiveInteger),
    str(XSD.int),
    str(XSD.long),
}


# --- the generic description of a resource ----------------------------------------------------

NAMES = {str(RDFS.label), str(SKOS.prefLabel)}
FIRST = (str(SKOS.definition), str(DCTERMS.title), str(DCTERMS.description))
LAST = (str(MFBT["note"]), str(SKOS.note), str(RDFS.comment))


@dataclass
class Property:
    iri: str
    predicate: Link
    values: list[Value]


@dataclass
class Backlinks:
    iri: str
    predicate: Link
    subjects: list[Link]


@dataclass
class SourceRef:
    source: Link
    document: Link | None = None
    section: Text | None = None
    page: Text | None = None


@dataclass
class ResourceView:
    """Everything a resource page shows before its kind adds sections of its own."""

    iri: str
    curie: str
    title: Label
    names: list[Text] = field(default_factory=list)
    types: list[Link] = field(default_factory=list)
    properties: list[Property] = field(default_factory=list)
    backlinks: list[Backlinks] = field(default_factory=list)
    sources: list[SourceRef] = field(default_factory=list)


def resource_view(iri: str, triples: list[ox.Triple], sources: list[Row], present: Presenter) -> ResourceView:
    """Labels, types, properties (linked resources by label) and what links here, from the described triples."""
    title = present.label(iri)
    view = ResourceView(iri, curie(iri), Label(title.text, present.foreign(title.lang)))
    order = LANGUAGE_ORDER[present.lang]
    names = sorted(
        present.labels.every(iri),
        key=lambda label: order.index(label.lang or "") if (label.lang or "") in order else len(order),
    )
    view.names = [present.text(label.text, label.lang) for label in names]
    own = [t for t in triples if isinstance(t.subject, ox.NamedNode) and t.subject.value == iri]
    approximate = any(
        t.predicate.value == str(MFBT["approximate"])
        and not isinstance(t.object, ox.Triple)
        and t.object.value == "true"
        for t in own
    )
    by_predicate: dict[str, list[Any]] = {}
    for triple in own:
        predicate = triple.predicate.value
        if predicate == str(RDF.type):
            if not isinstance(triple.object, ox.Triple):  # an RDF-star triple as a type would be no class
                view.types.append(present.link(triple.object.value))
        elif predicate not in NAMES and predicate != str(DCTERMS.source):
            by_predicate.setdefault(predicate, []).append(triple.object)
    view.types.sort(key=lambda link: link.label.lower())
    for predicate in sorted(by_predicate, key=lambda p: _property_order(p, present)):
        values = [present.value(o, approximate and predicate == str(MFBT["value"])) for o in by_predicate[predicate]]
        view.properties.append(Property(predicate, present.link(predicate), sort_values(values, present.lang)))
    incoming: dict[str, list[Link]] = {}
    for triple in triples:
        if (
            isinstance(triple.object, ox.NamedNode)
            and triple.object.value == iri
            and not isinstance(triple.subject, ox.Triple)
            and triple.subject.value != iri
        ):
            incoming.setdefault(triple.predicate.value, []).append(present.link(triple.subject.value))
    for predicate in sorted(incoming, key=lambda p: present.label(p).text.lower()):
        subjects = sorted(set(incoming[predicate]), key=lambda link: link.label.lower())
        view.backlinks.append(Backlinks(predicate, present.link(predicate), subjects))
    view.sources = source_refs(sources, present)
    return view


def source_refs(rows: list[Row], present: Presenter) -> list[SourceRef]:
    """Rows of sources.rq as references: passage, document, section, page (one per passage)."""
    refs: dict[str, SourceRef] = {}
    for row in rows:
        source = row["source"]
        if not isinstance(source, ox.NamedNode) or source.value in refs:
            continue
        refs[source.value] = SourceRef(
            present.link(source.value),
            present.link(row["document"].value) if row.get("document") else None,
            present.literal(row["section"]) if row.get("section") else None,
            present.literal(row["page"]) if row.get("page") else None,
        )
    return sorted(refs.values(), key=lambda ref: ((ref.document.label if ref.document else ""), ref.source.label))


def sort_values(values: list[Value], lang: str) -> list[Value]:
    """Links by label; texts in the page's language before the others, each group in its own order."""
    links = sorted((v for v in values if isinstance(v, Link)), key=lambda link: link.label.lower())
    texts = [v for v in values if isinstance(v, Text)]
    texts.sort(key=lambda text: text.lang is not None)
    return [*links, *texts]


def _property_order(predicate: str, present: Presenter) -> tuple[int, str]:
    if predicate in FIRST:
        return (FIRST.index(predicate), "")
    if predicate in LAST:
        return (100 + LAST.index(predicate), "")
    return (10, present.label(predicate).text.lower())
