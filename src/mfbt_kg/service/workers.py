"""Query worker processes that can be killed at the deadline, shared fairly between clients.

Neither pyoxigraph nor rdflib can interrupt a running query, so each query runs
in a worker process holding the whole graph in memory. The graph is loaded once
per data version, by a template process the workers are forked from, sharing its
memory (``worker_process``): starting a worker takes milliseconds at any scale.
A query that overruns has its worker killed and replaced; a worker that dies (a
memory limit, an engine fault) is replaced too, and one found dead while idle is
replaced before any query is given to it. Results are serialised and capped
inside the worker — in rows and in bytes — so only bounded bytes cross the
process boundary. A worker runs queries on a thread with a large stack, so long
operator chains and thousands of BINDs or MINUS groups are answered instead of
overflowing the engine's recursion.

Network: the template drops its network with every mechanism the kernel allows
(``sandbox.confine``: an empty network namespace, a seccomp filter on ``socket``)
before it reads the data, and every worker inherits it; each reports which took
hold; even a query the guard missed could reach no host.

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
import pickle
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.reduction import ForkingPickler
from typing import Any

from mfbt_kg.service import sandbox
from mfbt_kg.service.worker_process import FAST, GENERAL, MESSAGE_BYTES
from mfbt_kg.sparql.answers import Job, Outcome

log = logging.getLogger("mfbt_kg.service")


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


# --- the processes, seen from the service ----------------------------------------

TEMPLATE_START_SECONDS = 600.0  # loading the data (×1000 takes tens of seconds)
FORK_SECONDS = 30.0  # a fork request, and the new worker's first message


class Template:
    """The process holding one data version's graph loaded, which forks the workers
    (``worker_process``). Fork requests from several threads are taken one at a time."""

    def __init__(self, data: bytes, fmt: str) -> None:
        self._control, template_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self._lock = threading.Lock()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "mfbt_kg.service.worker_process", fmt, str(template_end.fileno())],
            pass_fds=(template_end.fileno(),),
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            close_fds=True,
        )
        template_end.close()
        assert self.process.stdin is not None
        try:
            with suppress(BrokenPipeError):  # it stopped reading: its message says why
                self.process.stdin.write(data)
            self.process.stdin.close()
            self._control.settimeout(TEMPLATE_START_SECONDS)
            reply = self._control.recv(MESSAGE_BYTES).decode()
        except OSError:
            self.stop()
            raise RuntimeError("the query workers' template process did not start") from None
        if not reply.startswith("ready"):
            self.stop()
            raise RuntimeError(f"the query workers' template process failed to start: {reply or 'it exited'}")
        self.isolation = tuple(m for m in reply[len("ready") :].strip().split(",") if m)

    def fork(self, lane: str, memory_mb: int, max_answer_bytes: int) -> tuple[Connection, Connection]:
        """A new worker's pipes: (answers from it, jobs to it)."""
        with self._lock:
            try:
                self._control.settimeout(FORK_SECONDS)
                self._control.send(f"{lane} {memory_mb} {max_answer_bytes}".encode())
                message, fds, _, _ = socket.recv_fds(self._control, MESSAGE_BYTES, 2)
            except OSError:
                raise RuntimeError("the query workers' template process did not answer") from None
        if message != b"ok" or len(fds) != 2:
            for fd in fds:
                os.close(fd)
            raise RuntimeError(message.decode(errors="replace") or "the query workers' template process exited")
        return Connection(fds[0], writable=False), Connection(fds[1], readable=False)

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        """Closing the control socket ends the template; its workers live on until their own stop."""
        self._control.close()
        try:
            self.process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self.process.kill()
            with suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=5)


class _Adopted:
    """A worker process, a child of the service by adoption (``sandbox.adopt_orphans``): waited for, and
    killed only while not yet waited for, so a reused process id is never signalled."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                pid, status = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:  # not adopted (no subreaper here): alive while it can be signalled
                try:
                    os.kill(self.pid, 0)
                except ProcessLookupError:
                    self.returncode = -signal.SIGKILL
                return self.returncode
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self, timeout: float) -> int | None:
        deadline = time.monotonic() + timeout
        while self.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
        return self.returncode

    def kill(self) -> None:
        if self.poll() is None:
            with suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)


class Worker:
    """One query worker (forked from its data version's ``Template``) and the two pipes to it."""

    def __init__(self, template: Template, memory_mb: int, max_answer_bytes: int = 0, lane: str = GENERAL) -> None:
        self.lane = lane
        self.inbox, self.outbox = template.fork(lane, memory_mb, max_answer_bytes)
        try:
            if not self.inbox.poll(FORK_SECONDS):
                raise RuntimeError("a query worker did not start")
            status, pid, self.isolation = self.inbox.recv()
        except (EOFError, OSError, ValueError):
            self.inbox.close()
            self.outbox.close()
            raise RuntimeError("a query worker failed to start") from None
        self.process = _Adopted(pid)
        os.set_blocking(self.inbox.fileno(), False)  # read and written on the event loop (``ask``)
        os.set_blocking(self.outbox.fileno(), False)

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

    async def ask(self, job: Job, timeout: float) -> Outcome:
        """Send one job and await its outcome at most ``timeout`` seconds, on the event loop itself: the
        frame is written and the answer read as the pipes allow, with no thread between (a hand-over
        to a thread and back cost each query two waits for the interpreter lock)."""
        loop = asyncio.get_running_loop()
        try:
            await _write(loop, self.outbox.fileno(), _frame(job))
            return await asyncio.wait_for(_read_frame(loop, self.inbox.fileno()), timeout)
        except TimeoutError:
            raise QueryTimeout() from None
        except (EOFError, OSError, pickle.UnpicklingError):
            raise WorkerCrashed(crash_cause(await self._ended())) from None

    async def _ended(self, limit: float = 1.0) -> int | None:
        """How the worker ended, once the kernel says (its pipe closes as it exits)."""
        deadline = time.monotonic() + limit
        while self.process.poll() is None and time.monotonic() < deadline:
            await asyncio.sleep(0.005)
        return self.process.returncode

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(timeout=5)
        self.inbox.close()
        self.outbox.close()

    def stop(self) -> None:
        with suppress(OSError):  # a full pipe (BlockingIOError) means a job is running: it is killed then
            os.write(self.outbox.fileno(), _frame(None))
        self.process.wait(timeout=2)
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
    template: Template
    workers: set[Worker]
    idle: dict[str, list[Worker]] = field(default_factory=lambda: {GENERAL: [], FAST: []})
    waiters: list[_Waiter] = field(default_factory=list)  # kept sorted: lightest client first
    standby: list[Worker] = field(default_factory=list)  # a started fast-lane worker, to replace one at once
    retired: bool = False
    forking: threading.Lock = field(default_factory=threading.Lock)


def _stop_set(template: Template, workers: list[Worker]) -> None:
    for worker in workers:
        worker.stop()
    template.stop()


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
        # Workers are forked by a template through a middle process that exits: this process adopts them.
        self.adopting = sandbox.adopt_orphans()
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
        """Start a template over ``data`` and a full set of workers from it, and swap them in at once
        (start-up and reload). ``alongside``: work of the caller's that runs while the workers start and
        must be done before the swap (the service loads its own store so; it then swaps its snapshot with
        no await in between)."""
        self._loop = asyncio.get_running_loop()
        lanes = [GENERAL] * self.size + [FAST] * (self.fast + (1 if self.fast else 0))  # + the standby
        starting = self._loop.run_in_executor(self._spawner, self._start_set, data, fmt, lanes)
        results = await asyncio.gather(
            starting, *([alongside] if alongside is not None else []), return_exceptions=True
        )
        started = results[0]
        failed = next((r for r in results if isinstance(r, BaseException)), None)
        if failed is not None:
            if not isinstance(started, BaseException):
                _stop_set(*started)
            raise failed
        assert not isinstance(started, BaseException)
        template, ready = started
        fresh = _Generation(data, fmt, template, set(ready))
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

    def _start_set(self, data: bytes, fmt: str, lanes: list[str]) -> tuple[Template, list[Worker]]:
        template = Template(data, fmt)
        ready: list[Worker] = []
        try:
            for lane in lanes:
                ready.append(Worker(template, self.memory_mb, self.max_answer_bytes, lane))
        except BaseException:
            _stop_set(template, ready)
            raise
        return template, ready

    def _fork(self, generation: _Generation, lane: str) -> Worker:
        """A new worker for ``generation``; its template is started again first if it died."""
        with generation.forking:
            if generation.retired:
                raise RuntimeError("this data version was replaced")
            if not generation.template.alive():
                log.warning("the query workers' template process died; starting it again")
                generation.template = Template(generation.data, generation.fmt)
            template = generation.template
        return Worker(template, self.memory_mb, self.max_answer_bytes, lane)

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
            # The call is a task of its own: it owns the worker until it ends, so a cancelled request
            # (the client went away) never leaves a worker with an answer nobody reads.
            call = asyncio.ensure_future(self._call(generation, worker, job, max(0.05, limit), ticket))
            call.add_done_callback(_observed)
            try:
                return await asyncio.shield(call)
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

    async def _call(self, generation: _Generation, worker: Worker, job: Job, timeout: float, ticket: Ticket) -> Outcome:
        started = time.monotonic()
        try:
            outcome = await worker.ask(job, timeout)
        except BaseException:  # overran, died, or cancelled with the loop: never handed out again
            self._discard(generation, worker)
            raise
        finally:
            ticket.used += time.monotonic() - started
        self._put_back(generation, worker)
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
                fresh = self._fork(generation, lane)
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
            fresh = self._fork(generation, FAST)
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
        self._spawner.submit(generation.template.stop)
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
            generation.template.stop()
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


# --- the pipes to a worker, on the event loop --------------------------------------
# Frames as ``multiprocessing.connection.Connection`` writes and reads them (the worker's side): a
# 4-byte big-endian length (-1, then 8 bytes, beyond 2 GiB) and a pickle.

_LONG = struct.pack("!i", -1)
CHUNK = 1 << 20  # bytes read from a pipe before the loop serves others


def _frame(message: object) -> bytes:
    payload = ForkingPickler.dumps(message)
    size = len(payload)
    header = struct.pack("!i", size) if size <= 0x7FFFFFFF else _LONG + struct.pack("!Q", size)
    return header + bytes(payload)


async def _write(loop: asyncio.AbstractEventLoop, fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        try:
            view = view[os.write(fd, view) :]
        except BlockingIOError:
            await _ready(loop, fd, write=True)


async def _read_frame(loop: asyncio.AbstractEventLoop, fd: int) -> Any:
    (size,) = struct.unpack("!i", await _read(loop, fd, 4))
    if size == -1:
        (size,) = struct.unpack("!Q", await _read(loop, fd, 8))
    return pickle.loads(await _read(loop, fd, size))


async def _read(loop: asyncio.AbstractEventLoop, fd: int, size: int) -> bytearray:
    """``size`` bytes, read straight into one buffer as they arrive (an answer is copied once, from the
    pipe); a large answer lets the loop serve others between chunks."""
    got = bytearray(size)
    view, done = memoryview(got), 0
    while done < size:
        try:
            count = os.readv(fd, [view[done : done + CHUNK]])
        except BlockingIOError:
            await _ready(loop, fd)
            continue
        if not count:
            raise EOFError
        done += count
        if done < size and count == CHUNK:
            await asyncio.sleep(0)
    return got


async def _ready(loop: asyncio.AbstractEventLoop, fd: int, write: bool = False) -> None:
    future: asyncio.Future[None] = loop.create_future()

    def wake() -> None:
        if not future.done():
            future.set_result(None)

    (loop.add_writer if write else loop.add_reader)(fd, wake)
    try:
        await future
    finally:
        (loop.remove_writer if write else loop.remove_reader)(fd)


def _observed(task: asyncio.Future[Any]) -> None:
    """A call whose request went away still ends: its error is read here, not logged as never retrieved."""
    if not task.cancelled():
        task.exception()
