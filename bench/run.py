"""Side-by-side benchmark: this service, rdflib-endpoint and `oxigraph serve-read-only`.

Each server gets the same data (the real graph, and ×10 / ×100 synthetic copies),
listens on 127.0.0.1 only, and answers the catalogue's queries under `wrk` with
8 connections for a bounded time. Also measured: load time and in-process query
time (pyoxigraph against rdflib's own engine), and start-up time. Writes
docs/benchmarks.md. Not a test: nothing here asserts a time.

    .venv/bin/python bench/run.py [--scales 1,10,100] [--seconds 3] [--all-queries-at 1]
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
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from urllib.parse import quote

import httpx
from rdflib import Graph

sys.path.insert(0, str(Path(__file__).parent))
from synthetic import scaled  # noqa: E402

from mfbt_kg.catalogue import NamedQuery, bind, load_catalogue  # noqa: E402
from mfbt_kg.dataset import load_graph, project_root  # noqa: E402
from mfbt_kg.store import EmbeddedStore, inject_values, to_ntriples  # noqa: E402

ROOT = project_root(Path(__file__).parent)
VENV_BIN = Path(sys.executable).parent
CONNECTIONS = 8
SUBSET = ("offer-profile", "facts-about-resource", "find-resources-by-label",
          "guideline-coverage-per-offer", "stated-totals-vs-parts", "sources-and-citations")


@dataclass
class Load:
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_ready(url: str, proc: subprocess.Popen, limit: float = 300) -> float:
    started = time.monotonic()
    while time.monotonic() - started < limit:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return time.monotonic() - started
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"{url} not ready after {limit}s")


def is_aggregate(query: NamedQuery) -> bool:
    return bool(re.search(r"\b(GROUP BY|COUNT|SUM)\b", query.sparql))


def example_params(query: NamedQuery) -> dict[str, str]:
    return dict(re.findall(r"--param (\w+)=(\S+)", query.example))


def query_text(query: NamedQuery, store: EmbeddedStore) -> str:
    """The catalogue query with its example's parameters bound as a VALUES block."""
    bound = bind(query, example_params(query), store)
    return inject_values(query.sparql, bound) if bound else query.sparql


def wrk(url: str, seconds: float) -> Load:
    done = subprocess.run(
        ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{max(1, int(seconds))}s", "--timeout", "10s", "--latency", url,
         "-H", "Accept: application/sparql-results+json"],
        capture_output=True, text=True, timeout=seconds + 60,
    )
    out = done.stdout
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if not match:
        print(f"wrk failed: {(done.stderr or out)[:300]}", file=sys.stderr)
        return Load(float("nan"), float("nan"), float("nan"), -1)
    rps = float(match.group(1))
    errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", out))
    errors += sum(int(n) for n in re.findall(r"timeout (\d+)", out))
    return Load(rps, _latency(out, "50%"), _latency(out, "99%"), errors)


def _latency(text: str, pct: str) -> float:
    match = re.search(rf"{pct}\s+([\d.]+)(us|ms|s)\b", text)
    if not match:
        return float("nan")
    value, unit = float(match.group(1)), match.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value


class Servers:
    """The three servers over one data set, started and stopped together."""

    def __init__(self, workdir: Path, ntriples: Path, project: Path) -> None:
        self.procs: list[subprocess.Popen] = []
        self.urls: dict[str, str] = {}
        self.startup: dict[str, float] = {}
        self._start_ours(project)
        self._start_rdflib_endpoint(ntriples)
        self._start_oxigraph(workdir, ntriples)

    def _spawn(self, name: str, argv: list[str], sparql: str, ready: str) -> None:
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.procs.append(proc)
        self.startup[name] = wait_ready(ready, proc)
        self.urls[name] = sparql

    def _start_ours(self, project: Path) -> None:
        port = free_port()
        self._spawn("mfbt-kg", [str(VENV_BIN / "mfbt-kg"), "--root", str(project), "serve", "--host", "127.0.0.1",
                                "--port", str(port), "--timeout", "10", "--max-rows", "100000"],
                    f"http://127.0.0.1:{port}/sparql", f"http://127.0.0.1:{port}/health")

    def _start_rdflib_endpoint(self, ntriples: Path) -> None:
        port = free_port()
        self._spawn("rdflib-endpoint", [str(VENV_BIN / "rdflib-endpoint"), "serve", str(ntriples), "--host",
                                        "127.0.0.1", "--port", str(port)],
                    f"http://127.0.0.1:{port}/sparql", f"http://127.0.0.1:{port}/sparql?query=ASK%7B%7D")

    def _start_oxigraph(self, workdir: Path, ntriples: Path) -> None:
        location = workdir / "oxigraph"
        subprocess.run([str(VENV_BIN / "oxigraph"), "load", "--location", str(location), "--file", str(ntriples)],
                       check=True, capture_output=True)
        port = free_port()
        self._spawn("oxigraph", [str(VENV_BIN / "oxigraph"), "serve-read-only", "--location", str(location),
                                 "--bind", f"127.0.0.1:{port}"],
                    f"http://127.0.0.1:{port}/query", f"http://127.0.0.1:{port}/query?query=ASK%7B%7D")

    def stop(self) -> None:
        for proc in self.procs:
            proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


def project_with(graph: Graph, workdir: Path) -> Path:
    """A throw-away project folder whose data is ``graph`` (for the scaled runs)."""
    project = workdir / "project"
    shutil.copytree(ROOT / "ontology", project / "ontology")
    shutil.copytree(ROOT / "queries", project / "queries")
    (project / "data" / "ttl").mkdir(parents=True)
    graph.serialize(project / "data" / "ttl" / "scaled.ttl", format="turtle")
    return project


def in_process(graph: Graph, nt: bytes, queries: dict[str, str]) -> dict[str, object]:
    started = time.perf_counter()
    store = EmbeddedStore(nt)
    ox_load = time.perf_counter() - started
    started = time.perf_counter()
    Graph().parse(data=nt.decode("utf-8"), format="nt")
    rdflib_load = time.perf_counter() - started
    timings = {}
    for name, text in queries.items():
        timings[name] = (_median(lambda: list(store.query(text))), _rdflib_time(graph, text))
    return {"oxigraph_load": ox_load, "rdflib_load": rdflib_load, "queries": timings}


def _rdflib_time(graph: Graph, text: str) -> float:
    """rdflib's own engine, once; NaN where it cannot answer (it fails on some ORDER BY over unbound values)."""
    try:
        return _median(lambda: list(graph.query(text)), runs=1)
    except Exception:  # noqa: BLE001 - a benchmark records the failure and goes on
        return float("nan")


def _median(fn, runs: int = 5) -> float:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1000


def run_scale(factor: int, names: list[str], catalogue: dict[str, NamedQuery], seconds: float) -> dict[str, object]:
    real = load_graph(ROOT)
    graph = real if factor == 1 else scaled(real, factor)
    nt = to_ntriples(graph)
    store = EmbeddedStore(nt)
    texts = {name: query_text(catalogue[name], store) for name in names}
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        (workdir / "data.nt").write_bytes(nt)
        project = ROOT if factor == 1 else project_with(graph, workdir)
        servers = Servers(workdir, workdir / "data.nt", project)
        try:
            loads = {}
            for name in names:
                for server, base in servers.urls.items():
                    loads[(name, server)] = wrk(f"{base}?query={quote(texts[name])}", seconds)
        finally:
            servers.stop()
    return {"triples": len(graph), "startup": servers.startup, "loads": loads,
            "in_process": in_process(graph, nt, texts), "names": names}


def report(results: dict[int, dict], catalogue: dict[str, NamedQuery], seconds: float) -> str:
    lines = ["# Benchmarks", "",
             f"Written by `bench/run.py` on {platform.node() or 'this machine'}: {platform.platform()}, "
             f"{os.cpu_count()} cores, Python {platform.python_version()}, pyoxigraph {metadata.version('pyoxigraph')}, "
             f"rdflib {metadata.version('rdflib')}, rdflib-endpoint {metadata.version('rdflib-endpoint')}, "
             f"oxigraph {metadata.version('oxigraph')}, fastapi {metadata.version('fastapi')}, "
             f"uvicorn {metadata.version('uvicorn')}.",
             f"Load: `wrk -t2 -c{CONNECTIONS} -d{seconds}s` per query and server, GET /sparql with the catalogue query "
             "(its example's parameters bound as VALUES), all on 127.0.0.1, client and servers sharing the cores.", ""]
    for factor, res in results.items():
        lines += [f"## Scale ×{factor} ({res['triples']:,} triples)", "",
                  "Start-up until the first answer: " + ", ".join(f"{k} {v:.2f} s" for k, v in res["startup"].items()),
                  "", "| query | kind | mfbt-kg req/s | p50 ms | p99 ms | rdflib-endpoint req/s | oxigraph req/s | ×rdflib-endpoint | ×oxigraph |",
                  "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
        for name in res["names"]:
            ours, rdfe, oxi = (res["loads"][(name, s)] for s in ("mfbt-kg", "rdflib-endpoint", "oxigraph"))
            kind = "aggregate" if is_aggregate(catalogue[name]) else "lookup"
            lines.append(f"| {name} | {kind} | {ours.rps:,.0f} | {ours.p50_ms:.1f} | {ours.p99_ms:.1f} | {rdfe.rps:,.1f} | "
                         f"{oxi.rps:,.0f} | {_ratio(ours.rps, rdfe.rps)} | {_ratio(ours.rps, oxi.rps)} |")
        proc = res["in_process"]
        lines += ["", f"In process: load {proc['oxigraph_load'] * 1000:.0f} ms into pyoxigraph, "
                  f"{proc['rdflib_load'] * 1000:.0f} ms into rdflib ({_ratio(proc['rdflib_load'], proc['oxigraph_load'])}).", "",
                  "| query | pyoxigraph ms | rdflib ms | ratio |", "| --- | ---: | ---: | ---: |"]
        for name, (ox_ms, rdf_ms) in proc["queries"].items():
            lines.append(f"| {name} | {ox_ms:.2f} | {rdf_ms:.1f} | {_ratio(rdf_ms, ox_ms)} |")
        lines.append("")
    return "\n".join(lines) + "\n"


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.1f}×" if b else "∞"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default="1,10,100")
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--all-queries-at", type=int, default=1, help="the scale at which every catalogue query runs")
    parser.add_argument("--out", default=str(ROOT / "docs" / "benchmarks.md"))
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("bench: needs wrk (apt-get install wrk)")
    catalogue = load_catalogue(ROOT)
    results = {}
    for factor in (int(s) for s in args.scales.split(",")):
        names = sorted(catalogue) if factor == args.all_queries_at else [n for n in SUBSET if n in catalogue]
        print(f"scale ×{factor}: {len(names)} queries", file=sys.stderr)
        results[factor] = run_scale(factor, names, catalogue, args.seconds)
    Path(args.out).write_text(report(results, catalogue, args.seconds), encoding="utf-8")
    print(f"wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
