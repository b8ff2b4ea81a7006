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
rdflib's own engine). Writes docs/benchmarks.md. Not a test: nothing asserts a time.

    .venv/bin/python bench/run.py [--scales 1,10,100] [--seconds 3] [--queries a,b]
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Callable
from urllib.parse import quote

import httpx
from rdflib import Graph

sys.path.insert(0, str(Path(__file__).parent))
from synthetic import scaled_ntriples  # noqa: E402

from mfbt_kg.api.query_page import example_values  # noqa: E402
from mfbt_kg.sparql.answers import Table, fetch  # noqa: E402
from mfbt_kg.sparql.catalogue import NamedQuery, bound_text, load_catalogue  # noqa: E402
from mfbt_kg.graph.files import load_graph, project_root  # noqa: E402
from mfbt_kg.sparql.store import EmbeddedStore, to_ntriples  # noqa: E402

ROOT = project_root(Path(__file__).parent)
VENV_BIN = Path(sys.executable).parent
CONNECTIONS = 8
WRK_TIMEOUT = 10  # seconds; a slower answer counts as a timeout, not as throughput
START_LIMIT = 600  # seconds a server may take to answer its first query (rdflib at ×100 is slow)
# At ×10 and ×100: lookups and aggregates that analysts run most (every query runs at ×1).
SUBSET = ("offer-profile", "facts-about-resource", "find-resources-by-label", "offers-using-method",
          "protocol-signatories", "guideline-coverage-per-offer", "stated-totals-vs-parts", "sources-and-citations",
          "earmarked-beds-per-region")
RDFLIB_IN_PROCESS_UP_TO = 10  # rdflib's own engine takes minutes per query beyond ×10
PROBE = "ASK { ?s ?p ?o }"
SERVER_NAMES = ("mfbt-kg", "mfbt-kg, no cache", "rdflib-endpoint", "oxigraph")


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
            return ([str(VENV_BIN / "mfbt-kg"), "--root", str(ROOT), "serve", "--host", "127.0.0.1", "--port",
                     str(self.port), "--data", str(data), "--timeout", "10", "--max-rows", "1000000", *cache],
                    f"{base}/sparql")
        if self.name == "rdflib-endpoint":
            # Its `serve` command answers at the root (its own service description says so), not at /sparql.
            return ([str(VENV_BIN / "rdflib-endpoint"), "serve", str(data), "--host", "127.0.0.1", "--port",
                     str(self.port)], f"{base}/")
        location = workdir / f"oxigraph-{self.port}"
        # Loading the on-disk store is part of oxigraph's start-up, as parsing is part of the others'.
        subprocess.run([str(VENV_BIN / "oxigraph"), "load", "--location", str(location), "--file", str(data)],
                       check=True, capture_output=True, timeout=START_LIMIT)
        return ([str(VENV_BIN / "oxigraph"), "serve-read-only", "--location", str(location), "--bind",
                 f"127.0.0.1:{self.port}"], f"{base}/query")

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

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def answer_rows(endpoint: str, text: str) -> int | bool:
    """Rows of a SELECT (or the boolean of an ASK) as the server answers, in SPARQL JSON."""
    response = httpx.get(endpoint, params={"query": text}, headers={"Accept": "application/sparql-results+json"},
                         timeout=60)
    response.raise_for_status()
    body = response.json()
    return body["boolean"] if "boolean" in body else len(body["results"]["bindings"])


# --- load ------------------------------------------------------------------------------------

def wrk(url: str, seconds: float) -> Load:
    done = subprocess.run(
        ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{max(1, round(seconds))}s", "--timeout", f"{WRK_TIMEOUT}s", "--latency",
         url, "-H", "Accept: application/sparql-results+json"],
        capture_output=True, text=True, timeout=seconds + WRK_TIMEOUT + 60)
    return parse_wrk(done.stdout)


def parse_wrk(out: str) -> Load:
    """wrk's summary: 'N requests in Xs', 'Non-2xx or 3xx responses: N', 'Socket errors: connect A, read B, write C, timeout D'."""
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


def measure(server: Server, texts: dict[str, str], expected: dict[str, int | bool], seconds: float) -> dict[str, Outcome]:
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
        expected[name] = len(answer.rows) if isinstance(answer, Table) else answer if isinstance(answer, bool) \
            else len(answer)
        result.in_process[name] = (_median_ms(lambda: fetch(store, text)),
                                   _rdflib_ms(graph, text) if graph is not None else None)
    return expected


def _rdflib_ms(graph: Graph, text: str) -> float:
    """rdflib's own engine, once; NaN where it cannot answer."""
    try:
        return _median_ms(lambda: list(graph.query(text)), runs=1)
    except Exception:  # noqa: BLE001 - a benchmark records the failure and goes on
        return float("nan")


def _median_ms(fn: Callable[[], object], runs: int = 5) -> float:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1000


# --- one scale ---------------------------------------------------------------------------------

def query_text(query: NamedQuery, store: EmbeddedStore) -> str:
    """The catalogue query with its example's parameters bound as a VALUES block."""
    return bound_text(query, example_values(query.example), store)


def run_scale(factor: int, names: list[str], catalogue: dict[str, NamedQuery], real_nt: bytes,
              seconds: float) -> ScaleResult:
    nt = real_nt if factor == 1 else scaled_ntriples(real_nt, factor)
    real_store = EmbeddedStore(real_nt)  # the examples' parameters name real resources
    texts = {name: query_text(catalogue[name], real_store) for name in names}
    result = ScaleResult(factor, nt.count(b"\n"), names)
    expected = in_process(result, nt, texts)
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        data = workdir / "data.nt"
        data.write_bytes(nt)
        for server_name in SERVER_NAMES:
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
    startup = ", ".join(f"{name} {value:.2f} s" if isinstance(value, float) else f"{name}: {value}"
                        for name, value in res.startup.items())
    lines = [f"## Scale ×{res.factor} ({res.triples:,} triples)", "", f"Start-up until the first SPARQL answer: {startup}.",
             "", "Successful answers per second (failed answers are not counted; a failed or wrong answer is named "
             "instead), p50/p99 latency in ms.", "",
             "| query | kind | mfbt-kg req/s | p50 | p99 | no cache req/s | p50 | p99 | rdflib-endpoint req/s | "
             "oxigraph req/s | ×rdflib-endpoint (no cache) | ×oxigraph (no cache) |",
             "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for name in res.names:
        ours, bare, rdfe, oxi = (res.outcomes.get((name, s)) for s in SERVER_NAMES)
        cells = [name, kind_of(catalogue[name])[0]]
        for variant in (ours, bare):
            load = variant.load if variant else None
            cells += [_rate(variant), _ms(load.p50_ms) if load else "–", _ms(load.p99_ms) if load else "–"]
        cells += [_rate(rdfe), _rate(oxi), f"{_show(_ratio(ours, rdfe))} ({_show(_ratio(bare, rdfe))})",
                  f"{_show(_ratio(ours, oxi))} ({_show(_ratio(bare, oxi))})"]
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", f"In process: load {res.oxigraph_load_ms:,.0f} ms into pyoxigraph" +
              (f", {res.rdflib_load_ms:,.0f} ms into rdflib ({res.rdflib_load_ms / res.oxigraph_load_ms:.1f}×)."
               if res.rdflib_load_ms else f"; rdflib's engine is not timed beyond ×{RDFLIB_IN_PROCESS_UP_TO}."), "",
              "| query | pyoxigraph ms | rdflib ms | rdflib / pyoxigraph |", "| --- | ---: | ---: | ---: |"]
    for name, (ox_ms, rdf_ms) in res.in_process.items():
        ratio = "–" if rdf_ms is None or rdf_ms != rdf_ms else f"{rdf_ms / ox_ms:.0f}×"
        lines.append(f"| {name} | {ox_ms:.2f} | {'–' if rdf_ms is None else _ms(rdf_ms)} | {ratio} |")
    return lines + [""]


def targets_section(results: dict[int, ScaleResult], catalogue: dict[str, NamedQuery]) -> list[str]:
    """Each target judged from this run's numbers, for both variants of this service."""
    lines = ["## Targets", "", "Judged from the numbers below, at every scale measured; \"with cache\" is the default "
             "service, \"no cache\" runs every query in a worker. A query a server cannot answer (an error, or a "
             "wrong answer) is not compared; the tables name it.", ""]
    for label, variant in (("with cache", "mfbt-kg"), ("no cache", "mfbt-kg, no cache")):
        checks: dict[str, list[str]] = {"≥10× rdflib-endpoint, every query": [], "≥0.5× oxigraph, lookups": [],
                                        "≥1× oxigraph, aggregates": [], "p99 ≤ 20 ms, lookups": []}
        counted = dict.fromkeys(checks, 0)
        for factor, res in results.items():
            for name in res.names:
                ours = res.outcomes.get((name, variant))
                kind = kind_of(catalogue[name])[0]
                where = f"{name} ×{factor}"
                _judge(checks, counted, "≥10× rdflib-endpoint, every query", where,
                       _ratio(ours, res.outcomes.get((name, "rdflib-endpoint"))), 10)
                oxi = _ratio(ours, res.outcomes.get((name, "oxigraph")))
                if kind == "lookup":
                    _judge(checks, counted, "≥0.5× oxigraph, lookups", where, oxi, 0.5)
                    p99 = ours.load.p99_ms if ours and ours.load else None
                    _judge(checks, counted, "p99 ≤ 20 ms, lookups", where, None if p99 is None else 20 / p99, 1,
                           shown=None if p99 is None else f"{p99:.1f} ms")
                else:
                    _judge(checks, counted, "≥1× oxigraph, aggregates", where, oxi, 1)
        lines += [f"**{label}**", ""]
        for target, misses in checks.items():
            verdict = (f"met on all {counted[target]}" if not misses else f"not met on {len(misses)} of {counted[target]}")
            lines.append(f"- {target}: {verdict}" + (f" — {', '.join(misses)}" if misses else ""))
        lines.append("")
    real = results.get(1)
    if real:
        ours = real.startup.get("mfbt-kg")
        verdict = f"{ours:.2f} s: {'met' if ours < 2 else 'not met'}" if isinstance(ours, float) else str(ours)
        lines += [f"Start-up with the real data under 2 s (until the first SPARQL answer): {verdict}.", ""]
    return lines


def _judge(checks: dict[str, list[str]], counted: dict[str, int], target: str, where: str, ratio: float | None,
           bound: float, shown: str | None = None) -> None:
    """Count a comparison and record it when it misses; one that could not be made (a server that
    cannot answer the query) is left out of the count and listed by the table."""
    if ratio is None:
        return
    counted[target] += 1
    if ratio < bound:
        checks[target].append(f"{where} ({shown or _show(ratio)})")


def header(seconds: float) -> list[str]:
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    versions = ", ".join(f"{p} {metadata.version(p)}" for p in ("pyoxigraph", "rdflib", "rdflib-endpoint", "oxigraph",
                                                                 "fastapi", "uvicorn"))
    return ["# Benchmarks", "",
            f"Written by `bench/run.py` on {time.strftime('%Y-%m-%d')}: {platform.platform()}, {os.cpu_count()} cores, "
            f"{memory:.0f} GiB memory, Python {platform.python_version()}; {versions}.", "",
            f"Load: `wrk -t2 -c{CONNECTIONS} -d{max(1, round(seconds))}s --timeout {WRK_TIMEOUT}s` per query and server: "
            "GET with the catalogue query (its example's parameters bound as a VALUES block), "
            "`Accept: application/sparql-results+json`. Client and server share the cores; the servers run one at a "
            "time. This service runs with its defaults (2 query worker processes, a 10 s time limit that kills the "
            "worker) and `--max-rows 1000000`, once with its answer cache (default, 64 MiB) and once without "
            "(`--answer-cache-mb 0`). Each answer is checked against the in-process answer before loading.", "",
            "Kinds: an *aggregate* groups or counts over the whole graph; a query narrowed to one named resource is a "
            "*lookup* even when it groups. Scaled data (`bench/synthetic.py`): the instance data (offers, units, "
            "statements, figures, ...) copied with new names, the vocabulary (methods, guidelines, sources, ...) shared.",
            ""]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default="1,10,100")
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--queries", help="comma-separated catalogue names (default: all at ×1, a subset beyond)")
    parser.add_argument("--out", default=str(ROOT / "docs" / "benchmarks.md"))
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("bench: needs wrk (apt-get install wrk)")
    catalogue = load_catalogue(ROOT)
    chosen = args.queries.split(",") if args.queries else None
    real_nt = to_ntriples(load_graph(ROOT))
    started = time.monotonic()
    results = {}
    for factor in (int(s) for s in args.scales.split(",")):
        names = chosen or (sorted(catalogue) if factor == 1 else [n for n in SUBSET if n in catalogue])
        print(f"scale ×{factor}: {len(names)} queries", file=sys.stderr)
        results[factor] = run_scale(factor, names, catalogue, real_nt, args.seconds)
    lines = header(args.seconds) + targets_section(results, catalogue)
    for res in results.values():
        lines += scale_section(res, catalogue)
    lines.append(f"Whole run: {(time.monotonic() - started) / 60:.1f} min.")
    Path(args.out).write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
