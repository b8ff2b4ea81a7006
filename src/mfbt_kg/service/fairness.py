"""Sharing the query workers between clients: worker-time budgets, told apart by address.

Each client (an IPv4 address, or an IPv6 /64 — one host's usual allocation) has
a bucket of worker seconds that refills at ``per_minute`` seconds a minute, up to
``per_minute``. A query is admitted while the bucket is not empty and the client
has fewer than ``concurrency`` queries running or waiting; it is charged the
worker time it really used when it ends. Otherwise: 429 with ``Retry-After`` (the
seconds until the bucket is positive again). What a client has spent lately also
orders the queue (the lightest client first) and decides whether the reserved
fast lane may take its query (see ``workers.WorkerPool``).

Behind a reverse proxy every request comes from the proxy's address; the
service then reads the client from ``X-Forwarded-For`` only for the proxies
named with ``--trusted-proxy`` (uvicorn's proxy-header handling, off otherwise).
"""

from __future__ import annotations

import ipaddress
import math
import threading
import time
from dataclasses import dataclass

from mfbt_kg.service.workers import Ticket

MAX_CLIENTS = 50_000  # buckets kept; full, idle ones are dropped first
QUICK_BONUS = 0.25  # worker seconds ahead in the queue for a client whose last query was quick


class OverBudget(Exception):
    """The client has used its share of worker time (or has too many queries at once): 429."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = str(retry_after)


def client_key(address: str | None) -> str:
    """IPv4 address as is; IPv6 by its /64; anything unreadable (a Unix socket, a test client) as given."""
    if not address:
        return "-"
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((int(ip) >> 64 << 64, 64)))
    return str(ip)


@dataclass
class _Bucket:
    tokens: float
    stamp: float
    inflight: int = 0
    quick: bool = False  # its last query was a quick one


class Budgets:
    """Worker-time buckets per client; ``per_minute <= 0`` switches budgets off (ordering stays)."""

    def __init__(self, per_minute: float, concurrency: int, fast_threshold: float) -> None:
        self.capacity = per_minute
        self.rate = per_minute / 60.0
        self.concurrency = max(1, concurrency)
        self.fast_threshold = fast_threshold
        self.refused = 0
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.capacity > 0

    def _bucket(self, key: str, now: float) -> _Bucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= MAX_CLIENTS:
                self._prune(now)
            bucket = self._buckets[key] = _Bucket(self.capacity, now)
        else:
            bucket.tokens = min(self.capacity, bucket.tokens + (now - bucket.stamp) * self.rate)
            bucket.stamp = now
        return bucket

    def _prune(self, now: float) -> None:
        for key, bucket in list(self._buckets.items()):
            if bucket.inflight == 0 and bucket.tokens + (now - bucket.stamp) * self.rate >= self.capacity:
                del self._buckets[key]
        if len(self._buckets) >= MAX_CLIENTS:  # all busy or in debt: drop the oldest idle ones
            idle = sorted((b.stamp, k) for k, b in self._buckets.items() if b.inflight == 0)
            for _, key in idle[: len(self._buckets) // 10 + 1]:
                del self._buckets[key]

    def admit(self, key: str) -> Ticket:
        """A ticket for one query of ``key``, or ``OverBudget``."""
        if not self.enabled:
            return Ticket()
        now = time.monotonic()
        with self._lock:
            new = key not in self._buckets
            bucket = self._bucket(key, now)
            if bucket.tokens <= 0:
                self.refused += 1
                wait = max(1, math.ceil((0.5 - bucket.tokens) / self.rate))
                raise OverBudget(
                    f"this client has used its share of query time ({self.capacity:g} worker seconds "
                    f"a minute); try again in {wait} s",
                    wait,
                )
            if bucket.inflight >= self.concurrency:
                self.refused += 1
                raise OverBudget(
                    f"this client already has {bucket.inflight} queries running or waiting; wait for one to finish", 1
                )
            bucket.inflight += 1
            used = self.capacity - bucket.tokens
            # A client whose last query was quick goes before one not known yet (whose first query may
            # be a heavy one that will have to leave the fast lane).
            order = used - (QUICK_BONUS if bucket.quick else 0.0)
        # The fast lane is for clients that have spent less than half its limit lately: one query that
        # overran it (and was moved off it) is enough to keep a client on the general workers.
        return Ticket(priority=order, fast_ok=used < self.fast_threshold / 2, quick=bucket.quick, new=new)

    def done(self, key: str, ticket: Ticket) -> None:
        """Charge the worker time the query used."""
        if not self.enabled:
            return
        with self._lock:
            bucket = self._bucket(key, time.monotonic())
            bucket.inflight = max(0, bucket.inflight - 1)
            bucket.tokens -= ticket.used
            bucket.quick = ticket.used < self.fast_threshold / 2

    def stats(self) -> dict[str, float | int]:
        with self._lock:
            return {"worker_seconds_per_minute": self.capacity, "clients": len(self._buckets), "refused": self.refused}
