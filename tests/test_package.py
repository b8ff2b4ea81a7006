"""A built wheel, installed alone in a new virtual environment, serves the real data outside a checkout.

The wheel is built from the repository's own files (as a clean clone holds them) with pip's
isolated build, installed into a fresh venv with its dependencies, and run from an empty folder:
``mfbt-kg --version``, ``python -m mfbt_kg query run``, and ``mfbt-kg serve`` answering on loopback.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import httpx
import pytest

from service_fixtures import ROOT, free_port, wait_until_up

pytestmark = pytest.mark.slow


def _tracked_files() -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    return [name for name in listed if (ROOT / name).is_file()]


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bin/ folder of a new venv holding only the built wheel and its dependencies."""
    work = tmp_path_factory.mktemp("package")
    source = work / "source"
    for name in _tracked_files():
        target = source / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target)
    dist = work / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(source)],
        check=True,
        capture_output=True,
        text=True,
    )
    env_dir = work / "venv"
    venv.create(env_dir, with_pip=True)
    wheel = next(dist.glob("mfbt_kg-*.whl"))
    subprocess.run(
        [str(env_dir / "bin" / "python"), "-m", "pip", "install", "-q", str(wheel)],
        check=True,
        capture_output=True,
        text=True,
    )
    return env_dir / "bin"


def test_the_wheel_carries_the_graph_the_catalogue_and_both_licences(installed: Path, tmp_path: Path) -> None:
    wheel = next((installed.parent.parent / "dist").glob("mfbt_kg-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for folder, pattern in (("ontology", "*.ttl"), ("data/ttl", "*.ttl"), ("queries", "*.rq")):
        expected = {f"mfbt_kg/project/{p.relative_to(ROOT)}" for p in (ROOT / folder).glob(pattern)}
        assert expected and expected <= names, f"{folder} missing from the wheel"
    licences = {n.rsplit("/", 1)[-1] for n in names if "/licenses/" in n}
    assert licences == {"LICENSE", "LICENSE-DATA"}


def test_the_installed_command_runs_outside_a_checkout(installed: Path, tmp_path: Path) -> None:
    version = subprocess.run(
        [str(installed / "mfbt-kg"), "--version"], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    assert version.stdout.startswith("mfbt-kg ")
    answer = subprocess.run(
        [str(installed / "python"), "-m", "mfbt_kg", "query", "run", "offers-overview", "--format", "csv"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    rows = answer.stdout.strip().splitlines()
    # KBT 2018, «Geografisk plassering»: 14 offers (Vestre Viken's three units are one offer).
    assert len(rows) == 1 + 14, answer.stdout


def test_the_installed_service_serves_the_real_data(installed: Path, tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(
        [str(installed / "mfbt-kg"), "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_until_up(f"{base}/health", proc)
        page = httpx.get(f"{base}/id/offer/unn-asgard", headers={"Accept": "text/html"})
        assert page.status_code == 200 and "Åsgård" in page.text
        table = httpx.get(f"{base}/api/queries/offers-overview", headers={"Accept": "text/csv"})
        assert table.status_code == 200 and len(table.text.strip().splitlines()) == 1 + 14
    finally:
        proc.terminate()
        proc.wait(timeout=30)
