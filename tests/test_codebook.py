"""The codebook: every catalogue question documents each column of its answer (``#+ column`` lines,
read by the one header grammar), so the bundle's codebook and Norwegian headers never drift from the
queries."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import ROOT
from mfbt_kg.sparql.catalogue import CatalogueError, load_catalogue, read_query_file

CATALOGUE = load_catalogue(ROOT)


@pytest.mark.parametrize("name", sorted(CATALOGUE))
def test_every_answer_column_is_documented_in_order(name: str, store) -> None:
    query = CATALOGUE[name]
    if query.form != "SELECT":
        assert query.columns == (), f"{name} answers without columns yet documents some"
        return
    variables = list(store.select(query.sparql).variables)
    assert [c.name for c in query.columns] == variables, (
        f"{name}: document each column as '#+ column: name | nb header | en header | meaning', in SELECT order"
    )
    for column in query.columns:
        assert column.header_nb and column.header_en and len(column.meaning) > 5, (name, column)


def test_headers_are_unique_within_a_table() -> None:
    for name, query in CATALOGUE.items():
        for language in ("nb", "en"):
            headers = [c.header(language) for c in query.columns]
            assert len(headers) == len(set(headers)), (name, language, headers)


def test_the_grammar_refuses_a_malformed_or_repeated_column(tmp_path: Path) -> None:
    head = "#+ title_nb: T\n#+ title_en: T\n#+ description: D\n#+ example: E\n"
    bad = tmp_path / "bad.rq"
    bad.write_text(head + "#+ column: x | only two\nSELECT ?x WHERE {}\n", encoding="utf-8")
    with pytest.raises(CatalogueError, match=r"bad\.rq:5: a column reads"):
        read_query_file(bad, "catalogue")
    bad.write_text(head + "#+ column: x | a | b | c\n#+ column: x | a | b | c\nSELECT ?x WHERE {}\n", encoding="utf-8")
    with pytest.raises(CatalogueError, match="documented twice"):
        read_query_file(bad, "catalogue")
    good = tmp_path / "good.rq"
    good.write_text(head + "#+ column: x | nb x | en x | what x is\nSELECT ?x WHERE {}\n", encoding="utf-8")
    column = read_query_file(good, "catalogue").columns[0]
    assert (column.name, column.header("nb"), column.header("en"), column.meaning) == ("x", "nb x", "en x", "what x is")
