"""Query worker processes that can be killed at the deadline.

Neither pyoxigraph nor rdflib can interrupt a running query, so each query runs
in a worker process holding the whole graph in memory (loaded once, from
N-Triples or N-Quads bytes). A query that overruns has its worker killed and
replaced; a worker that dies (a memory limit, an engine fault) is replaced too.
Results are serialised and capped inside the worker, so only bytes cross the
process boundary. Where the kernel allows, a worker also drops its network
(an empty network namespace): even a query the guard missed could reach no host.

A reload starts a complete new set of workers and swaps it in at once; a query
runs wholly on the old set or wholly on the new one.
"""

from __future__ import annotations

import asyncio
import ctypes
import logging
import os
import resource
import signal
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass
from multiprocessing.connection import Connection

import pyoxigraph as ox

from mfbt_kg.sparql.answers import Job, Outcome, execute

log = logging.getLogger("mfbt_kg.service")

DATA_FORMATS = {"nt": ox.RdfFormat.N_TRIPLES, "nq": ox.RdfFormat.N_QUADS, "trig": ox.RdfFormat.TRIG,
                "ttl": ox.RdfFormat.TURTLE}
_CLONE_NEWNET, _CLONE_NEWUSER, _PR_SET_PDEATHSIG = 0x40000000, 0x10000000, 1


class QueryTimeout(Exception):
    """The query overran its time limit (or waited too long for a worker); its worker was killed."""


class Retired(Exception):
    """The worker set this query waited for was replaced by a reload; ask the current one."""


class WorkerCrashed(Exception):
    """The worker died while running the query (memory limit, engine fault); it was replaced."""


# --- inside the worker -------------------------------------------------------

def _confine() -> bool:
    """Die with the service (no orphan left computing), and move into an empty network
    namespace if the kernel lets us; True when the network is gone."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return False
    with suppress(AttributeError):
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    try:
        return libc.unshare(_CLONE_NEWNET) == 0 or libc.unshare(_CLONE_NEWUSER | _CLONE_NEWNET) == 0
    except AttributeError:
        return False


def _worker_main(inbox: Connection, outbox: Connection, fmt: str, memory_mb: int) -> None:
    sandboxed = _confine()
    if memory_mb > 0:
        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    store = ox.Store()
    store.bulk_load(inbox.recv_bytes(), format=DATA_FORMATS[fmt])
    outbox.send(("ready", sandboxed))
    while True:
        try:
            job = inbox.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        try:
            outcome = execute(store, job)
        except MemoryError:
            outcome = Outcome(ok=False, status=503, error="the query needed more memory than a query may use")
        outbox.send(outcome)


# --- in the service process --------------------------------------------------

class Worker:
    """One worker process (``python -m mfbt_kg.service.workers``: it imports only pyoxigraph and this
    package's answer code) and the two pipes to it."""

    def __init__(self, data: bytes, fmt: str, memory_mb: int) -> None:
        child_reads, parent_writes = os.pipe()  # the child gets its ends through pass_fds only
        parent_reads, child_writes = os.pipe()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "mfbt_kg.service.workers", str(child_reads), str(child_writes), fmt, str(memory_mb)],
            pass_fds=(child_reads, child_writes), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, close_fds=True)
        os.close(child_reads)
        os.close(child_writes)
        self.inbox = Connection(parent_reads, writable=False)
        self.outbox = Connection(parent_writes, readable=False)
        self.sandboxed = False
        try:
            self.outbox.send_bytes(data)
            if not self.inbox.poll(120):
                raise RuntimeError("query worker did not start within 120 s")
            status, self.sandboxed = self.inbox.recv()
        except (EOFError, OSError, ValueError):
            self.kill()
            raise RuntimeError("query worker failed to start (could not load the data)") from None
        if status != "ready":
            self.kill()
            raise RuntimeError("query worker failed to start")

    @property
    def pid(self) -> int:
        return self.process.pid

    def call(self, job: Job, timeout: float) -> Outcome:
        """Send one job and wait at most ``timeout`` seconds (this blocks: run it in a thread)."""
        try:
            self.outbox.send(job)
            if not self.inbox.poll(timeout):
                raise QueryTimeout()
            return self.inbox.recv()
        except (EOFError, OSError):
            raise WorkerCrashed() from None

    def kill(self) -> None:
        self.process.kill()
        with suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=5)
        self.inbox.close()
        self.outbox.close()

    def stop(self) -> None:
        with suppress(OSError):
            self.outbox.send(None)
        try:
            self.process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            pass
        self.kill()


@dataclass
class _Generation:
    """One set of workers over one version of the data."""

    data: bytes
    fmt: str
    idle: asyncio.Queue[Worker | None]  # None: "this set was retired, ask the current one"
    workers: set[Worker]
    retired: bool = False


class WorkerPool:
    """A fixed number of workers; a query waits for an idle one, runs, or is killed at its deadline."""

    def __init__(self, size: int, timeout: float, memory_mb: int = 0) -> None:
        self.size, self.timeout, self.memory_mb = max(1, size), timeout, memory_mb
        self.restarts = 0
        self.sandboxed = False
        self._calls = ThreadPoolExecutor(max_workers=self.size + 2, thread_name_prefix="query-call")
        self._spawner = ThreadPoolExecutor(max_workers=self.size, thread_name_prefix="query-spawn")
        self._current: _Generation | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock = threading.Lock()

    async def load(self, data: bytes, fmt: str = "nt") -> None:
        """Start a full set of workers over ``data`` and swap them in at once (start-up and reload)."""
        self._loop = asyncio.get_running_loop()
        started = await asyncio.gather(*(self._loop.run_in_executor(self._spawner, Worker, data, fmt, self.memory_mb)
                                         for _ in range(self.size)), return_exceptions=True)
        failed = [w for w in started if isinstance(w, BaseException)]
        ready = [w for w in started if isinstance(w, Worker)]
        if failed:
            for worker in ready:
                worker.stop()
            raise RuntimeError(str(failed[0]))
        fresh = _Generation(data, fmt, asyncio.Queue(), set(ready))
        for worker in ready:
            fresh.idle.put_nowait(worker)
        self.sandboxed = all(w.sandboxed for w in ready)
        old, self._current = self._current, fresh
        if old is not None:
            self._retire(old)

    async def run(self, job: Job) -> Outcome:
        """Run ``job`` on an idle worker of the current set, within the time limit."""
        if self._current is None or self._loop is None:
            raise RuntimeError("worker pool not started")
        loop = self._loop
        deadline = loop.time() + self.timeout
        generation = self._current
        try:
            worker = await asyncio.wait_for(generation.idle.get(), timeout=self.timeout)
        except asyncio.TimeoutError:
            raise QueryTimeout() from None
        if worker is None:
            generation.idle.put_nowait(None)  # wake the next one waiting on the retired set
            raise Retired()
        remaining = max(0.05, deadline - loop.time())
        # The thread owns the worker until the call ends, so a cancelled request never loses it.
        return await loop.run_in_executor(self._calls, self._call, generation, worker, job, remaining)

    def _call(self, generation: _Generation, worker: Worker, job: Job, timeout: float) -> Outcome:
        try:
            outcome = worker.call(job, timeout)
        except (QueryTimeout, WorkerCrashed):
            self._discard(generation, worker)
            raise
        self._give_back(generation, worker)
        return outcome

    def _give_back(self, generation: _Generation, worker: Worker) -> None:
        """From any thread: back to the idle queue, decided on the event loop (where retiring happens)."""
        assert self._loop is not None
        self._loop.call_soon_threadsafe(self._put_back, generation, worker)

    def _put_back(self, generation: _Generation, worker: Worker) -> None:
        if generation.retired:
            with self._lock:
                generation.workers.discard(worker)
            self._spawner.submit(worker.stop)
        else:
            generation.idle.put_nowait(worker)

    def _discard(self, generation: _Generation, worker: Worker) -> None:
        """Kill a worker that overran or died, and start its replacement (both off the event loop)."""
        worker.kill()
        with self._lock:
            generation.workers.discard(worker)
            self.restarts += 1
        if not generation.retired:
            self._spawner.submit(self._replace, generation)

    def _replace(self, generation: _Generation) -> None:
        for attempt in range(5):
            if generation.retired:
                return
            try:
                fresh = Worker(generation.data, generation.fmt, self.memory_mb)
            except RuntimeError as exc:
                log.warning("replacing a query worker failed (attempt %d): %s", attempt + 1, exc)
                continue
            with self._lock:
                generation.workers.add(fresh)
            self._give_back(generation, fresh)
            return

    def _retire(self, generation: _Generation) -> None:
        """Stop the idle workers of an old set now, the busy ones when their query ends."""
        generation.retired = True
        while not generation.idle.empty():
            worker = generation.idle.get_nowait()
            if worker is not None:
                with self._lock:
                    generation.workers.discard(worker)
                self._spawner.submit(worker.stop)
        generation.idle.put_nowait(None)

    def pids(self) -> list[int]:
        generation = self._current
        return sorted(w.pid for w in (generation.workers if generation else ()))

    def close(self) -> None:
        generation = self._current
        if generation is not None:
            generation.retired = True
            for worker in list(generation.workers):
                worker.stop()
        self._calls.shutdown(wait=False, cancel_futures=True)
        self._spawner.shutdown(wait=False, cancel_futures=True)


def worker_memory_default() -> int:
    """Address space a worker may use (MiB): a share of the machine's memory, at most 4 GiB."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // (1024 * 1024)
    except (ValueError, OSError):
        return 2048
    return int(max(1024, min(4096, total // 4)))


if __name__ == "__main__":  # a worker: python -m mfbt_kg.service.workers IN_FD OUT_FD FORMAT MEMORY_MB
    _in, _out, _fmt, _memory = sys.argv[1:5]
    _worker_main(Connection(int(_in), writable=False), Connection(int(_out), readable=False), _fmt, int(_memory))
