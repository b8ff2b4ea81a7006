"""How long the query guard takes: the review's long forms at 16 and 64 KiB, and at the size the service
still checks on its event loop (issue 11 item 3: linear time, a 64 KiB query well under 50 ms).

    .venv/bin/python bench/guard.py

Prints CPU milliseconds (best of five) per form and size, and the 64 KiB / 16 KiB ratio (4 for a linear
check, 16 for a quadratic one). Timing lives here, not in the tests (tests/test_guard.py checks verdicts).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from mfbt_kg.service.service import INLINE_CHECK_CHARS  # noqa: E402
from mfbt_kg.sparql.guard import MAX_QUERY_BYTES, QueryRefused, check_query  # noqa: E402
from test_guard import REVIEW_FORMS, fill  # noqa: E402  (the forms the tests pin, measured here)


def cpu_ms(query: str, runs: int = 5) -> float:
    """Best of ``runs``, each text new to the guard's verdict cache."""
    best = float("inf")
    for attempt in range(runs):
        text = f"{query}\n#{time.monotonic_ns()} {attempt}"
        started = time.process_time()
        try:
            check_query(text, frozenset())
        except QueryRefused:
            pass
        best = min(best, time.process_time() - started)
    return best * 1000


def main() -> None:
    print(
        f"{'form':<16} {'on loop (' + str(INLINE_CHECK_CHARS) + ' chars)':>22} {'16 KiB':>9} {'64 KiB':>9} {'ratio':>6}"
    )
    for form, parts in REVIEW_FORMS.items():
        loop = cpu_ms(fill(*parts, size=INLINE_CHECK_CHARS - 32))
        small = cpu_ms(fill(*parts, size=MAX_QUERY_BYTES // 4))
        large = cpu_ms(fill(*parts))
        print(f"{form:<16} {loop:>19.2f} ms {small:>6.2f} ms {large:>6.2f} ms {large / max(small, 0.001):>6.1f}")


if __name__ == "__main__":
    main()
