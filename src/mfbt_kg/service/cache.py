"""Answers kept for the data version they were computed from.

The data is read-only between reloads, so the same query in the same format on
the same version has the same answer; analysts' tools repeat the catalogue's
queries all day. Keeping recent answers (bounded in bytes, least recently used
dropped first) saves a round trip to a worker process. A reload changes the
version, which is part of the key, so an old answer is never served for new data;
entries of older versions are dropped at the swap.

What an entry costs is counted whole: the answer's body, its key (the query text —
up to 64 KiB — and the dataset's graph names) and a fixed share for the objects
around them. Counting only bodies let distinct padded queries fill the service's
memory while the cache reported a few megabytes.
"""

from __future__ import annotations

import sys
import threading
from collections import OrderedDict
from collections.abc import Hashable

from mfbt_kg.sparql.answers import Outcome

MIB = 1024 * 1024
ENTRY_OVERHEAD = 512  # bytes: the key tuple, the Outcome, the dict slot, the version string


def entry_cost(job: Hashable, outcome: Outcome) -> int:
    """Bytes an entry holds in memory: body, key text and graph names, and the objects around them."""
    cost = ENTRY_OVERHEAD + sys.getsizeof(outcome.body) + sys.getsizeof(outcome.error)
    for name in ("sparql", "base_iri"):
        value = getattr(job, name, None)
        if isinstance(value, str):
            cost += sys.getsizeof(value)
    for name in ("default_graphs", "named_graphs"):
        for graph in getattr(job, name, None) or ():
            cost += sys.getsizeof(graph) + 8
    if not hasattr(job, "sparql"):
        cost += sys.getsizeof(job)
    return cost


class AnswerCache:
    """A byte-bounded LRU of successful answers, keyed by (data version, job)."""

    def __init__(self, max_mb: float, max_entry_share: float = 0.125) -> None:
        self.max_bytes = int(max_mb * MIB)
        self.max_entry = int(self.max_bytes * max_entry_share)  # one big answer must not flush the rest
        self._entries: OrderedDict[tuple[str, Hashable], tuple[Outcome, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    @property
    def enabled(self) -> bool:
        return self.max_bytes > 0

    def get(self, version: str, job: Hashable) -> Outcome | None:
        if not self.enabled or not version:
            return None
        with self._lock:
            entry = self._entries.get((version, job))
            if entry is None:
                self.misses += 1
                return None
            self._entries.move_to_end((version, job))
            self.hits += 1
            return entry[0]

    def put(self, version: str, job: Hashable, outcome: Outcome) -> None:
        """Keep a successful answer; errors and oversized answers (key included) are not kept."""
        if not self.enabled or not version or not outcome.ok:
            return
        size = entry_cost(job, outcome) + sys.getsizeof(version)
        if size > self.max_entry:
            return
        with self._lock:
            if (version, job) in self._entries:
                return
            self._entries[(version, job)] = (outcome, size)
            self._bytes += size
            while self._bytes > self.max_bytes:
                _, (_, dropped) = self._entries.popitem(last=False)
                self._bytes -= dropped

    def keep_only(self, version: str) -> None:
        """After a reload: drop every answer of another version."""
        with self._lock:
            for key in [k for k in self._entries if k[0] != version]:
                self._bytes -= self._entries.pop(key)[1]

    def stats(self) -> dict[str, int]:
        with self._lock:
            return {
                "entries": len(self._entries),
                "bytes": self._bytes,
                "max_bytes": self.max_bytes,
                "hits": self.hits,
                "misses": self.misses,
            }
