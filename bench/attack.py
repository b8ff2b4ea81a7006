"""Load scenarios from the security review (issue 11), measured on loopback; prints the figures.

Each scenario starts its own ``mfbt-kg serve`` on 127.0.0.1 (stopped at the end, by
its process), runs for a bounded time with a bounded number of clients, and prints
what it measured. Clients are told apart by address: each binds its own 127.0.x.y
(all of 127.0.0.0/8 is this machine). The attack queries are the .rq files in
bench/attacks/. Not a test: nothing asserts; docs/security.md quotes the figures. ``/health`` is
sampled (mix, pages) by a separate process — this script with ``--probe-health``, a plain blocking client —
so the clients' event loop here cannot delay the samples. Every scenario stops by itself.

    .venv/bin/python bench/attack.py [--seconds 60] [--only mix,pages,flood,big,idle,slow] [--json FILE]

Scenarios (the review's rows in brackets):
  mix    6 clients loop the heavy query, 24 light clients (ASK / COUNT with unique
         comments, a catalogue query, an offer page) for --seconds [C02, C13]
  pages  4 clients loop the 10,000-row HTML results page for --seconds/3 [G07]
  flood  4 clients POST distinct 64 KiB queries for --seconds; service RSS sampled [M01]
  big    2 concurrent string-doubling queries (186 MB each before the byte cap) [M02]
  idle   a service under ``ulimit -n 1024``; 1,100 idle sockets; /health probed [R04]
  slow   300 connections stop part-way through their headers; how many are open 15 s later [R02]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import socket
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).parent))
from processes import serve_argv, stop, tree_memory  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
# Seconds at the start of the mix in which every client is new: a new client's first query cannot be told
# from a heavy one, so heavy clients' first queries may take the fast lane (and be moved off it) then.
WARM_UP = 5.0
HEALTH_EVERY = 0.25  # seconds between /health samples in the mix
ATTACKS = Path(__file__).parent / "attacks"


def rq(name: str) -> str:
    """An attack query without its comment lines."""
    text = (ATTACKS / f"{name}.rq").read_text(encoding="utf-8")
    return "\n".join(line for line in text.splitlines() if not line.startswith("#")).strip()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def ms(value: float | None) -> str:
    return "-" if value is None else f"{value * 1000:.0f} ms"


class Server:
    """``mfbt-kg serve`` on 127.0.0.1 with the given flags."""

    def __init__(self, *flags: str, nofile: int | None = None) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        limit = (lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))) if nofile else None
        self.proc = subprocess.Popen(
            serve_argv(self.port, "--no-access-log", *flags),  # as the review ran it: no line per request
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=limit,
            start_new_session=True,  # stopped with all it started (``processes.stop``)
        )
        started = time.monotonic()
        while time.monotonic() - started < 180:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the service exited with {self.proc.returncode}")
            try:
                if httpx.get(f"{self.base}/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        self.stop()
        raise RuntimeError("the service did not start within 180 s")

    def rss_mb(self) -> tuple[float, float]:
        """(the service process's RSS, its workers' and their template's PSS summed) in MiB: the workers
        are forks sharing the template's pages, which their RSS would count once each."""
        tree = tree_memory(self.proc.pid)
        own = next((p.rss_mib for p in tree if p.pid == self.proc.pid), 0.0)
        return own, sum(p.pss_mib or p.rss_mib for p in tree if p.pid != self.proc.pid)

    def fds(self) -> int:
        try:
            return len(os.listdir(f"/proc/{self.proc.pid}/fd"))
        except OSError:
            return -1

    def health(self) -> dict[str, Any]:
        return httpx.get(f"{self.base}/health", timeout=10).json()

    def stop(self) -> None:
        stop(self.proc, wait=20)


def client(address: str, timeout: float = 60) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.AsyncHTTPTransport(local_address=address), timeout=timeout)


HEALTH_SAMPLER = "127.0.9.1"  # the /health sampler's own client address


def probe_health(port: int, until: float, every: float) -> list[tuple[float, float]]:
    """A plain blocking client, one ``GET /health`` every ``every`` seconds until ``until`` (``time.monotonic``,
    the same clock in every process), on one kept-alive connection (a new one after an error):
    [(seconds after the first sample, latency)], 30 s for a failed request. Run in its own interpreter
    (``--probe-health``) so that nothing else delays its samples."""
    import http.client

    samples: list[tuple[float, float]] = []
    connection: http.client.HTTPConnection | None = None
    begin = time.monotonic()
    while time.monotonic() < until:
        started = time.monotonic()
        try:
            if connection is None:
                connection = http.client.HTTPConnection(
                    "127.0.0.1", port, timeout=30, source_address=(HEALTH_SAMPLER, 0)
                )
            connection.request("GET", "/health")
            answer = connection.getresponse()
            answer.read()
            took = time.monotonic() - started if answer.status == 200 else 30.0
        except (OSError, http.client.HTTPException):
            took = 30.0
            if connection is not None:
                connection.close()
            connection = None
        samples.append((round(started - begin, 3), took))
        time.sleep(max(0.0, every - (time.monotonic() - started)))
    if connection is not None:
        connection.close()
    return samples


class HealthSampler:
    """``probe_health`` in a separate process (this script with ``--probe-health``), started before the
    scenario's clients and collected after them."""

    def __init__(self, server: Server, until: float, every: float) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--probe-health", str(server.port), repr(until), str(every)],
            stdout=subprocess.PIPE,
        )

    def samples(self) -> list[tuple[float, float]]:
        try:
            out, _ = self.proc.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)
            return []
        return [tuple(s) for s in json.loads(out or b"[]")]


def health_figures(samples: list[tuple[float, float]], every: float) -> dict[str, Any]:
    latencies = [t for _, t in samples]
    slow = [(at, round(t * 1000)) for at, t in samples if t > 0.1]
    return {
        "health_sampled": f"{len(samples)} GET /health from a separate process, one every {every * 1000:.0f} ms",
        "health_p50": pct(latencies, 0.5),
        "health_p99": pct(latencies, 0.99),
        "health_max": max(latencies) if latencies else None,
        "health_over_100ms": len(slow),
        "health_over_100ms_at": slow[:20],  # (s after the start, ms)
    }


# --- scenarios ------------------------------------------------------------------------------


async def mix(seconds: float) -> dict[str, Any]:
    server = Server()
    try:
        heavy, ask, count = rq("heavy"), rq("light-ask"), rq("light-count")
        # Every client is made before the clock starts: making one costs this process tens of ms of CPU
        # (its TLS context), which would otherwise count as the first requests' waiting time.
        heavies = [client(f"127.0.2.{i + 1}") for i in range(6)]
        lights = [client(f"127.0.1.{i + 1}") for i in range(24)]
        until = time.monotonic() + seconds
        sampler = HealthSampler(server, until, HEALTH_EVERY)
        light: list[tuple[str, int, float]] = []
        slow_at: list[float] = []  # when (s after the start) a light SPARQL query took over 1 s
        warm: list[float] = []  # light SPARQL times after the first WARM_UP seconds
        begin = time.monotonic()
        heavy_status: Counter[int] = Counter()

        async def heavy_loop(i: int) -> None:
            async with heavies[i] as http:
                n = 0
                while time.monotonic() < until:
                    n += 1
                    try:
                        answer = await http.get(
                            f"{server.base}/sparql",
                            params={"query": f"{heavy} #{i}-{n}"},
                            headers={"Accept": "application/sparql-results+json"},
                        )
                        heavy_status[answer.status_code] += 1
                        if answer.status_code == 429:
                            await asyncio.sleep(min(5.0, float(answer.headers.get("Retry-After", "1"))))
                    except httpx.HTTPError:
                        heavy_status[0] += 1

        async def light_loop(i: int) -> None:
            kinds = ["ask", "count", "api", "page"]
            async with lights[i] as http:
                n = 0
                while time.monotonic() < until:
                    kind = kinds[n % len(kinds)]
                    n += 1
                    if kind in ("ask", "count"):
                        query = f"{ask if kind == 'ask' else count} #{i}-{n}"
                        request = http.get(
                            f"{server.base}/sparql",
                            params={"query": query},
                            headers={"Accept": "application/sparql-results+json"},
                        )
                    elif kind == "api":
                        request = http.get(f"{server.base}/api/queries/offers-overview")
                    else:
                        request = http.get(f"{server.base}/id/offer/unn-asgard", headers={"Accept": "text/html"})
                    started = time.monotonic()
                    try:
                        status = (await request).status_code
                    except httpx.HTTPError:
                        status = 0
                    took = time.monotonic() - started
                    light.append(("sparql" if kind in ("ask", "count") else kind, status, took))
                    if kind in ("ask", "count") and started - begin >= WARM_UP:
                        warm.append(took)
                    if kind in ("ask", "count") and took > 1:
                        slow_at.append(round(started - begin, 1))
                    await asyncio.sleep(0.1)

        await asyncio.gather(
            *(heavy_loop(i) for i in range(6)),
            *(light_loop(i) for i in range(24)),
        )
        health = sampler.samples()
        sparql = [t for kind, _, t in light if kind == "sparql"]
        statuses = Counter(s for kind, s, _ in light if kind == "sparql")
        return {
            "light_sparql_requests": len(sparql),
            "light_sparql_p50": pct(sparql, 0.5),
            "light_sparql_p99": pct(sparql, 0.99),
            "light_sparql_statuses": dict(statuses),
            "light_sparql_p99_after_warm_up": pct(warm, 0.99),
            "light_sparql_over_1s": len(slow_at),
            "light_sparql_over_1s_started_at": sorted(slow_at)[:40],
            "light_all_p99": pct([t for _, _, t in light], 0.99),
            "light_api_p99": pct([t for k, _, t in light if k == "api"], 0.99),
            "light_page_p99": pct([t for k, _, t in light if k == "page"], 0.99),
            "light_errors": sum(1 for _, s, _ in light if s != 200),
            "heavy_statuses": dict(heavy_status),
            **health_figures(health, HEALTH_EVERY),
            "workers": server.health().get("workers"),
        }
    finally:
        server.stop()


async def pages(seconds: float) -> dict[str, Any]:
    server = Server()
    try:
        query = rq("everything")
        until = time.monotonic() + seconds
        loads: list[float] = []
        sampler = HealthSampler(server, until, 0.1)

        async def loader(i: int) -> None:
            async with client(f"127.0.3.{i + 1}") as http:
                while time.monotonic() < until:
                    started = time.monotonic()
                    async with http.stream(
                        "GET",
                        f"{server.base}/sparql",
                        params={"query": query},
                        headers={"Accept": "text/html", "Accept-Encoding": "gzip"},
                    ) as answer:
                        async for _ in answer.aiter_raw():
                            pass
                    loads.append(time.monotonic() - started)

        await asyncio.gather(*(loader(i) for i in range(4)))
        return {
            "page_loads": len(loads),
            "page_load_mean": statistics.mean(loads) if loads else None,
            **health_figures(sampler.samples(), 0.1),
        }
    finally:
        server.stop()


async def flood(seconds: float) -> dict[str, Any]:
    server = Server()
    try:
        base = rq("flood")
        until = time.monotonic() + seconds
        statuses: Counter[int] = Counter()
        rss: list[tuple[float, float, float]] = []
        start = time.monotonic()

        async def sender(i: int) -> None:
            async with client(f"127.0.4.{i + 1}") as http:
                n = 0
                while time.monotonic() < until:
                    n += 1
                    head = f"{base} #{i}-{n}\n#"
                    body = (head + "x" * (65000 - len(head))).encode()
                    try:
                        answer = await http.post(
                            f"{server.base}/sparql", content=body, headers={"Content-Type": "application/sparql-query"}
                        )
                        statuses[answer.status_code] += 1
                    except httpx.HTTPError:
                        statuses[0] += 1

        async def sampler() -> None:
            while time.monotonic() < until:
                own, workers = server.rss_mb()
                rss.append((round(time.monotonic() - start, 1), round(own), round(workers)))
                await asyncio.sleep(3)

        await asyncio.gather(*(sender(i) for i in range(4)), sampler())
        own, workers = server.rss_mb()
        rss.append((round(time.monotonic() - start, 1), round(own), round(workers)))
        return {
            "requests": dict(statuses),
            "service_rss_mb": [r[1] for r in rss],
            "workers_rss_mb_end": workers,
            "service_rss_start_peak_end": (rss[0][1], max(r[1] for r in rss), rss[-1][1]),
            "answer_cache": server.health().get("answer_cache"),
        }
    finally:
        server.stop()


async def big(_: float) -> dict[str, Any]:
    server = Server()
    try:
        query = rq("doubling")
        peak = [0.0, 0.0]
        done = False

        async def one(i: int) -> tuple[int, int, str | None, float]:
            async with client(f"127.0.5.{i + 1}") as http:
                started = time.monotonic()
                answer = await http.get(
                    f"{server.base}/sparql",
                    params={"query": f"{query} #{i}"},
                    headers={"Accept": "application/sparql-results+json", "Accept-Encoding": "identity"},
                )
                return (
                    answer.status_code,
                    len(answer.content),
                    answer.headers.get("X-Result-Capped"),
                    time.monotonic() - started,
                )

        async def sampler() -> None:
            while not done:
                own, workers = server.rss_mb()
                peak[0], peak[1] = max(peak[0], own), max(peak[1], workers)
                await asyncio.sleep(0.2)

        watcher = asyncio.create_task(sampler())
        answers = await asyncio.gather(one(0), one(1))
        done = True
        await watcher
        return {
            "answers": [{"status": s, "bytes": n, "capped": c, "seconds": round(t, 2)} for s, n, c, t in answers],
            "service_rss_peak_mb": round(peak[0]),
            "workers_rss_peak_mb": round(peak[1]),
        }
    finally:
        server.stop()


def idle(_: float) -> dict[str, Any]:
    server = Server(nofile=1024)
    sockets = []
    try:
        for _ in range(1100):
            try:
                sockets.append(socket.create_connection(("127.0.0.1", server.port), timeout=5))
            except OSError:
                break
        time.sleep(2)
        probes = []
        for _ in range(5):
            started = time.monotonic()
            try:
                status = httpx.get(f"{server.base}/health", timeout=10).status_code
            except httpx.HTTPError as exc:
                status = type(exc).__name__
            probes.append((status, round((time.monotonic() - started) * 1000)))
            time.sleep(1)
        return {"sockets_opened": len(sockets), "service_fds": server.fds(), "health_probes": probes}
    finally:
        for sock in sockets:
            sock.close()
        server.stop()


def slow(_: float) -> dict[str, Any]:
    server = Server()
    sockets = []
    try:
        for _ in range(300):
            sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
            sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nX-a: ")
            sockets.append(sock)
        time.sleep(15)
        still_open = 0
        for sock in sockets:
            sock.setblocking(False)
            try:
                still_open += sock.recv(1) != b""
            except BlockingIOError:
                still_open += 1
            except OSError:
                pass
        return {"partial_header_sockets": len(sockets), "open_after_15s": still_open, "service_fds": server.fds()}
    finally:
        for sock in sockets:
            sock.close()
        server.stop()


SCENARIOS = {"mix": mix, "pages": pages, "flood": flood, "big": big, "idle": idle, "slow": slow}


def main() -> int:
    if sys.argv[1:2] == ["--probe-health"]:  # the /health sampler's own process (HealthSampler)
        port, until, every = sys.argv[2:5]
        json.dump(probe_health(int(port), float(until), float(every)), sys.stdout)
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="length of the mix and flood scenarios")
    parser.add_argument("--only", default=",".join(SCENARIOS), help="comma-separated scenarios")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    figures: dict[str, Any] = {"seconds": args.seconds, "cpus": os.cpu_count()}
    for name in args.only.split(","):
        run = SCENARIOS[name]
        length = args.seconds / 3 if name == "pages" else args.seconds
        started = time.monotonic()
        result = asyncio.run(run(length)) if asyncio.iscoroutinefunction(run) else run(length)
        result["wall_seconds"] = round(time.monotonic() - started, 1)
        figures[name] = result
        print(f"== {name}")
        for key, value in result.items():
            shown = (
                ms(value)
                if key.endswith(("_p50", "_p99", "_max", "_mean", "_warm_up")) and isinstance(value, float)
                else value
            )
            print(f"  {key}: {shown}")
        sys.stdout.flush()
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2, default=str) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
