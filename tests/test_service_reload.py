"""A reload swaps the whole graph at once: ``kill -HUP`` makes an embedded service read its
data again; every answer comes wholly from the old data or wholly from the new, and the
validators (ETag, Last-Modified) follow. A reload that fails keeps the old data.

The service serves a data file here (``--data``), so the test can change it.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import os
import threading
import time
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import VOID

from mfbt_kg.namespaces import DATASET_IRI
from service_fixtures import COUNT, Service


def triples(n: int, tag: str) -> str:
    return "".join(f'<http://example.org/{tag}/{i}> <http://example.org/p> "{i}" .\n' for i in range(n))


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("reload") / "data.nt"
    path.write_text(triples(1000, "old"), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def service(data: Path):
    svc = Service("--data", str(data), timeout=5.0, max_rows=50)
    yield svc
    svc.stop()


def wait_for(predicate, limit: float = 60) -> None:
    started = time.monotonic()
    while not predicate():
        assert time.monotonic() - started < limit, "the service did not reload in time"
        time.sleep(0.1)


def test_reload_swaps_everything_at_once(service: Service, data: Path) -> None:
    old_health = service.health()
    old_pids = service.worker_pids()
    old_etag = service.get(COUNT).headers["etag"]
    assert service.count() == 1000 and old_health["reloads"] == 0

    seen: list[int] = []
    stop = threading.Event()

    def hammer() -> None:  # answers while the reload happens: only ever 1000 or 3000, never in between
        while not stop.is_set():
            response = service.get("SELECT (COUNT(*) AS ?n) WHERE { ?s <http://example.org/p> ?o }")
            if response.status_code == 200:
                seen.append(int(response.json()["results"]["bindings"][0]["n"]["value"]))

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        clients = [pool.submit(hammer) for _ in range(4)]
        time.sleep(0.3)
        data.write_text(triples(3000, "new"), encoding="utf-8")
        os.utime(data, (time.time() + 5, time.time() + 5))
        service.reload()
        wait_for(lambda: service.health()["reloads"] == 1)
        time.sleep(0.3)
        stop.set()
        for client in clients:
            client.result()

    assert set(seen) <= {1000, 3000} and 1000 in seen and 3000 in seen
    assert service.count() == 3000
    new_health = service.health()
    assert new_health["data_version"] != old_health["data_version"] and new_health["triples"] == 3000
    assert new_health["data_modified"] > old_health["data_modified"]
    assert service.get(COUNT, headers={"If-None-Match": old_etag}).status_code == 200  # the old ETag no longer matches
    wait_for(
        lambda: not (service.worker_pids() & old_pids) and len(service.worker_pids()) == 4, limit=20
    )  # 2 + fast + standby


def test_reload_without_change_keeps_the_workers(service: Service) -> None:
    before = (service.health()["reloads"], service.worker_pids())
    service.reload()
    time.sleep(1.0)
    assert (service.health()["reloads"], service.worker_pids()) == before


def test_dataset_and_dumps_describe_the_data_being_served(service: Service) -> None:
    """/dataset and /dump come from the served snapshot (the --data file here, 3000 triples after the
    reload above), not from the project's files on disk."""
    served = service.count()
    assert served == 3000
    description = Graph().parse(data=httpx.get(f"{service.base}/dataset.ttl", timeout=60).text, format="turtle")
    assert description.value(URIRef(DATASET_IRI), VOID.triples).toPython() == served
    dump = httpx.get(f"{service.base}/dump/data/mfbt-kg.nt", timeout=60)
    assert dump.status_code == 200
    assert {q.triple for q in ox.parse(dump.content, format=ox.RdfFormat.N_TRIPLES)} == {
        ox.Triple(ox.NamedNode(f"http://example.org/new/{i}"), ox.NamedNode("http://example.org/p"), ox.Literal(str(i)))
        for i in range(3000)
    }


def test_failed_reload_keeps_serving_the_previous_data(service: Service, data: Path) -> None:
    version = service.health()["data_version"]
    data.write_text("<http://example.org/broken> this is not N-Triples\n", encoding="utf-8")
    service.reload()
    wait_for(lambda: "last_reload_error" in service.health())
    health = service.health()
    assert health["data_version"] == version and service.count() == 3000
    assert str(data) not in str(health) and "/tmp" not in str(health)  # the details go to the log, not the web


def test_reload_refuses_project_data_that_does_not_conform(project_copy: Path) -> None:
    """The service validates the project's graph whenever it (re)reads it (graph.validate.validated):
    new data with a violation is refused, the old data stays served, and /health says why, without paths."""
    from conftest import break_file
    from mfbt_kg.api.health import health
    from mfbt_kg.service.service import Service as Running
    from mfbt_kg.service.settings import Settings

    async def scenario() -> tuple[str, str, bool, dict]:
        running = Running(Settings(root=project_copy, workers=1))
        await running.start()
        try:
            before = running.version
            break_file(
                project_copy / "data/ttl/offers.ttl",
                "mfbt:region region:helse-nord ; mfbt:providedBy trust:unn ;",
                "mfbt:providedBy trust:unn ;",
            )
            changed = await running.reload()
            body = json.loads((await health(running)).body)
            return before, running.version, changed, body
        finally:
            running.close()

    before, after, changed, body = asyncio.run(scenario())
    assert not changed and after == before
    assert "does not conform to the shapes (1 violation(s))" in body["last_reload_error"]
    assert str(project_copy) not in json.dumps(body)
