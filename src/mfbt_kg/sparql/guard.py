"""Reading a query before any engine sees it, the way the engine will read it.

pyoxigraph executes ``SERVICE`` with an HTTP client in Rust that no Python hook
can stop, and crashes on very deep nesting; a remote store may do worse. So the
text is parsed here first, by the SPARQL 1.1 query grammar, and refused when it
is too long, too deep, an update, federated, or names graphs outside the dataset.
Each refusal names what it refused, in one message a user can act on; it never
echoes an IRI, so it cannot tell anyone whether a host or file exists.

The reading follows the grammar *in context*, as the engine (spargebra) does:
``<`` starts an IRI only where the grammar expects a term, and is "less than"
after an operand in an expression (``FILTER(?a<'>')`` is a comparison with the
string ``'>'``, not an IRI followed by an open string). Strings, IRIs, comments,
names and numbers are the grammar's terminals, each read once, left to right, by
patterns that cannot backtrack over more than the token they read: the check is
linear in the length of the text.

Where the engine is more lenient than the grammar (it reads ``SERVICEex:x`` as
``SERVICE ex:x`` and ``NOTEXISTS`` as ``NOT EXISTS``), this grammar fails to read
the text; such a text is then searched as raw characters — strings and comments
included — and refused if SERVICE, FROM, an update keyword or deep bracketing
appears anywhere; otherwise the engine gets it and gives its own syntax error. The
SPARQL spec also unescapes ``\\uXXXX`` everywhere before parsing (pyoxigraph only
inside strings and IRIs): when that unescaped text reads as a query, it is
checked as well.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import accumulate
from operator import sub
from urllib.parse import urljoin

from mfbt_kg.namespaces import XSD
from mfbt_kg.sparql.chains import chain_refusal

MAX_QUERY_BYTES = 64 * 1024
MAX_NESTING = 64

FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")
# The keywords that begin an update operation, or belong only to one.
UPDATE_WORDS = ("INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH", "USING")

NO_SERVICE = "SERVICE (federated query) is not accepted: this endpoint answers from its own dataset only"
FOREIGN_GRAPH = (
    "FROM, FROM NAMED, default-graph-uri and named-graph-uri may only name graphs of this dataset "
    "(the service description lists them); nothing is ever fetched"
)
BAD_ESCAPE = "the query contains an invalid \\u or \\U escape"
TOO_DEEP = f"query nested deeper than {MAX_NESTING} levels of {{ ( ["
# With a remote store: its engine's own functions and syntax can reach the network or its files (Virtuoso's
# bif:http_get fetches a URL from the anonymous endpoint), so only SPARQL 1.1's functions and XSD casts pass.
XSD_FUNCTIONS = str(XSD)
FOREIGN_FUNCTION = (
    "only SPARQL's own functions and XSD casts are accepted here: this endpoint passes queries to a remote "
    "store, whose engine's extension functions could reach beyond the dataset"
)
NOT_SPARQL = "not a SPARQL 1.1 query: this endpoint passes only SPARQL 1.1 queries to its remote store"


def read_only(word: str) -> str:
    return f"this endpoint is read-only: SPARQL Update ({word.upper()}) is not accepted"


class QueryRefused(ValueError):
    """A query this endpoint will not run; the message is safe to show."""


@dataclass(frozen=True)
class CheckedQuery:
    text: str
    form: str  # SELECT, ASK, CONSTRUCT or DESCRIBE (SELECT when none is named: the parser will say why)
    from_graphs: tuple[str, ...] = field(default=())  # FROM and FROM NAMED IRIs, resolved


@dataclass(frozen=True)
class Reading:
    """What the grammar found in a query text."""

    form: str
    services: int  # SERVICE patterns
    depth: int  # deepest nesting of { ( [
    from_graphs: tuple[str | None, ...]  # resolved; None: a prefixed name whose prefix is not declared
    functions: tuple[str | None, ...] = ()  # IRIs of the functions called, resolved as from_graphs


CACHED_CHARS = 16 * 1024  # verdicts on texts up to this size are remembered (dashboards repeat queries)


def check_query(
    text: str,
    graphs: frozenset[str] | None = frozenset(),
    base_iri: str | None = None,
    protocol_dataset: bool = False,
    any_graph: bool = False,
    engine_functions: bool = True,
) -> CheckedQuery:
    """Refuse what must never run; return the form and the FROM graphs of what may.

    ``graphs``: the named graphs of the dataset, which FROM / FROM NAMED may select
    (``None``: refuse FROM altogether). ``base_iri`` resolves relative IRIs in FROM.
    ``protocol_dataset``: the request names its dataset (``default-graph-uri`` / ``named-graph-uri``),
    which takes precedence over FROM and FROM NAMED (SPARQL 1.1 Protocol, 2.1.4): those are then not
    used, so not checked, and ``from_graphs`` is empty.
    ``any_graph``: FROM / FROM NAMED may name any graph, one the dataset lacks being empty (for an
    engine that never fetches a graph, as the embedded one; a remote store might, so not there).
    ``engine_functions``: the engine may be sent its own extension functions and texts outside the SPARQL 1.1
    grammar (the embedded one: harmless); ``False`` for a remote store, whose engine's might not be.
    """
    args = (text, graphs, base_iri, protocol_dataset, any_graph, engine_functions)
    verdict = _cached(*args) if len(text) <= CACHED_CHARS else _verdict(*args)
    if isinstance(verdict, str):
        raise QueryRefused(verdict)
    return verdict


def _verdict(
    text: str,
    graphs: frozenset[str] | None,
    base_iri: str | None,
    protocol_dataset: bool = False,
    any_graph: bool = False,
    engine_functions: bool = True,
) -> CheckedQuery | str:
    """The checked query, or the refusal message."""
    try:
        if len(text.encode("utf-8", "surrogatepass")) > MAX_QUERY_BYTES:
            raise QueryRefused(f"query longer than {MAX_QUERY_BYTES // 1024} KiB")
        unescaped = _unescape(text)
        # Chains the engine recurses over (sparql/chains.py), counted as written and as unescaped.
        chains = chain_refusal(text) or (chain_refusal(unescaped) if unescaped != text else None)
        if chains:
            raise QueryRefused(chains)
        reading = read_query(text, base_iri)  # as pyoxigraph reads it: escapes only in strings and IRIs
        # As an engine that unescapes first would read it; a text that then fails the grammar runs nowhere.
        spec_reading = read_query(unescaped, base_iri) if unescaped != text else None
        if reading is None:
            _refuse_unreadable(text, unescaped)
            if not engine_functions:
                raise QueryRefused(NOT_SPARQL)
        if not engine_functions:
            _no_engine_functions(reading, spec_reading)
        from_graphs = _allowed(spec_reading, graphs, protocol_dataset, any_graph) if spec_reading is not None else ()
        if reading is None:
            return CheckedQuery(
                text=text, form=spec_reading.form if spec_reading else _first_form(text), from_graphs=from_graphs
            )
        return CheckedQuery(
            text=text, form=reading.form, from_graphs=_allowed(reading, graphs, protocol_dataset, any_graph)
        )
    except QueryRefused as exc:
        return str(exc)


_cached = lru_cache(maxsize=512)(_verdict)


def _allowed(
    reading: Reading, graphs: frozenset[str] | None, protocol_dataset: bool = False, any_graph: bool = False
) -> tuple[str, ...]:
    if reading.services:
        raise QueryRefused(NO_SERVICE)
    if protocol_dataset:
        return ()
    if reading.from_graphs and not any_graph:
        if graphs is None or not all(g is not None and g in graphs for g in reading.from_graphs):
            raise QueryRefused(FOREIGN_GRAPH)
    return tuple(g for g in reading.from_graphs if g is not None)


def _no_engine_functions(*readings: Reading | None) -> None:
    for reading in readings:
        if reading is not None and any(f is None or not f.startswith(XSD_FUNCTIONS) for f in reading.functions):
            raise QueryRefused(FOREIGN_FUNCTION)


def read_query(text: str, base_iri: str | None = None) -> Reading | None:
    """The grammar's reading of a query, or None when the text is not a SPARQL 1.1 query.

    Raises QueryRefused as soon as nesting passes MAX_NESTING (before any deeper recursion).
    """
    parser = _Parser(text, base_iri)
    try:
        parser.query_unit()
    except _NotSparql:
        return None
    except RecursionError:
        raise QueryRefused(TOO_DEEP) from None
    return Reading(parser.form, parser.services, parser.max_depth, tuple(parser.from_graphs), tuple(parser.functions))


# --- the raw-text check for texts the grammar cannot read ----------------------------------------

_BRACKET_CHARS = re.compile(r"[()]+")
# Searched in the lower-cased text. An update keyword starting a letter run (the engine reads
# ``INSERTDATA``); the short ones only whole.
_RAW_UPDATE = re.compile(r"(?<![a-z])(?:insert|delete|load|clear|drop|create|move|copy|(?:add|with|using)(?![a-z]))")
_RAW_FORM = re.compile(r"(?<![a-z])(?:select|ask|construct|describe)")


def _refuse_unreadable(*texts: str) -> None:
    """Refuse a text the grammar cannot read if SERVICE, FROM or an update keyword appears anywhere in it
    (strings and comments included), or its brackets nest too deep: the engine may read it more leniently.
    The message is the same as for a text the grammar reads."""
    for text in texts:
        if _raw_depth(text) > MAX_NESTING:
            raise QueryRefused(TOO_DEEP)
        lower = text.lower()
        if "service" in lower:
            raise QueryRefused(NO_SERVICE)
        if "from" in lower:
            raise QueryRefused(FOREIGN_GRAPH)
        update = _RAW_UPDATE.search(lower)
        if update:
            raise QueryRefused(read_only(update.group()))


_BRACKETS = str.maketrans({**{c: "(" for c in "{(["}, **{c: ")" for c in "})]"}})


def _raw_depth(text: str) -> int:
    """The deepest bracket nesting counting every bracket in the text, a closing one never below 0."""
    brackets = "".join(_BRACKET_CHARS.findall(text.translate(_BRACKETS)))
    if "(" not in brackets:
        return 0
    # depth(i) = level(i) - min(level(0..i)), in C-speed passes: levels, their running minimum, the gap.
    levels = list(accumulate(1 if c == "(" else -1 for c in brackets))
    floors = accumulate(levels, min, initial=0)
    return max(map(sub, levels, floors))


def _first_form(text: str) -> str:
    match = _RAW_FORM.search(text.lower())
    return match.group().upper() if match else "SELECT"


# --- the grammar ------------------------------------------------------------------------------------


class _NotSparql(Exception):
    """The text is not a SPARQL 1.1 query (the engine will say why, or read it more leniently)."""


_PN_CHARS_BASE = (
    "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff\u200c-\u200d"
    "\u2070-\u218f\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd\U00010000-\U000effff"
)
_PN_CHARS_U = _PN_CHARS_BASE + "_"
_PN_CHARS = _PN_CHARS_U + "\\-0-9\u00b7\u0300-\u036f\u203f-\u2040"
_VARNAME_CHARS = _PN_CHARS_U + "0-9\u00b7\u0300-\u036f\u203f-\u2040"  # VARNAME after its first character

# Each class above is written as the grammar writes it, but compiled as the negation of its complement:
# Python's re compiler expands a class code point by code point, once per occurrence, and these occur
# ~180 times in the patterns below (about 55,000 BMP code points each as written, 11,500 as the
# complement; the import took 0.4 s). tests/test_guard_classes.py checks, over every code point
# 0..0x10FFFF, that each class in _CLASSES matches exactly the characters of the grammar's class.
_CLASSES: dict[str, str] = {}  # the grammar's class body -> the class the patterns use


def _class(body: str) -> str:
    """``[body]`` (plain characters, ``a-b`` ranges and ``\\-``) spelled ``[^complement]``."""
    if body not in _CLASSES:
        chars: list[tuple[int, int]] = []
        i = 0
        while i < len(body):
            i += body[i] == "\\"  # an escaped character stands for itself
            low = high = ord(body[i])
            if body[i + 1 : i + 2] == "-" and i + 2 < len(body):
                i += 2
                i += body[i] == "\\"
                high = ord(body[i])
            chars.append((low, high))
            i += 1
        gaps: list[tuple[int, int]] = []
        start = 0
        for low, high in sorted(chars):
            if low > start:
                gaps.append((start, low - 1))
            start = max(start, high + 1)
        if start <= 0x10FFFF:
            gaps.append((start, 0x10FFFF))
        spell = [re.escape(chr(a)) + ("-" + re.escape(chr(b)) if b > a else "") for a, b in gaps]
        _CLASSES[body] = "[^" + "".join(spell) + "]"
    return _CLASSES[body]


_PLX = r"%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?#@%]"
_UCHAR = r"\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8}"
_ECHAR = r"\\[tbnrf\\\"']"
_PN_PREFIX = f"{_class(_PN_CHARS_BASE)}(?:{_class(_PN_CHARS + '.')}*{_class(_PN_CHARS)})?"
_PN_LOCAL = (
    f"(?:{_class(_PN_CHARS_U + ':0-9')}|{_PLX})"
    f"(?:(?:{_class(_PN_CHARS + '.:')}|{_PLX})*(?:{_class(_PN_CHARS + ':')}|{_PLX}))?"
)
_EXP = "[eE][+-]?[0-9]+"

# Space and comments before a token; possessive, so a failed match never backtracks into them.
_WS = r"(?:[ \t\r\n]++|#[^\r\n]*+)*+"
_BINARY = ("||", "&&", "=", "!=", "<", ">", "<=", ">=", "+", "-", "*", "/")
# Simple terms, as _TERM reads them, for the patterns that read long runs of them in one step.
_LITERAL = (
    rf"(?:\"\"\"(?:(?:\"\"|\")?+(?:[^\"\\]|{_ECHAR}|{_UCHAR}))*+\"\"\""
    rf"|'''(?:(?:''|')?+(?:[^'\\]|{_ECHAR}|{_UCHAR}))*+'''"
    rf"|\"(?:[^\"\\\n\r]|{_ECHAR}|{_UCHAR})*+\"|'(?:[^'\\\n\r]|{_ECHAR}|{_UCHAR})*+')"
)
_IRI = rf"<(?:[^<>\"{{}}|^`\\\x00-\x20]|{_UCHAR})*+>"
_VAR = rf"[?$]{_class(_PN_CHARS_U + '0-9')}{_class(_VARNAME_CHARS)}*"
_BNODE = rf"_:{_class(_PN_CHARS_U + '0-9')}(?:{_class(_PN_CHARS + '.')}*{_class(_PN_CHARS)})?"
_PNAME = rf"(?:{_PN_PREFIX})?:(?:{_PN_LOCAL})?"
_NUMBER = rf"[+-]?(?:[0-9]+\.[0-9]*{_EXP}|\.[0-9]+{_EXP}|[0-9]+{_EXP}|[0-9]*\.[0-9]+|[0-9]+)"
_LANGTAG = r"@[a-zA-Z]+(?:-[a-zA-Z0-9]+)*(?:--[a-zA-Z]+)?"  # with SPARQL 1.2's base direction (@ar--rtl)
_PUNCT = r"\^\^|&&|\|\||!=|<=|>=|[{}()\[\].,;*/+\-!=<>^|?]"
_BOOLEAN = r"(?i:true|false)(?![A-Za-z0-9_])"
# Atomic groups: a token, once read, is never shortened to let what follows match (longest match).
_SIMPLE = rf"(?>{_IRI}|{_LITERAL}(?:{_LANGTAG}|\^\^(?>{_IRI}|{_PNAME}))?|{_VAR}|{_PNAME}|{_NUMBER}|{_BOOLEAN})"
_SIMPLE_NODE = rf"(?>{_SIMPLE}|{_BNODE})"
_OP = r"(?:\|\||&&|!=|<=|>=|[=<>+\-*/])"


class _Lazy:
    """A pattern compiled on its first match, or by warm(). Compiling those that read names takes
    about 0.1 s, which importing the guard (every CLI command, every test) should not pay; the service
    calls warm() in a thread while its data loads. After compiling, ``match`` is the pattern's own."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.pattern: re.Pattern[str] | None = None
        self.match: Callable[[str, int], re.Match[str] | None] = self._compile_and_match
        _LAZY.append(self)

    def compile(self) -> re.Pattern[str]:
        if self.pattern is None:  # two threads may both compile: the same pattern, either one kept
            self.pattern = re.compile(self.source)
            self.match = self.pattern.match
        return self.pattern

    def _compile_and_match(self, text: str, pos: int = 0) -> re.Match[str] | None:
        return self.compile().match(text, pos)


_LAZY: list[_Lazy] = []


def warm() -> None:
    """Compile every pattern now rather than on the first query that needs it."""
    for pattern in _LAZY:
        pattern.compile()


# Terminals where a term may start. Each alternative reads one token and no further.
_TERM = _Lazy(
    rf"{_WS}(?:(?P<iri>{_IRI})|(?P<string>{_LITERAL})|(?P<var>{_VAR})|(?P<bnode>{_BNODE})|(?P<pname>{_PNAME})"
    rf"|(?P<number>{_NUMBER})|(?P<lang>{_LANGTAG})|(?P<word>[A-Za-z_][A-Za-z0-9_]*)|(?P<punct>{_PUNCT})"
    r"|(?P<end>\Z))"
)
# Operators, read where an operand has just ended: here ``<`` is "less than", never an IRI.
_OPERATOR = re.compile(rf"{_WS}({_OP})")
# Patterns that read long runs in one step (each may match nothing; each repetition is atomic).
_UNARY_RUN = re.compile(rf"(?:{_WS}(?:!(?!=)|[+\-]))*+")
_CHAIN = _Lazy(rf"(?>{_WS}(?:(?:!(?!=)|[+\-]){_WS})*+{_SIMPLE}{_WS}{_OP})*+")  # operand op operand op ...
# A whole expression of simple operands, ending where its bracket, list or BIND ends.
_FLAT = (
    rf"(?>{_WS}(?:(?:!(?!=)|[+\-]){_WS})*+{_SIMPLE}{_WS}{_OP})*+"
    rf"{_WS}(?:(?:!(?!=)|[+\-]){_WS})*+{_SIMPLE}"
)
_SIMPLE_EXPRESSION = _Lazy(rf"{_FLAT}(?={_WS}(?:[),]|(?i:AS)(?![A-Za-z0-9_])))")
# FILTER(simple expression), FILTER(...), ...: one bracket deeper than the group, each.
_FILTERS = _Lazy(rf"(?>{_WS}(?i:FILTER){_WS}\((?>{_FLAT}){_WS}\))*+")
_ARGUMENTS = _Lazy(rf"(?>{_WS}{_SIMPLE}{_WS},)*+")
_TRIPLES = _Lazy(
    rf"(?>{_WS}{_SIMPLE_NODE}{_WS}(?>{_VAR}|{_IRI}|{_PNAME}|a(?![A-Za-z0-9_:.\-]))"
    rf"{_WS}{_SIMPLE_NODE}{_WS}\.)*+"
)
_NODES = _Lazy(rf"(?>{_WS}{_SIMPLE_NODE})*+")
_MORE_OBJECTS = _Lazy(rf"(?>{_WS},{_WS}{_SIMPLE_NODE})*+")
_SEMICOLONS = re.compile(rf"(?>{_WS};)*+")
_DATA_VALUES = _Lazy(
    rf"(?>{_WS}(?>{_IRI}|{_LITERAL}(?:{_LANGTAG}|\^\^(?>{_IRI}|{_PNAME}))?|{_PNAME}|{_NUMBER}"
    rf"|{_BOOLEAN}|(?i:UNDEF)(?![A-Za-z0-9_])))*+"
)

_ANON = re.compile(r"\[[ \t\r\n]*\]")
_NIL = re.compile(r"\([ \t\r\n]*\)")

_BUILTINS = frozenset(
    """
    STR LANG LANGMATCHES DATATYPE BOUND IRI URI BNODE RAND ABS CEIL FLOOR ROUND CONCAT STRLEN UCASE LCASE
    ENCODE_FOR_URI CONTAINS STRSTARTS STRENDS STRBEFORE STRAFTER YEAR MONTH DAY HOURS MINUTES SECONDS TIMEZONE
    TZ NOW UUID STRUUID MD5 SHA1 SHA256 SHA384 SHA512 COALESCE IF STRLANG STRDT SAMETERM ISIRI ISURI ISBLANK
    ISLITERAL ISNUMERIC REGEX SUBSTR REPLACE
    LANGDIR STRLANGDIR HASLANG HASLANGDIR ISTRIPLE TRIPLE SUBJECT PREDICATE OBJECT""".split()
)  # the last line: 1.2
_AGGREGATES = frozenset("COUNT SUM MIN MAX AVG SAMPLE GROUP_CONCAT".split())
_DATA_VALUE_WORDS = frozenset(("TRUE", "FALSE", "UNDEF"))
_PATTERN_WORDS = frozenset(("FILTER", "OPTIONAL", "MINUS", "BIND", "GRAPH", "SERVICE", "VALUES"))


class _Token:
    __slots__ = ("kind", "text", "start", "end", "upper")

    def __init__(self, kind: str, text: str, start: int, end: int) -> None:
        self.kind, self.text, self.start, self.end = kind, text, start, end
        self.upper = text.upper() if kind == "word" else text


_END = "end"


class _Parser:
    """Recursive descent over the SPARQL 1.1 query grammar (sparql11-query §19.8), one token ahead.

    It records what the guard needs — SERVICE patterns, nesting depth, the dataset clause —
    and builds nothing else. Every loop consumes a token, so time is linear in the text.
    """

    def __init__(self, text: str, base_iri: str | None) -> None:
        self.text = text
        self.pos = 0
        self.base = base_iri
        self.prefixes: dict[str, str] = {}
        self.depth = 0
        self.max_depth = 0
        self.services = 0
        self.form = "SELECT"
        self.from_graphs: list[str | None] = []
        self.functions: list[str | None] = []
        self._peeked: _Token | None = None  # the token at pos, once read
        self._operator_at = -1
        self._operator: re.Match[str] | None = None

    # -- tokens --

    def peek(self) -> _Token:
        token = self._peeked
        if token is not None:
            return token
        match = _TERM.match(self.text, self.pos)
        if match is None:
            raise _NotSparql(self.pos)
        kind = match.lastgroup or _END
        token = self._peeked = _Token(kind, match.group(kind), match.start(kind), match.end())
        return token

    def next(self) -> _Token:
        token = self.peek()
        self.pos = token.end
        self._peeked = None
        return token

    def at(self, *texts: str) -> bool:
        token = self.peek()
        return token.kind in ("punct", "word") and token.upper in texts

    def accept(self, *texts: str) -> bool:
        if self.at(*texts):
            self.next()
            return True
        return False

    def expect(self, *texts: str) -> _Token:
        if not self.at(*texts):
            raise _NotSparql(self.peek().start)
        return self.next()

    def expect_kind(self, kind: str) -> _Token:
        if self.peek().kind != kind:
            raise _NotSparql(self.peek().start)
        return self.next()

    def operator(self, *ops: str) -> str | None:
        """The operator among ``ops`` that follows an operand, read as an operator (``<`` never an IRI)."""
        if self._operator_at != self.pos:
            self._operator_at = self.pos
            self._operator = _OPERATOR.match(self.text, self.pos)
        match = self._operator
        if match is not None and match.group(1) in ops:
            self.pos = match.end()
            self._peeked = None
            return match.group(1)
        return None

    def open(self, bracket: str) -> None:
        self.expect(bracket)
        self.depth += 1
        if self.depth > self.max_depth:
            self.max_depth = self.depth
            if self.depth > MAX_NESTING:
                raise QueryRefused(TOO_DEEP)

    def close(self, bracket: str) -> None:
        self.expect(bracket)
        self.depth -= 1

    # -- query --

    def query_unit(self) -> None:
        self.prologue()
        word = self.peek().upper if self.peek().kind == "word" else ""
        if word == "SELECT":
            self.form = "SELECT"
            self.select_clause()
            self.dataset_clauses()
            self.where_clause()
            self.solution_modifier()
        elif word == "CONSTRUCT":
            self.form = "CONSTRUCT"
            self.next()
            if self.at("{"):
                self.construct_template()
                self.dataset_clauses()
                self.where_clause()
            else:
                self.dataset_clauses()
                self.expect("WHERE")
                self.open("{")
                if not self.at("}"):
                    self.triples_block(path=False)
                self.close("}")
            self.solution_modifier()
        elif word == "DESCRIBE":
            self.form = "DESCRIBE"
            self.next()
            if not self.accept("*"):
                self.var_or_iri()
                while self.peek().kind in ("var", "iri", "pname"):
                    self.var_or_iri()
            self.dataset_clauses()
            if self.at("WHERE", "{"):
                self.where_clause()
            self.solution_modifier()
        elif word == "ASK":
            self.form = "ASK"
            self.next()
            self.dataset_clauses()
            self.where_clause()
            self.solution_modifier()
        else:
            raise _NotSparql(self.peek().start)
        self.values_clause()
        if self.peek().kind != _END:
            raise _NotSparql(self.peek().start)

    def prologue(self) -> None:
        while True:
            if self.accept("BASE"):
                self.base = _resolve(_iri_text(self.expect_kind("iri").text), self.base)
            elif self.accept("VERSION"):  # SPARQL 1.2
                self.expect_kind("string")
            elif self.accept("PREFIX"):
                name = self.expect_kind("pname").text
                if not name.endswith(":") or name.count(":") != 1:
                    raise _NotSparql(self.pos)
                self.prefixes[name[:-1]] = _resolve(_iri_text(self.expect_kind("iri").text), self.base)
            else:
                return

    def select_clause(self) -> None:
        self.expect("SELECT")
        self.accept("DISTINCT", "REDUCED")
        if self.accept("*"):
            return
        count = 0
        while True:
            if self.peek().kind == "var":
                self.next()
            elif self.at("("):
                self.open("(")
                self.expression()
                self.expect("AS")
                self.expect_kind("var")
                self.close(")")
            else:
                break
            count += 1
        if not count:
            raise _NotSparql(self.pos)

    def dataset_clauses(self) -> None:
        while self.accept("FROM"):
            self.accept("NAMED")
            self.from_graphs.append(self.iri_value())

    def iri_value(self) -> str | None:
        return self.resolved(self.next())

    def resolved(self, token: _Token) -> str | None:
        if token.kind == "iri":
            return _resolve(_iri_text(token.text), self.base)
        if token.kind == "pname":
            prefix, local = token.text.split(":", 1)
            if prefix not in self.prefixes:
                return None
            return self.prefixes[prefix] + re.sub(r"\\(.)", r"\1", local)
        raise _NotSparql(token.start)

    def where_clause(self) -> None:
        self.accept("WHERE")
        self.group_graph_pattern()

    def solution_modifier(self) -> None:
        if self.accept("GROUP"):
            self.expect("BY")
            self.group_condition()
            while self.starts_condition(group=True):
                self.group_condition()
        if self.accept("HAVING"):
            self.constraint()
            while self.starts_condition(group=False):
                self.constraint()
        if self.accept("ORDER"):
            self.expect("BY")
            self.order_condition()
            while self.starts_condition(group=False) or self.at("ASC", "DESC") or self.peek().kind == "var":
                self.order_condition()
        for _ in range(2):
            if self.accept("LIMIT", "OFFSET"):
                self.expect_kind("number")

    def starts_condition(self, group: bool) -> bool:
        token = self.peek()
        if token.kind in ("iri", "pname") or self.at("(", "NOT", "EXISTS"):
            return True
        if group and token.kind == "var":
            return True
        return token.kind == "word" and (token.upper in _BUILTINS or token.upper in _AGGREGATES)

    def group_condition(self) -> None:
        if self.peek().kind == "var":
            self.next()
        elif self.at("("):
            self.open("(")
            self.expression()
            if self.accept("AS"):
                self.expect_kind("var")
            self.close(")")
        else:
            self.constraint()

    def order_condition(self) -> None:
        if self.accept("ASC", "DESC"):
            self.bracketted_expression()
        elif self.peek().kind == "var":
            self.next()
        else:
            self.constraint()

    def constraint(self) -> None:
        if self.at("("):
            self.bracketted_expression()
        elif self.peek().kind in ("iri", "pname"):
            self.functions.append(self.resolved(self.next()))
            self.arg_list()
        else:
            self.builtin_call()

    def values_clause(self) -> None:
        if self.accept("VALUES"):
            self.data_block()

    def data_block(self) -> None:
        if self.peek().kind == "var":
            self.next()
            self.open("{")
            self.skip(_DATA_VALUES)
            while not self.at("}"):
                self.data_value()
                self.skip(_DATA_VALUES)
            self.close("}")
            return
        self.open("(")
        while self.peek().kind == "var":
            self.next()
        self.close(")")
        self.open("{")
        while self.at("("):
            self.open("(")
            self.skip(_DATA_VALUES)
            while not self.at(")"):
                self.data_value()
                self.skip(_DATA_VALUES)
            self.close(")")
        self.close("}")

    def data_value(self) -> None:
        token = self.peek()
        if token.kind in ("iri", "pname", "number"):
            self.next()
        elif token.kind == "string":
            self.rdf_literal()
        elif token.kind == "word" and token.upper in _DATA_VALUE_WORDS:
            self.next()
        else:
            raise _NotSparql(token.start)

    # -- graph patterns --

    def group_graph_pattern(self) -> None:
        self.open("{")
        if self.at("SELECT"):
            self.select_clause()
            self.where_clause()
            self.solution_modifier()
            self.values_clause()
        else:
            if self.starts_triples():
                self.triples_block(path=True)
            while not self.at("}"):
                if self.skip_filters():
                    continue
                self.graph_pattern_not_triples()
                self.accept(".")
                if self.starts_triples():
                    self.triples_block(path=True)
        self.close("}")

    def skip_filters(self) -> bool:
        match = _FILTERS.match(self.text, self.pos)
        if match is None or match.end() == self.pos:
            return False
        if self.depth + 1 > self.max_depth:
            self.max_depth = self.depth + 1
            if self.max_depth > MAX_NESTING:
                raise QueryRefused(TOO_DEEP)
        self.pos = match.end()
        self._peeked = None
        self.accept(".")
        if self.starts_triples():
            self.triples_block(path=True)
        return True

    def starts_triples(self) -> bool:
        token = self.peek()
        if token.kind in ("var", "iri", "pname", "string", "number", "bnode"):
            return True
        if token.kind == "word":
            return token.upper in ("TRUE", "FALSE")
        return token.kind == "punct" and token.text in ("(", "[")

    def triples_block(self, path: bool) -> None:
        while True:
            self.skip(_TRIPLES)
            if not self.starts_triples():
                return
            self.triples_same_subject(path)
            if not self.accept("."):
                return
            if not self.starts_triples():
                return

    def triples_same_subject(self, path: bool) -> None:
        if self.at("[") and not self.anon_follows():
            self.blank_node_property_list(path)
            if self.starts_verb():
                self.property_list(path)
        elif self.at("(") and not self.nil_follows():
            self.collection(path)
            if self.starts_verb():
                self.property_list(path)
        else:
            self.var_or_term()
            self.property_list(path)

    def starts_verb(self) -> bool:
        return self.peek().kind in ("var", "iri", "pname") or self.at("A", "^", "!", "(")

    def property_list(self, path: bool) -> None:
        self.verb(path)
        self.object_list(path)
        while self.accept(";"):
            self.skip(_SEMICOLONS)
            if not self.starts_verb():
                return
            self.verb(path)
            self.object_list(path)

    def verb(self, path: bool) -> None:
        if self.peek().kind == "var":
            self.next()
        elif path:
            self.path_alternative()
        elif self.peek().kind in ("iri", "pname"):
            self.next()
        else:
            self.expect("A")

    def object_list(self, path: bool) -> None:
        self.graph_node(path)
        self.skip(_MORE_OBJECTS)
        while self.accept(","):
            self.graph_node(path)
            self.skip(_MORE_OBJECTS)

    def graph_node(self, path: bool) -> None:
        if self.at("[") and not self.anon_follows():
            self.blank_node_property_list(path)
        elif self.at("(") and not self.nil_follows():
            self.collection(path)
        else:
            self.var_or_term()

    def blank_node_property_list(self, path: bool) -> None:
        self.open("[")
        self.property_list(path)
        self.close("]")

    def collection(self, path: bool) -> None:
        self.open("(")
        self.graph_node(path)
        self.skip(_NODES)
        while not self.at(")"):
            self.graph_node(path)
            self.skip(_NODES)
        self.close(")")

    def anon_follows(self) -> bool:
        """``[`` WS* ``]``: the grammar's ANON (no comment allowed inside)."""
        return _ANON.match(self.text, self.peek().start) is not None

    def nil_follows(self) -> bool:
        return _NIL.match(self.text, self.peek().start) is not None

    def var_or_term(self) -> None:
        token = self.peek()
        if token.kind in ("var", "iri", "pname", "number", "bnode"):
            self.next()
        elif token.kind == "string":
            self.rdf_literal()
        elif token.kind == "word" and token.upper in ("TRUE", "FALSE"):
            self.next()
        elif self.anon_or_nil():
            pass
        else:
            raise _NotSparql(token.start)

    def anon_or_nil(self) -> bool:
        for opening, closing, follows in (("[", "]", self.anon_follows), ("(", ")", self.nil_follows)):
            if self.at(opening) and follows():
                self.open(opening)
                self.close(closing)
                return True
        return False

    def var_or_iri(self) -> None:
        if self.peek().kind not in ("var", "iri", "pname"):
            raise _NotSparql(self.peek().start)
        self.next()

    def rdf_literal(self) -> None:
        self.expect_kind("string")
        if self.peek().kind == "lang" and self.peek().start == self.pos:
            self.next()
        elif self.at("^^"):
            self.next()
            if self.peek().kind not in ("iri", "pname"):
                raise _NotSparql(self.pos)
            self.next()

    def path_alternative(self) -> None:
        self.path_sequence()
        while self.accept("|"):
            self.path_sequence()

    def path_sequence(self) -> None:
        self.path_elt_or_inverse()
        while self.accept("/"):
            self.path_elt_or_inverse()

    def path_elt_or_inverse(self) -> None:
        self.accept("^")
        self.path_primary()
        self.accept("?", "*", "+")

    def path_primary(self) -> None:
        token = self.peek()
        if token.kind in ("iri", "pname") or self.at("A"):
            self.next()
        elif self.accept("!"):
            if self.at("("):
                self.open("(")
                if not self.at(")"):
                    self.path_one_in_set()
                    while self.accept("|"):
                        self.path_one_in_set()
                self.close(")")
            else:
                self.path_one_in_set()
        elif self.at("("):
            self.open("(")
            self.path_alternative()
            self.close(")")
        else:
            raise _NotSparql(token.start)

    def path_one_in_set(self) -> None:
        self.accept("^")
        if self.peek().kind in ("iri", "pname") or self.at("A"):
            self.next()
        else:
            raise _NotSparql(self.peek().start)

    def graph_pattern_not_triples(self) -> None:
        token = self.peek()
        word = token.upper if token.kind == "word" else token.text if token.kind == "punct" else ""
        if word == "{":
            self.group_graph_pattern()
            while self.accept("UNION"):
                self.group_graph_pattern()
            return
        if word not in _PATTERN_WORDS:
            raise _NotSparql(token.start)
        self.next()
        if word == "FILTER":
            self.constraint()
        elif word in ("OPTIONAL", "MINUS"):
            self.group_graph_pattern()
        elif word == "BIND":
            self.open("(")
            self.expression()
            self.expect("AS")
            self.expect_kind("var")
            self.close(")")
        elif word == "GRAPH":
            self.var_or_iri()
            self.group_graph_pattern()
        elif word == "SERVICE":
            self.services += 1
            self.accept("SILENT")
            self.var_or_iri()
            self.group_graph_pattern()
        else:  # VALUES
            self.data_block()

    def construct_template(self) -> None:
        self.open("{")
        if not self.at("}"):
            self.triples_block(path=False)
        self.close("}")

    # -- expressions --
    # Read flat: operand (operator operand)*. The guard needs no precedence, only to know where an
    # operand ends (there ``<`` is "less than") and what the operands contain. Runs of simple operands
    # and of unary operators are read by one pattern each; nothing recurses per operator.

    def expression(self) -> None:
        whole = _SIMPLE_EXPRESSION.match(self.text, self.pos)
        if whole is not None:
            self.pos = whole.end()
            self._peeked = None
            return
        while True:
            self.skip(_CHAIN)
            self.unary_and_primary()
            if self.operator(*_BINARY):
                continue
            if self.at("IN"):
                self.next()
                self.expression_list()
            elif self.at("NOT"):
                self.next()
                self.expect("IN")
                self.expression_list()
            else:
                return
            if not self.operator(*_BINARY):
                return

    def skip(self, pattern: _Lazy | re.Pattern[str]) -> None:
        """Consume what ``pattern`` (which may match nothing) reads at the current position."""
        match = pattern.match(self.text, self.pos)
        if match is not None and match.end() != self.pos:
            self.pos = match.end()
            self._peeked = None

    def unary_and_primary(self) -> None:
        token = self.peek()
        if token.kind == "punct" and token.text in ("!", "+", "-"):
            self.skip(_UNARY_RUN)
        self.primary_expression()

    def primary_expression(self) -> None:
        token = self.peek()
        kind = token.kind
        if kind in ("number", "var"):
            self.next()
        elif kind in ("iri", "pname"):
            self.next()
            if self.at("("):
                self.functions.append(self.resolved(token))
                self.arg_list()
        elif kind == "string":
            self.rdf_literal()
        elif kind == "punct" and token.text == "(":
            self.bracketted_expression()
        elif kind == "word" and token.upper in ("TRUE", "FALSE"):
            self.next()
        else:
            self.builtin_call()

    def bracketted_expression(self) -> None:
        self.open("(")
        self.expression()
        self.close(")")

    def builtin_call(self) -> None:
        token = self.peek()
        if token.kind != "word":
            raise _NotSparql(token.start)
        word = token.upper
        if word == "NOT":
            self.next()
            self.expect("EXISTS")
            self.group_graph_pattern()
        elif word == "EXISTS":
            self.next()
            self.group_graph_pattern()
        elif word in _AGGREGATES:
            self.next()
            self.open("(")
            self.accept("DISTINCT")
            if not (word == "COUNT" and self.accept("*")):
                self.expression()
            if word == "GROUP_CONCAT" and self.accept(";"):
                self.expect("SEPARATOR")
                self.expect("=")
                self.expect_kind("string")
            self.close(")")
        elif word in _BUILTINS:
            self.next()
            self.arg_list(distinct=False)
        else:
            raise _NotSparql(token.start)

    def arg_list(self, distinct: bool = True) -> None:
        if self.at("(") and self.nil_follows():
            self.anon_or_nil()
            return
        self.open("(")
        if distinct:
            self.accept("DISTINCT")
        self.skip(_ARGUMENTS)
        self.expression()
        while self.accept(","):
            self.skip(_ARGUMENTS)
            self.expression()
        self.close(")")

    def expression_list(self) -> None:
        self.arg_list(distinct=False)


# --- IRIs and escapes ---------------------------------------------------------------------------------

_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")


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
