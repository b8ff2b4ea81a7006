"""Query worker processes that can be killed at the deadline, shared fairly between clients.

Neither pyoxigraph nor rdflib can interrupt a running query, so each query runs
in a worker process holding the whole graph in memory (loaded once, from
N-Triples or N-Quads bytes). A query that overruns has its worker killed and
replaced; a worker that dies (a memory limit, an engine fault) is replaced too,
and one found dead while idle is replaced before any query is given to it.
Results are serialised and capped inside the worker — in rows and in bytes — so
only bounded bytes cross the process boundary. A worker runs queries on a thread
with a large stack, so long operator chains and thousands of BINDs or MINUS
groups are answered instead of overflowing the engine's recursion.

Network: each worker drops its network with every mechanism the kernel allows
(``sandbox.confine``: an empty network namespace, a seccomp filter on ``socket``)
and reports which took hold; even a query the guard missed could reach no host.

Lanes: ``size`` general workers take any query, ``fast`` reserved workers take a
query only while every general worker is busy, only for a client that has not
spent much worker time lately, and only for ``fast_limit`` seconds (the query
then goes back to wait for a general worker). One more fast-lane worker is kept
started as a standby, so a fast-lane worker killed for an overrun is replaced at
once. Waiting queries are served lightest
client first. General workers run at a lower CPU priority than the service and
the fast lane, so heavy queries slow neither the event loop nor light queries.

A reload starts a complete new set of workers and swaps it in at once; a query
runs wholly on the old set or wholly on the new one.
"""

from __future__ import annotations

import asyncio
import bisect
import itertools
import logging
import os
import resource
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass, field, replace
from multiprocessing.connection import Connection
from typing import Any

import pyoxigraph as ox

from mfbt_kg.service import sandbox
from mfbt_kg.sparql.answers import Job, Outcome, execute, serialize_boolean, serialize_graph, serialize_rows
from mfbt_kg.sparql.media import data_file_format

GENERAL, FAST = "general", "fast"
log = logging.getLogger("mfbt_kg.service")
GENERAL_NICE = 10  # general workers yield the CPU to the service process and the fast lane
QUERY_STACK_MB = 256  # the engine recurses over operator chains and group sequences


class QueryTimeout(Exception):
    """The query overran its time limit (or waited too long for a worker); its worker was killed."""


class Retired(Exception):
    """The worker set this query waited for was replaced by a reload; ask the current one."""


class WorkerCrashed(Exception):
    """The worker died while running the query; it was replaced. The message names the cause."""

    def __init__(self, cause: str = "the query stopped before it finished: the worker running it died") -> None:
        super().__init__(cause)


def crash_cause(returncode: int | None) -> str:
    """What a client is told when the worker running its query died, from how it died."""
    if returncode in (-signal.SIGSEGV, -signal.SIGBUS, -signal.SIGILL):
        return (
            "the query stopped before it finished: the query engine crashed on it "
            "(it may be nested or chained too deeply)"
        )
    if returncode == -signal.SIGABRT:
        return (
            "the query stopped before it finished: the query engine gave up on it "
            "(it needed more memory than a query may use)"
        )
    if returncode == -signal.SIGKILL:
        return (
            "the query stopped before it finished: its worker was killed from outside the service "
            "(for example by the system when memory ran short)"
        )
    if returncode is not None and returncode < 0:
        return f"the query stopped before it finished: its worker was stopped by signal {-returncode}"
    if returncode is not None:
        return f"the query stopped before it finished: its worker exited (status {returncode})"
    return "the query stopped before it finished: the worker running it stopped answering"


# --- inside the worker -------------------------------------------------------


def _bounded(store: ox.Store, job: Job, max_bytes: int) -> Outcome:
    """``execute``, reading rows only while their terms fit in ``max_bytes`` (counted as written in
    N-Triples: about what any format writes), so a huge answer is never built; the answer is then
    capped and says so as the row cap does. Errors are left to ``execute``, which words them."""
    if max_bytes <= 0:
        return execute(store, job)
    kwargs: dict[str, object] = {"base_iri": job.base_iri}
    if job.default_graphs is not None or job.named_graphs is not None:
        kwargs["default_graph"] = [ox.NamedNode(g) for g in job.default_graphs or ()]
        kwargs["named_graphs"] = [ox.NamedNode(g) for g in job.named_graphs or ()]
    try:
        result = store.query(job.sparql, **kwargs)  # type: ignore[arg-type]
        if isinstance(result, ox.QueryBoolean):
            return Outcome(ok=True, body=serialize_boolean(bool(result), job.fmt), rows=1)
        size, capped = 0, False
        read: list[Any] = []
        solutions = isinstance(result, ox.QuerySolutions)
        for item in result:
            if len(read) >= job.max_rows:
                capped = True
                break
            terms = tuple(item) if solutions else (item.subject, item.predicate, item.object)
            size += sum(len(str(t)) + 8 for t in terms if t is not None)
            if size > max_bytes:
                capped = True
                break
            read.append(terms if solutions else ox.Triple(*terms))
        if solutions:
            variables = [v.value for v in result.variables]  # type: ignore[union-attr]
            body = serialize_rows(variables, read, job.fmt, capped)
        else:
            body = serialize_graph(read, job.fmt, job.prefixes)
        return Outcome(ok=True, body=body, capped=capped, rows=len(read))
    except MemoryError:
        raise
    except Exception:  # noqa: BLE001 - the same query through execute, for the same wording of the error
        return execute(store, job)


def _answer(store: ox.Store, job: Job, max_bytes: int) -> Outcome:
    """``_bounded``, and if the written answer is still larger than ``max_bytes`` (JSON and XML add to
    each term): fewer rows until it fits (capped, said as the row cap says it)."""
    outcome = _bounded(store, job, max_bytes)
    for _ in range(8):
        if not outcome.ok or max_bytes <= 0 or len(outcome.body) <= max_bytes:
            return outcome
        if outcome.rows == 0:
            break
        rows = min(outcome.rows - 1, int(outcome.rows * max_bytes / len(outcome.body) * 0.9))
        outcome = replace(_bounded(store, replace(job, max_rows=max(0, rows)), max_bytes), capped=True)
    if outcome.ok and max_bytes > 0 and len(outcome.body) > max_bytes:
        return Outcome(
            ok=False,
            status=503,
            error=f"the answer is larger than the {max_bytes / 1048576:g} MB an answer may be, even with no rows",
        )
    return outcome


def _worker_main(
    inbox: Connection, outbox: Connection, fmt: str, memory_mb: int, max_answer_bytes: int, isolation: tuple[str, ...]
) -> None:
    store = ox.Store()
    data_format = data_file_format(fmt)
    assert data_format is not None, fmt  # the service checked the file's extension
    store.bulk_load(inbox.recv_bytes(), format=data_format.rdf)
    outbox.send(("ready", isolation))
    while True:
        try:
            job = inbox.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        try:
            outcome = _answer(store, job, max_answer_bytes)
        except MemoryError:
            outcome = Outcome(ok=False, status=503, error="the query needed more memory than a query may use")
        outbox.send(outcome)


def _worker_process(argv: list[str]) -> None:
    """python -m mfbt_kg.service.workers IN_FD OUT_FD FORMAT MEMORY_MB MAX_ANSWER_BYTES LANE"""
    in_fd, out_fd, fmt, memory, max_answer, lane = argv[:6]
    memory_mb = int(memory)
    isolation = sandbox.confine()  # in the main thread, before any other thread exists
    if lane == GENERAL:
        with suppress(OSError):
            os.nice(GENERAL_NICE)
    stack_mb = QUERY_STACK_MB if memory_mb <= 0 else max(16, min(QUERY_STACK_MB, memory_mb // 8))
    if memory_mb > 0:
        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    threading.stack_size(stack_mb * 1024 * 1024)
    runner = threading.Thread(
        target=_worker_main,
        name="query",
        args=(
            Connection(int(in_fd), writable=False),
            Connection(int(out_fd), readable=False),
            fmt,
            memory_mb,
            int(max_answer),
            isolation,
        ),
    )
    runner.start()
    runner.join()


# --- in the service process --------------------------------------------------


class Worker:
    """One worker process (``python -m mfbt_kg.service.workers``: it imports only pyoxigraph and this
    package's answer code) and the two pipes to it."""

    def __init__(self, data: bytes, fmt: str, memory_mb: int, max_answer_bytes: int = 0, lane: str = GENERAL) -> None:
        child_reads, parent_writes = os.pipe()  # the child gets its ends through pass_fds only
        parent_reads, child_writes = os.pipe()
        self.lane = lane
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "mfbt_kg.service.workers",
                str(child_reads),
                str(child_writes),
                fmt,
                str(memory_mb),
                str(max_answer_bytes),
                lane,
            ],
            pass_fds=(child_reads, child_writes),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            close_fds=True,
        )
        os.close(child_reads)
        os.close(child_writes)
        self.inbox = Connection(parent_reads, writable=False)
        self.outbox = Connection(parent_writes, readable=False)
        self.isolation: tuple[str, ...] = ()
        try:
            self.outbox.send_bytes(data)
            if not self.inbox.poll(120):
                raise RuntimeError("query worker did not start within 120 s")
            status, self.isolation = self.inbox.recv()
        except (EOFError, OSError, ValueError):
            self.kill()
            raise RuntimeError("query worker failed to start (could not load the data)") from None
        if status != "ready":
            self.kill()
            raise RuntimeError("query worker failed to start")

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def sandboxed(self) -> bool:
        return bool(self.isolation)

    def alive(self) -> bool:
        """Still running, with nothing unasked-for in its pipe (an idle worker that died shows EOF)."""
        if self.process.poll() is not None:
            return False
        try:
            return not self.inbox.poll(0)
        except (OSError, ValueError):
            return False

    def call(self, job: Job, timeout: float) -> Outcome:
        """Send one job and wait at most ``timeout`` seconds (this blocks: run it in a thread)."""
        try:
            self.outbox.send(job)
            if not self.inbox.poll(timeout):
                raise QueryTimeout()
            return self.inbox.recv()
        except (EOFError, OSError):
            returncode = None
            with suppress(subprocess.TimeoutExpired):
                returncode = self.process.wait(timeout=1)
            raise WorkerCrashed(crash_cause(returncode)) from None

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
class Ticket:
    """Who asks, as the pool sees it: waiting order (lower first), whether the fast lane may take the
    query, and (filled in by the pool) the worker seconds the query used."""

    priority: float = 0.0
    fast_ok: bool = True
    used: float = 0.0
    quick: bool = False  # the client's last query was quick: it may borrow the standby while the lane is busy
    new: bool = False  # the client's first query: half the fast lane's time limit (it may be a heavy one)


@dataclass(order=True)
class _Waiter:
    priority: float
    seq: int
    fast_ok: bool = field(compare=False)
    future: asyncio.Future[Worker] = field(compare=False)


@dataclass
class _Generation:
    """One set of workers over one version of the data."""

    data: bytes
    fmt: str
    workers: set[Worker]
    idle: dict[str, list[Worker]] = field(default_factory=lambda: {GENERAL: [], FAST: []})
    waiters: list[_Waiter] = field(default_factory=list)  # kept sorted: lightest client first
    standby: list[Worker] = field(default_factory=list)  # a started fast-lane worker, to replace one at once
    retired: bool = False


class WorkerPool:
    """General workers and a reserved fast lane; a query waits for a worker, runs, or is killed at its deadline."""

    def __init__(
        self,
        size: int,
        timeout: float,
        memory_mb: int = 0,
        *,
        fast: int = 1,
        fast_limit: float = 1.0,
        max_answer_bytes: int = 0,
    ) -> None:
        self.size, self.timeout, self.memory_mb = max(1, size), timeout, memory_mb
        self.fast, self.fast_limit, self.max_answer_bytes = max(0, fast), fast_limit, max_answer_bytes
        self.restarts = 0
        self.isolation: tuple[str, ...] = ()
        self._calls = ThreadPoolExecutor(max_workers=self.size + self.fast + 2, thread_name_prefix="query-call")
        self._spawner = ThreadPoolExecutor(max_workers=self.size + self.fast + 2, thread_name_prefix="query-spawn")
        self._current: _Generation | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock = threading.Lock()
        self._seq = itertools.count()
        self._watcher: asyncio.Task[None] | None = None
        self._spawning = 0  # replacements started and not yet done

    @property
    def sandboxed(self) -> bool:
        return bool(self.isolation)

    async def load(self, data: bytes, fmt: str = "nt", alongside: Awaitable[Any] | None = None) -> None:
        """Start a full set of workers over ``data`` and swap them in at once (start-up and reload).
        ``alongside``: work of the caller's that runs while the workers start and must be done before the
        swap (the service loads its own store so; it then swaps its snapshot with no await in between)."""
        self._loop = asyncio.get_running_loop()
        lanes = [GENERAL] * self.size + [FAST] * (self.fast + (1 if self.fast else 0))  # + the standby
        started = await asyncio.gather(
            *(
                self._loop.run_in_executor(
                    self._spawner, Worker, data, fmt, self.memory_mb, self.max_answer_bytes, lane
                )
                for lane in lanes
            ),
            *([alongside] if alongside is not None else []),
            return_exceptions=True,
        )
        if alongside is not None:
            started, beside = started[:-1], started[-1]
            if isinstance(beside, BaseException):
                for worker in started:
                    if isinstance(worker, Worker):
                        worker.stop()
                raise beside
        failed = [w for w in started if isinstance(w, BaseException)]
        ready = [w for w in started if isinstance(w, Worker)]
        if failed:
            for worker in ready:
                worker.stop()
            raise RuntimeError(str(failed[0]))
        fresh = _Generation(data, fmt, set(ready))
        for worker in ready:
            if worker.lane == FAST and not fresh.standby and self.fast:
                fresh.standby.append(worker)
            else:
                fresh.idle[worker.lane].append(worker)
        self.isolation = tuple(m for m in (sandbox.NETNS, sandbox.SECCOMP) if all(m in w.isolation for w in ready))
        old, self._current = self._current, fresh
        if old is not None:
            self._retire(old)
        if self._watcher is None:
            self._watcher = asyncio.create_task(self._watch())

    async def run(self, job: Job, ticket: Ticket | None = None) -> Outcome:
        """Run ``job`` on a worker of the current set, within the time limit."""
        if self._current is None or self._loop is None:
            raise RuntimeError("worker pool not started")
        ticket = ticket or Ticket()
        loop = self._loop
        deadline = loop.time() + self.timeout
        generation = self._current
        fast_ok = ticket.fast_ok and self.fast > 0
        while True:
            worker = await self._acquire(generation, ticket.priority, fast_ok, deadline, fast_ok and ticket.quick)
            limit = deadline - loop.time()
            if worker.lane == FAST:
                limit = min(limit, self.fast_limit / 2 if ticket.new else self.fast_limit)
            # The thread owns the worker until the call ends, so a cancelled request never loses it.
            try:
                return await loop.run_in_executor(
                    self._calls, self._call, generation, worker, job, max(0.05, limit), ticket
                )
            except QueryTimeout:
                if worker.lane == FAST:
                    # Too long for the fast lane, which had to be restarted for it: the client is charged
                    # a whole time limit, so its next queries wait for the general workers.
                    ticket.used += max(0.0, self.timeout - self.fast_limit)
                if worker.lane != FAST or deadline - loop.time() < 0.05:
                    raise
                fast_ok = False  # wait for a general worker with the time left

    async def _acquire(
        self, generation: _Generation, priority: float, fast_ok: bool, deadline: float, borrow: bool = False
    ) -> Worker:
        """An idle worker of the lanes the query may use, or the first one given back to it. ``borrow``
        (a client known to send quick queries): while the fast lane is busy, its standby serves too."""
        assert self._loop is not None
        lanes = (GENERAL, FAST) if fast_ok else (GENERAL,)
        while True:
            if generation.retired:
                raise Retired()
            worker = next((generation.idle[lane].pop() for lane in lanes if generation.idle[lane]), None)
            if worker is None:
                break
            if worker.alive():
                return worker
            self._discard(generation, worker)  # died while idle: nobody is given it
        if borrow:
            with self._lock:
                spare = generation.standby.pop() if generation.standby else None
            if spare is not None and spare.alive():
                return spare  # back to the standby place when it is given back (_put_back)
            if spare is not None:
                with self._lock:
                    generation.workers.discard(spare)
                    self.restarts += 1
                self._spawner.submit(spare.kill)
                self._spawn(self._refill_standby, generation)
        waiter = _Waiter(priority, next(self._seq), fast_ok, self._loop.create_future())
        _insert(generation.waiters, waiter)
        try:
            left = max(0.0, deadline - self._loop.time())
            handed = await asyncio.wait_for(asyncio.shield(waiter.future), timeout=left)
        except BaseException as exc:  # timed out, cancelled, or the set was retired
            if waiter in generation.waiters:
                generation.waiters.remove(waiter)
            future = waiter.future
            if future.done() and not future.cancelled() and future.exception() is None:
                self._put_back(generation, future.result())  # handed over just as we gave up: pass it on
            else:
                future.cancel()
            if isinstance(exc, TimeoutError):
                raise QueryTimeout() from None
            raise
        if not handed.alive():
            self._discard(generation, handed)
            return await self._acquire(generation, priority, fast_ok, deadline)
        return handed

    def _call(self, generation: _Generation, worker: Worker, job: Job, timeout: float, ticket: Ticket) -> Outcome:
        started = time.monotonic()
        try:
            outcome = worker.call(job, timeout)
        except (QueryTimeout, WorkerCrashed):
            self._discard(generation, worker)
            raise
        finally:
            ticket.used += time.monotonic() - started
        self._give_back(generation, worker)
        return outcome

    def _give_back(self, generation: _Generation, worker: Worker) -> None:
        """From any thread: back to a waiting query or the idle list, decided on the event loop."""
        assert self._loop is not None
        self._loop.call_soon_threadsafe(self._put_back, generation, worker)

    def _put_back(self, generation: _Generation, worker: Worker) -> None:
        if generation.retired:
            with self._lock:
                generation.workers.discard(worker)
            self._spawner.submit(worker.stop)
            return
        for waiter in list(generation.waiters):
            if waiter.future.done():
                generation.waiters.remove(waiter)
                continue
            if worker.lane == GENERAL or waiter.fast_ok:
                generation.waiters.remove(waiter)
                waiter.future.set_result(worker)
                return
        if worker.lane == FAST and self.fast and not generation.standby and len(generation.idle[FAST]) >= self.fast:
            generation.standby.append(worker)  # a borrowed standby goes back to its place
            return
        generation.idle[worker.lane].append(worker)

    def _discard(self, generation: _Generation, worker: Worker) -> None:
        """Kill a worker that overran or died, and start its replacement (both off the event loop)."""
        with self._lock:
            if worker not in generation.workers:
                return
            generation.workers.discard(worker)
            self.restarts += 1
        self._spawner.submit(worker.kill)
        if not generation.retired:
            self._spawn(self._replace, generation, worker.lane)

    def _replace(self, generation: _Generation, lane: str) -> None:
        """Start a worker for ``lane``. A fast-lane worker is replaced at once by the standby, and the new
        one becomes the standby: a heavy query that tried the fast lane leaves no gap in it."""
        promoted, refill = None, False
        if lane == FAST:
            with self._lock:
                promoted = generation.standby.pop() if generation.standby else None
            if promoted is not None and not promoted.alive():  # the standby died too: start both anew
                with self._lock:
                    generation.workers.discard(promoted)
                    self.restarts += 1
                promoted.kill()
                promoted, refill = None, True
            if promoted is not None:
                self._give_back(generation, promoted)
        for attempt in range(5):
            if generation.retired:
                return
            try:
                fresh = Worker(generation.data, generation.fmt, self.memory_mb, self.max_answer_bytes, lane)
            except RuntimeError as exc:
                log.warning("replacing a query worker failed (attempt %d): %s", attempt + 1, exc)
                continue
            with self._lock:
                generation.workers.add(fresh)
                if promoted is not None and not generation.retired:
                    generation.standby.append(fresh)
                    return
            self._give_back(generation, fresh)
            if refill:
                self._refill_standby(generation)
            return

    def _spawn(self, start: Any, *args: Any) -> None:
        """Run a replacement (``_replace``, ``_refill_standby``) on the spawner, counted while it runs."""
        with self._lock:
            self._spawning += 1

        def counted() -> None:
            try:
                start(*args)
            except Exception as exc:  # noqa: BLE001 - the watcher starts it again
                log.warning("starting a query worker failed: %s: %s", type(exc).__name__, exc)
            finally:
                with self._lock:
                    self._spawning -= 1

        self._spawner.submit(counted)

    def _reconcile(self, generation: _Generation) -> None:
        """With no replacement running: start one for any lane short of its size (whatever lost it)."""
        with self._lock:
            if self._spawning or generation.retired:
                return
            live = list(generation.workers)
            standby = len(generation.standby)
        general = sum(1 for w in live if w.lane == GENERAL)
        fast = sum(1 for w in live if w.lane == FAST)  # the standby included, lent out or not
        if general < self.size:
            self._spawn(self._replace, generation, GENERAL)
        elif fast - standby < self.fast:
            self._spawn(self._replace, generation, FAST)
        elif self.fast and fast < self.fast + 1:
            self._spawn(self._refill_standby, generation)

    async def _watch(self) -> None:
        """Replace idle workers that died (killed from outside, the system's memory killer) before a
        query meets them: every half second, a look at each idle worker's process and pipe."""
        while True:
            await asyncio.sleep(0.5)
            generation = self._current
            if generation is None or generation.retired:
                continue
            for lane in (GENERAL, FAST):
                for worker in list(generation.idle[lane]):
                    if not worker.alive():
                        generation.idle[lane].remove(worker)
                        self._discard(generation, worker)
            for worker in list(generation.standby):
                if not worker.alive():
                    with self._lock:  # unless a replacement took it meanwhile (it then deals with it)
                        taken = worker not in generation.standby
                        if not taken:
                            generation.standby.remove(worker)
                            generation.workers.discard(worker)
                            self.restarts += 1
                    if not taken:
                        self._spawner.submit(worker.kill)
                        self._spawn(self._refill_standby, generation)
            self._reconcile(generation)

    def _refill_standby(self, generation: _Generation) -> None:
        if generation.retired:
            return
        try:
            fresh = Worker(generation.data, generation.fmt, self.memory_mb, self.max_answer_bytes, FAST)
        except RuntimeError as exc:
            log.warning("starting a standby query worker failed: %s", exc)
            return
        with self._lock:
            generation.workers.add(fresh)
            if not generation.retired:
                generation.standby.append(fresh)
                return
        fresh.stop()

    def _retire(self, generation: _Generation) -> None:
        """Stop the idle workers of an old set now, the busy ones when their query ends; send the
        queries waiting on it to the current set."""
        generation.retired = True
        for lane in (GENERAL, FAST):
            for worker in generation.idle[lane]:
                with self._lock:
                    generation.workers.discard(worker)
                self._spawner.submit(worker.stop)
            generation.idle[lane].clear()
        for worker in generation.standby:
            with self._lock:
                generation.workers.discard(worker)
            self._spawner.submit(worker.stop)
        generation.standby.clear()
        for waiter in generation.waiters:
            if not waiter.future.done():
                waiter.future.set_exception(Retired())
        generation.waiters.clear()

    def pids(self) -> list[int]:
        generation = self._current
        return sorted(w.pid for w in (generation.workers if generation else ()))

    def standby(self) -> int:
        generation = self._current
        return len(generation.standby) if generation else 0

    def busy(self) -> int:
        """Workers running a query now (all lanes)."""
        generation = self._current
        if generation is None:
            return 0
        return len(generation.workers) - sum(len(v) for v in generation.idle.values()) - len(generation.standby)

    def close(self) -> None:
        if self._watcher is not None:
            self._watcher.cancel()
        generation = self._current
        if generation is not None:
            generation.retired = True
            for worker in list(generation.workers):
                worker.stop()
        self._calls.shutdown(wait=False, cancel_futures=True)
        self._spawner.shutdown(wait=False, cancel_futures=True)


def _insert(waiters: list[_Waiter], waiter: _Waiter) -> None:
    bisect.insort(waiters, waiter)


def worker_memory_default() -> int:
    """Address space a worker may use (MiB): a share of the machine's memory, at most 4 GiB."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // (1024 * 1024)
    except (ValueError, OSError):
        return 2048
    return int(max(1024, min(4096, total // 4)))


if __name__ == "__main__":  # a worker: python -m mfbt_kg.service.workers IN_FD OUT_FD FORMAT MEMORY_MB BYTES LANE
    _worker_process(sys.argv[1:])
