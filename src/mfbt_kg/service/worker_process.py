"""What runs inside the query worker processes: one process loads the data, the workers are forked from it.

Loading the graph is the slow part of starting a worker (seconds at ×100), and every worker holds the
same graph. So the service starts one *template* process per data version (``python -m
mfbt_kg.service.worker_process FORMAT CONTROL_FD``): it confines itself (``sandbox.confine``: every fork
inherits the network namespace and the seccomp filter), loads the data from its standard input, and
from then on only forks. Each fork is a query worker sharing the loaded graph with the template page by
page (copy-on-write): a worker, or the replacement of one killed at its deadline, is ready in
milliseconds, and costs memory only for what its queries allocate.

A worker is forked twice over (the middle process exits at once), so it is adopted by the service, which
marks itself a child subreaper (``sandbox.adopt_orphans``): the service waits for it, reads how it died
and kills it, as for a child of its own. The worker's two pipe ends reach the service over the control
socket (SCM_RIGHTS); its process id comes in its first message. The template imports only pyoxigraph
and this package's answer code, and never starts a thread: forking it is safe.
"""

from __future__ import annotations

import os
import resource
import socket
import sys
import threading
import time
from contextlib import suppress
from dataclasses import replace
from multiprocessing.connection import Connection
from typing import Any, NoReturn

import pyoxigraph as ox

from mfbt_kg.service import sandbox
from mfbt_kg.sparql.answers import Job, Outcome, execute, serialize_boolean, serialize_graph, serialize_rows
from mfbt_kg.sparql.media import data_file_format

GENERAL, FAST = "general", "fast"
GENERAL_NICE = 10  # general workers yield the CPU to the service process and the fast lane
QUERY_STACK_MB = 256  # the engine recurses over operator chains and group sequences
TEMPLATE_NAME, WORKER_NAME = "mfbt-kg-tmpl", "mfbt-kg-worker"  # as ps and /proc/PID/comm show them
MESSAGE_BYTES = 512  # a control message: a fork request, its answer, the ready line


# --- answering, in a worker ----------------------------------------------------


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


def answer(store: ox.Store, job: Job, max_bytes: int) -> Outcome:
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


def _serve_jobs(
    store: ox.Store, inbox: Connection, outbox: Connection, max_answer_bytes: int, isolation: tuple[str, ...]
) -> None:
    outbox.send(("ready", os.getpid(), isolation))
    while True:
        try:
            job = inbox.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        try:
            outcome = answer(store, job, max_answer_bytes)
        except MemoryError:
            outcome = Outcome(ok=False, status=503, error="the query needed more memory than a query may use")
        outbox.send(outcome)


def _become_worker(
    store: ox.Store, inbox_fd: int, outbox_fd: int, settings: tuple[str, int, int], isolation: tuple[str, ...]
) -> None:
    """The forked worker: adopted by the service, it takes its lane's priority and limits, then answers
    jobs on a thread with a large stack until the service closes its pipe."""
    lane, memory_mb, max_answer_bytes = settings
    sandbox.set_process_name(WORKER_NAME)
    sandbox.die_with_parent()  # the service, once adopted; checked below against a race with its death
    if lane == GENERAL:
        with suppress(OSError):
            os.nice(GENERAL_NICE)
    stack_mb = QUERY_STACK_MB if memory_mb <= 0 else max(16, min(QUERY_STACK_MB, memory_mb // 8))
    if memory_mb > 0:
        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    threading.stack_size(stack_mb * 1024 * 1024)
    inbox, outbox = Connection(inbox_fd, writable=False), Connection(outbox_fd, readable=False)
    runner = threading.Thread(
        target=_serve_jobs, name="query", args=(store, inbox, outbox, max_answer_bytes, isolation), daemon=True
    )
    runner.start()
    runner.join()


# --- forking, in the template ----------------------------------------------------


def _fork_worker(
    store: ox.Store, control: socket.socket, settings: tuple[str, int, int], isolation: tuple[str, ...]
) -> tuple[int, int]:
    """Fork a worker; its ends of two pipes stay with it, the service's ends are returned (to be sent)."""
    jobs_read, jobs_write = os.pipe()
    answers_read, answers_write = os.pipe()
    middle = os.fork()
    if middle == 0:
        status = 1
        try:
            middle_pid = os.getpid()
            if os.fork() == 0:
                control.close()
                os.close(jobs_write)
                os.close(answers_read)
                while os.getppid() == middle_pid:  # until adopted (the middle process exits at once)
                    time.sleep(0.0005)
                _become_worker(store, jobs_read, answers_write, settings, isolation)
            status = 0
        finally:
            os._exit(status)  # the middle process, and a worker when it is done: never back to the loop below
    os.waitpid(middle, 0)
    os.close(jobs_read)
    os.close(answers_write)
    return answers_read, jobs_write


def _template(fmt: str, control_fd: int) -> None:
    isolation = sandbox.confine()  # before the data and before any fork: every worker inherits it
    sandbox.set_process_name(TEMPLATE_NAME)
    control = socket.socket(fileno=control_fd)
    data_format = data_file_format(fmt)
    if data_format is None:
        control.send(f"error: not a data file format: {fmt}".encode())
        return
    store = ox.Store()
    try:
        store.bulk_load(sys.stdin.buffer, format=data_format.rdf)
    except (SyntaxError, ValueError, OSError) as exc:
        control.send(f"error: could not load the data: {exc}"[:MESSAGE_BYTES].encode())
        return
    sys.stdin.close()
    control.send(("ready " + ",".join(isolation)).encode())
    while True:
        try:
            request = control.recv(MESSAGE_BYTES)
        except OSError:
            return
        if not request:
            return  # the service closed its end: this data version is retired
        lane, memory_mb, max_answer_bytes = request.decode().split()
        try:
            fds = _fork_worker(store, control, (lane, int(memory_mb), int(max_answer_bytes)), isolation)
        except OSError as exc:
            control.send(f"error: could not fork a worker: {exc}".encode())
            continue
        try:
            socket.send_fds(control, [b"ok"], list(fds))
        finally:
            for fd in fds:
                os.close(fd)


def main(argv: list[str]) -> NoReturn:
    """python -m mfbt_kg.service.worker_process FORMAT CONTROL_FD (the data on standard input)."""
    _template(argv[0], int(argv[1]))
    sys.exit(0)


if __name__ == "__main__":
    main(sys.argv[1:])
