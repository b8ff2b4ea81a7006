"""Side-by-side benchmark: this service, rdflib-endpoint and `oxigraph serve-read-only`.

Each server gets the same N-Triples (the real graph, and ×10 / ×100 synthetic
copies), listens on 127.0.0.1 only, and is started, checked and measured alone
(the others stopped), so none competes for the two cores but the load
generator. Every query's answer is checked once against the in-process answer
before `wrk` loads it for a bounded time with 8 connections; only successful
answers count as throughput; before the next query the server's processes are
left to fall idle (work still queued from the last load would slow the next).
This service runs twice: without its answer cache (`--answer-cache-mb 0`, the
headline: what a first asker gets) and with it (the default), since `wrk`
repeats one query and would otherwise measure cache hits only.

Beside each target missed the report names its measured reason: the floor of
each server's HTTP path at the same concurrency (`ASK {}` and a one-row lookup,
bench/queries/), the engine's in-process time for the query (pyoxigraph), the
parts of start-up (the service's log lines as they arrive, timed from outside;
the import of the web stack and the in-process load timed apart), the resident
memory of each process of the service's tree (RSS, and PSS: shared pages counted
once). Also measured: each lookup's growth from the smallest to the largest
scale, SHACL validation time of the scaled graphs, the CLI's `query run` and
`validate` on the real data from a cold and a warm cache, and one replica pair
(two services over the same data, their ETags compared, loaded at once). Writes
docs/benchmarks.md; the tables without the answer cache come first. Not a test:
nothing asserts a time.

    .venv/bin/python bench/run.py [--scales 1,10,100] [--seconds 2] [--queries a,b] [--validate-scales 10,100]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import re
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from importlib import metadata
from pathlib import Path
from urllib.parse import quote

import httpx
import pyoxigraph as ox
from rdflib import Graph

sys.path.insert(0, str(Path(__file__).parent))
from mfbt_kg.api.query_page import example_values  # noqa: E402
from mfbt_kg.graph.files import project_root  # noqa: E402
from mfbt_kg.graph.validate import project_ntriples  # noqa: E402
from mfbt_kg.namespaces import sparql_prologue  # noqa: E402
from mfbt_kg.service.worker_process import answer  # noqa: E402
from mfbt_kg.sparql.answers import Job, Table, fetch  # noqa: E402
from mfbt_kg.sparql.catalogue import NamedQuery, bound_text, load_catalogue  # noqa: E402
from mfbt_kg.sparql.store import EmbeddedStore  # noqa: E402
from processes import ProcessMemory, process_tree, serve_argv, stop, tree_memory  # noqa: E402
from synthetic import scaled_ntriples  # noqa: E402

ROOT = project_root(Path(__file__).parent)
VENV_BIN = Path(sys.executable).parent
CONNECTIONS = 8
WRK_TIMEOUT = 10  # seconds; a slower answer counts as a timeout, not as throughput
START_LIMIT = 600  # seconds a server may take to answer its first query
# rdflib-endpoint parses for a long time at ×100 and may then time out on every query, each time busy for
# minutes: it gets a bounded start, and at each scale its load time plus this much for timeouts and restarts.
RDFLIB_ENDPOINT_START_LIMIT = 120.0
RDFLIB_ENDPOINT_EXTRA = 150.0
RESTART_UP_TO = 15.0  # a server still busy with a timed-out query is restarted only if it starts this fast
SETTLE_LIMIT = WRK_TIMEOUT + 10.0  # seconds a server may take to fall idle after a load
QUERIES = Path(__file__).parent / "queries"  # the benchmark's own queries (the floors, the probe)
# At ×10 and ×100: lookups and aggregates that analysts run most (every query runs at ×1).
SUBSET = (
    "offer-profile",
    "facts-about-resource",
    "find-resources-by-label",
    "offers-using-method",
    "protocol-signatories",
    "guideline-coverage-per-offer",
    "stated-totals-vs-parts",
    "sources-and-citations",
    "earmarked-beds-per-region",
)


def beyond_first_scale(catalogue: dict[str, NamedQuery]) -> list[str]:
    """Every lookup (its cost must not grow with the graph: each gets its ratio) and the aggregates of SUBSET."""
    lookups = [n for n in sorted(catalogue) if kind_of(catalogue[n])[0] == "lookup"]
    return lookups + [n for n in SUBSET if n in catalogue and n not in lookups]


RDFLIB_IN_PROCESS_UP_TO = 10  # rdflib's own engine takes minutes per query beyond ×10


def bench_query(name: str) -> str:
    """A query of bench/queries/ with the project's prefixes it uses, without its comment lines (the query
    travels in the URL)."""
    text = (QUERIES / f"{name}.rq").read_text(encoding="utf-8")
    body = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#")).strip()
    return sparql_prologue(body) + body


PROBE = bench_query("probe")
# The floor of each server's HTTP path at the benchmark's concurrency: what no query can go below there.
FLOORS = {"floor-ask": "`ASK {}`", "floor-one-row": "one-row lookup"}
# The service without its answer cache first: what a first asker gets, the headline.
SERVER_NAMES = ("mfbt-kg, no cache", "mfbt-kg", "rdflib-endpoint", "oxigraph")
BARE, CACHED = SERVER_NAMES[0], SERVER_NAMES[1]
FLOOR_SERVERS = (BARE, CACHED, "oxigraph")
# The service's log lines that mark the parts of its start-up, in order: (part ending there, the line).
STARTUP_MARKERS = (
    ("process start, imports", re.compile(r"serving http")),
    ("building the app", re.compile(r"Waiting for application startup")),
    ("loading the data, starting workers", re.compile(r"Application startup complete")),
    ("binding the socket", re.compile(r"Uvicorn running on")),
)
WORKER_MAX_ROWS, WORKER_MAX_BYTES = 1_000_000, 16 * 1024 * 1024  # the service's flags in this run, its default
MEMORY_BUDGET_MIB = 1536  # the service and its default workers, at every scale up to x100
STARTUP_TARGETS = {1: 0.5, 100: 2.0}  # seconds to the first answer, by scale
CLI_TARGETS = {"query run": 0.5, "validate": 2.0}  # seconds, warm, on the real data
CLI_QUERY = ("offer-profile", "--param", "offer=vegsund-dps")


# --- what is measured ---------------------------------------------------------------------


@dataclass
class Load:
    """One wrk run: successful answers per second and latency (percentiles include any failures)."""

    requests: int
    seconds: float
    failures: int  # non-2xx/3xx answers and socket errors (timeouts included)
    p50_ms: float
    p99_ms: float

    @property
    def rps(self) -> float:
        return max(0, self.requests - self.failures) / self.seconds if self.seconds else 0.0

    @property
    def mostly_failed(self) -> bool:
        return self.requests == 0 or self.failures * 2 > self.requests


@dataclass
class Outcome:
    """A server's result for one query: a load, or why it was not loaded."""

    load: Load | None = None
    problem: str = ""  # a wrong or failed answer: then no load


@dataclass
class Memory:
    """Resident memory of a server's whole process tree after its load."""

    processes: list[ProcessMemory]

    @property
    def rss(self) -> float:
        return sum(p.rss_mib for p in self.processes)

    @property
    def peaks(self) -> float:
        return sum(p.peak_mib for p in self.processes)

    @property
    def pss(self) -> float | None:
        values = [p.pss_mib for p in self.processes]
        return None if any(v is None for v in values) else sum(v for v in values if v is not None)

    def breakdown(self) -> str:
        """Each process: RSS (PSS), the root first, then the rest grouped by command name."""

        def one(p: ProcessMemory) -> str:
            return f"{p.rss_mib:,.0f}" + ("" if p.pss_mib is None else f" ({p.pss_mib:,.0f})")

        root, rest = self.processes[0], self.processes[1:]
        parts = [f"main {one(root)}"]
        for what in sorted({p.name for p in rest}):
            group = [p for p in rest if p.name == what]
            parts.append(f"{len(group)} × {what}: " + ", ".join(one(p) for p in group))
        return "; ".join(parts)


@dataclass
class ScaleResult:
    factor: int
    triples: int
    names: list[str]
    startup: dict[str, float | str] = field(default_factory=dict)
    outcomes: dict[tuple[str, str], Outcome] = field(default_factory=dict)
    oxigraph_load_ms: float = 0.0
    rdflib_load_ms: float | None = None
    in_process: dict[str, tuple[float, float | None]] = field(default_factory=dict)
    # name: (ms, bytes) of a worker's whole answer in process: the query and its answer written as JSON
    worker: dict[str, tuple[float, int]] = field(default_factory=dict)
    rows: dict[str, int | bool] = field(default_factory=dict)  # each answer's size (rows, triples or the boolean)
    memory: dict[str, Memory] = field(default_factory=dict)  # server: its process tree after the load
    floors: dict[tuple[str, str], Outcome] = field(default_factory=dict)  # (server, floor query): its load
    startup_parts: dict[str, list[tuple[str, float]]] = field(default_factory=dict)  # server: (part, s since start)
    notes: dict[str, str] = field(default_factory=dict)  # server: what was left out at this scale, and why


def kind_of(query: NamedQuery) -> tuple[str, str]:
    """('aggregate' | 'lookup', why): an aggregate groups or counts over the whole graph; a query that
    narrows to one named resource (a required resource parameter) is a lookup even when it groups."""
    narrows = any(p.required and p.type == "resource" for p in query.parameters)
    groups = re.search(r"\b(GROUP BY|COUNT|SUM)\b", query.sparql)
    if groups and not narrows:
        return "aggregate", "groups or counts over the whole graph"
    if groups:
        return "lookup", "groups, but within one named resource"
    return "lookup", "no grouping"


# --- servers ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """One server on 127.0.0.1 over one data file; ``startup`` is the time to its first SPARQL answer, and
    ``marks`` the times (since the start) its log showed each of ``STARTUP_MARKERS``. It runs in a session
    of its own, so every process it starts is found, however deep (``tree``)."""

    def __init__(self, name: str, data: Path, workdir: Path, start_limit: float = START_LIMIT) -> None:
        self.name = name
        self.port = free_port()
        self.log_path = workdir / f"{re.sub(r'[^a-z0-9]+', '-', name)}-{self.port}.log"
        self.marks: list[tuple[str, float]] = []
        started = time.monotonic()  # oxigraph's load into its store (in _command) is part of its start-up
        argv, self.endpoint = self._command(data, workdir)
        with self.log_path.open("wb") as log:
            self.proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            self._wait_for_answer(started, start_limit)
        except Exception:
            self.stop()
            raise
        self.startup = time.monotonic() - started

    def _command(self, data: Path, workdir: Path) -> tuple[list[str], str]:
        base = f"http://127.0.0.1:{self.port}"
        if self.name.startswith("mfbt-kg"):
            cache = ["--answer-cache-mb", "0"] if "no cache" in self.name else []
            return (
                serve_argv(
                    self.port,
                    *("--data", str(data), "--timeout", "10", "--max-rows", "1000000", "--client-budget", "0"),
                    *cache,
                ),
                f"{base}/sparql",
            )
        if self.name == "rdflib-endpoint":
            # Its `serve` command answers at the root (its own service description says so), not at /sparql.
            return (
                [
                    str(VENV_BIN / "rdflib-endpoint"),
                    "serve",
                    str(data),
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                ],
                f"{base}/",
            )
        location = workdir / f"oxigraph-{self.port}"
        # Loading the on-disk store is part of oxigraph's start-up, as parsing is part of the others'.
        subprocess.run(
            [str(VENV_BIN / "oxigraph"), "load", "--location", str(location), "--file", str(data)],
            check=True,
            capture_output=True,
            timeout=START_LIMIT,
        )
        return (
            [
                str(VENV_BIN / "oxigraph"),
                "serve-read-only",
                "--location",
                str(location),
                "--bind",
                f"127.0.0.1:{self.port}",
            ],
            f"{base}/query",
        )

    def _wait_for_answer(self, started: float, limit: float) -> None:
        seen = 0  # bytes of the log read so far
        while time.monotonic() - started < limit:
            seen = self._read_marks(started, seen)
            if self.proc.poll() is not None:
                raise RuntimeError(f"exited with {self.proc.returncode}")
            try:
                if answer_rows(self.endpoint, PROBE) is True:
                    self._read_marks(started, seen)
                    return
            except httpx.HTTPStatusError as exc:  # up, but not answering queries there: do not wait it out
                if exc.response.status_code not in (502, 503):
                    raise RuntimeError(f"answers {exc.response.status_code} at {self.endpoint}") from None
            except (httpx.HTTPError, ValueError):
                pass
            time.sleep(0.01)
        raise RuntimeError(f"no answer within {limit:.0f} s")

    def _read_marks(self, started: float, seen: int) -> int:
        """Note the start-up markers among the log lines written since ``seen`` bytes, timed as they are read
        (every 10 ms, and each probe's round trip, while the server starts)."""
        try:
            with self.log_path.open("rb") as log:
                log.seek(seen)
                chunk = log.read()
        except OSError:
            return seen
        complete = chunk[: chunk.rfind(b"\n") + 1]
        now = time.monotonic() - started
        for line in complete.decode("utf-8", "replace").splitlines():
            for part, pattern in STARTUP_MARKERS:
                if pattern.search(line) and part not in dict(self.marks):
                    self.marks.append((part, now))
        return seen + len(complete)

    def tree(self) -> list[int]:
        return process_tree(self.proc.pid)

    def memory(self) -> Memory:
        """Resident memory of every process of the tree (``processes.tree_memory``), the root named "main"."""
        processes = tree_memory(self.proc.pid)
        if processes and processes[0].pid == self.proc.pid:
            processes[0] = replace(processes[0], name="main")
        return Memory(processes)

    def cpu_seconds(self) -> float:
        """CPU time (user and system) the tree's processes have used so far."""
        ticks = os.sysconf("SC_CLK_TCK")
        total = 0
        for pid in self.tree():
            try:
                stat = Path(f"/proc/{pid}/stat").read_text()
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2 :].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        return total / ticks

    def settle(self, limit: float = SETTLE_LIMIT) -> bool:
        """Wait until the tree uses under a tenth of a core over 0.2 s (answers still queued from the last
        load done); False if it is still busy after ``limit`` seconds."""
        deadline = time.monotonic() + limit
        before = self.cpu_seconds()
        while time.monotonic() < deadline:
            time.sleep(0.2)
            now = self.cpu_seconds()
            if now - before < 0.02:
                return True
            before = now
        return False

    def stop(self) -> None:
        stop(self.proc)


def answer_rows(endpoint: str, text: str) -> int | bool:
    """Rows of a SELECT (or the boolean of an ASK) as the server answers, in SPARQL JSON."""
    response = httpx.get(
        endpoint, params={"query": text}, headers={"Accept": "application/sparql-results+json"}, timeout=WRK_TIMEOUT + 5
    )
    response.raise_for_status()
    body = response.json()
    return body["boolean"] if "boolean" in body else len(body["results"]["bindings"])


# --- load ------------------------------------------------------------------------------------


def wrk(url: str, seconds: float) -> Load:
    done = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{CONNECTIONS}",
            f"-d{max(1, round(seconds))}s",
            "--timeout",
            f"{WRK_TIMEOUT}s",
            "--latency",
            url,
            "-H",
            "Accept: application/sparql-results+json",
        ],
        capture_output=True,
        text=True,
        timeout=seconds + WRK_TIMEOUT + 60,
    )
    return parse_wrk(done.stdout)


def parse_wrk(out: str) -> Load:
    """wrk's summary: 'N requests in Xs', 'Non-2xx or 3xx responses: N',
    'Socket errors: connect A, read B, write C, timeout D'."""
    total = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m)\b", out)
    if not total:
        return Load(0, 0.0, 0, float("nan"), float("nan"))
    seconds = _seconds(float(total.group(2)), total.group(3))
    failures = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", out))
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if socket_errors:
        failures += sum(int(n) for n in socket_errors.groups())
    return Load(int(total.group(1)), seconds, failures, _latency_ms(out, "50%"), _latency_ms(out, "99%"))


def _seconds(value: float, unit: str) -> float:
    return value * {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}[unit]


def _latency_ms(text: str, pct: str) -> float:
    match = re.search(rf"^\s+{pct}\s+([\d.]+)(us|ms|s|m)\b", text, re.M)
    return _seconds(float(match.group(1)), match.group(2)) * 1000 if match else float("nan")


def measure_one(server: Server, text: str, expected: int | bool, seconds: float) -> Outcome:
    """Check the answer, then load the server with it."""
    try:
        got = answer_rows(server.endpoint, text)
    except httpx.HTTPStatusError as exc:
        return Outcome(problem=f"cannot answer (HTTP {exc.response.status_code})")
    except (httpx.HTTPError, ValueError, KeyError) as exc:
        return Outcome(problem=f"no answer ({type(exc).__name__})")
    if got != expected:
        return Outcome(problem=f"wrong answer: {got} rows, expected {expected}")
    return Outcome(load=wrk(f"{server.endpoint}?query={quote(text)}", seconds))


# --- in process --------------------------------------------------------------------------------


def in_process(
    result: ScaleResult, nt: bytes, texts: dict[str, str], untimed: dict[str, str] | None = None
) -> dict[str, int | bool]:
    """Load and query times in this process; returns the answers' sizes the servers must match (of
    ``untimed`` too: the floors)."""
    started = time.perf_counter()
    store = EmbeddedStore(nt)
    result.oxigraph_load_ms = (time.perf_counter() - started) * 1000
    graph = None
    if result.factor <= RDFLIB_IN_PROCESS_UP_TO:
        started = time.perf_counter()
        graph = Graph().parse(data=nt.decode("utf-8"), format="nt")
        result.rdflib_load_ms = (time.perf_counter() - started) * 1000
    expected: dict[str, int | bool] = {}
    for name, text in (untimed or {}).items():
        expected[name] = _size(fetch(store, text))
    raw = ox.Store()  # what a worker holds, for its whole answer as the worker writes it
    raw.bulk_load(nt, format=ox.RdfFormat.N_TRIPLES)
    for name, text in texts.items():
        expected[name] = _size(fetch(store, text))
        result.in_process[name] = (
            _median_ms(lambda text=text: fetch(store, text)),
            _rdflib_ms(graph, text) if graph is not None else None,
        )
        job = Job(text, "json", WORKER_MAX_ROWS)
        result.worker[name] = (
            _median_ms(lambda job=job: answer(raw, job, WORKER_MAX_BYTES)),
            len(answer(raw, job, WORKER_MAX_BYTES).body),
        )
    return expected


def _size(answer: object) -> int | bool:
    """Rows of a table, the boolean of an ASK, triples of a graph."""
    if isinstance(answer, Table):
        return len(answer.rows)
    if isinstance(answer, bool):
        return answer
    return len(answer)  # type: ignore[arg-type]


RDFLIB_LIMIT = 10.0  # seconds rdflib's engine may take on one query in process (some take minutes, or all memory)
RDFLIB_MEMORY = 6 * 2**30  # bytes of address space for it


def _rdflib_ms(graph: Graph, text: str) -> float:
    """rdflib's own engine, once, in a forked child killed after ``RDFLIB_LIMIT``; NaN where it cannot answer
    in time."""
    context = multiprocessing.get_context("fork")
    reader, writer = context.Pipe(duplex=False)

    def child() -> None:
        # a blow-up ends here, not in the OOM killer
        resource.setrlimit(resource.RLIMIT_AS, (RDFLIB_MEMORY, RDFLIB_MEMORY))
        try:
            writer.send(_median_ms(lambda: list(graph.query(text)), runs=1))
        except Exception:  # noqa: BLE001 - a benchmark records the failure and goes on
            writer.send(float("nan"))

    process = context.Process(target=child, daemon=True)
    process.start()
    try:
        return reader.recv() if reader.poll(RDFLIB_LIMIT) else float("nan")
    except EOFError:
        return float("nan")
    finally:
        process.kill()
        process.join()


def _median_ms(fn: Callable[[], object], runs: int = 5) -> float:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1000


# --- one scale ---------------------------------------------------------------------------------


def query_text(query: NamedQuery, store: EmbeddedStore) -> str:
    """The catalogue query with its example's parameters bound as a VALUES block, without its comment lines
    (oxigraph's server refuses a request whose headers pass 8 KiB, and the query travels in the URL)."""
    text = bound_text(query, example_values(query.example), store)
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))


def run_scale(
    factor: int,
    names: list[str],
    catalogue: dict[str, NamedQuery],
    real_nt: bytes,
    seconds: float,
    rdflib_endpoint_up_to: int = 100,
) -> ScaleResult:
    nt = real_nt if factor == 1 else scaled_ntriples(real_nt, factor)
    real_store = EmbeddedStore(real_nt)  # the examples' parameters name real resources
    texts = {name: query_text(catalogue[name], real_store) for name in names}
    floors = {name: bench_query(name) for name in FLOORS}
    result = ScaleResult(factor, nt.count(b"\n"), names)
    expected = in_process(result, nt, texts, floors)
    result.rows = {name: expected[name] for name in names}
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        data = workdir / "data.nt"
        data.write_bytes(nt)
        for server_name in SERVER_NAMES:
            if server_name == "rdflib-endpoint" and factor > rdflib_endpoint_up_to:
                result.startup[server_name] = f"not run beyond ×{rdflib_endpoint_up_to} (--rdflib-endpoint-up-to)"
                continue
            print(f"  ×{factor} {server_name} ({_elapsed()})", file=sys.stderr)
            limit = RDFLIB_ENDPOINT_START_LIMIT if server_name == "rdflib-endpoint" else START_LIMIT
            try:
                server = Server(server_name, data, workdir, limit)
            except Exception as exc:  # noqa: BLE001 - recorded in the report
                result.startup[server_name] = f"did not start: {exc}"
                if server_name == "rdflib-endpoint":
                    result.notes[server_name] = f"left out: no first answer within {limit:.0f} s of its start"
                continue
            result.startup[server_name] = server.startup
            result.startup_parts[server_name] = list(server.marks)
            try:
                server = _load_each(server, result, texts, expected, seconds, data, workdir)
                if server.proc.poll() is not None:  # a restart failed: nothing more to measure on it
                    continue
                if server_name in FLOOR_SERVERS:
                    server.settle()
                    for floor, text in floors.items():
                        result.floors[(server_name, floor)] = measure_one(server, text, expected[floor], seconds)
                        server.settle()
                result.memory[server_name] = server.memory()
            finally:
                server.stop()
    return result


RUN_STARTED = time.monotonic()


def _elapsed() -> str:
    return f"{(time.monotonic() - RUN_STARTED) / 60:.1f} min into the run"


def _load_each(
    server: Server,
    result: ScaleResult,
    texts: dict[str, str],
    expected: dict[str, int | bool],
    seconds: float,
    data: Path,
    workdir: Path,
) -> Server:
    """Every query on one server, each after the last has drained. A server still busy after that (a
    timed-out answer goes on running) is restarted when it starts fast, else the rest are not measured;
    rdflib-endpoint gets its load time plus ``RDFLIB_ENDPOINT_EXTRA`` seconds at each scale. Returns the
    server running at the end (a restart replaces it)."""
    name = server.name
    deadline = time.monotonic() + len(texts) * (seconds + 1) + RDFLIB_ENDPOINT_EXTRA
    restarted: list[str] = []
    pending = list(texts)
    why_not = ""
    while pending:
        query = pending.pop(0)
        if name == "rdflib-endpoint" and time.monotonic() > deadline:
            pending.insert(0, query)
            why_not = (
                f"its time at this scale ({len(texts)} × {seconds + 1:g} s + {RDFLIB_ENDPOINT_EXTRA:.0f} s) was used up"
            )
            break
        result.outcomes[(query, name)] = measure_one(server, texts[query], expected[query], seconds)
        if not pending or server.settle():  # the last one drains before the floors (run_scale)
            continue
        if server.startup > RESTART_UP_TO:
            why_not = f"still busy with {query} after {SETTLE_LIMIT:.0f} s, and a restart takes {server.startup:.0f} s"
            break
        restarted.append(query)
        server.stop()
        try:
            server = Server(name, data, workdir, server.startup * 3 + 30)
        except Exception as exc:  # noqa: BLE001 - recorded in the report; the rest are not measured
            why_not = f"did not restart after {query}: {exc}"
            break
    for query in pending:
        result.outcomes[(query, name)] = Outcome(problem="not measured (see the note)")
    notes = []
    if restarted:
        notes.append(f"restarted after {', '.join(restarted)} (still busy {SETTLE_LIMIT:.0f} s after its load)")
    if pending:
        notes.append(f"{len(pending)} queries not measured: {why_not}")
    if notes:
        result.notes[name] = "; ".join(notes)
    return server


# --- the report ------------------------------------------------------------------------------


def _rate(outcome: Outcome | None) -> str:
    if outcome is None:
        return "–"
    if outcome.load is None:
        return outcome.problem
    load = outcome.load
    text = f"{load.rps:,.0f}" if load.rps >= 10 else f"{load.rps:,.1f}"
    return text + (f" ({load.failures} failed)" if load.failures else "")


def _ratio(ours: Outcome | None, other: Outcome | None) -> float | None:
    """ours / other in successful requests per second; inf where the other answered correctly but never
    in time under load; None where either could not answer at all (nothing to compare)."""
    if ours is None or ours.load is None or other is None or other.load is None:
        return None
    if other.load.rps == 0:
        return float("inf") if ours.load.rps > 0 else None
    return ours.load.rps / other.load.rps


def _show(ratio: float | None) -> str:
    if ratio is None:
        return "–"
    return "∞" if ratio == float("inf") else f"{ratio:.1f}×" if ratio >= 1 else f"{ratio:.2f}×"


def _ms(value: float) -> str:
    return "–" if value != value else f"{value:.1f}"


def startup_parts(marks: list[tuple[str, float]], total: float) -> str:
    """The parts of a start-up, each the time from the previous mark to its own, then to the first answer."""
    if not marks:
        return f"its log showed none of the start-up lines, {total:.2f} s in all"
    parts, before = [], 0.0
    for part, at in marks:
        parts.append(f"{part} {at - before:.2f} s")
        before = at
    parts.append(f"until the first answer {total - before:.2f} s")
    return ", ".join(parts)


def memory_verdict(memory: Memory, judged: bool = True) -> str:
    """The tree's memory (against the budget where ``judged``), with each process's share: the reason
    where it misses."""
    pss = memory.pss
    used = pss if pss is not None else memory.rss  # the memory the tree takes: a shared page once
    verdict = f" — budget {'met' if used <= MEMORY_BUDGET_MIB else 'not met'}" if judged else ""
    return (
        f"{memory.rss:,.0f} MiB RSS summed over {len(memory.processes)} "
        + ("process " if len(memory.processes) == 1 else "processes ")
        + (f"({pss:,.0f} MiB PSS, shared pages counted once)" if pss is not None else "(no PSS from the kernel)")
        + f"{verdict}; by process, MiB RSS (PSS): "
        + memory.breakdown()
        + f"; the sum of each process's peak RSS {memory.peaks:,.0f} MiB"
    )


def floor_lines(res: ScaleResult) -> list[str]:
    """The floor of each server's HTTP path at this scale."""
    measured = [s for s in FLOOR_SERVERS if any((s, f) in res.floors for f in FLOORS)]
    if not measured:
        return []
    lines = [
        f"Floors (`wrk -c{CONNECTIONS}`, bench/queries/): the cheapest answers each server gives through the same "
        "path; a query cannot be answered faster than its server's floor.",
        "",
        "| server | " + " | ".join(f"{label} req/s | p50 | p99" for label in FLOORS.values()) + " |",
        "| --- | " + " | ".join("---: | ---: | ---:" for _ in FLOORS) + " |",
    ]
    for server in measured:
        cells = [server]
        for floor in FLOORS:
            outcome = res.floors.get((server, floor))
            load = outcome.load if outcome else None
            cells += [_rate(outcome), _ms(load.p50_ms) if load else "–", _ms(load.p99_ms) if load else "–"]
        lines.append("| " + " | ".join(cells) + " |")
    return lines + [""]


def scale_section(res: ScaleResult, catalogue: dict[str, NamedQuery]) -> list[str]:
    startup = ", ".join(
        f"{name} {value:.2f} s" if isinstance(value, float) else f"{name}: {value}"
        for name, value in res.startup.items()
    )
    parts = [
        f"- {name}: {startup_parts(marks, float(res.startup[name]))}."
        for name, marks in res.startup_parts.items()
        if marks and name in (BARE, CACHED) and isinstance(res.startup.get(name), float)
    ]
    lines = [
        f"## Scale ×{res.factor} ({res.triples:,} triples)",
        "",
        f"Start-up until the first SPARQL answer: {startup}.",
        "",
    ]
    if parts:
        lines += ["Its parts, from the service's log lines as they arrived:", "", *parts, ""]
    lines += [
        f"Resident memory after the load, the server and every process under it (budget for this service: "
        f"{MEMORY_BUDGET_MIB:,} MiB):",
        "",
        *(f"- {name}: {memory_verdict(memory, name in (BARE, CACHED))}." for name, memory in res.memory.items()),
        "",
        *(f"Note, {name}: {note}." for name, note in res.notes.items()),
        *([""] if res.notes else []),
        *floor_lines(res),
        "Successful answers per second (failed answers are not counted; a failed or wrong answer is named "
        "instead), p50/p99 latency in ms. **Without the answer cache** (every query run by a worker), beside "
        "the other servers:",
        "",
        "| query | kind | rows | no cache req/s | p50 | p99 | ×oxigraph | ×rdflib-endpoint | oxigraph req/s | "
        "rdflib-endpoint req/s |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    cached = [
        "",
        "**With the answer cache** (the default service; wrk repeats one query, so these are cache hits):",
        "",
        "| query | with cache req/s | p50 | p99 | ×oxigraph | ×rdflib-endpoint |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name in res.names:
        bare, ours, rdfe, oxi = (res.outcomes.get((name, s)) for s in SERVER_NAMES)
        load = bare.load if bare else None
        cells = [
            name,
            kind_of(catalogue[name])[0],
            str(res.rows.get(name, "–")),
            _rate(bare),
            _ms(load.p50_ms) if load else "–",
            _ms(load.p99_ms) if load else "–",
            _show(_ratio(bare, oxi)),
            _show(_ratio(bare, rdfe)),
            _rate(oxi),
            _rate(rdfe),
        ]
        lines.append("| " + " | ".join(cells) + " |")
        load = ours.load if ours else None
        cells = [
            name,
            _rate(ours),
            _ms(load.p50_ms) if load else "–",
            _ms(load.p99_ms) if load else "–",
            _show(_ratio(ours, oxi)),
            _show(_ratio(ours, rdfe)),
        ]
        cached.append("| " + " | ".join(cells) + " |")
    lines += cached
    lines += [
        "",
        f"In process: load {res.oxigraph_load_ms:,.0f} ms into pyoxigraph"
        + (
            f", {res.rdflib_load_ms:,.0f} ms into rdflib ({res.rdflib_load_ms / res.oxigraph_load_ms:.1f}×)."
            if res.rdflib_load_ms
            else f"; rdflib's engine is not timed beyond ×{RDFLIB_IN_PROCESS_UP_TO}."
        ),
        "",
        "| query | pyoxigraph ms | rdflib ms | rdflib / pyoxigraph |",
        "| --- | ---: | ---: | ---: |",
    ]
    for name, (ox_ms, rdf_ms) in res.in_process.items():
        ratio = "–" if rdf_ms is None or rdf_ms != rdf_ms else f"{rdf_ms / ox_ms:.0f}×"
        lines.append(f"| {name} | {ox_ms:.2f} | {'–' if rdf_ms is None else _ms(rdf_ms)} | {ratio} |")
    return lines + [""]


P99_BOUND_MS = 20.0
RDFLIB_TARGET, LOOKUP_TARGET, AGGREGATE_TARGET, P99_TARGET = (
    "≥10× rdflib-endpoint, every query",
    "≥0.5× oxigraph, lookups",
    "≥1× oxigraph, aggregates",
    f"p99 ≤ {P99_BOUND_MS:g} ms, lookups",
)


@dataclass
class Verdicts:
    """One target's comparisons: how many were made, each miss with its reason, and what could not be
    compared (grouped by why)."""

    counted: int = 0
    misses: list[str] = field(default_factory=list)
    not_judged: dict[str, list[str]] = field(default_factory=dict)

    def lines(self, target: str) -> list[str]:
        verdict = (
            f"not met on {len(self.misses)} of {self.counted}"
            if self.misses
            else f"met on all {self.counted}"
            if self.counted
            else "nothing to compare"
        )
        out = [f"- {target}: {verdict}" + (":" if self.misses else ".")]
        out += [f"  - {miss}" for miss in self.misses]
        for why, where in self.not_judged.items():
            out.append(f"  - not judged ({why}): {', '.join(where)}")
        return out


def _floor(res: ScaleResult, server: str, floor: str = "floor-one-row") -> Load | None:
    outcome = res.floors.get((server, floor))
    return outcome.load if outcome and outcome.load and not outcome.load.mostly_failed else None


def _floor_text(load: Load | None, what: str) -> str:
    return f"{what} –" if load is None else f"{what} {load.rps:,.0f} req/s, p99 {_ms(load.p99_ms)} ms"


def throughput_reason(res: ScaleResult, name: str, variant: str, other: str, needed: float) -> str:
    """Why ours answers ``name`` below ``needed`` req/s: the floor of its path, the engine, or the query's
    handling beyond both, with the numbers that say so."""
    one, ask = _floor(res, variant), _floor(res, variant, "floor-ask")
    engine_ms = res.in_process[name][0]
    cores = os.cpu_count() or 1
    engine_cap = cores * 1000 / engine_ms if engine_ms > 0 else float("inf")
    ours = res.outcomes[(name, variant)].load
    assert ours is not None
    facts = (
        f"needs {needed:,.0f} req/s; ours' floor: {_floor_text(one, 'one-row')}, {_floor_text(ask, '`ASK {}`')}; "
        f"engine {engine_ms:.2f} ms in process (at most {engine_cap:,.0f} req/s on {cores} cores)"
    )
    if other == "oxigraph":
        facts += f"; oxigraph's floor: {_floor_text(_floor(res, 'oxigraph'), 'one-row')}"
    best = max((load.rps for load in (one, ask) if load is not None), default=None)
    if one is None or best is None:
        cause = "floor not measured"
    elif best < needed and engine_cap < needed:
        cause = "**the floor and the engine**, each alone, below the rate needed"
    elif best < needed:
        cause = (
            f"**the floor**: ours answers even its trivial queries at {best:,.0f} req/s at best, below the rate needed"
        )
    elif engine_cap < needed:
        cause = "**the engine**: its in-process time alone caps the rate below the one needed"
    else:
        cause = (
            f"**the answer's cost on top of the floor**: ours answers it at {ours.rps / one.rps:.0%} of its one-row "
            f"floor rate; {_answer_cost(res, name, ours, one)}"
        )
    return f"{cause} ({facts})"


def _answer_cost(res: ScaleResult, name: str, ours: Load, one: Load) -> str:
    """Where an answer's time goes, all measured: the cores' time per answer (the rate's inverse, shared by the
    service, its workers and wrk), the worker's own answer in process (the query, and writing the answer as
    JSON), and the HTTP path's share (the one-row floor's inverse)."""
    cores = os.cpu_count() or 1
    worker_ms, size = res.worker.get(name, (0.0, 0))
    engine_ms = res.in_process[name][0]
    return (
        f"at {ours.rps:,.0f} req/s the {cores} cores spend {cores * 1000 / ours.rps:.2f} ms on each answer; "
        f"the worker's own answer takes {worker_ms:.2f} ms in process (the engine {engine_ms:.2f} ms, "
        f"writing {size / 1024:,.1f} KiB of JSON {max(0.0, worker_ms - engine_ms):.2f} ms) and the HTTP path "
        f"about {cores * 1000 / one.rps:.2f} ms (the one-row floor's); the rest is the answer's bytes through "
        f"the pipe, the service and wrk"
    )


def latency_reason(res: ScaleResult, name: str, variant: str) -> str:
    """Why ours' p99 for ``name`` exceeds the bound: the floor of its path, the engine, both together, or
    the query's handling beyond them."""
    one, ask = _floor(res, variant), _floor(res, variant, "floor-ask")
    engine_ms = res.in_process[name][0]
    ours = res.outcomes[(name, variant)].load
    assert ours is not None
    facts = (
        f"ours' floor p99: one-row {_ms(one.p99_ms) if one else '–'} ms, `ASK {{}}` {_ms(ask.p99_ms) if ask else '–'} "
        f"ms; engine {engine_ms:.2f} ms in process; p50 {_ms(ours.p50_ms)} ms"
    )
    floor_p99 = max((load.p99_ms for load in (one, ask) if load is not None), default=None)
    if floor_p99 is None:
        cause = "floor not measured"
    elif floor_p99 > P99_BOUND_MS and engine_ms > P99_BOUND_MS:
        cause = (
            "**the floor and the engine**, each alone: a trivial query through the same path and this query in process"
        )
    elif floor_p99 > P99_BOUND_MS:
        cause = f"**the floor**: a trivial query through the same path already exceeds {P99_BOUND_MS:g} ms at p99"
    elif engine_ms > P99_BOUND_MS:
        cause = "**the engine**: the query alone takes longer in process"
    elif floor_p99 + engine_ms > P99_BOUND_MS:
        cause = "**the floor and the engine together** exceed the bound"
    else:
        cause = (
            f"**queueing for the cores**: with {CONNECTIONS} connections always busy, the mean wait is "
            f"{CONNECTIONS} / {ours.rps:,.0f} req/s = {CONNECTIONS * 1000 / ours.rps:.1f} ms (Little's law; "
            f"p50 {_ms(ours.p50_ms)} ms), and p99 is that queue's tail; "
            + (_answer_cost(res, name, ours, one) if one is not None else "the floor was not measured")
        )
    return f"{cause} ({facts})"


def _compare(
    verdicts: Verdicts, res: ScaleResult, name: str, variant: str, other: str, bound: float, where: str
) -> None:
    """Ours against ``other`` on one query: counted and, if it misses, named with its reason."""
    ours, theirs = res.outcomes.get((name, variant)), res.outcomes.get((name, other))
    if theirs is None:
        return  # the other server did not run at this scale: said in the scale's notes
    if ours is None or ours.load is None or ours.load.rps == 0:
        why = f"ours: {ours.problem if ours and ours.problem else 'no answer under load'}"
        verdicts.not_judged.setdefault(why, []).append(where)
        return
    if theirs.load is None:
        verdicts.not_judged.setdefault(f"{other}: {theirs.problem}", []).append(where)
        return
    verdicts.counted += 1
    if theirs.load.rps == 0:
        return  # it answered correctly, but never in time under load: ours is ahead
    ratio = ours.load.rps / theirs.load.rps
    if ratio < bound:
        verdicts.misses.append(
            f"{where}: {_show(ratio)} ({ours.load.rps:,.0f} vs {theirs.load.rps:,.0f} req/s) — "
            + throughput_reason(res, name, variant, other, bound * theirs.load.rps)
        )


def targets_section(
    results: dict[int, ScaleResult],
    catalogue: dict[str, NamedQuery],
    imports: dict[str, float] | None = None,
) -> list[str]:
    """Each target judged from this run's numbers, for both variants of this service, each miss with the
    measured reason beside it."""
    lines = [
        "## Targets",
        "",
        'Judged from the numbers below, at every scale measured; "no cache" runs every query in a worker, "with '
        'cache" is the default service. A query a server cannot answer (an error, or a wrong answer) is not '
        "compared; the list says which. Each miss names its reason from what was measured: **the floor** (the "
        f"cheapest answers through the same server's path at {CONNECTIONS} connections, `ASK {{}}` and a "
        "one-row lookup: no query can beat them), **the engine** (the query's own time in process, pyoxigraph, "
        "the engine the service runs), or the query's handling beyond both.",
        "",
    ]
    left_out = [
        f"- ×{factor}, {name}: {why}."
        for factor, res in results.items()
        for name, why in [
            *res.notes.items(),
            *((n, str(v)) for n, v in res.startup.items() if isinstance(v, str) and n not in res.notes),
        ]
    ]
    if left_out:
        lines += ["Left out or cut short (so not compared there):", "", *left_out, ""]
    for label, variant in (("no cache", BARE), ("with cache", CACHED)):
        checks = {target: Verdicts() for target in (RDFLIB_TARGET, LOOKUP_TARGET, AGGREGATE_TARGET, P99_TARGET)}
        for factor, res in results.items():
            for name in res.names:
                kind = kind_of(catalogue[name])[0]
                where = f"{name} ×{factor}"
                _compare(checks[RDFLIB_TARGET], res, name, variant, "rdflib-endpoint", 10, where)
                target = LOOKUP_TARGET if kind == "lookup" else AGGREGATE_TARGET
                _compare(checks[target], res, name, variant, "oxigraph", 0.5 if kind == "lookup" else 1, where)
                if kind != "lookup":
                    continue
                ours = res.outcomes.get((name, variant))
                if ours is None or ours.load is None or ours.load.requests == 0:
                    why = f"ours: {ours.problem if ours and ours.problem else 'no answer under load'}"
                    checks[P99_TARGET].not_judged.setdefault(why, []).append(where)
                    continue
                checks[P99_TARGET].counted += 1
                if ours.load.p99_ms > P99_BOUND_MS:
                    checks[P99_TARGET].misses.append(
                        f"{where}: {_ms(ours.load.p99_ms)} ms — " + latency_reason(res, name, variant)
                    )
        lines += [f"**{label}**", ""]
        for target, verdicts in checks.items():
            lines += verdicts.lines(target)
        lines.append("")
    lines += ["**Start-up** (until the first SPARQL answer):", ""]
    for factor, bound in STARTUP_TARGETS.items():
        res = results.get(factor)
        if res is None:
            lines.append(f"- ≤ {bound} s at ×{factor}: not measured (×{factor} not in this run).")
            continue
        for variant in (BARE, CACHED):
            took = res.startup.get(variant)
            if not isinstance(took, float):
                lines.append(f"- ≤ {bound} s at ×{factor}, {variant}: {took or 'not measured'}.")
                continue
            line = f"- ≤ {bound} s at ×{factor}, {variant}: {took:.2f} s: {'met' if took <= bound else 'not met'}"
            if took > bound:
                line += " — the parts: " + startup_parts(res.startup_parts.get(variant, []), took)
                line += (
                    f"; loading this scale's N-Triples into pyoxigraph in process takes "
                    f"{res.oxigraph_load_ms / 1000:.2f} s"
                )
                if imports:
                    line += "; apart, a fresh interpreter " + ", ".join(f"`{k}` {v:.2f} s" for k, v in imports.items())
            lines.append(line + ".")
    lines += [
        "",
        f"**Memory** (the service's whole process tree after its load, judged by PSS summed — the workers are "
        f"forks sharing the template's pages, which summed RSS counts once per worker; budget "
        f"{MEMORY_BUDGET_MIB:,} MiB at every scale up to ×100, with its default worker processes):",
        "",
    ]
    for factor, res in results.items():
        for variant in (BARE, CACHED):
            if variant in res.memory:
                lines.append(f"- ×{factor}, {variant}: {memory_verdict(res.memory[variant])}.")
    if 100 not in results:
        lines.append("- ×100: not measured (×100 not in this run).")
    return lines + [""]


def growth_section(results: dict[int, ScaleResult], catalogue: dict[str, NamedQuery]) -> list[str]:
    """Each lookup's cost from the smallest to the largest scale: a lookup's cost should not grow with the
    graph (where its answer grows, so must its cost; the rows say which)."""
    if len(results) < 2:
        return []
    low, high = results[min(results)], results[max(results)]
    names = [n for n in high.names if n in low.names and kind_of(catalogue[n])[0] == "lookup"]
    lines = [
        f"## Lookups from ×{low.factor} to ×{high.factor}",
        "",
        f"The ratio ×{high.factor} / ×{low.factor} of each lookup's in-process time (pyoxigraph, median of 5) and "
        "of its p50 latency without the cache, beside the ratio of its answer's rows. A lookup whose answer does "
        "not grow should stay near 1×.",
        "",
        "| query | rows | rows ratio | in process ms | ratio | no cache p50 ms | ratio |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name in names:
        r_low, r_high = low.rows.get(name), high.rows.get(name)
        rows_ratio = (
            f"{int(r_high) / int(r_low):.0f}×"
            if isinstance(r_low, int) and isinstance(r_high, int) and not isinstance(r_low, bool) and r_low
            else "–"
        )
        ms_low, ms_high = low.in_process[name][0], high.in_process[name][0]
        b_low, b_high = (res.outcomes.get((name, BARE)) for res in (low, high))
        p_low = b_low.load.p50_ms if b_low and b_low.load else float("nan")
        p_high = b_high.load.p50_ms if b_high and b_high.load else float("nan")
        lines.append(
            f"| {name} | {r_low} → {r_high} | {rows_ratio} | {ms_low:.2f} → {ms_high:.2f} | "
            f"{ms_high / ms_low:.1f}× | {_ms(p_low)} → {_ms(p_high)} | "
            f"{'–' if p_low != p_low or p_high != p_high else f'{p_high / p_low:.1f}×'} |"
        )
    return lines + [""]


# --- validation, the CLI, a replica pair ----------------------------------------------------------


def validation_times(factors: list[int], limit: float) -> dict[int, str]:
    """Parse and SHACL time of each scaled graph (bench/validate_scaled.py), or why there is none."""
    out = {}
    for factor in factors:
        print(f"  validating ×{factor}", file=sys.stderr)
        try:
            done = subprocess.run(
                [sys.executable, str(Path(__file__).parent / "validate_scaled.py"), str(factor)],
                capture_output=True,
                text=True,
                timeout=limit,
                check=True,
            )
            got = json.loads(done.stdout)
            out[factor] = (
                f"{got['triples']:,} triples: parse {got['parse_s']:.1f} s, SHACL {got['validate_s']:.1f} s "
                f"({'conforms' if got['conforms'] else str(got['violations']) + ' violations'})"
            )
        except subprocess.TimeoutExpired:
            out[factor] = f"not done within {limit:.0f} s"
        except (subprocess.CalledProcessError, ValueError, KeyError) as exc:
            out[factor] = f"failed ({type(exc).__name__})"
    return out


def cli_times(runs: int = 3) -> dict[str, tuple[float, float]]:
    """Seconds for `mfbt-kg query run` and `mfbt-kg validate` on the real data: the first run over an empty
    cache, and the median of ``runs`` after it (warm)."""
    out = {}
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "XDG_CACHE_HOME": cache}
        for label, argv in (("validate", ["validate"]), ("query run", ["query", "run", *CLI_QUERY])):
            samples = []
            for _ in range(runs + 1):
                started = time.perf_counter()
                subprocess.run(
                    [str(VENV_BIN / "mfbt-kg"), "--root", str(ROOT), *argv],
                    env=env,
                    check=True,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
                samples.append(time.perf_counter() - started)
            out[label] = (samples[0], statistics.median(samples[1:]))
        # `query run` before any `validate` is cold too: it parses the files itself
    return out


IMPORTS = {
    "python -c pass": "pass",
    "import mfbt_kg.cli": "import mfbt_kg.cli",
    "import mfbt_kg.api.server": "import mfbt_kg.api.server",
}


def import_times(runs: int = 3) -> dict[str, float]:
    """Median seconds of a fresh interpreter doing nothing, importing the CLI, importing the web stack: the
    part of every command's and of the service's start that comes before any work."""
    out = {}
    for label, code in IMPORTS.items():
        samples = []
        for _ in range(runs):
            started = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
            samples.append(time.perf_counter() - started)
        out[label] = statistics.median(samples)
    return out


def replica_pair(real_nt: bytes, seconds: float) -> list[str]:
    """Two services over the same data on two ports, as two replicas behind a reverse proxy would be: the
    same ETag for the same request, and both loaded at once (half the connections each)."""
    query = bench_query("replica-count")
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data.nt"
        data.write_bytes(real_nt)
        servers = []
        try:
            for _ in range(2):
                servers.append(Server(BARE, data, Path(tmp)))
            tags = [
                httpx.get(
                    s.endpoint, params={"query": query}, headers={"Accept": "application/sparql-results+json"}
                ).headers.get("etag")
                for s in servers
            ]
            url = "?query=" + quote(query)
            runs = [
                subprocess.Popen(
                    [
                        "wrk",
                        "-t1",
                        f"-c{CONNECTIONS // 2}",
                        f"-d{max(1, round(seconds))}s",
                        "--timeout",
                        f"{WRK_TIMEOUT}s",
                        "--latency",
                        s.endpoint + url,
                        "-H",
                        "Accept: application/sparql-results+json",
                    ],
                    stdout=subprocess.PIPE,
                    text=True,
                )
                for s in servers
            ]
            loads = [parse_wrk(run.communicate(timeout=seconds + WRK_TIMEOUT + 60)[0]) for run in runs]
        finally:
            for server in servers:
                server.stop()
    same = len(set(tags)) == 1 and tags[0] is not None
    return [
        "## A replica pair",
        "",
        "Two services (no cache) over the same data file on two ports, as replicas behind a reverse proxy "
        "(docs/deployment.md): the same request's ETag from each, then both loaded at once "
        f"(`wrk -c{CONNECTIONS // 2}` each, `{query}`).",
        "",
        f"- ETags: {' and '.join(str(t) for t in tags)}: {'the same' if same else 'DIFFERENT'}.",
        f"- Successful answers per second: {' + '.join(f'{load.rps:,.0f}' for load in loads)} = "
        f"{sum(load.rps for load in loads):,.0f} (p99 {', '.join(_ms(load.p99_ms) for load in loads)} ms); "
        "both share this machine's two cores with the load generator, so the pair shows correctness, "
        "not a second machine's throughput.",
        "",
    ]


def header(seconds: float) -> list[str]:
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    versions = ", ".join(
        f"{p} {metadata.version(p)}"
        for p in ("pyoxigraph", "rdflib", "rdflib-endpoint", "oxigraph", "fastapi", "uvicorn")
    )
    return [
        "# Benchmarks",
        "",
        f"Written by `bench/run.py` on {time.strftime('%Y-%m-%d')}: {platform.platform()}, {os.cpu_count()} cores, "
        f"{memory:.0f} GiB memory, Python {platform.python_version()}; {versions}.",
        "",
        f"Load: `wrk -t2 -c{CONNECTIONS} -d{max(1, round(seconds))}s --timeout {WRK_TIMEOUT}s` per query and server: "
        "GET with the catalogue query (its example's parameters bound as a VALUES block), "
        "`Accept: application/sparql-results+json`. Client and server share the cores; the servers run one at a "
        "time, and before the next query each is left to fall idle (under a tenth of a core; a server still busy "
        f"{SETTLE_LIMIT:.0f} s after a load is restarted if it starts within {RESTART_UP_TO:.0f} s, else the rest "
        "of its queries at that scale are not measured). This service runs with its defaults (its default query "
        "worker processes: the memory lists each process of its tree; a 10 s time limit), `--max-rows 1000000` "
        "and `--client-budget 0` (wrk is one client: its per-client share of worker time would answer 429 within "
        "seconds), once without its answer cache (`--answer-cache-mb 0`) and once with it (default). "
        f"rdflib-endpoint gets {RDFLIB_ENDPOINT_START_LIMIT:.0f} s to answer its first query and, at each scale, "
        f"its load time plus {RDFLIB_ENDPOINT_EXTRA:.0f} s for timeouts and restarts; where it was left out the "
        "scale's notes say so. Each answer is checked against the in-process answer before loading.",
        "",
        "Kinds: an *aggregate* groups or counts over the whole graph; a query narrowed to one named resource is a "
        "*lookup* even when it groups. Scaled data (`bench/synthetic.py`): the instance data (offers, units, "
        "statements, figures, ...) copied with new names, the vocabulary (methods, guidelines, sources, ...) shared.",
        "",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default="1,10,100")
    parser.add_argument("--seconds", type=float, default=2.0, help="wrk's time per query and server")
    parser.add_argument("--queries", help="comma-separated catalogue names (default: all at ×1, a subset beyond)")
    parser.add_argument("--out", default=str(ROOT / "docs" / "benchmarks.md"))
    parser.add_argument("--validate-scales", default="10,100", help="scales to time SHACL validation at ('' for none)")
    parser.add_argument("--validate-limit", type=float, default=300.0, help="seconds a validation may take")
    parser.add_argument("--no-replicas", action="store_true", help="leave out the replica pair")
    parser.add_argument(
        "--rdflib-endpoint-up-to",
        type=int,
        default=100,
        help="largest scale rdflib-endpoint is started at (it is left out anyway where it does not answer within "
        f"{RDFLIB_ENDPOINT_START_LIMIT:.0f} s of its start)",
    )
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("bench: needs wrk (apt-get install wrk)")
    catalogue = load_catalogue(ROOT)
    chosen = args.queries.split(",") if args.queries else None
    real_nt = project_ntriples(ROOT)
    started = time.monotonic()
    print("CLI on the real data", file=sys.stderr)
    cli = cli_times()
    imports = import_times()
    results = {}
    for factor in (int(s) for s in args.scales.split(",")):
        names = chosen or (sorted(catalogue) if factor == 1 else beyond_first_scale(catalogue))
        print(f"scale ×{factor}: {len(names)} queries", file=sys.stderr)
        results[factor] = run_scale(factor, names, catalogue, real_nt, args.seconds, args.rdflib_endpoint_up_to)
    validation = validation_times([int(s) for s in args.validate_scales.split(",") if s], args.validate_limit)
    replicas = [] if args.no_replicas else replica_pair(real_nt, args.seconds)
    lines = header(args.seconds) + targets_section(results, catalogue, imports)
    lines += ["**The CLI on the real data** (first run over an empty cache → median of three warm runs):", ""]
    for label, (cold, warm) in cli.items():
        bound = CLI_TARGETS[label]
        verdict = "met" if warm <= bound else "not met"
        line = f"- `mfbt-kg {label}` ≤ {bound} s warm: {cold:.2f} s → {warm:.2f} s: {verdict}"
        if warm > bound:
            before = imports["import mfbt_kg.cli"]
            line += (
                f" — a fresh interpreter takes {imports['python -c pass']:.2f} s and importing the CLI "
                f"{before:.2f} s (median of three, apart): the command's own work is the other {warm - before:.2f} s"
            )
        lines.append(line + ".")
    lines += [
        "",
        "A fresh interpreter, apart (median of three): "
        + ", ".join(f"`{label}` {took:.2f} s" for label, took in imports.items())
        + ".",
    ]
    lines += [
        "",
        "**SHACL validation of the scaled graphs** (pySHACL, parse then check, once, in a subprocess): "
        + ("; ".join(f"×{f}: {v}" for f, v in validation.items()) or "not run")
        + ".",
        "",
    ]
    lines += growth_section(results, catalogue)
    for res in results.values():
        lines += scale_section(res, catalogue)
    lines += replicas
    lines.append(f"Whole run: {(time.monotonic() - started) / 60:.1f} min.")
    lines += [
        "",
        "×1000 (about 6.8 M triples) is measured apart, in process, through `oxigraph serve` and embedded: "
        "`make bench-x1000` writes [benchmarks-x1000.md](benchmarks-x1000.md).",
    ]
    Path(args.out).write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
