"""``graph.validate.validated``: the one "validate or refuse" of export, load and the service's (re)load,
and the cache that spares a restart on unchanged files a second SHACL run."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import break_file
from mfbt_kg.graph import validate as validate_module
from mfbt_kg.graph.validate import InvalidGraphError, validated


def test_a_check_is_kept_by_content_and_never_outlives_a_change(
    project_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(validate_module, "CHECK_CACHE", tmp_path / "cache")
    graph, first = validated(project_copy)
    kept = sorted(p.suffix for p in (tmp_path / "cache").iterdir())
    assert first.conforms and first.violations == [] and kept == [".json", ".nt"]  # the report and the N-Triples

    def no_shacl(*args: object, **kwargs: object) -> None:
        raise AssertionError("the same files were checked again")

    monkeypatch.setattr(validate_module, "shacl_validate", no_shacl)
    again_graph, again = validated(project_copy)  # the same bytes: the kept report, the graph read again
    assert again == first and len(again_graph) == len(graph)

    monkeypatch.undo()
    monkeypatch.setattr(validate_module, "CHECK_CACHE", tmp_path / "cache")
    # An offer without its region (the shapes' own message): a changed file is a new check, and refused.
    break_file(
        project_copy / "data/ttl/offers.ttl",
        "mfbt:region region:helse-nord ; mfbt:providedBy trust:unn ;",
        "mfbt:providedBy trust:unn ;",
    )
    with pytest.raises(InvalidGraphError) as refused:
        validated(project_copy)
    assert [v.message for v in refused.value.report.violations] == [
        "An offer needs its region: mfbt:region pointing at one regional health authority."
    ]
    with pytest.raises(InvalidGraphError) as kept:  # the refusal is kept too, with the same violations
        validated(project_copy)
    assert kept.value.report.violations == refused.value.report.violations


def test_serve_refuses_a_project_that_does_not_conform(
    project_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    """Before any worker starts or port opens: the violations on stderr and exit 1, as validate and export."""
    from mfbt_kg.cli import main

    monkeypatch.setattr(validate_module, "CHECK_CACHE", tmp_path / "cache")
    assert not validate_module.known_to_conform(project_copy)
    validated(project_copy)
    assert validate_module.known_to_conform(project_copy)
    break_file(
        project_copy / "data/ttl/offers.ttl",
        "mfbt:region region:helse-nord ; mfbt:providedBy trust:unn ;",
        "mfbt:providedBy trust:unn ;",
    )
    assert not validate_module.known_to_conform(project_copy)
    assert main(["--root", str(project_copy), "serve", "--port", "1"]) == 1
    err = capsys.readouterr().err
    assert "An offer needs its region" in err and "nothing served" in err
