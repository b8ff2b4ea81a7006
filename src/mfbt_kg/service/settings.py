"""What ``mfbt-kg serve`` can set, and the safe defaults; read by the CLI without loading the web stack."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from mfbt_kg.service.workers import worker_memory_default


@dataclass(frozen=True)
class Settings:
    """Everything ``mfbt-kg serve`` can set; the defaults are the safe ones."""

    root: Path | None = None
    store_url: str | None = None
    timeout: float = 10.0  # seconds a query may take, waiting for a worker included
    max_rows: int = 10000
    workers: int = 2
    data_file: Path | None = None  # serve this RDF dataset (N-Quads, TriG, N-Triples, Turtle) instead
    worker_memory_mb: int = field(default_factory=worker_memory_default)  # 0: no limit
    max_body_bytes: int = 256 * 1024
    max_url_bytes: int = 16 * 1024
    remote_refresh: float = 5.0  # seconds between reads of a remote store's version marker
    answer_cache_mb: float = 64.0  # answers kept per data version (embedded store only); 0: none
