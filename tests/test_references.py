"""Dangling references and duplicate descriptions are caught, with file, line and "did you mean".

Each case breaks a copy of the real files the way a curator would (a misspelt slug, a slug typed
with Norwegian letters, a block pasted into a second file) and checks the whole list of findings.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conftest import break_file
from mfbt_kg.graph.files import load_graph
from mfbt_kg.graph.references import Finding, find_problems, index_files

ASGARD_REFERENCE = "    mfbt:about offer:unn-asgard ;"  # data/ttl/target-groups.ttl, UNN Åsgård's target groups


def findings(root: Path) -> list[Finding]:
    texts: list = []
    load_graph(root, texts=texts)
    return find_problems(index_files(texts))


def test_the_real_files_have_no_dangling_reference_and_no_duplicate(root: Path) -> None:
    assert findings(root) == []


def test_a_misspelt_slug_is_a_dangling_reference_with_a_suggestion(project_copy: Path) -> None:
    line = break_file(project_copy / "data/ttl/target-groups.ttl", ASGARD_REFERENCE, "    mfbt:about offer:unn-asgrd ;")
    found = findings(project_copy)
    assert [(f.kind, str(f.place), f.message) for f in found] == [
        (
            "dangling",
            f"data/ttl/target-groups.ttl:{line}",
            "offer:unn-asgrd is used here but described nowhere; did you mean offer:unn-asgard?",
        )
    ]


def test_a_slug_typed_with_norwegian_letters_gets_the_slug_rule_as_suggestion(project_copy: Path) -> None:
    line = break_file(
        project_copy / "data/ttl/target-groups.ttl", ASGARD_REFERENCE, "    mfbt:about offer:unn-åsgård ;"
    )
    found = findings(project_copy)
    assert [(f.kind, str(f.place)) for f in found] == [("dangling", f"data/ttl/target-groups.ttl:{line}")]
    assert found[0].message.endswith("did you mean offer:unn-asgard?")


def test_one_iri_described_in_two_files_is_named_at_both_places(project_copy: Path) -> None:
    offers = project_copy / "data/ttl/offers.ttl"
    first = 1 + offers.read_text(encoding="utf-8").split("\noffer:vestfold a ")[0].count("\n") + 1
    target = project_copy / "data/ttl/referral.ttl"
    text = target.read_text(encoding="utf-8")
    pasted = 'offer:vestfold a mfbt:TreatmentOffer ;\n    rdfs:label "Vestfold"@nb .\n'
    target.write_text(text + "\n" + pasted, encoding="utf-8")
    second = text.count("\n") + 2
    found = findings(project_copy)
    places = [f"data/ttl/offers.ttl:{first}", f"data/ttl/referral.ttl:{second}"]
    assert [(f.kind, str(f.place)) for f in found] == [("duplicate", p) for p in places]
    assert all(f"described in 2 places ({', '.join(places)})" in f.message for f in found)


def test_validate_refuses_a_dangling_reference_and_names_file_and_line(project_copy: Path) -> None:
    line = break_file(project_copy / "data/ttl/target-groups.ttl", ASGARD_REFERENCE, "    mfbt:about offer:unn-asgrd ;")
    done = subprocess.run(
        [sys.executable, "-m", "mfbt_kg", "--root", str(project_copy), "validate"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 1, done.stderr
    output = done.stdout + done.stderr
    assert f"[data/ttl/target-groups.ttl:{line}]" in output
    assert "did you mean offer:unn-asgard?" in output
