"""The real graph conforms; a broken copy of the real files fails with each shape's message.

All cases of ``shape_cases.json`` are applied to one copy, which is validated once: each case
breaks a different node, and each must show up as its own violation (focus node and message),
so one case cannot hide behind another's.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import break_file, copy_project
from mfbt_kg.cli import main
from mfbt_kg.graph.files import load_graph
from mfbt_kg.graph.validate import Report, validate_graph
from mfbt_kg.namespaces import PREFIXES

CASES = json.loads((Path(__file__).parent / "shape_cases.json").read_text(encoding="utf-8"))


def _iri(prefixed: str) -> str:
    prefix, local = prefixed.split(":", 1)
    return str(PREFIXES[prefix][local])


@pytest.fixture(scope="session")
def broken_copy(root: Path, tmp_path_factory) -> Path:
    """One copy of the project with every case of shape_cases.json applied."""
    copy = copy_project(root, tmp_path_factory.mktemp("broken"))
    for case in CASES:
        break_file(copy / case["file"], case["replace"], case["with"])
    return copy


@pytest.fixture(scope="session")
def broken_report(broken_copy: Path, shapes) -> Report:
    return validate_graph(load_graph(broken_copy), shapes)


def test_real_graph_conforms(graph, shapes) -> None:
    report = validate_graph(graph, shapes)
    assert report.conforms, "\n".join(v.describe() for v in report.violations)


def test_validate_cli_prints_summary(root: Path, capsys) -> None:
    assert main(["--root", str(root), "validate"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert out[-1].startswith("graph conforms: ") and " 14 offers, " in out[-1]


def test_cases_break_different_nodes() -> None:
    focuses = [case["focus"] for case in CASES]
    assert len(set(focuses)) == len(CASES), "two cases break the same node: one could hide the other"


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_broken_copy_fails_with_message(case: dict, broken_report: Report) -> None:
    focus = _iri(case["focus"])
    messages = [v.message for v in broken_report.violations if v.focus == focus]
    assert any(case["expect"] in m for m in messages), f"{case['focus']}: {messages}\n" + "\n".join(
        v.describe() for v in broken_report.violations
    )


def test_every_violation_comes_from_a_case(broken_report: Report) -> None:
    """Nothing else breaks: each violation's node is one a case broke."""
    assert not broken_report.conforms
    broken = {_iri(case["focus"]) for case in CASES}
    assert {v.focus for v in broken_report.violations} == broken, "\n".join(
        v.describe() for v in broken_report.violations if v.focus not in broken
    )


def test_violations_as_json_and_exit_code_1(broken_copy: Path, broken_report: Report, capsys) -> None:
    assert main(["--root", str(broken_copy), "validate", "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["conforms"] is False
    assert all({"focus", "label", "file", "path", "message"} <= set(v) for v in report["violations"])
    # every SHACL violation is in the CLI's report (which may add checks of its own, such as dangling references)
    shacl = {(v.focus, v.message) for v in broken_report.violations}
    assert shacl <= {(v["focus"], v["message"]) for v in report["violations"]}
    files = {v["focus"]: v["file"] for v in report["violations"]}
    assert files[_iri("protocol:helse-vest")] == "data/ttl/protocols.ttl"
