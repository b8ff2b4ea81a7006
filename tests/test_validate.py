"""The real graph conforms; broken copies of real files fail with the shape's message."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mfbt_kg.cli import main
from mfbt_kg.graph.files import load_graph
from mfbt_kg.graph.validate import validate_graph

from conftest import break_file

CASES = json.loads((Path(__file__).parent / "shape_cases.json").read_text(encoding="utf-8"))


def test_real_graph_conforms(graph, shapes) -> None:
    report = validate_graph(graph, shapes)
    assert report.conforms, "\n".join(v.describe() for v in report.violations)


def test_validate_cli_prints_summary(root: Path, capsys) -> None:
    assert main(["--root", str(root), "validate"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert out[-1].startswith("graph conforms: ") and " 14 offers, " in out[-1]


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_broken_copy_fails_with_message(case: dict, project_copy: Path, shapes) -> None:
    break_file(project_copy / case["file"], case["replace"], case["with"])
    report = validate_graph(load_graph(project_copy), shapes)
    assert not report.conforms
    messages = [v.describe() for v in report.violations]
    assert any(case["expect"] in m for m in messages), "\n".join(messages)


def test_violations_as_json_and_exit_code_1(project_copy: Path, capsys) -> None:
    case = CASES[0]
    break_file(project_copy / case["file"], case["replace"], case["with"])
    assert main(["--root", str(project_copy), "validate", "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["conforms"] is False
    first = report["violations"][0]
    assert {"focus", "label", "file", "path", "message"} <= set(first)
