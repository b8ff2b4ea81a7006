"""Differential test of the query guard against independent readings of the same text (issue 11, items 1 and 8).

Whatever passes the guard must contain no SERVICE, no FROM outside the dataset and no nesting beyond
the limit *as the engine reads it*. Three independent readings stand in for "as the engine reads it":

- the generator's own: queries are built from the SPARQL 1.1 grammar, so the generator knows where it
  put SERVICE, FROM and how deep it nested — whatever tricky strings, comments, IRIs and comparisons
  (``1<'>'``, ``?a<?b#>``) surround them; pyoxigraph accepting the text confirms the grammar's reading;
- pyoxigraph's: the query runs on an empty store with every SERVICE aimed at port 1 of the loopback,
  which oxigraph's HTTP client refuses before any connection ("The port 1 is not allowed"), so an
  executed SERVICE shows as that error and nothing leaves the machine;
- rdflib's parser (a separate implementation, which unescapes ``\\u`` first as the spec says): no
  ``ServiceGraphPattern`` in what it parses.

Fixed cases: the W3C syntax-query suite and the review's attack forms, plus random runs of the 28
special fragments the review's own fuzzing used around a SERVICE clause. Also: the guard's fast paths
(patterns that read long runs of simple terms in one step) read every generated text exactly as the
token-by-token reader does; and no valid generated query without SERVICE/FROM/deep nesting is refused.

Bounded and deterministic: hypothesis derandomized, 100-200 examples per property, seconds in all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rdflib.plugins.sparql.parser import parseQuery

import mfbt_kg.sparql.guard as guard
from mfbt_kg.sparql.guard import MAX_NESTING, QueryRefused, check_query, read_query

PORT_1 = "http://127.0.0.1:1/"  # refused by oxigraph's client itself: nothing is sent anywhere
SUITE = Path(__file__).parent / "external" / "w3c-sparql11-syntax-query"


def bounded(examples: int) -> settings:
    return settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )


PROLOGUE = (
    "PREFIX ex: <http://e/> PREFIX services: <http://e/s#> PREFIX from: <http://e/f#> "
    "PREFIX serviceLevel: <http://e/l#> PREFIX fromage: <http://e/c#> PREFIX : <http://e/d#>\n"
)


# --- the readings ----------------------------------------------------------------------------------------


def engine_ran_service(text: str) -> bool:
    """Run on an empty store; True when the engine executed a SERVICE (only port 1 is ever named)."""
    try:
        result = ox.Store().query(text)
        if not isinstance(result, ox.QueryBoolean):
            list(result)
    except OSError as exc:
        return "port 1" in str(exc)
    except (SyntaxError, RuntimeError, ValueError):
        return False
    return False


def engine_accepts(text: str) -> bool:
    try:
        ox.Store().query(text)
    except SyntaxError:
        return False
    except Exception:  # noqa: BLE001 - an evaluation error: the text parsed
        return True
    return True


def rdflib_services(text: str) -> int | None:
    """SERVICE patterns in rdflib's parse, or None when rdflib does not parse the text."""
    try:
        parsed = parseQuery(text)
    except Exception:  # noqa: BLE001 - pyparsing errors of every kind
        return None
    count, stack = 0, [parsed]
    while stack:
        node = stack.pop()
        if getattr(node, "name", None) == "ServiceGraphPattern":
            count += 1
        if isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list | tuple):
            stack.extend(node)
        elif hasattr(node, "asList") and not isinstance(node, str):
            stack.extend(list(node))
    return count


def guard_passes(text: str) -> bool:
    try:
        check_query(text, frozenset())
    except QueryRefused:
        return False
    return True


def assert_nothing_hidden(text: str) -> None:
    """If the guard passes the text, no independent reading finds SERVICE in it."""
    if not guard_passes(text):
        return
    assert not engine_ran_service(text), text
    assert not rdflib_services(text), text


# --- the generator: queries from the grammar, with the truth about them --------------------------------


@dataclass(frozen=True)
class Part:
    text: str
    services: int = 0
    depth: int = 0
    dataset: bool = False

    def __add__(self, other: Part) -> Part:
        return Part(
            self.text + other.text,
            self.services + other.services,
            max(self.depth, other.depth),
            self.dataset or other.dataset,
        )


def join(*parts: Part | str) -> Part:
    out = Part("")
    for part in parts:
        out = out + (Part(part) if isinstance(part, str) else part)
    return out


def nest(opening: str, inner: Part, closing: str) -> Part:
    return Part(opening + inner.text + closing, inner.services, inner.depth + 1, inner.dataset)


# Weighted towards what desynchronised the old guard: a comparison with no space before a string holding
# '>' ("1<'>'"), later on the same line a SERVICE, and a comment holding a quote.
SPACE = st.sampled_from([" "] * 6 + ["\n", "\t", " # a comment ' \" < > { SERVICE FROM\n", " #'\n", ' #"\r', " #>\n"])
TIGHT = st.sampled_from(["", "", "", " ", "\n", " #'\n"])
VARS = st.sampled_from(["?s", "?p", "?o", "?a", "?b", "$c", "?from", "?service", "?load", "?insert", "?with"])
IRIS = st.sampled_from(
    [
        f"<{PORT_1}x>",
        "<http://e/a'b>",
        "<http://e/#x>",
        "<http://e/x\\u0027y>",
        "ex:a",
        "services:x",
        "from:y",
        "serviceLevel:z",
        "ex:load",
        ":x",
        "ex:a\\#b",
        "ex:a.b",
        "fromage:c-d",
        "ex:service",
        "<http://e/SERVICE>",
    ]
)
STRINGS = st.sampled_from(
    [
        "'>'",
        "'>'",
        '">"',
        '">"',
        '"<"',
        "'#'",
        '"a\'b"',
        "'a\"b'",
        '"""a"b""c"""',
        "'''x'y'''",
        '"\\""',
        "'\\''",
        "'it\\u0027s'",
        "'SERVICE <x> {}'",
        f'"}} SERVICE <{PORT_1}> {{ "',
        "'#'",
        '"a\\u0022b"',
        "'>' ",
        "'<'@en",
        '"1"^^<http://www.w3.org/2001/XMLSchema#integer>',
        "'FROM <http://e/g>'",
        "'{{{{'",
        "')))'",
    ]
)
NUMBERS = st.sampled_from(["1", "-1", "+1.5", "1e3", ".5", "0"])
OPERATORS = st.sampled_from(["<"] * 6 + ["<="] * 2 + [">", ">=", "=", "!=", "&&", "||", "+", "-", "*", "/"])


@st.composite
def expression(draw: st.DrawFn, depth: int = 0) -> Part:
    choice = draw(st.integers(0, 9 if depth < 4 else 3))
    if choice == 0:
        return Part(draw(VARS))
    if choice == 1:
        return Part(draw(STRINGS))
    if choice == 2:
        return Part(draw(NUMBERS))
    if choice == 3:
        return Part(draw(IRIS))
    if choice in (4, 5):  # the attack's shape: operand, operator, operand, with or without space
        left, right = draw(expression(depth + 1)), draw(expression(depth + 1))
        return join(left, draw(TIGHT), draw(OPERATORS), draw(TIGHT), right)
    if choice == 6:
        return nest("(", draw(expression(depth + 1)), ")")
    if choice == 7:
        return join("STR", nest("(", draw(expression(depth + 1)), ")"))
    if choice == 8:
        return join(
            draw(expression(depth + 1)),
            " IN ",
            nest("(", join(draw(expression(depth + 1)), ", ", draw(expression(depth + 1))), ")"),
        )
    return join("EXISTS ", draw(group(depth + 2)))


@st.composite
def element(draw: st.DrawFn, depth: int) -> Part:
    choice = draw(st.integers(0, 11 if depth < 3 else 3))
    if choice == 0:
        return join(
            draw(VARS), " ", draw(st.one_of(VARS, IRIS)), " ", draw(st.one_of(VARS, IRIS, STRINGS, NUMBERS)), " ."
        )
    if choice == 1:
        return join("FILTER", nest("(", draw(expression(depth)), ")"))
    if choice == 2:
        return join("BIND", nest("(", join(draw(expression(depth)), " AS ?fresh", str(draw(st.integers(0, 99)))), ")"))
    if choice == 3:
        return join(
            "VALUES ?v",
            str(draw(st.integers(0, 99))),
            " ",
            nest("{", Part(" " + draw(st.one_of(STRINGS, IRIS, NUMBERS)) + " "), "}"),
        )
    if choice == 4:
        return join(draw(st.sampled_from(["OPTIONAL", "MINUS"])), " ", draw(group(depth + 1)))
    if choice == 5:
        return join(draw(group(depth + 1)), " UNION ", draw(group(depth + 1)))
    if choice == 6:
        return join("GRAPH ?g ", draw(group(depth + 1)))
    if choice in (7, 10, 11):
        inner = draw(group(depth + 1))
        return Part(f"SERVICE {draw(st.sampled_from(['', 'SILENT ']))}<{PORT_1}> ", 1) + inner
    if choice == 8:
        return nest("{", join(" SELECT * WHERE ", draw(group(depth + 2)), " "), "}")
    return join("FILTER", nest("(", join("NOT EXISTS ", draw(group(depth + 2))), ")"))


@st.composite
def group(draw: st.DrawFn, depth: int = 0) -> Part:
    elements = draw(st.lists(element(depth), max_size=3))
    body = Part("")
    for part in elements:
        body = join(body, draw(SPACE), part)
    return nest("{", join(body, draw(SPACE)), "}")


@st.composite
def query(draw: st.DrawFn) -> Part:
    where = draw(group())
    if draw(st.integers(0, 9)) == 0:  # past the limit, hidden or not
        levels = draw(st.integers(MAX_NESTING - 3, MAX_NESTING + 3))
        where = (
            nest("{", Part("{" * levels + "}" * levels, 0, levels), "}")
            if draw(st.booleans())
            else nest("{", join("FILTER", Part("(" * levels + "1" + ")" * levels, 0, levels)), "}")
        )
    dataset = draw(st.sampled_from(["", " FROM <http://e/g>", f" FROM NAMED <{PORT_1}g>"]))
    form = draw(st.sampled_from(["SELECT *", "ASK", "CONSTRUCT { ?s ?p ?o }"]))
    end = draw(st.sampled_from(["", " #'", ' #"', " #>", "\n"]))
    return join(PROLOGUE, form, Part(dataset, dataset=bool(dataset)), " WHERE ", where, end)


@given(query())
@bounded(120)
def test_generated_queries_hide_nothing_from_the_guard(generated: Part) -> None:
    text = generated.text
    passed = guard_passes(text)
    if passed:
        # Whatever passes: no SERVICE, no FROM outside the (empty) dataset, no nesting past the limit.
        assert not engine_ran_service(text), text
        assert not rdflib_services(text), text
        if engine_accepts(text):  # the engine read it as the grammar does: the generator's truth holds
            assert generated.services == 0 and not generated.dataset, text
            assert generated.depth <= MAX_NESTING, text
    elif (
        generated.services == 0
        and not generated.dataset
        and generated.depth <= MAX_NESTING
        and "\\u" not in text
        and engine_accepts(text)
    ):
        pytest.fail(f"a valid query without SERVICE, FROM or deep nesting was refused: {text!r}")


@st.composite
def behind_a_comparison(draw: st.DrawFn) -> Part:
    """The review's shape, varied: a comparison against a string or variable (where the old guard saw an IRI),
    then SERVICE, FROM or deep nesting, then a comment or string that holds a quote."""
    left = draw(st.one_of(VARS, NUMBERS, STRINGS))
    right = draw(st.one_of(STRINGS, VARS, NUMBERS))
    compare = f"{left}{draw(TIGHT)}{draw(st.sampled_from(['<', '<=', '>', '>=', '=', '!=']))}{draw(TIGHT)}{right}"
    host = draw(st.sampled_from(["FILTER({c})", "FILTER({c} || true)", "BIND({c} AS ?b)", "FILTER(({c}))"]))
    hidden = draw(st.sampled_from(["service", "from", "nesting"]))
    spacing = draw(st.sampled_from([" ", "", "\n"]))
    if hidden == "service":
        silent = draw(st.sampled_from(["", "SILENT "]))
        body = f"BIND(1 AS ?a) {host.format(c=compare)}{spacing}SERVICE {silent}<{PORT_1}> {{ ?s ?p ?o }}"
        text, truth = f"SELECT * WHERE {{ {body} }}", Part("", services=1)
    elif hidden == "from":
        projection = f"({compare} AS ?b)"
        text, truth = f"SELECT {projection}{spacing}FROM <{PORT_1}g> WHERE {{ ?s ?p ?o }}", Part("", dataset=True)
    else:
        levels = MAX_NESTING + 1
        body = f"{host.format(c=compare)}{spacing}FILTER({'(' * levels}1{')' * levels})"
        text, truth = f"ASK {{ {body} }}", Part("", depth=levels + 2)
    return join(PROLOGUE, text + draw(st.sampled_from([" #'", ' #"', " #>", " #'\n", "'", ""]))) + truth


@given(behind_a_comparison())
@bounded(200)
def test_nothing_hides_behind_a_comparison(generated: Part) -> None:
    text = generated.text
    if engine_accepts(text):
        assert not guard_passes(text), text
    assert_nothing_hidden(text)


@given(st.one_of(query(), behind_a_comparison()))
@bounded(150)
def test_the_fast_paths_read_as_the_token_reader_does(generated: Part) -> None:
    fast = reading(generated.text)
    with token_by_token():
        slow = reading(generated.text)
    assert fast == slow, generated.text


def reading(text: str) -> object:
    try:
        return read_query(text)
    except QueryRefused as refused:
        return str(refused)


class token_by_token:  # noqa: N801 - used as a context manager
    """Switch off the patterns that read runs of simple terms in one step."""

    NAMES = (
        "_CHAIN",
        "_SIMPLE_EXPRESSION",
        "_FILTERS",
        "_ARGUMENTS",
        "_TRIPLES",
        "_NODES",
        "_MORE_OBJECTS",
        "_SEMICOLONS",
        "_DATA_VALUES",
    )

    def __enter__(self) -> None:
        self.saved = {name: getattr(guard, name) for name in self.NAMES}
        for name in self.NAMES:
            setattr(guard, name, re.compile("(?!)"))  # matches nothing, not even the empty string

    def __exit__(self, *exc: object) -> None:
        for name, pattern in self.saved.items():
            setattr(guard, name, pattern)


# --- fixed cases ------------------------------------------------------------------------------------------

REVIEW_FORMS = [
    "SELECT * WHERE {{ BIND(1 AS ?a) FILTER(?a<'>' || true) SERVICE <{u}s24> {{ ?s ?p ?o }} }} #'",
    "SELECT * WHERE {{ BIND(1 AS ?a) FILTER(?a<='>' || true) SERVICE <{u}s25> {{ ?s ?p ?o }} }} #'",
    "SELECT * WHERE {{ BIND(1<'>' AS ?b) SERVICE <{u}s26> {{ ?s ?p ?o }} }} #'",
    "SELECT (1<'>' AS ?b) ?s WHERE {{ SERVICE <{u}s27> {{ ?s ?p ?o }} }} #'",
    "SELECT * WHERE {{ BIND(1<'>' AS ?b) OPTIONAL {{ SERVICE SILENT <{u}s28> {{ ?s ?p ?o }} }} }} #'",
    "SELECT * WHERE {{ SERVICE <{u}> {{ ?s ?p ?o }} }}",
    "select * where {{ service <{u}> {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ SERVICE#x\n<{u}> {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ #x\rSERVICE <{u}> {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ \\u0053ERVICE <{u}> {{ ?s ?p ?o }} }}",
    "PREFIX : <{u}> SELECT * WHERE {{ SERVICE:x {{ ?s ?p ?o }} }}",
    "PREFIX ex: <{u}> SELECT * WHERE {{ SERVICEex:x {{ ?s ?p ?o }} }}",
    "SELECT*WHERE{{SERVICE<{u}>{{?s ?p ?o}}}}",
    "SELECT * WHERE {{ ?s ?p 1SERVICE <{u}> {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ BIND(1 AS ?a) FILTER(?a<?b#>\n) SERVICE <{u}> {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ BIND(1 AS ?a) FILTER NOTEXISTS {{ SERVICE <{u}> {{ ?s ?p ?o }} }} }}",
    "SELECT * WHERE {{ BIND('a\\u0027b' AS ?a) SERVICE <{u}> {{ ?s ?p ?o }} }} #'",
]


@pytest.mark.parametrize("form", REVIEW_FORMS)
def test_the_reviews_forms(form: str) -> None:
    text = form.format(u=PORT_1)
    assert not guard_passes(text), text
    assert_nothing_hidden(text)


@pytest.mark.parametrize("path", sorted(SUITE.glob("*.rq")), ids=lambda p: p.stem)
def test_the_w3c_syntax_tests(path: Path) -> None:
    assert_nothing_hidden(path.read_text(encoding="utf-8"))


# The 28 special fragments of the review's own fuzzing, in random runs before and after a SERVICE clause.
FRAGMENTS = [
    "<",
    "'",
    '"',
    "#",
    ">",
    "\n",
    "\r",
    "(",
    ")",
    "{",
    "}",
    "FILTER(?a",
    "?a",
    "1",
    "'>'",
    '"""',
    "'''",
    "\\",
    "\\u0027",
    "<'>",
    "||",
    "<=",
    ".",
    ";",
    ",",
    "AS ?b)",
    "BIND(1",
    " ",
]


@given(st.lists(st.sampled_from(FRAGMENTS), max_size=6), st.lists(st.sampled_from(FRAGMENTS), max_size=6))
@bounded(200)
def test_random_fragments_around_a_service_clause(before: list[str], after: list[str]) -> None:
    text = f"SELECT * WHERE {{ BIND(1 AS ?a) {''.join(before)} SERVICE <{PORT_1}> {{ ?s ?p ?o }} {''.join(after)} }}"
    assert_nothing_hidden(text)


@given(
    st.one_of(
        st.text(max_size=200),
        st.lists(
            st.sampled_from(
                FRAGMENTS
                + ["SELECT", "ASK", "WHERE", "SERVICE", "FROM", "PREFIX", ":", "a:b", "_:x", "[", "]", "@en", "^^", "!"]
            ),
            max_size=40,
        ).map("".join),
    )
)
@bounded(200)
def test_any_text_gets_a_verdict(text: str) -> None:
    """No text makes the guard fail with anything but a refusal (no IndexError, no RecursionError)."""
    try:
        check_query(text, frozenset(), "http://e/base")
    except QueryRefused:
        pass


def test_the_fast_paths_read_every_real_query_as_the_token_reader_does() -> None:
    root = Path(__file__).parent.parent
    files = [
        *sorted((root / "queries").rglob("*.rq")),
        *sorted(SUITE.glob("*.rq")),
        *sorted((Path(__file__).parent / "external" / "w3c-sparql-query-eval").rglob("*.rq")),
    ]
    assert len(files) > 500
    texts = [path.read_text(encoding="utf-8") for path in files]
    fast = [reading(text) for text in texts]
    with token_by_token():
        slow = [reading(text) for text in texts]
    assert [path.name for path, one, other in zip(files, fast, slow, strict=True) if one != other] == []
