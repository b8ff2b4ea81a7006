"""Inspecting a query before any engine sees it.

pyoxigraph executes SERVICE with an HTTP client in Rust that no Python hook can
stop, and crashes on very deep nesting; so the text is checked here first:
size, nesting, updates, SERVICE, LOAD and FROM are refused with one generic,
actionable message each.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_QUERY_BYTES = 64 * 1024
MAX_NESTING = 64

_SKIP = re.compile(r'"""[\s\S]*?"""|\'\'\'[\s\S]*?\'\'\'|"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'|<[^<>"{}|^`\\\s]*>|#[^\n]*')
_WORD = re.compile(r"(?<![\w:?$])([A-Za-z]+)(?![\w:-])")
_UPDATE_WORDS = {"INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH", "USING"}
_FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")


class QueryRefused(ValueError):
    """A query this endpoint will not run; the message is safe to show."""


@dataclass(frozen=True)
class CheckedQuery:
    text: str
    form: str  # SELECT, ASK, CONSTRUCT or DESCRIBE


def check_query(text: str, allow_from: bool = False) -> CheckedQuery:
    """Refuse what must never run; FROM only where the engine selects graphs it holds (embedded)."""
    if len(text.encode("utf-8")) > MAX_QUERY_BYTES:
        raise QueryRefused(f"query longer than {MAX_QUERY_BYTES // 1024} KiB")
    code = _code_only(text)
    _check_nesting(code)
    words = [w.upper() for w in _WORD.findall(code)]
    if _UPDATE_WORDS.intersection(words):
        raise QueryRefused("this endpoint is read-only: SPARQL Update is not accepted")
    if "SERVICE" in words:
        raise QueryRefused("SERVICE (federated query) is not accepted")
    if "FROM" in words and not allow_from:
        raise QueryRefused("FROM and FROM NAMED are not accepted: the endpoint queries its own dataset only")
    form = next((w for w in words if w in _FORMS), None)
    if form is None:
        raise QueryRefused("not a query: expected SELECT, ASK, CONSTRUCT or DESCRIBE")
    return CheckedQuery(text=text, form=form)


def _code_only(text: str) -> str:
    """The query with strings, IRIs and comments blanked, so keywords are only keywords."""
    return _SKIP.sub(lambda m: " " if m.group().startswith("#") else '""', text)


def _check_nesting(code: str) -> None:
    depth = 0
    for ch in code:
        if ch in "{([":
            depth += 1
            if depth > MAX_NESTING:
                raise QueryRefused(f"query nested deeper than {MAX_NESTING} levels")
        elif ch in "})]":
            depth -= 1
