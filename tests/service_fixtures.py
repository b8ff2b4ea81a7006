"""Starting the real service (and listeners, and an Oxigraph server) on 127.0.0.1 for the HTTP tests.

Test modules import from here (``from service_fixtures import ...``; pytest puts
tests/ on the path). The ``services`` fixture (conftest.py) is a ``ServicePool``: one
running service per set of options for the whole run, so the modules that can share one
do, stopped by the fixture's finaliser when the run ends. A test or fixture that starts
its own ``Service`` stops it itself (``with Service(...) as service:`` or a yield fixture).
Everything listens on 127.0.0.1 only.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

from mfbt_kg.service.worker_process import TEMPLATE_NAME, WORKER_NAME

ROOT = Path(__file__).resolve().parents[1]
OXIGRAPH = Path(sys.executable).parent / "oxigraph"
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
# A query no time limit of a few seconds lets finish (10^12 rows on the real graph).
SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
# What no error body may contain.
LEAKS = (
    "Traceback",
    'File "',
    "/work/",
    "/tmp/",
    "/etc/passwd",
    "root:",
    "Errno",
    "errno",
    "127.0.0.1:",
    "site-packages",
    "ConnectionRefused",
    "Connection refused",
    "os error",
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(url: str, proc: subprocess.Popen, limit: float = 90) -> None:
    started = time.monotonic()
    while time.monotonic() - started < limit:
        if proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode}: {proc.stderr.read() if proc.stderr else ''}")
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up within {limit}s")


class Service:
    """The service in a subprocess on loopback: ``mfbt-kg serve`` with the given options."""

    def __init__(
        self, *args: str, timeout: float = 2.0, max_rows: int = 50, prelude: str = "", preexec_fn=None
    ) -> None:
        """``prelude``: Python run in the service process before the command (e.g. to make a system call
        fail as a host would). Per-client budgets are off unless ``--client-budget`` is given: the tests
        all come from 127.0.0.1 and would otherwise share one client's budget."""
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        if "--client-budget" not in args:
            args = (*args, "--client-budget", "0")
        command = (
            ["-m", "mfbt_kg.cli"]
            if not prelude
            else ["-c", prelude + "\nimport sys\nfrom mfbt_kg.cli import main\nsys.exit(main(sys.argv[1:]))"]
        )
        argv = [
            sys.executable,
            *command,
            "--root",
            str(ROOT),
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--timeout",
            str(timeout),
            "--max-rows",
            str(max_rows),
            *args,
        ]
        self.proc = subprocess.Popen(
            argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, preexec_fn=preexec_fn
        )
        try:
            wait_until_up(f"{self.base}/health", self.proc)
        except BaseException:
            self.stop()
            raise

    def __enter__(self) -> Service:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def get(self, query: str, accept: str = "application/sparql-results+json", **kwargs) -> httpx.Response:
        headers = {"Accept": accept, **kwargs.pop("headers", {})}
        return httpx.get(f"{self.base}/sparql", params={"query": query}, headers=headers, timeout=30, **kwargs)

    def count(self) -> int:
        return int(self.get(COUNT).json()["results"]["bindings"][0]["n"]["value"])

    def health(self) -> dict:
        return httpx.get(f"{self.base}/health", timeout=10).json()

    def worker_pids(self) -> set[int]:
        """The query worker processes: the service's children (adopted) named as ``worker_process`` names them
        (their template shares their command line)."""
        return self._children(WORKER_NAME)

    def template_pids(self) -> set[int]:
        """The process holding the loaded graph that the workers are forked from."""
        return self._children(TEMPLATE_NAME)

    def _children(self, name: str) -> set[int]:
        found = set()
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
                comm = (entry / "comm").read_text().strip()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            state = stat.rsplit(")", 1)[1].split()[0]
            if ppid == self.proc.pid and comm == name and state != "Z":
                found.add(int(entry.name))
        return found

    def reload(self) -> None:
        os.kill(self.proc.pid, signal.SIGHUP)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)


class ServicePool:
    """Running services shared by the test run, one per option set; ``stop`` ends them all."""

    def __init__(self) -> None:
        self._running: dict[tuple, Service] = {}

    def get(self, *args: str, timeout: float = 2.0, max_rows: int = 50) -> Service:
        key = (args, timeout, max_rows)
        service = self._running.get(key)
        if service is None or service.proc.poll() is not None:
            service = self._running[key] = Service(*args, timeout=timeout, max_rows=max_rows)
        return service

    def stop(self) -> None:
        while self._running:
            self._running.popitem()[1].stop()


def assert_generic(response: httpx.Response) -> None:
    """An error body says what is wrong with the request, and nothing about the machine."""
    for leak in LEAKS:
        assert leak not in response.text, f"error body leaks {leak!r}: {response.text[:300]}"


class Listener:
    """A TCP listener on 127.0.0.1 that records every connection; the service must never call it."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/"
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def settle(self) -> int:
        """The connection count after a moment for stragglers to arrive."""
        time.sleep(0.3)
        return self.connections

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self.sock.close()


class OxigraphServer:
    """``oxigraph serve`` (the Rust server from PyPI) on 127.0.0.1, with its own time limit."""

    def __init__(self, location: Path) -> None:
        if not OXIGRAPH.exists():
            raise RuntimeError("the oxigraph server (PyPI package 'oxigraph', a test dependency) is not installed")
        self.port = free_port()
        self.proc = subprocess.Popen(
            [
                str(OXIGRAPH),
                "serve",
                "--location",
                str(location),
                "--bind",
                f"127.0.0.1:{self.port}",
                "--timeout-s",
                "5",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.url = f"http://127.0.0.1:{self.port}/query"
        wait_until_up(self.url + "?query=ASK%7B%7D", self.proc)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def assert_remote_service_answers(service: Service, graph) -> None:
    """A service in remote mode over the project's graph, whatever the engine: the whole graph, a catalogue
    answer (KBT 2018's stated 56 earmarked beds against the 53 its parts add to), ETags tied to the upload's
    version with 304 on revalidation, every result format, a capped CONSTRUCT, a generic 400."""
    from mfbt_kg.sparql.store import data_version, to_ntriples

    health = service.health()
    assert health["store"] == "remote" and health["data_version"] == data_version(to_ntriples(graph))
    assert service.count() == len(graph)
    response = httpx.get(f"{service.base}/api/queries/stated-totals-vs-parts", timeout=30)
    totals = {b["total"]["value"]: b["difference"]["value"] for b in response.json()["results"]["bindings"]}
    assert totals["https://w3id.org/mfbt-kg/id/total/national-earmarked-beds-kbt-2018"] == "-3"
    first = service.get(COUNT)
    assert first.headers["etag"] == f'W/"{health["data_version"]}-json"'
    assert service.get(COUNT, headers={"If-None-Match": first.headers["etag"]}).status_code == 304
    for accept in ("text/csv", "application/sparql-results+xml", "text/tab-separated-values"):
        assert service.get(COUNT, accept).headers["content-type"].startswith(accept)
    construct = service.get("CONSTRUCT WHERE { ?s ?p ?o }", "text/turtle")
    assert construct.status_code == 200 and construct.headers["x-result-capped"] == "true"
    bad = service.get("SELECT * WHERE { ?s ?p }")
    assert bad.status_code == 400
    assert_generic(bad)


def assert_refused_before_the_store(
    service: Service, listener: Listener, queries: list[str], graph_params: tuple[str, ...]
) -> None:
    """Each query, and a COUNT with each ``default-graph-uri``, refused by the service with a generic 400, and
    the listener called by none of them (the count it had before these requests stays as it was)."""
    seen = listener.settle()
    for query in queries:
        response = service.get(query)
        assert response.status_code == 400, query
        assert_generic(response)
    for graph_param in graph_params:
        response = httpx.get(
            f"{service.base}/sparql", params={"query": COUNT, "default-graph-uri": graph_param}, timeout=10
        )
        assert response.status_code == 400, graph_param
    assert listener.settle() == seen


def assert_time_limit(service: Service, limit: float = 2.0) -> None:
    """SLOW answered 503 soon after the service's time limit, and the service answers again after it."""
    started = time.monotonic()
    response = service.get(SLOW)
    assert response.status_code == 503 and time.monotonic() - started < limit + 1.5
    assert service.count() > 0
