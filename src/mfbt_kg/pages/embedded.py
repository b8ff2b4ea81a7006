"""What a resource page embeds for search engines: schema.org JSON-LD from the graph and a meta description.

The JSON-LD (``queries/pages/schema-org.rq``) names the resource by its canonical IRI, gives the schema.org
types its classes are (or specialise), the values of properties that are (or specialise) schema.org
properties, with the labels of linked resources, and its names and definitions, language-tagged. The
context is inline (``@vocab``): nothing is fetched to read it.
"""

from __future__ import annotations

import json
from typing import Any

import pyoxigraph as ox

from mfbt_kg.namespaces import SCHEMA
from mfbt_kg.pages.factsheets import Site

META_LENGTH = 300


def _literal(term: ox.Literal) -> Any:
    return {"@value": term.value, "@language": term.language} if term.language else term.value


def schema_org(site: Site, iri: str, page_url: str) -> str:
    """The resource as schema.org JSON-LD, ready to sit inside <script type="application/ld+json">."""
    types: list[str] = []
    node: dict[str, Any] = {"@id": iri}
    linked: dict[str, dict[str, Any]] = {}
    for row in site.about("schema-org", iri):
        if row["type"] is not None:
            types.append(row["type"].value[len(str(SCHEMA)) :])
            continue
        key = row["property"].value[len(str(SCHEMA)) :]
        value = row["value"]
        if isinstance(value, ox.NamedNode):
            target = linked.setdefault(value.value, {"@id": value.value})
            if row["value_label"] is not None:
                target.setdefault("name", [])
                if _literal(row["value_label"]) not in target["name"]:
                    target["name"].append(_literal(row["value_label"]))
            if target not in node.setdefault(key, []):
                node[key].append(target)
        elif isinstance(value, ox.Literal) and _literal(value) not in node.setdefault(key, []):
            node[key].append(_literal(value))
    node["@type"] = sorted(set(types)) or ["Thing"]
    node["url"] = page_url
    body = {"@context": {"@vocab": str(SCHEMA)}, **node}
    # inside a <script> element "</" would end it early: JSON allows the slash escaped
    return json.dumps(body, ensure_ascii=False).replace("</", "<\\/")


def meta_description(site: Site, iri: str, lang: str, title: str, kind: str, notice: str) -> str:
    """The resource's definition in the page's language where it has one; else what it is and the data's date."""
    found = [
        row["value"]
        for row in site.about("schema-org", iri)
        if row["property"] is not None
        and row["property"].value == f"{SCHEMA}description"
        and isinstance(row["value"], ox.Literal)
    ]
    own = next((t.value for t in found if (t.language or "").split("-")[0] == lang), None)
    text = own or f"{title} ({kind}). {notice}"
    return text if len(text) <= META_LENGTH else text[: META_LENGTH - 1].rsplit(" ", 1)[0] + "…"
