"""Inspecting a query before any engine or parser sees it.

pyoxigraph executes ``SERVICE`` with an HTTP client in Rust that no Python hook
can stop, and crashes on very deep nesting; a remote store may do worse. So the
text is tokenised here first (strings, IRIs, comments, variables and prefixed
names are told apart from keywords the way a SPARQL lexer does) and refused
when it is too long, too deep, an update, federated, or names graphs outside
the dataset. Each refusal is one generic message a user can act on: it never
echoes an IRI, so it cannot tell anyone whether a host or file exists.

The check is deliberately stricter than the grammar where engines disagree:
oxigraph reads ``SERVICE:x`` as the keyword followed by ``:x`` and ends a
comment at a carriage return, and the SPARQL spec unescapes ``\\uXXXX``
everywhere before parsing — so both the raw and the unescaped text are checked,
and a keyword glued to a number or to a prefixed name still counts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Iterator, NamedTuple
from urllib.parse import urljoin

MAX_QUERY_BYTES = 64 * 1024
MAX_NESTING = 64

FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")
# Words that appear in no SPARQL query: update operations and their clauses. Matched
# inside any keyword-like run of letters, so no spelling hides them.
UPDATE_WORDS = ("INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH", "USING")

READ_ONLY = "this endpoint is read-only: SPARQL Update (INSERT, DELETE, LOAD, CLEAR, DROP, ...) is not accepted"
NO_SERVICE = "SERVICE (federated query) is not accepted: this endpoint answers from its own dataset only"
FOREIGN_GRAPH = ("FROM and FROM NAMED may only name graphs of this dataset (the service description lists them); "
                 "nothing is ever fetched")
BAD_ESCAPE = "the query contains an invalid \\u or \\U escape"


class QueryRefused(ValueError):
    """A query this endpoint will not run; the message is safe to show."""


@dataclass(frozen=True)
class CheckedQuery:
    text: str
    form: str  # SELECT, ASK, CONSTRUCT or DESCRIBE (SELECT when none is named: the parser will say why)
    from_graphs: tuple[str, ...] = field(default=())  # FROM and FROM NAMED IRIs, resolved


_TOKEN = re.compile(
    r'(?P<string>"""(?:[^"\\]|\\[\s\S]|"(?!""))*"""|\'\'\'(?:[^\'\\]|\\[\s\S]|\'(?!\'\'))*\'\'\''
    r'|"(?:[^"\\\r\n]|\\[\s\S])*"|\'(?:[^\'\\\r\n]|\\[\s\S])*\')'
    r'|(?P<iri><(?:[^<>"{}|^`\\\x00-\x20]|\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8})*>)'
    r"|(?P<comment>#[^\r\n]*)"
    r"|(?P<var>[?$][\w\u00B7\u0300-\u036F\u203F\u2040]+)"
    r"|(?P<lang>@[A-Za-z]+(?:-[A-Za-z0-9]+)*)"
    r"|(?P<bnode>_:[\w.\-\u00B7]*)"
    r"|(?P<pname>(?:[^\W\d_][\w.\-\u00B7]*)?:(?:[\w.\-:%\u00B7]|\\[_~.\-!$&'()*+,;=/?#@%])*)"
    r"|(?P<number>\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)"
    r"|(?P<word>[A-Za-z_]+)"
    r"|(?P<space>\s+)"
    r"|(?P<other>[\s\S])"
)
_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
_OPEN, _CLOSE = "{([", "})]"


CACHED_CHARS = 16 * 1024  # verdicts on texts up to this size are remembered (dashboards repeat queries)


class _Token(NamedTuple):
    kind: str
    text: str


def check_query(text: str, graphs: frozenset[str] | None = frozenset(), base_iri: str | None = None) -> CheckedQuery:
    """Refuse what must never run; return the form and the FROM graphs of what may.

    ``graphs``: the named graphs of the dataset, which FROM / FROM NAMED may select
    (``None``: refuse FROM altogether). ``base_iri`` resolves relative IRIs in FROM.
    """
    verdict = _cached(text, graphs, base_iri) if len(text) <= CACHED_CHARS else _verdict(text, graphs, base_iri)
    if isinstance(verdict, str):
        raise QueryRefused(verdict)
    return verdict


def _verdict(text: str, graphs: frozenset[str] | None, base_iri: str | None) -> CheckedQuery | str:
    """The checked query, or the refusal message."""
    try:
        if len(text.encode("utf-8", "surrogatepass")) > MAX_QUERY_BYTES:
            raise QueryRefused(f"query longer than {MAX_QUERY_BYTES // 1024} KiB")
        checked = _check_text(text, graphs, base_iri)
        unescaped = _unescape(text)
        if unescaped != text:
            _check_text(unescaped, graphs, base_iri)
        return checked
    except QueryRefused as exc:
        return str(exc)


_cached = lru_cache(maxsize=512)(_verdict)


def _check_text(text: str, graphs: frozenset[str] | None, base_iri: str | None) -> CheckedQuery:
    tokens = list(_significant(text))
    _check_nesting(tokens)
    words = [t.text.upper() for t in tokens if t.kind == "word"]
    if any(u in w for w in words for u in UPDATE_WORDS):
        raise QueryRefused(READ_ONLY)
    upper = text.upper()
    if "SERVICE" in upper and (any("SERVICE" in w for w in words) or any(_glued(t).startswith("SERVICE") for t in tokens)):
        raise QueryRefused(NO_SERVICE)
    from_graphs = _dataset_clause(tokens, base_iri) if "FROM" in upper else ()
    if from_graphs and (graphs is None or not set(from_graphs) <= graphs):
        raise QueryRefused(FOREIGN_GRAPH)
    # No query form: not refused here, so the user gets the parser's own message for it.
    form = next((w for w in words if w in FORMS), "SELECT")
    return CheckedQuery(text=text, form=form, from_graphs=from_graphs)


def _significant(text: str) -> Iterator[_Token]:
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup
        if kind != "space" and kind != "comment":
            yield _Token(kind or "other", match.group())


def _glued(token: _Token) -> str:
    """The upper-cased prefix of a prefixed name: oxigraph's parser reads ``SERVICE:x``
    and even ``SERVICEex:x`` as the keyword followed by a prefixed name."""
    return token.text.split(":", 1)[0].upper() if token.kind == "pname" else ""


def _check_nesting(tokens: list[_Token]) -> None:
    depth = 0
    for token in tokens:
        if token.kind != "other":
            continue
        if token.text in _OPEN:
            depth += 1
            if depth > MAX_NESTING:
                raise QueryRefused(f"query nested deeper than {MAX_NESTING} levels of {{ ( [")
        elif token.text in _CLOSE:
            depth -= 1


def _dataset_clause(tokens: list[_Token], base_iri: str | None) -> tuple[str, ...]:
    """The IRIs after FROM / FROM NAMED, resolved against BASE and the PREFIX declarations.

    Anything but an IRI or a prefixed name after FROM is refused rather than guessed at.
    """
    base, prefixes, found = base_iri, {}, []
    index = 0
    while index < len(tokens):
        token = tokens[index]
        word = token.text.upper() if token.kind == "word" else ""
        following = tokens[index + 1] if index + 1 < len(tokens) else None
        if word == "BASE" and following is not None and following.kind == "iri":
            base = _resolve(_iri_text(following.text), base)
            index += 2
            continue
        if word == "PREFIX" and following is not None and following.kind == "pname" and index + 2 < len(tokens) \
                and tokens[index + 2].kind == "iri":
            prefixes[following.text[:-1] if following.text.endswith(":") else following.text] = \
                _resolve(_iri_text(tokens[index + 2].text), base)
            index += 3
            continue
        if "FROM" in word or _glued(token).startswith("FROM"):
            target = _from_target(token, tokens, index)
            if target is None:
                raise QueryRefused(FOREIGN_GRAPH)
            found.append(_resolve_target(target, base, prefixes))
            index += 1
            continue
        index += 1
    return tuple(found)


def _from_target(token: _Token, tokens: list[_Token], index: int) -> _Token | None:
    """The IRI or prefixed name FROM (or FROM NAMED) selects."""
    if token.kind == "pname":  # FROM:x, glued
        return _unglued(token, "FROM")
    rest = tokens[index + 1 : index + 3]
    if rest and rest[0].kind == "word" and rest[0].text.upper() == "NAMED":
        rest = rest[1:]
    elif rest and _glued(rest[0]).startswith("NAMED"):  # FROM NAMED:x
        return _unglued(rest[0], "NAMED")
    if rest and rest[0].kind in ("iri", "pname"):
        return rest[0]
    return None


def _unglued(token: _Token, keyword: str) -> _Token:
    """``FROMex:x`` read as oxigraph does: the keyword, then ``ex:x``."""
    return _Token("pname", token.text[len(keyword):])


def _resolve_target(target: _Token, base: str | None, prefixes: dict[str, str]) -> str:
    if target.kind == "iri":
        return _resolve(_iri_text(target.text), base)
    prefix, local = target.text.split(":", 1)
    if prefix not in prefixes:
        raise QueryRefused(FOREIGN_GRAPH)
    return prefixes[prefix] + re.sub(r"\\(.)", r"\1", local)


def _iri_text(token: str) -> str:
    return _unescape(token[1:-1])


def _resolve(iri: str, base: str | None) -> str:
    return urljoin(base, iri) if base and not re.match(r"^[A-Za-z][A-Za-z0-9+.\-]*:", iri) else iri


def _unescape(text: str) -> str:
    """What the SPARQL spec says a parser sees: ``\\uXXXX`` / ``\\UXXXXXXXX`` replaced everywhere."""
    def char(match: re.Match[str]) -> str:
        code = int(match.group(1) or match.group(2), 16)
        if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            raise QueryRefused(BAD_ESCAPE)
        return chr(code)

    return _ESCAPE.sub(char, text) if "\\" in text else text
