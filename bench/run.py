"""Side-by-side benchmark: this service, rdflib-endpoint and `oxigraph serve-read-only`.

Each server gets the same N-Triples (the real graph, and ×10 / ×100 synthetic
copies), listens on 127.0.0.1 only, and is started, checked and measured alone
(the others stopped), so none competes for the two cores but the load
generator. Every query's answer is checked once against the in-process answer
before `wrk` loads it for a bounded time with 8 connections; only successful
answers count as throughput. This service runs twice: with its answer cache
(the default) and without (`--answer-cache-mb 0`), since `wrk` repeats one query
and would otherwise measure cache hits only. Also measured: start-up until the
first SPARQL answer, load time, and in-process query time (pyoxigraph against
rdflib's own engine), resident memory of each server's process tree, each lookup's growth from the
smallest to the largest scale, SHACL validation time of the scaled graphs, the CLI's `query run` and
`validate` on the real data from a cold and a warm cache, and one replica pair (two services over the
same data, their ETags compared, loaded at once). Writes docs/benchmarks.md; the tables without the
answer cache come first. Not a test: nothing asserts a time.

    .venv/bin/python bench/run.py [--scales 1,10,100] [--seconds 3] [--queries a,b] [--validate-scales 10,100]
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
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from urllib.parse import quote

import httpx
from rdflib import Graph

sys.path.insert(0, str(Path(__file__).parent))
from mfbt_kg.api.query_page import example_values  # noqa: E402
from mfbt_kg.graph.files import project_root  # noqa: E402
from mfbt_kg.graph.validate import project_ntriples  # noqa: E402
from mfbt_kg.sparql.answers import Table, fetch  # noqa: E402
from mfbt_kg.sparql.catalogue import NamedQuery, bound_text, load_catalogue  # noqa: E402
from mfbt_kg.sparql.store import EmbeddedStore  # noqa: E402
from synthetic import scaled_ntriples  # noqa: E402

ROOT = project_root(Path(__file__).parent)
VENV_BIN = Path(sys.executable).parent
CONNECTIONS = 8
WRK_TIMEOUT = 10  # seconds; a slower answer counts as a timeout, not as throughput
START_LIMIT = 600  # seconds a server may take to answer its first query (rdflib at ×100 is slow)
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
RDFLIB_IN_PROCESS_UP_TO = 10  # rdflib's own engine takes minutes per query beyond ×10
PROBE = "ASK { ?s ?p ?o }"
# The service without its answer cache first: what a first asker gets, the headline.
SERVER_NAMES = ("mfbt-kg, no cache", "mfbt-kg", "rdflib-endpoint", "oxigraph")
BARE, CACHED = SERVER_NAMES[0], SERVER_NAMES[1]
MEMORY_BUDGET_MIB = 1536  # the service and its default workers at x100
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
class ScaleResult:
    factor: int
    triples: int
    names: list[str]
    startup: dict[str, float | str] = field(default_factory=dict)
    outcomes: dict[tuple[str, str], Outcome] = field(default_factory=dict)
    oxigraph_load_ms: float = 0.0
    rdflib_load_ms: float | None = None
    in_process: dict[str, tuple[float, float | None]] = field(default_factory=dict)
    rows: dict[str, int | bool] = field(default_factory=dict)  # each answer's size (rows, triples or the boolean)
    memory: dict[str, tuple[float, float]] = field(default_factory=dict)  # server: (RSS now, sum of peaks), MiB


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
    """One server on 127.0.0.1 over one data file; ``startup`` is the time to its first SPARQL answer."""

    def __init__(self, name: str, data: Path, workdir: Path) -> None:
        self.name = name
        self.port = free_port()
        argv, self.endpoint = self._command(data, workdir)
        started = time.monotonic()
        self.proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            self._wait_for_answer(started)
        except Exception:
            self.stop()
            raise
        self.startup = time.monotonic() - started

    def _command(self, data: Path, workdir: Path) -> tuple[list[str], str]:
        base = f"http://127.0.0.1:{self.port}"
        if self.name.startswith("mfbt-kg"):
            cache = ["--answer-cache-mb", "0"] if "no cache" in self.name else []
            return (
                [
                    str(VENV_BIN / "mfbt-kg"),
                    "--root",
                    str(ROOT),
                    "serve",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                    "--data",
                    str(data),
                    "--timeout",
                    "10",
                    "--max-rows",
                    "1000000",
                    "--client-budget",
                    "0",
                    *cache,
                ],
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

    def _wait_for_answer(self, started: float) -> None:
        while time.monotonic() - started < START_LIMIT:
            if self.proc.poll() is not None:
                raise RuntimeError(f"exited with {self.proc.returncode}")
            try:
                if answer_rows(self.endpoint, PROBE) is True:
                    return
            except httpx.HTTPStatusError as exc:  # up, but not answering queries there: do not wait it out
                if exc.response.status_code not in (502, 503):
                    raise RuntimeError(f"answers {exc.response.status_code} at {self.endpoint}") from None
            except (httpx.HTTPError, ValueError):
                pass
            time.sleep(0.02)
        raise RuntimeError(f"no answer within {START_LIMIT} s")

    def memory_mib(self) -> tuple[float, float]:
        """Resident memory of the server and every process under it (its query workers): now, and the sum of
        each process's peak (VmRSS, VmHWM from /proc), MiB."""
        pids, seen = [self.proc.pid], 0
        while seen < len(pids):
            pid, seen = pids[seen], seen + 1
            try:
                for task in Path(f"/proc/{pid}/task").iterdir():
                    pids += [int(child) for child in (task / "children").read_text().split()]
            except OSError:
                continue
        now = peak = 0
        for pid in pids:
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
            now += int(fields.get("VmRSS", "0 kB").split()[0])
            peak += int(fields.get("VmHWM", "0 kB").split()[0])
        return now / 1024, peak / 1024

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


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


def measure(
    server: Server, texts: dict[str, str], expected: dict[str, int | bool], seconds: float
) -> dict[str, Outcome]:
    """Check each answer, then load the server with it."""
    outcomes = {}
    for name, text in texts.items():
        try:
            got = answer_rows(server.endpoint, text)
        except httpx.HTTPStatusError as exc:
            outcomes[name] = Outcome(problem=f"cannot answer (HTTP {exc.response.status_code})")
            continue
        except (httpx.HTTPError, ValueError, KeyError) as exc:
            outcomes[name] = Outcome(problem=f"no answer ({type(exc).__name__})")
            continue
        if got != expected[name]:
            outcomes[name] = Outcome(problem=f"wrong answer: {got} rows, expected {expected[name]}")
            continue
        outcomes[name] = Outcome(load=wrk(f"{server.endpoint}?query={quote(text)}", seconds))
    return outcomes


# --- in process --------------------------------------------------------------------------------


def in_process(result: ScaleResult, nt: bytes, texts: dict[str, str]) -> dict[str, int | bool]:
    """Load and query times in this process; returns the answers' sizes the servers must match."""
    started = time.perf_counter()
    store = EmbeddedStore(nt)
    result.oxigraph_load_ms = (time.perf_counter() - started) * 1000
    graph = None
    if result.factor <= RDFLIB_IN_PROCESS_UP_TO:
        started = time.perf_counter()
        graph = Graph().parse(data=nt.decode("utf-8"), format="nt")
        result.rdflib_load_ms = (time.perf_counter() - started) * 1000
    expected: dict[str, int | bool] = {}
    for name, text in texts.items():
        answer = fetch(store, text)
        expected[name] = (
            len(answer.rows) if isinstance(answer, Table) else answer if isinstance(answer, bool) else len(answer)
        )
        result.in_process[name] = (
            _median_ms(lambda text=text: fetch(store, text)),
            _rdflib_ms(graph, text) if graph is not None else None,
        )
    return expected


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
    result = ScaleResult(factor, nt.count(b"\n"), names)
    expected = in_process(result, nt, texts)
    result.rows = dict(expected)
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        data = workdir / "data.nt"
        data.write_bytes(nt)
        for server_name in SERVER_NAMES:
            if server_name == "rdflib-endpoint" and factor > rdflib_endpoint_up_to:
                result.startup[server_name] = f"not run beyond ×{rdflib_endpoint_up_to} (--rdflib-endpoint-up-to)"
                continue
            print(f"  ×{factor} {server_name}", file=sys.stderr)
            try:
                server = Server(server_name, data, workdir)
            except Exception as exc:  # noqa: BLE001 - recorded in the report
                result.startup[server_name] = f"did not start: {exc}"
                continue
            result.startup[server_name] = server.startup
            try:
                for name, outcome in measure(server, texts, expected, seconds).items():
                    result.outcomes[(name, server_name)] = outcome
                result.memory[server_name] = server.memory_mib()
            finally:
                server.stop()
    return result


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


def scale_section(res: ScaleResult, catalogue: dict[str, NamedQuery]) -> list[str]:
    startup = ", ".join(
        f"{name} {value:.2f} s" if isinstance(value, float) else f"{name}: {value}"
        for name, value in res.startup.items()
    )
    memory = ", ".join(f"{name} {now:,.0f} MiB (peaks {peak:,.0f})" for name, (now, peak) in res.memory.items())
    lines = [
        f"## Scale ×{res.factor} ({res.triples:,} triples)",
        "",
        f"Start-up until the first SPARQL answer: {startup}.",
        "",
        f"Resident memory after the load, the server and its workers together (the sum of each process's "
        f"peak in brackets): {memory or '–'}.",
        "",
        "Successful answers per second (failed answers are not counted; a failed or wrong answer is named "
        "instead), p50/p99 latency in ms. **No cache** (every query run by a worker) first; the default "
        "service, with its answer cache, after.",
        "",
        "| query | kind | rows | no cache req/s | p50 | p99 | ×oxigraph | ×rdflib-endpoint | oxigraph req/s | "
        "rdflib-endpoint req/s | with cache req/s | p50 | p99 | ×oxigraph (cache) |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name in res.names:
        bare, ours, rdfe, oxi = (res.outcomes.get((name, s)) for s in SERVER_NAMES)
        cells = [name, kind_of(catalogue[name])[0], str(res.rows.get(name, "–"))]
        load = bare.load if bare else None
        cells += [
            _rate(bare),
            _ms(load.p50_ms) if load else "–",
            _ms(load.p99_ms) if load else "–",
            _show(_ratio(bare, oxi)),
            _show(_ratio(bare, rdfe)),
            _rate(oxi),
            _rate(rdfe),
        ]
        load = ours.load if ours else None
        cells += [
            _rate(ours),
            _ms(load.p50_ms) if load else "–",
            _ms(load.p99_ms) if load else "–",
            _show(_ratio(ours, oxi)),
        ]
        lines.append("| " + " | ".join(cells) + " |")
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


def targets_section(results: dict[int, ScaleResult], catalogue: dict[str, NamedQuery]) -> list[str]:
    """Each target judged from this run's numbers, for both variants of this service."""
    lines = [
        "## Targets",
        "",
        'Judged from the numbers below, at every scale measured; "with cache" is the default '
        'service, "no cache" runs every query in a worker. A query a server cannot answer (an error, or a '
        "wrong answer) is not compared; the tables name it.",
        "",
    ]
    for label, variant in (("no cache", BARE), ("with cache", CACHED)):
        checks: dict[str, list[str]] = {
            "≥10× rdflib-endpoint, every query": [],
            "≥0.5× oxigraph, lookups": [],
            "≥1× oxigraph, aggregates": [],
            "p99 ≤ 20 ms, lookups": [],
        }
        counted = dict.fromkeys(checks, 0)
        for factor, res in results.items():
            for name in res.names:
                ours = res.outcomes.get((name, variant))
                kind = kind_of(catalogue[name])[0]
                where = f"{name} ×{factor}"
                _judge(
                    checks,
                    counted,
                    "≥10× rdflib-endpoint, every query",
                    where,
                    _ratio(ours, res.outcomes.get((name, "rdflib-endpoint"))),
                    10,
                )
                oxi = _ratio(ours, res.outcomes.get((name, "oxigraph")))
                if kind == "lookup":
                    _judge(checks, counted, "≥0.5× oxigraph, lookups", where, oxi, 0.5)
                    p99 = ours.load.p99_ms if ours and ours.load else None
                    _judge(
                        checks,
                        counted,
                        "p99 ≤ 20 ms, lookups",
                        where,
                        None if p99 is None else 20 / p99,
                        1,
                        shown=None if p99 is None else f"{p99:.1f} ms",
                    )
                else:
                    _judge(checks, counted, "≥1× oxigraph, aggregates", where, oxi, 1)
        lines += [f"**{label}**", ""]
        for target, misses in checks.items():
            verdict = (
                f"met on all {counted[target]}" if not misses else f"not met on {len(misses)} of {counted[target]}"
            )
            lines.append(f"- {target}: {verdict}" + (f" — {', '.join(misses)}" if misses else ""))
        lines.append("")
    for factor, bound in STARTUP_TARGETS.items():
        res = results.get(factor)
        if res is None:
            lines.append(f"- Start-up ≤ {bound} s at ×{factor} (until the first SPARQL answer): not measured.")
            continue
        for variant in (BARE, CACHED):
            took = res.startup.get(variant)
            verdict = f"{took:.2f} s: {'met' if took <= bound else 'not met'}" if isinstance(took, float) else str(took)
            lines.append(f"- Start-up ≤ {bound} s at ×{factor}, {variant} (until the first SPARQL answer): {verdict}.")
    biggest = results.get(100)
    if biggest is not None and BARE in biggest.memory:
        used = biggest.memory[BARE][0]
        lines.append(
            f"- Memory budget: the service and its default workers at ×100 within {MEMORY_BUDGET_MIB:,} MiB: "
            f"{used:,.0f} MiB after the load: {'met' if used <= MEMORY_BUDGET_MIB else 'not met'}."
        )
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


def replica_pair(real_nt: bytes, seconds: float) -> list[str]:
    """Two services over the same data on two ports, as two replicas behind a reverse proxy would be: the
    same ETag for the same request, and both loaded at once (half the connections each)."""
    query = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
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


def _judge(
    checks: dict[str, list[str]],
    counted: dict[str, int],
    target: str,
    where: str,
    ratio: float | None,
    bound: float,
    shown: str | None = None,
) -> None:
    """Count a comparison and record it when it misses; one that could not be made (a server that
    cannot answer the query) is left out of the count and listed by the table."""
    if ratio is None:
        return
    counted[target] += 1
    if ratio < bound:
        checks[target].append(f"{where} ({shown or _show(ratio)})")


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
        "time. This service runs with its defaults (2 query worker processes and a fast-lane one, a 10 s time "
        "limit that kills the worker), `--max-rows 1000000` and `--client-budget 0` (wrk is one client: its "
        "per-client share of worker time would answer 429 within seconds), once without its answer cache "
        "(`--answer-cache-mb 0`) and once with it (default, 64 MiB). Each answer is checked against the "
        "in-process answer before loading.",
        "",
        "Kinds: an *aggregate* groups or counts over the whole graph; a query narrowed to one named resource is a "
        "*lookup* even when it groups. Scaled data (`bench/synthetic.py`): the instance data (offers, units, "
        "statements, figures, ...) copied with new names, the vocabulary (methods, guidelines, sources, ...) shared.",
        "",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default="1,10,100")
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--queries", help="comma-separated catalogue names (default: all at ×1, a subset beyond)")
    parser.add_argument("--out", default=str(ROOT / "docs" / "benchmarks.md"))
    parser.add_argument("--validate-scales", default="10,100", help="scales to time SHACL validation at ('' for none)")
    parser.add_argument("--validate-limit", type=float, default=300.0, help="seconds a validation may take")
    parser.add_argument("--no-replicas", action="store_true", help="leave out the replica pair")
    parser.add_argument(
        "--rdflib-endpoint-up-to",
        type=int,
        default=100,
        help="largest scale rdflib-endpoint is started at (it parses for minutes at ×100)",
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
    results = {}
    for factor in (int(s) for s in args.scales.split(",")):
        names = chosen or (sorted(catalogue) if factor == 1 else [n for n in SUBSET if n in catalogue])
        print(f"scale ×{factor}: {len(names)} queries", file=sys.stderr)
        results[factor] = run_scale(factor, names, catalogue, real_nt, args.seconds, args.rdflib_endpoint_up_to)
    validation = validation_times([int(s) for s in args.validate_scales.split(",") if s], args.validate_limit)
    replicas = [] if args.no_replicas else replica_pair(real_nt, args.seconds)
    lines = header(args.seconds) + targets_section(results, catalogue)
    lines += ["**The CLI on the real data** (first run over an empty cache → median of three warm runs):", ""]
    for label, (cold, warm) in cli.items():
        bound = CLI_TARGETS[label]
        lines.append(
            f"- `mfbt-kg {label}` ≤ {bound} s warm: {cold:.2f} s → {warm:.2f} s: "
            f"{'met' if warm <= bound else 'not met'}."
        )
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
    Path(args.out).write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
