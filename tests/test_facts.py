"""Fact checks: each tests/facts/*.rq is an ASK over the real graph citing its seed passage.

The header is the project's one ``#+`` grammar (``#+ fact:``, ``#+ seed:``, ``#+ expect:``), read by
the same code that reads the catalogue (``read_query_file``); the project's prefixes are put in front
as for every other query file.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mfbt_kg.sparql.catalogue import CatalogueError, QueryFile, read_query_file

FACTS = sorted((Path(__file__).parent / "facts").glob("*.rq"))
OLD_HEADER = re.compile(r"^#\s*(fact|seed|expect)\s*:", re.MULTILINE)


def fact(path: Path) -> QueryFile:
    return read_query_file(path, "fact")


def test_there_are_enough_fact_checks() -> None:
    assert len(FACTS) >= 60, f"only {len(FACTS)} fact checks"


@pytest.mark.parametrize("path", FACTS, ids=[p.stem for p in FACTS])
def test_fact_header_cites_a_seed(path: Path) -> None:
    assert not OLD_HEADER.search(path.read_text(encoding="utf-8")), (
        f"{path.name}: the header reads '#+ fact:', '#+ seed:', '#+ expect:' (see tests/facts/README.md)"
    )
    fields = fact(path).fields
    assert re.search(r"\d{3}_[0-9a-f]{16}\.txt|guidelines\.md", fields["seed"]), (
        f"{path.name}: seed must name a seed file"
    )
    assert fields["expect"] in ("true", "false")
    assert fact(path).form == "ASK", f"{path.name}: a fact check is an ASK"


@pytest.mark.parametrize("path", FACTS, ids=[p.stem for p in FACTS])
def test_fact_holds(path: Path, store) -> None:
    check = fact(path)
    answer = store.ask(check.sparql)
    assert answer == (check.fields["expect"] == "true"), f"{path.name}: {check.fields['fact']} ({check.fields['seed']})"


def test_a_header_in_the_old_comment_form_is_refused(tmp_path: Path) -> None:
    old = tmp_path / "99-old.rq"
    old.write_text("# fact: x\n# seed: 001_17db9149d318b85f.txt\n# expect: true\nASK {}\n", encoding="utf-8")
    with pytest.raises(CatalogueError, match=r"header lacks #\+ fact, #\+ seed, #\+ expect"):
        fact(old)
