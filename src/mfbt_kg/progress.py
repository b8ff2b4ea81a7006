"""Progress lines for the long commands (validate, export): which step, and the seconds so far.

Off unless the CLI turns it on (standard error is a terminal, or ``--progress``), so the library and
the service stay quiet. One line per step on standard error, never on standard output, so a piped
answer is unchanged.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

_stream: TextIO | None = None
_started = 0.0


def enable(stream: TextIO | None = None) -> None:
    global _stream, _started
    _stream, _started = stream or sys.stderr, time.monotonic()


def disable() -> None:
    global _stream
    _stream = None


def step(what: str) -> None:
    """Say the step starting now (nothing unless enabled)."""
    if _stream is not None:
        print(f"mfbt-kg: [{time.monotonic() - _started:5.1f} s] {what}", file=_stream, flush=True)
