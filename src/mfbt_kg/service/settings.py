"""Every setting of the service in one object: what ``mfbt-kg serve`` can set (``Settings``), holding
what the graph cannot say about its own publication (``Settings.publish``, a ``PublishSettings``, which
``export`` uses alone and which lives with the publishing code it configures).

The defaults are the safe ones. Only ``cli.py`` reads the command line and the ``MFBT_KG_*``
environment (``PublishSettings.from_env``); everything else is handed a settings object.
Read by the CLI without loading the web stack.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from mfbt_kg.publish.settings import PublishSettings
from mfbt_kg.service.workers import worker_memory_default


@dataclass(frozen=True)
class Settings:
    """Everything ``mfbt-kg serve`` can set; the defaults are the safe ones."""

    root: Path | None = None
    store_url: str | None = None
    store_graph: str | None = None  # the remote store's named graph holding the data (RemoteStore's graph)
    timeout: float = 10.0  # seconds a query may take, waiting for a worker included
    max_rows: int = 10000
    workers: int = 2
    data_file: Path | None = None  # serve this RDF dataset (N-Quads, TriG, N-Triples, Turtle) instead
    worker_memory_mb: int = field(default_factory=worker_memory_default)  # 0: no limit
    max_body_bytes: int = 256 * 1024
    max_url_bytes: int = 16 * 1024
    remote_refresh: float = 5.0  # seconds between reads of a remote store's version marker
    answer_cache_mb: float = 64.0  # answers kept per data version (embedded store only); 0: none
    max_answer_mb: float = 16.0  # an answer's size in bytes, capped like max_rows (fewer rows, said so); 0: none
    fast_workers: int = 1  # reserved workers for short queries while the general ones are busy
    fast_limit: float = 0.5  # seconds a query may run on the fast lane (a lookup takes milliseconds)
    client_budget: float = 30.0  # worker seconds a client may use a minute (429 beyond); 0: no budgets
    trusted_proxies: tuple[str, ...] = ()  # addresses whose X-Forwarded-For names the client
    public_base_url: str | None = None  # e.g. https://kg.example.org: the service's own URLs, never the Host header
    allow_worker_network: bool = False  # run user SPARQL even where no worker could drop its network
    request_timeout: float = 10.0  # seconds to send a request's headers, and then its body
    keep_alive: float = 5.0  # seconds an idle kept-alive connection stays open
    max_connections: int = 1000  # open connections (lowered to fit the file-descriptor limit)
    publish: PublishSettings = field(default_factory=PublishSettings)  # what /dataset says about the publication
