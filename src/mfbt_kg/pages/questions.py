"""The query catalogue for people: ``/sporringer`` (the questions by topic) and one question's page
(a form for its parameters, the answer as a table, downloads).

What a page shows is shaped here, apart from HTTP: the topics (the questions' ``#+ tags``, named in
the page's language by ``texts``), a form field per ``#+ param`` (a select list of the resources of
the parameter's kind or the concepts of its scheme, a date picker, a number or a text box), and the
answer's table: column headers from ``#+ column`` in the page's language, IRIs as links with their
labels, literals at their precision, a ``basis`` column shown as the basis marker it is, rows sorted
by a column the reader chose (``?sort=``, ``?order=``: no script needed).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode

import pyoxigraph as ox
from rdflib.namespace import XSD

from mfbt_kg.namespaces import ID, MFBT
from mfbt_kg.pages.factsheets import Site
from mfbt_kg.pages.linked_data import kind_prefix
from mfbt_kg.pages.presentation import Presenter
from mfbt_kg.pages.texts import texts
from mfbt_kg.sparql.catalogue import NamedQuery, Parameter

NUMERIC = {
    str(XSD[t])
    for t in ("integer", "decimal", "double", "float", "int", "long", "nonNegativeInteger", "positiveInteger")
}
SORT_KEYS = ("sort", "order")  # query-string names of the page that are not the question's parameters
STATED = "basis-stated"  # the local name of the basis concept for the source's own statement (no marker)


# --- the list ------------------------------------------------------------------------------


def topic_name(tag: str, lang: str) -> str:
    """A tag in the page's language (the words are in texts.py as ``topic_<tag>``; the tag itself otherwise)."""
    return texts(lang).get("topic_" + tag.replace(" ", "_"), tag)


def titles(query: NamedQuery, lang: str) -> tuple[str, str, str]:
    """(title in the page's language, the other title, the other language)."""
    return (query.title_nb, query.title_en, "en") if lang == "nb" else (query.title_en, query.title_nb, "nb")


def catalogue_list(catalogue: dict[str, NamedQuery], lang: str, base: str) -> list[dict[str, Any]]:
    """Topics in alphabetical order of their names, each with its questions (a question is listed under
    every tag it has, so a reader who starts from any of its topics finds it)."""
    topics: dict[str, list[dict[str, Any]]] = {}
    for query in catalogue.values():
        title, other, other_lang = titles(query, lang)
        entry: dict[str, Any] = {
            "name": query.name,
            "href": f"{base}/{query.name}",
            "title": title,
            "other": other,
            "other_lang": other_lang,
            "needs": [p.name for p in query.parameters if p.required],
        }
        for tag in query.tags or ("other",):
            topics.setdefault(tag, []).append(entry)
    out: list[dict[str, Any]] = [
        {
            "tag": tag,
            "id": "topic-" + tag.replace(" ", "-"),
            "name": topic_name(tag, lang),
            "questions": sorted(entries, key=lambda e: e["title"].lower()),
        }
        for tag, entries in topics.items()
    ]
    return sorted(out, key=lambda t: t["name"].lower())


# --- the form ------------------------------------------------------------------------------


@dataclass
class Field:
    name: str
    label: str
    input: str  # "select", "date", "number", "text"
    value: str
    required: bool
    description: str
    options: list[dict[str, Any]] = field(default_factory=list)


def form_fields(site: Site, present: Presenter, query: NamedQuery, given: dict[str, str]) -> list[Field]:
    t = texts(present.lang)
    fields = []
    for param in query.parameters:
        value = given.get(param.name, param.default or "")
        label = f"{param.name}"
        if param.type == "date":
            fields.append(Field(param.name, label, "date", value, param.required, param.description))
        elif param.type == "integer":
            fields.append(Field(param.name, label, "number", value, param.required, param.description))
        elif param.type == "resource" and (param.kinds or param.schemes):
            options = _options(site, present, param)
            if not param.required and param.default is None:  # left out, the question covers all of them
                options.insert(0, {"value": "", "label": t["q_all"], "lang": None})
            known = {o["value"] for o in options}
            if value and value not in known:  # a full IRI or another spelling the catalogue accepts
                options.append({"value": value, "label": value, "lang": None})
            fields.append(Field(param.name, label, "select", value, param.required, param.description, options))
        else:
            fields.append(Field(param.name, label, "text", value, param.required, param.description))
    return fields


def _options(site: Site, present: Presenter, param: Parameter) -> list[dict[str, Any]]:
    """The resources a parameter may name, by label: the members of its kinds, or the concepts of its schemes.
    The value is what the catalogue reads: the slug (kind/slug where the parameter takes several kinds)."""
    found: list[tuple[str, str]] = []  # (value, iri)
    if param.schemes:
        for scheme in param.schemes:
            for row in site.rows("scheme-concepts", resource=ox.NamedNode(str(MFBT[scheme]))):
                iri = row["s"].value
                found.append((_slug(iri, len(param.kinds) > 1), iri))
    else:
        for kind in param.kinds:
            prefix = kind_prefix(kind)
            for row in site.rows("kind-members", prefix=ox.Literal(prefix)):
                iri = row["s"].value
                if "/" not in iri[len(prefix) :]:
                    found.append((_slug(iri, len(param.kinds) > 1), iri))
    options = []
    for value, iri in dict(found).items():
        link = present.link(iri)
        options.append({"value": value, "label": link.label, "lang": link.lang})
    return sorted(options, key=lambda o: o["label"].lower())


def _slug(iri: str, with_kind: bool) -> str:
    path = iri[len(str(ID)) :] if iri.startswith(str(ID)) else iri
    return path if with_kind or "/" not in path else path.split("/", 1)[1]


def missing(query: NamedQuery, given: dict[str, str]) -> list[str]:
    """Required parameters the reader has not filled in yet (the question is not run until they are)."""
    return [p.name for p in query.parameters if p.required and not given.get(p.name)]


def download_href(root: str, query: NamedQuery, given: dict[str, str], fmt: str) -> str:
    """The same URL a program uses (/api/queries/{name}), so the file is the same bytes."""
    values = [(p.name, given[p.name]) for p in query.parameters if given.get(p.name)]
    return f"{root}/api/queries/{query.name}?" + urlencode([*values, ("format", fmt)])


# --- the answer ----------------------------------------------------------------------------


def answer_table(
    present: Presenter,
    query: NamedQuery,
    results: dict[str, Any],
    given: dict[str, str],
    sort: str | None,
    order: str,
    base_href: str,
) -> dict[str, Any]:
    """Headers (in the page's language, each a link that sorts by it) and rows of cells; a ``X_label`` column is
    left out where ``X`` holds the IRI it labels (the link shows the label)."""
    variables: list[str] = results["head"]["vars"]
    bindings: list[dict[str, Any]] = results["results"]["bindings"]
    shown = [v for v in variables if not (v.endswith("_label") and v[: -len("_label")] in variables)]
    rows = [{v: _cell(present, v, b.get(v)) for v in shown} for b in bindings]
    if sort in shown:
        filled = [r for r in rows if r[sort]["sort"] is not None]
        empty = [r for r in rows if r[sort]["sort"] is None]
        filled.sort(key=lambda r: r[sort]["sort"], reverse=order == "desc")
        rows = filled + empty
    params = [(p.name, given[p.name]) for p in query.parameters if given.get(p.name)]
    headers = []
    for v in shown:
        column = query.column(v)
        active = v == sort
        next_order = "desc" if active and order != "desc" else "asc"
        headers.append(
            {
                "name": v,
                "text": column.header(present.lang) if column else v,
                "meaning": column.meaning if column else "",
                "href": base_href + "?" + urlencode([*params, ("sort", v), ("order", next_order)]) + "#answer",
                "aria_sort": ("descending" if order == "desc" else "ascending") if active else None,
            }
        )
    return {"headers": headers, "rows": [[r[v] for v in shown] for r in rows]}


def _cell(present: Presenter, variable: str, term: dict[str, str] | None) -> dict[str, Any]:
    """One value: a link with its label (IRIs), a literal at its precision, or empty; ``sort`` is its sort key."""
    cell: dict[str, Any] = {
        "text": "",
        "href": "",
        "lang": None,
        "basis": None,
        "sort": None,
        "datetime": None,
        "links": [],
    }
    if term is None:
        return cell
    value = term["value"]
    if term["type"] == "uri":
        link = present.link(value)
        cell.update(text=link.label, href=link.href, lang=link.lang, sort=(1, link.label.lower(), 0))
        if variable == "basis" and not value.endswith("/" + STATED):
            cell["basis"] = value.rsplit("/", 1)[-1]
        return cell
    if term["type"] == "bnode":
        cell.update(text="_:" + value, sort=(1, value, 0))
        return cell
    datatype = term.get("datatype", "")
    if "xml:lang" in term:
        cell.update(text=value, lang=present.foreign(term["xml:lang"]), sort=(1, value.lower(), 0))
        return cell
    words = value.split()
    if words and all(w.startswith(str(ID)) for w in words):  # a list of the project's IRIs (GROUP_CONCAT)
        cell.update(links=[present.link(w) for w in words], sort=(1, value, 0))
        return cell
    shown, machine = present.formatted(value, datatype)
    cell.update(text=shown, datetime=machine)
    if datatype in NUMERIC:
        try:
            cell["sort"] = (0, "", Decimal(value))
        except InvalidOperation:
            cell["sort"] = (1, value.lower(), 0)
    else:
        cell["sort"] = (1, (machine or value).lower(), 0)
    return cell
