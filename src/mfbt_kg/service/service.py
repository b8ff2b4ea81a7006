"""The running service without HTTP: what every router shares.

``Service`` holds the catalogue, the current *snapshot* (store, data version, graph
names — swapped as one object on reload, so a request sees one version throughout)
and ``run``, which checks a query and runs it in a killable worker (embedded) or on
the remote store, within the time limit.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass

from mfbt_kg.graph.files import graph_files, load_graph, project_root
from mfbt_kg.namespaces import PREFIXES
from mfbt_kg.service.cache import AnswerCache
from mfbt_kg.service.settings import Settings
from mfbt_kg.service.workers import DATA_FORMATS, QueryTimeout, Retired, WorkerPool
from mfbt_kg.sparql.answers import Job, Outcome, execute
from mfbt_kg.sparql.catalogue import NamedQuery, load_catalogue
from mfbt_kg.sparql.guard import CheckedQuery, QueryRefused, check_query
from mfbt_kg.sparql.store import EmbeddedStore, RemoteStore, Store, StoreError, data_version, to_ntriples

log = logging.getLogger("mfbt_kg.service")

INLINE_CHECK_CHARS = 4096
# Prefixes written into Turtle answers (the vocabularies; not one per resource kind).
TURTLE_PREFIXES = tuple((p, str(ns)) for p, ns in PREFIXES.items()
                        if p in ("mfbt", "id", "skos", "dcterms", "prov", "org", "schema", "rdf", "rdfs", "xsd", "owl"))


@dataclass(frozen=True)
class Snapshot:
    """One version of the data, as the service answers from it."""

    store: Store
    version: str  # "" when unknown: then no ETag
    modified: dt.datetime | None
    graphs: frozenset[str]  # named graphs FROM / default-graph-uri may select
    triples: int | None


class Service:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.root = project_root(settings.root)
        self.catalogue: dict[str, NamedQuery] = load_catalogue(self.root)
        self.pool: WorkerPool | None = None
        self.remote = RemoteStore(settings.store_url, timeout=settings.timeout) if settings.store_url else None
        self._remote_threads = ThreadPoolExecutor(max_workers=16, thread_name_prefix="remote-query")
        self.snapshot: Snapshot | None = None
        # Only the embedded store's version is known to follow every change of the data.
        self.answers = AnswerCache(0 if settings.store_url else settings.answer_cache_mb)
        self.reloads = 0
        self.reload_error = ""
        self._reloading = asyncio.Lock()

    # --- what other routers read -------------------------------------------
    @property
    def store(self) -> Store:
        assert self.snapshot is not None
        return self.snapshot.store

    @property
    def version(self) -> str:
        return self.snapshot.version if self.snapshot else ""

    # --- start, reload, stop ----------------------------------------------
    async def start(self) -> None:
        if self.remote is not None:
            self.snapshot = await asyncio.to_thread(self._remote_snapshot)
            return
        self.pool = WorkerPool(self.settings.workers, self.settings.timeout, self.settings.worker_memory_mb)
        await self.reload()
        if self.snapshot is None:
            raise RuntimeError(self.reload_error or "no data loaded")
        self.reloads = 0  # the first load is not a reload

    async def reload(self) -> bool:
        """Read the data again; if it changed, start a new worker set and swap everything at once.
        A failed reload keeps serving the old data and says why in /health."""
        async with self._reloading:
            try:
                if self.remote is not None:
                    fresh = await asyncio.to_thread(self._remote_snapshot)
                    changed = self.snapshot is None or fresh.version != self.snapshot.version
                    self.snapshot = fresh
                    return changed
                data, fmt, modified = await asyncio.to_thread(self._read_data)
                version = data_version(data)
                if self.snapshot is not None and version == self.snapshot.version:
                    return False
                store = await asyncio.to_thread(_embedded, data, fmt)
                assert self.pool is not None
                await self.pool.load(data, fmt)  # no await between the two swaps: one atomic step
                self.snapshot = Snapshot(store, version, modified, store.graph_names(), store.triple_count())
                self.answers.keep_only(version)
                self.reloads += 1
                self.reload_error = ""
                return True
            except Exception as exc:  # keep the old snapshot; report in /health
                self.reload_error = f"{type(exc).__name__}: {exc}"
                log.warning("reload failed, still serving the previous data: %s", self.reload_error)
                return False

    def _read_data(self) -> tuple[bytes, str, dt.datetime]:
        path = self.settings.data_file
        if path is None:
            files = graph_files(self.root)
            modified = max(p.stat().st_mtime for p in files)
            return to_ntriples(load_graph(self.root)), "nt", _utc(modified)
        fmt = path.suffix.lower().lstrip(".")
        if fmt not in DATA_FORMATS:
            raise ValueError(f"{path.name}: expected one of {', '.join('.' + f for f in DATA_FORMATS)}")
        return path.read_bytes(), fmt, _utc(path.stat().st_mtime)

    def _remote_snapshot(self) -> Snapshot:
        assert self.remote is not None
        self.remote.refresh()
        return Snapshot(self.remote, self.remote.version, self.remote.modified, self.remote.graph_names(), None)

    async def watch_remote(self) -> None:
        """Follow uploads to a remote store (its version marker), so ETags follow the data."""
        while True:
            await asyncio.sleep(self.settings.remote_refresh)
            with suppress(Exception):
                await self.reload()

    def close(self) -> None:
        if self.pool is not None:
            self.pool.close()
        self._remote_threads.shutdown(wait=False, cancel_futures=True)

    # --- queries -------------------------------------------------------------
    def check(self, sparql: str, base_iri: str | None = None) -> CheckedQuery:
        """The guard, with the graphs of the current data as the only ones FROM may name."""
        graphs = self.snapshot.graphs if self.snapshot else frozenset()
        return check_query(sparql, graphs, base_iri)

    async def inspect(self, sparql: str, base_iri: str | None = None) -> CheckedQuery:
        """``check``, off the event loop for long texts (tens of milliseconds at 64 KiB)."""
        if len(sparql) <= INLINE_CHECK_CHARS:
            return self.check(sparql, base_iri)
        return await asyncio.to_thread(self.check, sparql, base_iri)

    async def run(self, sparql: str, fmt: str, default_graphs: tuple[str, ...] | None = None,
                  named_graphs: tuple[str, ...] | None = None, base_iri: str | None = None,
                  checked: CheckedQuery | None = None) -> tuple[Outcome, Snapshot]:
        """Check (unless ``checked`` still holds), then run within the time limit; the outcome and
        the snapshot it was answered from."""
        for _ in range(3):
            snapshot = self.snapshot
            assert snapshot is not None
            if checked is None or not set(checked.from_graphs) <= snapshot.graphs:
                checked = await self.inspect(sparql, base_iri)
            job = Job(checked.text, fmt, self.settings.max_rows, default_graphs, named_graphs, base_iri, TURTLE_PREFIXES)
            if self.pool is None:
                return await self._run_remote(job, snapshot), snapshot
            kept = self.answers.get(snapshot.version, job)
            if kept is not None:
                return kept, snapshot
            try:
                outcome = await self.pool.run(job)
            except Retired:  # a reload swapped the workers while this query waited: ask the new ones
                continue
            self.answers.put(snapshot.version, job, outcome)
            return outcome, snapshot
        raise QueryTimeout()

    async def _run_remote(self, job: Job, snapshot: Snapshot) -> Outcome:
        default_graphs, named_graphs = job.default_graphs, job.named_graphs
        if default_graphs is not None or named_graphs is not None:
            unknown = set(default_graphs or ()) | set(named_graphs or ())
            if not unknown <= snapshot.graphs:
                raise QueryRefused("default-graph-uri and named-graph-uri may only name graphs of this dataset")
        loop = asyncio.get_running_loop()
        try:
            outcome = await asyncio.wait_for(loop.run_in_executor(self._remote_threads, execute, snapshot.store, job),
                                             timeout=self.settings.timeout)
        except (asyncio.TimeoutError, TimeoutError):
            raise QueryTimeout() from None
        except StoreError:
            outcome = Outcome(ok=False, status=502, error="the remote store could not answer")
        return outcome


def _embedded(data: bytes, fmt: str) -> EmbeddedStore:
    store = EmbeddedStore()
    store.replace(data, DATA_FORMATS[fmt])
    return store


def _utc(timestamp: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(int(timestamp), dt.timezone.utc)
