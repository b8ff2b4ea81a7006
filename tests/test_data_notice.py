"""The site-wide notice of the date the data describes follows the data.

The notice is a sentence in pages/texts.py (and the finder's words); its dates must be the newest status
dates of the facts each main source document carries: KBT 2018 «status per 14. mai 2018» (seed 001, the
report's title page) and the UNN slides' figures «jan. 2017 – okt. 2021» (seed 000). A curator who adds a
newer source sees this test fail until the notice names it.
"""

from __future__ import annotations

from conftest import ROOT
from mfbt_kg.namespaces import ID
from mfbt_kg.pages.finder_texts import finder_texts
from mfbt_kg.pages.presentation import MONTHS
from mfbt_kg.pages.texts import texts
from mfbt_kg.sparql.catalogue import read_query_file

MAIN_SOURCE = 10  # facts with a status date that make a document a source the notice must name


def shown(as_of: str, lang: str) -> str:
    """A status date as the notice writes it: 14.5.2018 / 14 May 2018, oktober 2021 / October 2021."""
    parts = [int(p) for p in as_of.split("-")]
    month = MONTHS[lang][parts[1] - 1]
    if len(parts) == 2:
        return f"{month} {parts[0]}"
    return f"{parts[2]}.{parts[1]}.{parts[0]}" if lang == "nb" else f"{parts[2]} {month} {parts[0]}"


def test_the_notice_names_the_status_date_of_every_main_source(store) -> None:
    sparql = read_query_file(ROOT / "tests" / "queries" / "source-status-dates.rq", "internal").sparql
    rows = store.select(sparql).records()
    main = {row["document"].value: row["as_of"].value for row in rows if int(row["facts"].value) >= MAIN_SOURCE}
    assert main == {str(ID["document/kbt-2018"]): "2018-05-14", str(ID["document/unn-2021-lysbilder"]): "2021-10"}
    for lang in ("nb", "en"):
        for notice in (texts(lang)["data_notice"], finder_texts(lang)["data_notice"]):
            for as_of in main.values():
                assert f"({'status ' if len(as_of) == 10 else ''}{shown(as_of, lang)})" in notice, (lang, notice)
