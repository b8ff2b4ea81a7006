"""Shared fixtures: the real project files, loaded once per session."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from mfbt_kg.graph.files import load_graph, project_root
from mfbt_kg.graph.validate import load_shapes
from mfbt_kg.sparql.catalogue import load_catalogue
from mfbt_kg.sparql.store import EmbeddedStore, to_ntriples
from service_fixtures import ServicePool

ROOT = project_root(Path(__file__).parent)


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def graph():
    return load_graph(ROOT)


@pytest.fixture(scope="session")
def shapes():
    return load_shapes(ROOT)


@pytest.fixture(scope="session")
def store(graph) -> EmbeddedStore:
    return EmbeddedStore(to_ntriples(graph))


@pytest.fixture(scope="session")
def catalogue():
    return load_catalogue(ROOT)


@pytest.fixture(scope="session")
def services() -> Iterator[ServicePool]:
    """The real service on 127.0.0.1, one per option set, shared by the run and stopped at its end."""
    pool = ServicePool()
    yield pool
    pool.stop()


@pytest.fixture(scope="session")
def virtuoso(request, tmp_path_factory):
    """A throwaway Virtuoso Open Source server on 127.0.0.1 (tests/virtuoso_fixtures.py), shared by the run's
    remote-mode modules and stopped by a finaliser when the run ends; skipped without Debian's virtuoso-t."""
    from virtuoso_fixtures import VIRTUOSO, VirtuosoServer

    if VIRTUOSO is None:
        pytest.skip("virtuoso-t is missing: sh scripts/ensure-virtuoso.sh (as root) installs it")
    location = tmp_path_factory.mktemp("virtuoso")
    server = VirtuosoServer(location)

    def finish() -> None:
        server.stop()
        shutil.rmtree(location, ignore_errors=True)

    request.addfinalizer(finish)
    return server


def copy_project(root: Path, dest: Path) -> Path:
    """Copy the real ontology/, data/ttl/ and queries/ into ``dest`` (to break them there)."""
    for folder in ("ontology", "data/ttl", "queries"):
        if (root / folder).exists():
            shutil.copytree(root / folder, dest / folder)
    return dest


@pytest.fixture()
def project_copy(root: Path, tmp_path: Path) -> Path:
    """A throw-away copy of the real ontology/ and data/ttl/ to break."""
    return copy_project(root, tmp_path)


def break_file(path: Path, old: str, new: str) -> int:
    """Replace the first ``old`` with ``new``; return the 1-based line of the change."""
    text = path.read_text(encoding="utf-8")
    at = text.index(old)
    path.write_text(text[:at] + new + text[at + len(old) :], encoding="utf-8")
    return text.count("\n", 0, at) + 1
