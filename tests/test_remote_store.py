"""The remote mode against a real Oxigraph server on 127.0.0.1: load, query, serve."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from mfbt_kg.catalogue import run
from mfbt_kg.cli import main
from mfbt_kg.results import rows
from mfbt_kg.store import RemoteStore

from conftest import ROOT
from service_fixtures import Service, free_port, wait_until_up

OXIGRAPH = Path(sys.executable).parent / "oxigraph"


@pytest.fixture(scope="module")
def oxigraph(tmp_path_factory):
    if not OXIGRAPH.exists():
        pytest.fail("the oxigraph server (PyPI package 'oxigraph', a test dependency) is not installed")
    port = free_port()
    location = tmp_path_factory.mktemp("oxigraph")
    proc = subprocess.Popen([str(OXIGRAPH), "serve", "--location", str(location), "--bind", f"127.0.0.1:{port}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}/query"
    wait_until_up(url + "?query=ASK%7B%7D", proc)
    yield url
    proc.terminate()
    proc.wait(timeout=10)
    shutil.rmtree(location, ignore_errors=True)


def test_load_uploads_the_validated_graph(oxigraph: str, graph, capsys) -> None:
    assert main(["--root", str(ROOT), "load", "--store", oxigraph]) == 0
    assert "uploaded" in capsys.readouterr().out
    assert RemoteStore(oxigraph).triple_count() == len(graph)


def test_catalogue_query_gives_the_same_answer_remote_and_embedded(oxigraph: str, store, catalogue) -> None:
    main(["--root", str(ROOT), "load", "--store", oxigraph])
    params = {"unit": "unn-asgard", "guideline": "psykoselidelser-2013"}
    query = catalogue["methods-backed-by-guideline"]
    remote = rows(run(RemoteStore(oxigraph), query, params))[1]
    local = rows(run(store, query, params))[1]
    assert sorted(r["method"].value for r in remote) == sorted(r["method"].value for r in local)
    assert len(remote) == 15


def test_service_in_remote_mode(oxigraph: str) -> None:
    main(["--root", str(ROOT), "load", "--store", oxigraph])
    service = Service("--store", oxigraph)
    try:
        response = httpx.get(f"{service.base}/api/queries/stated-totals-vs-parts", timeout=30)
        totals = {b["total"]["value"]: b["difference"]["value"] for b in response.json()["results"]["bindings"]}
        assert totals["https://w3id.org/mfbt-kg/id/total/national-earmarked-beds-kbt-2018"] == "-3"
        refused = httpx.get(f"{service.base}/sparql", params={"query": "SELECT * WHERE { SERVICE <http://127.0.0.1:1/> { ?s ?p ?o } }"},
                            timeout=10)
        assert refused.status_code == 400
    finally:
        service.stop()
