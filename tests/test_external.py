"""Third-party test material is vendored under tests/external/ unchanged: each folder's SHA256SUMS
pins the upstream files as copied (the folder's README says from where), so a local edit shows."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

EXTERNAL = Path(__file__).parent / "external"
# Every vendored folder that carries checksums; a folder added later joins by adding its SHA256SUMS.
PINNED = sorted(p.parent.name for p in EXTERNAL.glob("*/SHA256SUMS"))


def test_the_vendored_suites_are_pinned() -> None:
    assert {"dcat-ap-no", "w3c-sparql11-protocol"} <= set(PINNED)


@pytest.mark.parametrize("folder", PINNED)
def test_vendored_files_are_unchanged(folder: str) -> None:
    base = EXTERNAL / folder
    lines = (base / "SHA256SUMS").read_text(encoding="utf-8").splitlines()
    pinned = dict(reversed(line.split(maxsplit=1)) for line in lines if line.strip())
    assert {"COMMIT"} <= set(pinned) and (base / "README.md").is_file()
    for name, digest in pinned.items():
        assert hashlib.sha256((base / name).read_bytes()).hexdigest() == digest, f"{folder}/{name} was changed"


# A path into the folder beside the checkout, as a string or built with pathlib.
BESIDE = "sha" + "red"  # the folder's name, split so this file does not name it
OUTSIDE = re.compile(rf"""["']\.\./{BESIDE}|/\s*["']{BESIDE}["']|parents?\[\d+\]\s*/\s*["']{BESIDE}""")
CODE = ("*.py", "*.sh", "Makefile", "*.toml", "*.cfg", "*.ini", "run")


def test_nothing_reads_a_folder_beside_the_checkout() -> None:
    """The repository stands alone: no test, script or build file reaches for the folder beside the checkout."""
    root = Path(__file__).resolve().parents[1]
    folders = [root / name for name in ("src", "tests", "scripts", "bench", ".ci")]
    files = [p for pattern in CODE for p in root.glob(pattern)]
    files += [p for folder in folders for pattern in CODE for p in folder.rglob(pattern)]
    assert len(files) > 20
    readers = [
        str(p.relative_to(root)) for p in files if OUTSIDE.search(p.read_text(encoding="utf-8", errors="replace"))
    ]
    assert readers == []


def test_no_published_file_names_a_path_outside_the_repository() -> None:
    """The data, the ontology and the queries are published: none names the folder beside the checkout."""
    root = Path(__file__).resolve().parents[1]
    files = [p for folder in ("ontology", "data/ttl", "queries") for p in (root / folder).rglob("*") if p.is_file()]
    assert len(files) > 50
    outside = "/".join(("..", BESIDE))  # spelled so that the test above does not take this file for a reader
    assert [str(p.relative_to(root)) for p in files if outside in p.read_text(encoding="utf-8")] == []
