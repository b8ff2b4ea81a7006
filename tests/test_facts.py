"""Fact checks: each tests/facts/*.rq is an ASK over the real graph citing its seed passage."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mfbt_kg.namespaces import sparql_prologue

FACTS = sorted((Path(__file__).parent / "facts").glob("*.rq"))
HEADER = re.compile(r"^#\s*(fact|seed|expect)\s*:\s*(.+?)\s*$", re.MULTILINE)


def header(path: Path) -> dict[str, str]:
    return {key: value for key, value in HEADER.findall(path.read_text(encoding="utf-8"))}


def test_there_are_enough_fact_checks() -> None:
    assert len(FACTS) >= 60, f"only {len(FACTS)} fact checks"


@pytest.mark.parametrize("path", FACTS, ids=[p.stem for p in FACTS])
def test_fact_header_cites_a_seed(path: Path) -> None:
    fields = header(path)
    assert {"fact", "seed", "expect"} <= set(fields), f"{path.name}: header needs fact, seed and expect"
    assert re.search(r"\d{3}_[0-9a-f]{16}\.txt|guidelines\.md", fields["seed"]), f"{path.name}: seed must name a seed file"
    assert fields["expect"] in ("true", "false")


@pytest.mark.parametrize("path", FACTS, ids=[p.stem for p in FACTS])
def test_fact_holds(path: Path, store) -> None:
    fields = header(path)
    answer = bool(store.query(sparql_prologue() + path.read_text(encoding="utf-8")))
    assert answer == (fields["expect"] == "true"), f"{path.name}: {fields['fact']} ({fields['seed']})"
