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
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pyoxigraph as ox
from rdflib import Graph

from mfbt_kg.graph.files import DataFileError, graph_files, project_root
from mfbt_kg.graph.validate import InvalidGraphError, validated_ntriples
from mfbt_kg.namespaces import ANSWER_PREFIXES
from mfbt_kg.pages.factsheets import Site
from mfbt_kg.pages.linked_data import LabelIndex, PageQueries
from mfbt_kg.publish.bundle import Publication, publication
from mfbt_kg.service.cache import AnswerCache
from mfbt_kg.service.fairness import Budgets
from mfbt_kg.service.settings import Settings
from mfbt_kg.service.workers import QueryTimeout, Retired, WorkerPool
from mfbt_kg.sparql.answers import Job, Outcome, execute
from mfbt_kg.sparql.catalogue import NamedQuery, load_catalogue
from mfbt_kg.sparql.guard import FOREIGN_GRAPH, CheckedQuery, QueryRefused, check_query, warm
from mfbt_kg.sparql.media import DATA_FILE_EXTENSIONS, data_file_format
from mfbt_kg.sparql.store import EmbeddedStore, RemoteStore, Store, StoreError, data_version

log = logging.getLogger("mfbt_kg.service")

INLINE_CHECK_CHARS = 4096
PAGE_CACHE_MB = 16


T = TypeVar("T")


class DataNotHeld(Exception):
    """The service answers from a remote store: it does not hold the data, so it cannot describe or hand it out."""


@dataclass(frozen=True)
class Snapshot:
    """One version of the data, as the service answers from it, and what is computed once from it
    (the pages' labels, the publication) when first asked for."""

    store: Store
    version: str  # "" when unknown: then no ETag
    modified: dt.datetime | None
    graphs: frozenset[str]  # named graphs FROM / default-graph-uri may select
    triples: int | None
    data: bytes | None = field(default=None, repr=False, compare=False)  # what the store was loaded with (None: remote)
    data_format: str = "nt"
    _kept: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    _locks: dict[str, threading.Lock] = field(default_factory=dict, repr=False, compare=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def kept(self, name: str, make: Callable[[], T]) -> T:
        """``make()``, computed once for this version of the data by the first caller that needs it
        (others wait for it; a different ``name`` does not)."""
        with self._lock:
            lock = self._locks.setdefault(name, threading.Lock())
        with lock:
            if name not in self._kept:
                self._kept[name] = make()
            value: T = self._kept[name]
            return value

    def ntriples(self) -> bytes:
        """The data as N-Triples (graphs of a dataset file merged into one)."""
        if self.data is None:
            raise DataNotHeld("the data lives in a remote store")
        if self.data_format == "nt":
            return self.data
        quads = ox.parse(self.data, format=_data_format(self.data_format))
        merged = ox.serialize((quad.triple for quad in quads), format=ox.RdfFormat.N_TRIPLES)
        assert merged is not None  # no output file given: the bytes
        return merged


class NetworkNotIsolated(Exception):
    """No mechanism could cut the workers off the network, and ``--allow-worker-network`` was not given."""

    def __init__(self) -> None:
        super().__init__(
            "this service does not run SPARQL sent to it: its query workers could not be cut off "
            "from the network on this host (the catalogue's queries still answer)"
        )


class Service:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.root = project_root(settings.root)
        self.catalogue: dict[str, NamedQuery] = load_catalogue(self.root)
        self.page_queries = PageQueries(self.root)
        self.pool: WorkerPool | None = None
        self.remote = (
            RemoteStore(settings.store_url, timeout=settings.timeout, graph=settings.store_graph)
            if settings.store_url
            else None
        )
        self._remote_threads = ThreadPoolExecutor(max_workers=16, thread_name_prefix="remote-query")
        self.snapshot: Snapshot | None = None
        # Only the embedded store's version is known to follow every change of the data.
        self.answers = AnswerCache(0 if settings.store_url else settings.answer_cache_mb)
        # Rendered result pages, per data version (api/sparql.py): as the answers, none for a remote store.
        self.pages = AnswerCache(0 if settings.store_url else PAGE_CACHE_MB)
        # Worker time per client (user SPARQL): a share each, the lightest client first, 429 beyond.
        self.budgets = Budgets(
            settings.client_budget,
            concurrency=2 * (settings.workers + settings.fast_workers),
            fast_threshold=settings.fast_limit,
        )
        self.reloads = 0
        self.reload_error = ""
        self.reload_reason = ""  # why the last reload failed, in words safe to show anyone (/health)
        self._reloading = asyncio.Lock()

    # --- what other routers read -------------------------------------------
    @property
    def store(self) -> Store:
        assert self.snapshot is not None
        return self.snapshot.store

    @property
    def version(self) -> str:
        return self.snapshot.version if self.snapshot else ""

    def site(self) -> Site:
        """What the pages read: the current data, its page queries and labels (one label index per version)."""
        snapshot = self.snapshot
        assert snapshot is not None
        return snapshot.kept(
            "site", lambda: Site(snapshot.store, self.page_queries, LabelIndex(snapshot.store, self.page_queries))
        )

    def publication(self) -> Publication:
        """DCAT, VoID and the dump files of the data being served, computed from the snapshot's own
        triples once per data version (it renders the dumps to size them: seconds). ``DataNotHeld``
        in remote mode: the service does not hold the data it would describe."""
        snapshot = self.snapshot
        assert snapshot is not None
        if snapshot.data is None:
            raise DataNotHeld(
                "this service answers from a remote store and does not hold the data, so it cannot "
                "describe it or hand out its files; 'mfbt-kg export' writes both for the project's graph"
            )
        return snapshot.kept(
            "publication",
            lambda: publication(self.root, self.settings.publish, Graph().parse(data=snapshot.ntriples(), format="nt")),
        )

    @classmethod
    def over(cls, store: Store, settings: Settings, data: bytes | None = None) -> Service:
        """A service answering from ``store`` as it is: no workers, no reload (for tests and tools)."""
        service = cls(settings)
        service.snapshot = Snapshot(store, store.version, None, frozenset(), None, data)
        return service

    # --- start, reload, stop ----------------------------------------------
    async def start(self) -> None:
        # The query guard compiles its patterns (~0.1 s of CPU) while the data loads; a query that comes first
        # compiles what it needs itself.
        threading.Thread(target=warm, name="guard-warm", daemon=True).start()
        if self.remote is not None:
            self.snapshot = await asyncio.to_thread(self._remote_snapshot)
            return
        settings = self.settings
        self.pool = WorkerPool(
            settings.workers,
            settings.timeout,
            settings.worker_memory_mb,
            fast=settings.fast_workers,
            fast_limit=settings.fast_limit,
            max_answer_bytes=int(settings.max_answer_mb * 1024 * 1024),
        )
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
                assert self.pool is not None
                # The service's own store loads while the workers start (one after the other, start-up was the
                # sum of the two); the pool swaps its workers in once both are done, and no await separates that
                # swap from the snapshot's: one atomic step.
                store_loading = asyncio.ensure_future(asyncio.to_thread(_embedded, data, fmt))
                await self.pool.load(data, fmt, alongside=store_loading)
                store = store_loading.result()
                self.snapshot = Snapshot(store, version, modified, store.graph_names(), store.triple_count(), data, fmt)
                self.answers.keep_only(version)
                self.pages.keep_only(version)
                self.reloads += 1
                self.reload_error = self.reload_reason = ""
                return True
            except Exception as exc:  # keep the old snapshot; report in /health
                self.reload_error = f"{type(exc).__name__}: {exc}"
                self.reload_reason = _reason(exc)
                log.warning("reload failed, still serving the previous data: %s", self.reload_error)
                return False

    def _read_data(self) -> tuple[bytes, str, dt.datetime]:
        """The project's graph, validated (``InvalidGraphError``: the old data stays), or the ``--data`` file.
        Files checked before, byte for byte, are neither parsed nor checked again (``validated_ntriples``)."""
        path = self.settings.data_file
        if path is None:
            files = graph_files(self.root)
            modified = max(p.stat().st_mtime for p in files)
            data, _ = validated_ntriples(self.root)
            return data, "nt", _utc(modified)
        fmt = path.suffix.lower().lstrip(".")
        if data_file_format(fmt) is None:
            raise ValueError(f"{path.name}: expected one of {', '.join('.' + f for f in DATA_FILE_EXTENSIONS)}")
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
    def check(self, sparql: str, base_iri: str | None = None, protocol_dataset: bool = False) -> CheckedQuery:
        """The guard. FROM may name any graph for the embedded engine, which never fetches one (a graph the
        data lacks is empty, as in ``default-graph-uri``); for a remote store, which might, only the graphs
        of the data (``protocol_dataset``: the request names the dataset, so FROM is not used)."""
        graphs = self.snapshot.graphs if self.snapshot else frozenset()
        remote = self.remote is not None
        return check_query(
            sparql, graphs, base_iri, protocol_dataset, any_graph=not remote, engine_functions=not remote
        )

    async def inspect(self, sparql: str, base_iri: str | None = None, protocol_dataset: bool = False) -> CheckedQuery:
        """``check``, off the event loop for long texts (tens of milliseconds at 64 KiB)."""
        if len(sparql) <= INLINE_CHECK_CHARS:
            return self.check(sparql, base_iri, protocol_dataset)
        return await asyncio.to_thread(self.check, sparql, base_iri, protocol_dataset)

    async def run(
        self,
        sparql: str,
        fmt: str,
        default_graphs: tuple[str, ...] | None = None,
        named_graphs: tuple[str, ...] | None = None,
        base_iri: str | None = None,
        checked: CheckedQuery | None = None,
        client: str | None = None,
        user_supplied: bool = False,
    ) -> tuple[Outcome, Snapshot]:
        """Check (unless ``checked`` still holds), then run within the time limit; the outcome and
        the snapshot it was answered from. ``client`` (a ``fairness.client_key``): charge its worker
        time and order it among the others (``OverBudget`` when its share is spent).
        ``user_supplied``: SPARQL from a request, refused (``NetworkNotIsolated``) when no worker
        could drop its network, unless the service was started with ``--allow-worker-network``."""
        if (
            user_supplied
            and self.pool is not None
            and not self.pool.isolation
            and not self.settings.allow_worker_network
        ):
            raise NetworkNotIsolated()
        for _ in range(3):
            snapshot = self.snapshot
            assert snapshot is not None
            dataset_given = default_graphs is not None or named_graphs is not None
            if checked is None or (self.remote is not None and not set(checked.from_graphs) <= snapshot.graphs):
                checked = await self.inspect(sparql, base_iri, dataset_given)
            job = Job(
                checked.text, fmt, self.settings.max_rows, default_graphs, named_graphs, base_iri, ANSWER_PREFIXES
            )
            if self.pool is None:
                return await self._run_remote(job, snapshot), snapshot
            kept = self.answers.get(snapshot.version, job)
            if kept is not None:
                return kept, snapshot
            ticket = self.budgets.admit(client) if client is not None else None
            try:
                outcome = await self.pool.run(job, ticket)
            except Retired:  # a reload swapped the workers while this query waited: ask the new ones
                continue
            finally:
                if ticket is not None:
                    self.budgets.done(client, ticket)  # type: ignore[arg-type]
            self.answers.put(snapshot.version, job, outcome)
            return outcome, snapshot
        raise QueryTimeout()

    async def _run_remote(self, job: Job, snapshot: Snapshot) -> Outcome:
        default_graphs, named_graphs = job.default_graphs, job.named_graphs
        if default_graphs is not None or named_graphs is not None:
            unknown = set(default_graphs or ()) | set(named_graphs or ())
            if not unknown <= snapshot.graphs:
                raise QueryRefused(FOREIGN_GRAPH)
        loop = asyncio.get_running_loop()
        try:
            outcome = await asyncio.wait_for(
                loop.run_in_executor(self._remote_threads, execute, snapshot.store, job), timeout=self.settings.timeout
            )
        except TimeoutError:
            raise QueryTimeout() from None
        except StoreError:
            outcome = Outcome(ok=False, status=502, error="the remote store could not answer")
        return outcome


def _reason(exc: Exception) -> str:
    """Why new data was not taken, without paths or engine messages."""
    if isinstance(exc, InvalidGraphError):
        return (
            f"the new data does not conform to the shapes ({len(exc.report.violations)} violation(s)); "
            "'mfbt-kg validate' lists them"
        )
    if isinstance(exc, DataFileError):
        return "a data file does not load; 'mfbt-kg validate' says which and where"
    return "the new data could not be read"


def _data_format(ext: str) -> ox.RdfFormat:
    found = data_file_format(ext)
    assert found is not None, ext  # checked when the file was read
    return found.rdf


def _embedded(data: bytes, fmt: str) -> EmbeddedStore:
    store = EmbeddedStore()
    store.replace(data, _data_format(fmt))
    return store


def _utc(timestamp: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(int(timestamp), dt.UTC)
