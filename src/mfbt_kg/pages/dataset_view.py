"""/dataset for people: the dataset's own description (DCAT-AP-NO and VoID) read as a page.

The description is loaded into a store of its own and asked with ``queries/pages/dataset-summary.rq``:
title, description, version, dates, licence, publisher, coverage, size, endpoint, keywords, and the
files with their download links and sizes. The Turtle stays on the page, folded, for those who want it.
"""

from __future__ import annotations

from typing import Any

import pyoxigraph as ox

from mfbt_kg.namespaces import DATASET_IRI
from mfbt_kg.pages.factsheets import _in_language
from mfbt_kg.pages.finder_texts import finder_texts
from mfbt_kg.pages.linked_data import PageQueries, select
from mfbt_kg.pages.presentation import Presenter
from mfbt_kg.sparql.store import EmbeddedStore


def dataset_view(description_nt: bytes, queries: PageQueries, present: Presenter) -> dict[str, Any]:
    store = EmbeddedStore(description_nt)
    rows = select(store, queries["dataset-summary"], {"resource": ox.NamedNode(DATASET_IRI)})
    facts: dict[str, list[Any]] = {}
    files: dict[str, dict[str, Any]] = {}
    for row in rows:
        if row["part"].value == "fact":
            facts.setdefault(row["key"].value, []).append(row["value"])
            continue
        node = row["node"].value
        entry = files.setdefault(node, {"texts": {}, "url": None, "media": None, "bytes": None})
        if row["value"] is not None:
            entry["texts"].setdefault(row["key"].value, []).append(row["value"])
        for key in ("url", "media", "bytes"):
            if row[key] is not None:
                entry[key] = row[key].value
    shown = {
        key: _in_language(values, present)
        for key, values in facts.items()
        if key in ("title", "description", "publisher")
    }
    plain = {
        key: [v.value for v in values]
        for key, values in facts.items()
        if key not in ("title", "description", "publisher")
    }
    keywords = sorted({v.value for v in facts.get("keyword", []) if (v.language or "") == present.lang})
    out_files = []
    for node, entry in sorted(files.items()):
        out_files.append(
            {
                "title": _in_language(entry["texts"].get("title", []), present),
                "description": _in_language(entry["texts"].get("description", []), present),
                "url": entry["url"],
                "name": (entry["url"] or node).rsplit("/", 1)[-1],
                "media": (entry["media"] or "").rsplit("/media-types/", 1)[-1],
                "bytes": f"{int(float(entry['bytes'])):,}".replace(",", " ") if entry["bytes"] else None,
            }
        )
    return {"f": finder_texts(present.lang), "facts": shown, "plain": plain, "keywords": keywords, "files": out_files}
