"""`mfbt-kg diff`: between the real data and a copy with one fact changed, the diff names that fact.

The fact broken here is Vegsund DPS's 3 earmarked beds of 2 Jan 2018 (KBT 2018, the capacity table:
«Helse Midt-Norge 3.10.2016 3 (+ 3 plasser for dagbehandling)»); the copy says 4.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from rdflib import Graph

from conftest import break_file
from mfbt_kg.graph.files import load_graph
from mfbt_kg.publish.diff import CHANGESET, DiffError, compare, next_version, read_release

VEGSUND_BEDS = 'mfbt:value 3 ; mfbt:approximate false ; mfbt:valueText "3"@nb ;'


def mfbt_kg(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mfbt_kg", *args], cwd=cwd, capture_output=True, text=True, timeout=300
    )


def test_one_changed_fact_is_named_with_its_resource_label_and_source(root: Path, project_copy: Path) -> None:
    break_file(
        project_copy / "data/ttl/figures-capacity.ttl",
        VEGSUND_BEDS,
        'mfbt:value 4 ; mfbt:approximate false ; mfbt:valueText "3"@nb ;',
    )
    done = mfbt_kg("diff", str(root), str(project_copy), "--release", "0.1.0", cwd=root)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].endswith("1 resources changed, 1 facts added, 1 removed; kind of change: major")
    assert lines[2:6] == [
        "Øremerkede senger, Vegsund DPS, 2.1.2018  figure:vegsund-dps-earmarked-beds-2018-01-02",
        "  sources: source:kbt-2018-kapasitet-og-oppstart, source:kbt-2018-tabell-kapasitet",
        "  changed mfbt:value: 3 → 4",
        "next version: 1.0.0 (was 0.1.0; major)",
    ]
    assert len(lines) == 6


def test_the_kind_of_change_decides_the_version(graph: Graph, project_copy: Path) -> None:
    figures = project_copy / "data/ttl/figures-capacity.ttl"
    break_file(
        figures, '"Øremerkede senger, Vegsund DPS, 2.1.2018"@nb', '"Øremerkede senger, Vegsund DPS (2.1.2018)"@nb'
    )
    relabelled = compare(graph, load_graph(project_copy))
    assert relabelled.level() == "patch" and next_version("0.1.0", "patch") == "0.1.1"
    break_file(figures, VEGSUND_BEDS, VEGSUND_BEDS + ' mfbt:footnote "x"@nb ;')
    added = compare(graph, load_graph(project_copy))
    assert [r.level() for r in added.resources] == ["minor"] and next_version("0.1.0", "minor") == "0.2.0"
    assert compare(graph, graph).level() == "none" and next_version("0.1.0", "none") == "0.1.0"


def test_the_change_set_as_rdf(graph: Graph, project_copy: Path) -> None:
    break_file(
        project_copy / "data/ttl/figures-capacity.ttl",
        VEGSUND_BEDS,
        'mfbt:value 4 ; mfbt:approximate false ; mfbt:valueText "3"@nb ;',
    )
    done = mfbt_kg("diff", str(project_copy), str(project_copy), "--format", "turtle", cwd=project_copy)
    assert (
        done.returncode == 0
        and Graph().parse(data=done.stdout, format="turtle").value(predicate=CHANGESET.subjectOfChange) is None
    )  # the same release twice: an empty change set
    from mfbt_kg.publish.diff import as_rdf

    changes = as_rdf(compare(graph, load_graph(project_copy)))
    assert len(list(changes.subjects(predicate=CHANGESET.subjectOfChange))) == 1
    assert len(list(changes.objects(predicate=CHANGESET.addition))) == 1
    assert len(list(changes.objects(predicate=CHANGESET.removal))) == 1


def test_releases_are_read_from_an_export_dump_and_from_git(graph: Graph, root: Path, tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    graph.serialize(tmp_path / "data" / "mfbt-kg.nt", format="nt")
    assert compare(graph, read_release(str(tmp_path), root)).level() == "none"
    assert len(read_release("git:HEAD", root)) > 0
    with pytest.raises(DiffError, match="git:no-such-revision"):
        read_release("git:no-such-revision", root)
    with pytest.raises(DiffError, match="not an export folder"):
        read_release(str(tmp_path / "nothing-here"), root)
