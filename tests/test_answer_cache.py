"""The answer cache: bounded in bytes, least recently used dropped first, keyed by data version."""

from __future__ import annotations

from mfbt_kg.service.cache import MIB, AnswerCache
from mfbt_kg.sparql.answers import Job, Outcome


def answer(size: int) -> Outcome:
    return Outcome(ok=True, body=b"x" * size, rows=1)


def test_answers_are_kept_per_data_version() -> None:
    cache = AnswerCache(1)
    job = Job("SELECT * { ?s ?p ?o }", "json", 10)
    cache.put("v1", job, answer(10))
    assert cache.get("v1", job) == answer(10)
    assert cache.get("v2", job) is None  # new data: never the old answer
    cache.keep_only("v2")
    assert cache.get("v1", job) is None and cache.stats()["bytes"] == 0


def test_bounded_in_bytes_least_recently_used_first() -> None:
    cache = AnswerCache(1)  # 1 MiB, one answer at most 128 KiB
    jobs = [Job(f"SELECT {i} {{}}", "json", 10) for i in range(10)]
    for job in jobs:
        cache.put("v", job, answer(120 * 1024))
    assert cache.stats()["bytes"] <= MIB
    assert cache.get("v", jobs[0]) is None and cache.get("v", jobs[-1]) is not None
    cache.put("v", Job("SELECT big {}", "json", 10), answer(200 * 1024))
    assert cache.get("v", Job("SELECT big {}", "json", 10)) is None  # too big for one entry


def test_errors_unknown_versions_and_a_zero_size_are_not_kept() -> None:
    job = Job("SELECT * {}", "json", 10)
    cache = AnswerCache(1)
    cache.put("v", job, Outcome(ok=False, status=400, error="bad"))
    cache.put("", job, answer(1))
    assert cache.get("v", job) is None and cache.get("", job) is None
    off = AnswerCache(0)
    off.put("v", job, answer(1))
    assert not off.enabled and off.get("v", job) is None
