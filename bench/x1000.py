"""The ×1000 measurement (6.8 M triples): in process, through a remote Oxigraph server, and embedded.

Builds the scaled graph (``bench/synthetic.py``: the instance data copied with new names, written line by
line to a temporary folder, never into data/ttl/), then

1. **in process** (a child Python process, so its resident memory is the store's alone): pyoxigraph's
   bulk load from the file, its time and memory, then every lookup of the catalogue and the aggregates of
   ``run.SUBSET``, each run once for its answer and timed over up to three runs (median), beside the same
   at ×1: a lookup's cost should not grow with the graph;
2. **through the remote store**: ``oxigraph serve`` on 127.0.0.1 with a temporary location, filled by
   ``oxigraph load`` into the location before the server starts (``--remote-load put``: the Graph Store PUT
   ``mfbt-kg load --store`` uses, ``RemoteStore.replace``, six times slower at ×100), then
   ``mfbt-kg serve --store`` over it;
   each query's whole answer (every row, compared as a multiset, blank nodes by kind) from our service
   and from Oxigraph must equal the in-process answer before ``wrk`` loads each for a few seconds;
3. **embedded**: ``mfbt-kg serve --data <file>`` until its first SPARQL answer, and its memory with its
   workers.

Writes docs/benchmarks-x1000.md (at another ``--factor``, a file in the temporary folder's parent unless
``--out`` says where). Every server is stopped in a ``finally``; every wait is bounded. Not a test.

    .venv/bin/python bench/x1000.py [--factor 1000] [--seconds 3] [--queries a,b] [--remote-load bulk|put]
        [--query-limit 20] [--embedded-arg=--worker-memory-mb=0] [--no-embedded] [--out FILE]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

sys.path.insert(0, str(Path(__file__).parent))
from mfbt_kg.graph.validate import project_ntriples  # noqa: E402
from mfbt_kg.namespaces import RDF, XSD  # noqa: E402
from mfbt_kg.sparql.catalogue import load_catalogue  # noqa: E402
from mfbt_kg.sparql.store import EmbeddedStore, RemoteStore  # noqa: E402
from processes import serve_argv, stop, tree_memory  # noqa: E402
from run import (
    ROOT,
    SUBSET,
    VENV_BIN,
    WRK_TIMEOUT,
    Load,
    bench_query,
    free_port,
    kind_of,
    query_text,
    wrk,
)  # noqa: E402
from synthetic import _is_instance_line, _renamed  # noqa: E402

PROBE = bench_query("probe")
START_LIMIT = 900.0  # seconds a server may take to its first answer (embedded at ×1000 loads ~2 GB per worker)
LOAD_LIMIT = 1200.0  # seconds the remote store's load may take
WRK_LONGEST = 10.0  # seconds of wrk at most per query and server (a slow query gets more than --seconds)
EMBEDDED_LIMIT = 240.0  # seconds `serve --data` may take to its first answer
SLOW_RUN = 10.0  # seconds: an in-process query slower than this is timed once, not three times
XSD_STRING = str(XSD.string)
RDF_LANG_STRING = str(RDF.langString)


# --- the data --------------------------------------------------------------------------------


def write_scaled(real_nt: bytes, factor: int, path: Path) -> int:
    """``synthetic.scaled_ntriples(real_nt, factor)`` written copy by copy (the same bytes, never all in
    memory: ×1000 is about 1.7 GB); the triples written."""
    lines = real_nt.decode("utf-8").splitlines()
    instance = [line for line in lines if line and _is_instance_line(line)]
    triples = sum(1 for line in lines if line)
    with path.open("w", encoding="utf-8", newline="\n") as out:
        out.write("\n".join(lines) + "\n")
        for copy in range(1, factor):
            out.write("\n".join(_renamed(line, copy) for line in instance) + "\n")
            triples += len(instance)
    return triples


# --- answers, compared whole -------------------------------------------------------------------


def _term_key(kind: str, value: str, datatype: str = "", lang: str = "") -> tuple[str, ...]:
    if kind == "bnode":
        return ("bnode",)  # labels are each engine's own
    if kind == "uri":
        return ("uri", value)
    return ("literal", value, lang.lower(), RDF_LANG_STRING if lang else (datatype or XSD_STRING))


def _words_sorted(term: tuple[str, ...]) -> tuple[str, ...]:
    return (term[0], " ".join(sorted(term[1].split())), *term[2:]) if term[0] == "literal" else term


def _digest(rows: list[dict[str, tuple[str, ...]]]) -> str:
    """Exact: every row, as a multiset; and loose: the same with each literal's words sorted, since the order
    GROUP_CONCAT joins its values in is the engine's own (SPARQL leaves it open; Oxigraph's in-memory and
    on-disk stores differ). ``exact/loose``."""
    exact = sorted(json.dumps(sorted(row.items())) for row in rows)
    loose = sorted(json.dumps(sorted((k, _words_sorted(t)) for k, t in row.items())) for row in rows)
    return "/".join(hashlib.sha256("\n".join(x).encode("utf-8")).hexdigest()[:16] for x in (exact, loose))


def canonical_json(body: dict[str, Any]) -> tuple[int | bool, str]:
    """(rows or the boolean, a digest of the rows as a multiset) of a SPARQL JSON answer."""
    if "boolean" in body:
        return bool(body["boolean"]), f"{bool(body['boolean'])}/{bool(body['boolean'])}"
    rows = []
    for binding in body["results"]["bindings"]:
        row = {
            var: _term_key(
                "literal" if term["type"] == "typed-literal" else term["type"],
                term["value"],
                term.get("datatype", ""),
                term.get("xml:lang", ""),
            )
            for var, term in binding.items()
        }
        rows.append(row)
    return len(rows), _digest(rows)


def canonical_engine(result: Any) -> tuple[int | bool, str]:
    """The same for a pyoxigraph answer (SELECT or ASK)."""
    import pyoxigraph as ox

    if isinstance(result, ox.QueryBoolean):
        return bool(result), f"{bool(result)}/{bool(result)}"
    if not isinstance(result, ox.QuerySolutions):
        raise ValueError("only SELECT and ASK answers are compared")
    names = [v.value for v in result.variables]
    rows = []
    for solution in result:
        row = {}
        for name in names:
            term = solution[name]
            if term is None:
                continue
            if isinstance(term, ox.NamedNode):
                row[name] = _term_key("uri", term.value)
            elif isinstance(term, ox.BlankNode):
                row[name] = _term_key("bnode", "")
            else:
                row[name] = _term_key("literal", term.value, term.datatype.value, term.language or "")
        rows.append(row)
    return len(rows), _digest(rows)


def http_answer(endpoint: str, text: str, timeout: float) -> tuple[int | bool, str, float]:
    """(rows, digest, milliseconds to the whole answer) of one request."""
    begun = time.perf_counter()
    response = httpx.get(
        endpoint, params={"query": text}, headers={"Accept": "application/sparql-results+json"}, timeout=timeout
    )
    response.raise_for_status()
    took = (time.perf_counter() - begun) * 1000
    return (*canonical_json(response.json()), took)


# --- in process (run as a child: ``--child FILE TEXTS``) -------------------------------------------


def _own_memory_mib() -> tuple[float, float]:
    fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines() if ":" in line)
    return (int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024)


def child(data: Path, texts_file: Path, limit: float) -> None:
    """Bulk-load ``data`` into an in-memory pyoxigraph store, then answer and time each query; JSON on stdout."""
    import pyoxigraph as ox

    texts: dict[str, str] = json.loads(texts_file.read_text(encoding="utf-8"))
    before, _ = _own_memory_mib()  # the interpreter and this script's imports
    started = time.perf_counter()
    store = ox.Store()
    store.bulk_load(path=str(data), format=ox.RdfFormat.N_TRIPLES)
    load_s = time.perf_counter() - started
    rss, peak = _own_memory_mib()
    out: dict[str, Any] = {
        "before_mib": before,
        "load_s": load_s,
        "triples": len(store),
        "rss_mib": rss,
        "peak_mib": peak,
        "queries": {},
    }
    for name, text in texts.items():
        out["queries"][name] = _limited(store, text, limit)
    print(json.dumps(out))


def _limited(store: Any, text: str, limit: float) -> dict[str, Any]:
    """One query in a forked copy of this process (the store shared, copy on write), killed after ``limit``
    seconds: its answer once, then up to three timed runs to the last row (one where the first is slow)."""
    context = multiprocessing.get_context("fork")
    reader, writer = context.Pipe(duplex=False)

    def run() -> None:
        import pyoxigraph as ox

        try:
            begun = time.perf_counter()
            rows, digest = canonical_engine(store.query(text))
            writer.send(("answer", rows, digest, time.perf_counter() - begun))
            samples: list[float] = []
            while len(samples) < 3 and not (samples and samples[0] > SLOW_RUN):
                begun = time.perf_counter()
                result = store.query(text)
                if isinstance(result, ox.QuerySolutions):
                    for _ in result:  # every row, as a server would write them
                        pass
                samples.append(time.perf_counter() - begun)
                writer.send(("sample", samples[-1]))
        except Exception as exc:  # noqa: BLE001 - recorded in the report
            writer.send(("error", f"{type(exc).__name__}: {str(exc)[:120]}"))
        writer.send(("done",))

    process = context.Process(target=run, daemon=True)
    process.start()
    got: dict[str, Any] = {}
    samples: list[float] = []
    first = 0.0
    deadline = time.monotonic() + limit
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not reader.poll(left):
                got["error" if "rows" not in got else "note"] = f"stopped after {limit:.0f} s"
                break
            message = reader.recv()
            if message[0] == "answer":
                got["rows"], got["digest"], first = message[1], message[2], message[3]
            elif message[0] == "sample":
                samples.append(message[1])
            elif message[0] == "error":
                got["error"] = message[1]
            else:
                break
    except EOFError:
        got.setdefault("error", "the query's process ended without an answer (out of memory?)")
    finally:
        process.kill()
        process.join()
    if samples:
        got["ms"], got["runs"] = statistics.median(samples) * 1000, len(samples)
    elif "rows" in got:  # only the answer's run: its time, the rows' conversion for the check included
        got["ms"], got["runs"] = first * 1000, 0
    return got


def in_process(data: Path, texts_file: Path, limit: float, query_limit: float) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, "--child", str(data), str(texts_file), str(query_limit)],
        capture_output=True,
        text=True,
        timeout=limit,
    )
    if done.returncode != 0:
        raise RuntimeError(f"in-process child failed: {done.stderr.strip()[-400:]}")
    return json.loads(done.stdout)


# --- servers ----------------------------------------------------------------------------------


class Proc:
    """A server process on 127.0.0.1; every one started is stopped by ``stop_all`` (called in a finally)."""

    started: list[Proc] = []

    def __init__(self, argv: list[str], endpoint: str, log: Path) -> None:
        self.endpoint = endpoint
        self.log = log.open("wb")
        self.proc = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        Proc.started.append(self)

    def wait_ready(self, limit: float, empty: bool = False) -> float:
        """Seconds since start until the endpoint answers ``PROBE`` true (any answer where the store is
        still ``empty``)."""
        started = time.monotonic()
        while time.monotonic() - started < limit:
            if self.proc.poll() is not None:
                raise RuntimeError(f"exited with {self.proc.returncode} (log: {self.log.name})")
            try:
                response = httpx.get(
                    self.endpoint,
                    params={"query": PROBE},
                    headers={"Accept": "application/sparql-results+json"},
                    timeout=30,
                )
                answers = (True, False) if empty else (True,)
                if response.status_code == 200 and response.json().get("boolean") in answers:
                    return time.monotonic() - started
            except (httpx.HTTPError, ValueError):
                pass
            time.sleep(0.05)
        raise RuntimeError(f"no answer within {limit:.0f} s")

    def memory_mib(self) -> tuple[float, float, float]:
        """Resident memory of the process and every process of its tree and session
        (``processes.tree_memory``): the sum of VmRSS now, of each process's peak (VmHWM), and of Pss
        (shared pages counted once), MiB."""
        tree = tree_memory(self.proc.pid)
        return (
            sum(p.rss_mib for p in tree),
            sum(p.peak_mib for p in tree),
            sum(p.pss_mib or 0.0 for p in tree),
        )

    def stop(self) -> None:
        stop(self.proc, wait=20)
        self.log.close()
        if self in Proc.started:
            Proc.started.remove(self)

    @classmethod
    def stop_all(cls) -> None:
        for proc in list(cls.started):
            proc.stop()


def oxigraph_serve(location: Path, timeout: float, workdir: Path) -> Proc:
    port = free_port()
    argv = [
        str(VENV_BIN / "oxigraph"),
        "serve",
        "--location",
        str(location),
        "--bind",
        f"127.0.0.1:{port}",
        "--timeout-s",
        str(round(timeout)),
    ]
    return Proc(argv, f"http://127.0.0.1:{port}/query", workdir / "oxigraph.log")


def mfbt_serve(source: list[str], timeout: float, workdir: Path, name: str) -> Proc:
    """Our service (no answer cache, no per-client budget, rows and answer size not capped below the data)."""
    port = free_port()
    argv = [
        *serve_argv(port, *source),
        "--timeout",
        str(timeout),
        "--max-rows",
        "100000000",
        "--max-answer-mb",
        "0",
        "--client-budget",
        "0",
        "--answer-cache-mb",
        "0",
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    return Proc(argv, f"http://127.0.0.1:{port}/sparql", workdir / f"{name}.log")


def check_and_load(
    server: Proc, texts: dict[str, str], expected: dict[str, dict[str, Any]], seconds: float, timeout: float
) -> dict[str, tuple[str, float, Load | None]]:
    """Each query's whole answer compared with the in-process one (verdict, and that one request's time in
    ms); then wrk on it where it is the same."""
    out: dict[str, tuple[str, float, Load | None]] = {}
    nan = float("nan")
    for name, text in texts.items():
        want = expected.get(name, {})
        try:
            rows, digest, took = http_answer(server.endpoint, text, timeout + 5)
        except httpx.HTTPStatusError as exc:
            said = " ".join(exc.response.text.split())[:80]
            out[name] = (f"HTTP {exc.response.status_code}" + (f" ({said})" if said else ""), nan, None)
            continue
        except httpx.TimeoutException:
            out[name] = (f"no answer within {timeout + 5:.0f} s", nan, None)
            continue
        except (ValueError, KeyError):
            out[name] = ("an answer that is not SPARQL JSON (cut off at the time limit?)", nan, None)
            continue
        except httpx.HTTPError as exc:
            out[name] = (f"no answer ({type(exc).__name__})", nan, None)
            continue
        if "digest" not in want:  # no answer to compare with: what the server said, not loaded
            out[name] = (f"unchecked: {rows} rows, no in-process answer", took, None)
            continue
        if digest == want["digest"]:
            verdict = "same"
        elif "GROUP_CONCAT" in text.upper() and digest.split("/")[1] == want["digest"].split("/")[1]:
            verdict = "same¹"
        else:
            out[name] = (f"DIFFERENT ({rows} rows, in process {want['rows']})", took, None)
            continue
        # a slower query gets the time for about one answer per connection (a short run would finish none);
        # one that would need more than WRK_LONGEST is not loaded: its one answer's time says enough
        duration = max(seconds, 6 * took / 1000)
        if duration > WRK_LONGEST:
            out[name] = (verdict, took, None)
            continue
        out[name] = (verdict, took, wrk(f"{server.endpoint}?query={quote(text)}", duration))
    return out


# --- the report --------------------------------------------------------------------------------


def _ms(value: float) -> str:
    return "–" if value != value else f"{value:,.1f}" if value < 1000 else f"{value:,.0f}"


def _rate(load: Load | None) -> str:
    if load is None:
        return "–"
    if load.requests == 0:
        return f"none in {load.seconds:.0f} s" if load.seconds else "wrk failed"
    text = f"{load.rps:,.0f}" if load.rps >= 10 else f"{load.rps:,.2f}"
    return text + (f" ({load.failures} failed)" if load.failures else "")


def _memory(mib: list[float] | tuple[float, ...]) -> str:
    now, peak, pss = mib
    return f"{now:,.0f} MiB RSS (Pss {pss:,.0f} MiB, the sum of each process's peak RSS {peak:,.0f} MiB)"


def _load_cells(load: Load | None) -> list[str]:
    if load is None or load.requests == 0:
        return [_rate(load), "–", "–"]
    return [_rate(load), _ms(load.p50_ms), _ms(load.p99_ms)]


def versions() -> str:
    names = ("mfbt-kg", "pyoxigraph", "oxigraph", "rdflib", "fastapi", "uvicorn", "httpx")
    found = []
    for name in names:
        try:
            found.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            found.append(f"{name} (not installed)")
    wrk_version = subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout.split("\n")[0]
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    return ", ".join(found) + f"; {wrk_version.split(' [')[0] or 'wrk'}; commit {commit or '?'}"


def report(args: argparse.Namespace, facts: dict[str, Any]) -> list[str]:
    factor = args.factor
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    base, big = facts["x1"], facts["big"]
    lines = [
        f"# Benchmarks at ×{factor}",
        "",
        f"Written by `bench/x1000.py --factor {factor}` on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}: "
        f"{platform.platform()}, {os.cpu_count()} cores, {memory:.0f} GiB memory, Python "
        f"{platform.python_version()}; {versions()}. Load average at the start: {facts['loadavg']}.",
        "",
        f"Data: the real graph ({base['triples']:,} triples) and {factor - 1:,} renamed copies of its instance "
        f"data (`bench/synthetic.py`; the vocabulary shared): **{facts['triples']:,} triples**, "
        f"{facts['bytes'] / 2**20:,.0f} MiB of N-Triples, written in {facts['write_s']:.1f} s to a temporary "
        "folder (removed at the end).",
        "",
        "Queries: every lookup of the catalogue and the aggregates of `bench/run.py`'s SUBSET, with their "
        "examples' parameters bound (`run.query_text`). Kinds as in docs/benchmarks.md.",
        "",
        "## In process",
        "",
        "pyoxigraph in a child process: `Store().bulk_load(path=...)` from the file, then each query answered "
        "once (its answer kept for the checks below), then timed to its last row, the median of three runs "
        f"(one run where the first took over {SLOW_RUN:.0f} s), each query in a forked copy of the child stopped "
        f"after {args.query_limit:.0f} s (`--query-limit`); *runs* 0: stopped before a timed run, the time shown is "
        "the answer's run (its rows converted for the check included).",
        "",
        f"- Before loading, the child (Python and this script's imports) is resident with "
        f"{base['before_mib']:,.0f} MiB.",
        f"- ×1: load {base['load_s'] * 1000:,.0f} ms, resident {base['rss_mib']:,.0f} MiB after the load.",
        f"- ×{factor}: load **{big['load_s']:,.1f} s** ({big['triples']:,} triples in the store), resident "
        f"**{big['rss_mib']:,.0f} MiB** after the load (peak {big['peak_mib']:,.0f} MiB; the queries run in "
        "forked copies and are not counted).",
        "",
        f"| query | kind | rows ×1 | rows ×{factor} | ×1 ms | ×{factor} ms | time ratio | runs |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name in facts["names"]:
        low, high = base["queries"].get(name, {}), big["queries"].get(name, {})
        if "error" in high or "error" in low:
            problem = high.get("error") or low.get("error")
            lines.append(f"| {name} | {facts['kinds'][name]} | {low.get('rows', '–')} | – | – | – | {problem} | – |")
            continue
        lines.append(
            f"| {name} | {facts['kinds'][name]} | {low['rows']} | {high['rows']} | {_ms(low['ms'])} | "
            f"{_ms(high['ms'])} | {high['ms'] / low['ms']:,.1f}× | {high['runs']} |"
        )
    remote = facts.get("remote")
    lines += ["", "## Through the remote store", ""]
    if remote is None or "error" in remote:
        lines += [f"Not measured: {remote.get('error') if remote else 'skipped'}.", ""]
    else:
        how = (
            "the Graph Store PUT of the default graph that `mfbt-kg load --store` makes (`RemoteStore.replace`: "
            "the data, then the version marker), into a running `oxigraph serve`"
            if args.remote_load == "put"
            else "`oxigraph load --location` (its bulk loader) before `oxigraph serve` starts on that location"
        )
        lines += [
            f"`oxigraph serve --location <temporary> --bind 127.0.0.1:<port> --timeout-s {round(args.timeout)}`, "
            f"filled by {how}: **{remote['load_s']:,.1f} s**. Then `mfbt-kg serve --store <its /query URL> "
            f"--timeout {args.timeout:g} --answer-cache-mb 0 --client-budget 0 --max-rows 100000000 "
            f"--max-answer-mb 0` (first answer {remote['service_start_s']:.2f} s after its start).",
            "",
            f"Resident memory after the load: oxigraph serve {_memory(remote['oxigraph_mib'])} (its store is on "
            f"disk: the page cache is not counted); mfbt-kg serve --store and its processes after the queries "
            f"{_memory(remote['service_mib'])}.",
            "",
            "Each query's whole answer from each server is compared with the in-process answer (every row, as a "
            "multiset; blank nodes by kind only) before `wrk -t2 -c8 "
            f"-d<N>s --timeout {WRK_TIMEOUT}s` loads it for N = {args.seconds:g} s, or six times the checked "
            f"request's time where that is longer (8 connections on 2 cores: about one answer each); a query "
            f"that would need more than {WRK_LONGEST:g} s is not loaded (–), its one answer's time stands (GET, "
            "`Accept: application/sparql-results+json`; client and servers share the cores). *one* is the "
            "checked request's time alone (ms), then successful answers per second under load and p50/p99 (ms); "
            "*none in N s*: no answer finished within the load. ¹: the same rows, but a GROUP_CONCAT "
            "joined its values in another order (SPARQL leaves that order to the engine; the words are the same).",
            "",
            "| query | kind | answer (ours, oxigraph) | ours one | req/s | p50 | p99 | oxigraph one | req/s | p50 | "
            "p99 | ours / oxigraph |",
            "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for name in facts["names"]:
            (ours_check, ours_one, ours), (oxi_check, oxi_one, oxi) = remote["ours"][name], remote["oxigraph"][name]
            ratio = f"{ours.rps / oxi.rps:.2f}×" if ours and oxi and oxi.rps else "–"
            lines.append(
                f"| {name} | {facts['kinds'][name]} | {ours_check}, {oxi_check} | {_ms(ours_one)} | "
                + " | ".join(_load_cells(ours))
                + f" | {_ms(oxi_one)} | "
                + " | ".join(_load_cells(oxi))
                + f" | {ratio} |"
            )
        lines.append("")
    lines += ["## Embedded: `mfbt-kg serve --data`", ""]
    if "embedded" not in facts:
        lines += ["Skipped (`--no-embedded`).", ""]
    for attempt in facts.get("embedded", []):
        flags = " ".join(attempt["flags"]) or "no further flag (workers and their memory limit: the defaults)"
        head = f"- `mfbt-kg serve --data <the ×{factor} file>` with the flags above and {flags}"
        available = f" ({attempt.get('available_mib', float('nan')):,.0f} MiB available at its start)"
        if "error" in attempt:
            lines.append(f"{head}{available}: **did not answer**: {attempt['error']}")
        else:
            lines.append(
                f"{head}{available}: first SPARQL answer **{attempt['first_answer_s']:,.1f} s** after start; "
                f"resident memory then, the service and all its processes: **{_memory(attempt['mib'])}**. "
                "Then stopped."
            )
    lines.append("")
    spent = ", ".join(f"{phase} {took / 60:.1f}" for phase, took in facts["phases"].items())
    lines.append(f"Whole run: {facts['minutes']:.1f} min ({spent}).")
    return lines


# --- main ----------------------------------------------------------------------------------------


def _stop_on_signal(signum: int, _frame: object) -> None:
    raise SystemExit(f"stopped by signal {signum}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--factor", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=3.0, help="wrk time per query and server")
    parser.add_argument("--queries", help="comma-separated catalogue names (default: every lookup and SUBSET)")
    parser.add_argument("--timeout", type=float, default=10.0, help="query time limit of both servers, seconds")
    parser.add_argument(
        "--remote-load",
        choices=("put", "bulk"),
        default="bulk",
        help="fill the remote store by `oxigraph load` (bulk, the default: at ×100 it took 4 s where the PUT "
        "took 24 s and 0.9 GiB in the server) or by the Graph Store PUT `mfbt-kg load --store` uses",
    )
    parser.add_argument(
        "--query-limit", type=float, default=20.0, help="seconds one query may take in process (answer and runs)"
    )
    parser.add_argument(
        "--embedded-arg",
        action="append",
        default=[],
        metavar="FLAG",
        help="a further flag for `serve --data` (repeatable), e.g. --embedded-arg=--worker-memory-mb=0",
    )
    parser.add_argument("--no-embedded", action="store_true", help="leave out `mfbt-kg serve --data`")
    parser.add_argument("--out", help="report file (default: docs/benchmarks-x1000.md at ×1000, else /tmp)")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, _stop_on_signal)
    out = (
        Path(args.out)
        if args.out
        else (
            ROOT / "docs" / "benchmarks-x1000.md"
            if args.factor == 1000
            else Path(tempfile.gettempdir()) / f"benchmarks-x{args.factor}.md"
        )
    )
    started = time.monotonic()
    catalogue = load_catalogue(ROOT)
    names = (
        args.queries.split(",")
        if args.queries
        else sorted(n for n, q in catalogue.items() if kind_of(q)[0] == "lookup")
        + [n for n in SUBSET if n in catalogue and kind_of(catalogue[n])[0] == "aggregate"]
    )
    real_nt = project_ntriples(ROOT)
    real_store = EmbeddedStore(real_nt)  # the examples' parameters name real resources
    texts = {name: query_text(catalogue[name], real_store) for name in names}
    del real_store
    facts: dict[str, Any] = {
        "names": names,
        "kinds": {n: kind_of(catalogue[n])[0] for n in names},
        "loadavg": ", ".join(f"{x:.2f}" for x in os.getloadavg()),
        "phases": {},
    }
    phases = facts["phases"]
    try:
        with tempfile.TemporaryDirectory(prefix=f"mfbt-x{args.factor}-") as tmp:
            work = Path(tmp)
            texts_file = work / "queries.json"
            texts_file.write_text(json.dumps(texts), encoding="utf-8")
            x1 = work / "x1.nt"
            x1.write_bytes(real_nt)
            data = work / f"x{args.factor}.nt"
            log(f"writing ×{args.factor}")
            begun = time.monotonic()
            facts["triples"] = write_scaled(real_nt, args.factor, data)
            facts["write_s"], facts["bytes"] = time.monotonic() - begun, data.stat().st_size
            log(f"  {facts['triples']:,} triples, {facts['bytes'] / 2**20:,.0f} MiB in {facts['write_s']:.1f} s")
            log("in process ×1")
            facts["x1"] = in_process(x1, texts_file, 300, args.query_limit)
            log(f"in process ×{args.factor}")
            begun = time.monotonic()
            facts["big"] = in_process(data, texts_file, 600 + len(texts) * args.query_limit, args.query_limit)
            phases["in process"] = time.monotonic() - begun
            log(f"  load {facts['big']['load_s']:.1f} s, {facts['big']['rss_mib']:,.0f} MiB")
            begun = time.monotonic()
            try:
                facts["remote"] = remote(args, data, work, texts, facts["big"]["queries"])
            except Exception as exc:  # noqa: BLE001 - recorded in the report
                facts["remote"] = {"error": f"{type(exc).__name__}: {exc}"}
            finally:
                Proc.stop_all()
            phases["remote"], begun = time.monotonic() - begun, time.monotonic()
            if not args.no_embedded:
                attempts = facts["embedded"] = []
                try:
                    attempts.append(embedded(args, data, work, args.embedded_arg))
                    if "error" in attempts[0] and not args.embedded_arg:  # the workers' default memory limit?
                        attempts.append(embedded(args, data, work, ["--worker-memory-mb=0"]))
                except Exception as exc:  # noqa: BLE001 - recorded in the report
                    attempts.append({"flags": [], "error": f"{type(exc).__name__}: {exc}"})
                finally:
                    Proc.stop_all()
                phases["embedded"] = time.monotonic() - begun
    finally:
        Proc.stop_all()
    facts["minutes"] = (time.monotonic() - started) / 60
    out.write_text("\n".join(report(args, facts)) + "\n", encoding="utf-8")
    log(f"wrote {out} ({facts['minutes']:.1f} min)")


def remote(
    args: argparse.Namespace, data: Path, work: Path, texts: dict[str, str], expected: dict[str, Any]
) -> dict[str, Any]:
    location = work / "oxigraph-store"
    got: dict[str, Any] = {}
    log(f"remote: oxigraph ({args.remote_load})")
    if args.remote_load == "bulk":
        begun = time.monotonic()
        subprocess.run(
            [str(VENV_BIN / "oxigraph"), "load", "--location", str(location), "--file", str(data)],
            check=True,
            capture_output=True,
            timeout=LOAD_LIMIT,
        )
        got["load_s"] = time.monotonic() - begun
        oxigraph = oxigraph_serve(location, args.timeout, work)
        oxigraph.wait_ready(START_LIMIT)
    else:
        oxigraph = oxigraph_serve(location, args.timeout, work)
        oxigraph.wait_ready(START_LIMIT, empty=True)
        body = data.read_bytes()
        begun = time.monotonic()
        RemoteStore(oxigraph.endpoint, timeout=LOAD_LIMIT).replace(body)
        got["load_s"] = time.monotonic() - begun
        del body
    log(f"  loaded in {got['load_s']:.1f} s")
    got["oxigraph_mib"] = oxigraph.memory_mib()
    service = mfbt_serve(["--store", oxigraph.endpoint], args.timeout, work, "service-store")
    got["service_start_s"] = service.wait_ready(START_LIMIT)
    log("  our service")
    got["ours"] = check_and_load(service, texts, expected, args.seconds, args.timeout)
    got["service_mib"] = service.memory_mib()
    service.stop()
    log("  oxigraph directly")
    got["oxigraph"] = check_and_load(oxigraph, texts, expected, args.seconds, args.timeout)
    oxigraph.stop()
    return got


def embedded(args: argparse.Namespace, data: Path, work: Path, flags: list[str]) -> dict[str, Any]:
    """One start of ``serve --data``: time to the first answer and memory, or why it did not answer."""
    log(f"embedded: mfbt-kg serve --data {' '.join(flags)}")
    got: dict[str, Any] = {"flags": flags, "available_mib": _available_mib()}
    service = mfbt_serve(["--data", str(data), *flags], args.timeout, work, "service-data")
    try:
        got["first_answer_s"] = service.wait_ready(EMBEDDED_LIMIT)
        got["mib"] = service.memory_mib()
    except RuntimeError as exc:
        mib = service.memory_mib()
        service.stop()
        tail = " ".join(Path(service.log.name).read_text(errors="replace").split())[-300:]
        got["error"] = f"{exc}; its processes then {mib[0]:,.0f} MiB; its log ends: {tail or '(empty)'}"
    finally:
        service.stop()
    return got


def _available_mib() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--child":
        child(Path(sys.argv[2]), Path(sys.argv[3]), float(sys.argv[4]))
    else:
        main()
