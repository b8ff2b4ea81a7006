"""Releases in the bundle: ``export --previous DIR`` gives the version the changes call for (docs/curation.md
"Releases"), puts the diff (text and Turtle) and a data changelog in the bundle, and the DCAT links the
release to the one before (adms:versionNotes, dcat:previousVersion) while still conforming to DCAT-AP-NO.

The changed fact: Vegsund DPS's day-treatment places, «3 (+ 3 plasser for dagbehandling)» in KBT's capacity
table (seed 001_17db9149d318b85f.txt line 1392; data/ttl/figures-capacity.ttl, figure
vegsund-dps-day-places-2018-01-02, mfbt:value 3), changed to 4 in a throw-away copy.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import OWL

from conftest import ROOT, break_file
from mfbt_kg.cli import main
from mfbt_kg.namespaces import ADMS, DATASET_IRI, DCAT_PREVIOUS_VERSION, DESCRIPTION
from test_export import dcat_ap_no_report

DATASET = URIRef(DATASET_IRI)
FIGURE = "data/ttl/figures-capacity.ttl"


@pytest.fixture(scope="module")
def first(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("release") / "first"
    assert main(["--root", str(ROOT), "export", "--local", "--out", str(out), "--dataset-version", "1.4.2"]) == 0
    return out


def version_of(bundle: Path) -> str:
    return str(Graph().parse(bundle / "dcat.ttl").value(DATASET, OWL.versionInfo))


def test_a_changed_fact_is_a_major_release_with_diff_changelog_and_links(
    first: Path, project_copy: Path, tmp_path: Path, capsys
) -> None:
    break_file(
        project_copy / FIGURE,
        "mfbt:about offer:vegsund-dps ; mfbt:measure measure:day-places ;\n    mfbt:value 3 ;",
        "mfbt:about offer:vegsund-dps ; mfbt:measure measure:day-places ;\n    mfbt:value 4 ;",
    )
    second = tmp_path / "second"
    assert version_of(first) == "1.4.2"
    assert (
        main(["--root", str(project_copy), "export", "--local", "--out", str(second), "--previous", str(first)]) == 0
    ), capsys.readouterr().err
    assert version_of(second) == "2.0.0", "a changed fact is a major change"
    diff = (second / "changes" / "diff.txt").read_text(encoding="utf-8")
    assert "1 resources changed, 1 facts added, 1 removed; kind of change: major" in diff.splitlines()[0]
    assert "Plasser for dagbehandling, Vegsund DPS, 2.1.2018" in diff
    assert "changed mfbt:value: 3 → 4" in diff
    assert "source:kbt-2018-tabell-kapasitet" in diff
    Graph().parse(second / "changes" / "diff.ttl", format="turtle")
    changelog = (second / "CHANGELOG.md").read_text(encoding="utf-8")
    assert changelog.index("## 2.0.0") < changelog.index("## 1.4.2"), changelog
    dcat = Graph().parse(second / "dcat.ttl")
    assert dcat.value(DATASET, URIRef(DCAT_PREVIOUS_VERSION)) == DESCRIPTION["release/1.4.2"]
    notes = {n.language: str(n) for n in dcat.objects(DATASET, ADMS.versionNotes)}
    assert set(notes) == {"nb", "en"} and notes["en"].startswith("Version 2.0.0, a major change")
    conforms, text = dcat_ap_no_report(dcat)
    assert conforms, text
    sums = (second / "SHA256SUMS").read_text(encoding="utf-8")
    assert all(f"  {p}\n" in sums for p in ("CHANGELOG.md", "changes/diff.txt", "changes/diff.ttl"))


def test_a_wording_fix_is_a_patch_and_a_wrong_version_is_refused(
    first: Path, project_copy: Path, tmp_path: Path, capsys
) -> None:
    break_file(
        project_copy / FIGURE,
        '"Day-treatment places, Vegsund DPS, 2 Jan 2018"@en',
        '"Day treatment places, Vegsund DPS, 2 January 2018"@en',
    )
    refused = tmp_path / "refused"
    assert (
        main(
            [
                "--root",
                str(project_copy),
                "export",
                "--local",
                "--out",
                str(refused),
                "--previous",
                str(first),
                "--dataset-version",
                "1.5.0",
            ]
        )
        == 2
    )
    err = capsys.readouterr().err
    assert "version 1.5.0 does not follow the changes since 1.4.2" in err and "1.4.3" in err
    assert not refused.exists()
    patched = tmp_path / "patched"
    assert (
        main(["--root", str(project_copy), "export", "--local", "--out", str(patched), "--previous", str(first)]) == 0
    )
    assert version_of(patched) == "1.4.3"
    assert Graph().parse(patched / "dcat.ttl").value(DATASET, ADMS.versionNotes) is not None


def test_previous_must_be_an_export(tmp_path: Path, capsys) -> None:
    assert (
        main(["--root", str(ROOT), "export", "--local", "--out", str(tmp_path / "out"), "--previous", str(tmp_path)])
        == 2
    )
    assert "not an earlier export" in capsys.readouterr().err
