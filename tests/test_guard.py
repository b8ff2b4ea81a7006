"""The query guard (src/mfbt_kg/sparql/guard.py) reads a query as the engine does.

- Every positive test of the W3C SPARQL 1.1 ``syntax-query`` suite (vendored in
  tests/external/w3c-sparql11-syntax-query/) passes the guard and is read by its grammar;
  every negative one is refused by the guard or rejected by the engine, so none runs.
- Names that begin with or contain a keyword pass (the clients review of commit 87b2bc7, probes a1–a8).
- The review's desynchronising forms (the security review of commit 87b2bc7, finding 1: S24–S30, S36,
  F07, N45, N49, N50) are refused, and each refusal names what it refused.
- A 64 KiB query of the review's long forms (finding 2: G01, G02, V07b) gets a verdict; how long that
  takes (linear, well under 50 ms of CPU) is measured by bench/guard.py, never asserted here.
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.plugins.sparql.algebra import translateQuery
from rdflib.plugins.sparql.parser import parseQuery

from mfbt_kg.sparql.guard import MAX_NESTING, MAX_QUERY_BYTES, QueryRefused, check_query, read_query
from review_forms import DESYNC  # the review's forms, shared with test_security

SUITE = Path(__file__).parent / "external" / "w3c-sparql11-syntax-query"
MF = rdflib.Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")


def suite_tests(kind: str) -> list[Path]:
    manifest = rdflib.Graph().parse(SUITE / "manifest.ttl", format="turtle")
    files = [
        SUITE / str(manifest.value(test, MF.action)).rsplit("/", 1)[1]
        for test in manifest.subjects(rdflib.RDF.type, MF[kind])
    ]
    return sorted(files)


def test_the_suite_is_complete() -> None:
    assert len(suite_tests("PositiveSyntaxTest11")) == 63 and len(suite_tests("NegativeSyntaxTest11")) == 31


@pytest.mark.parametrize("path", suite_tests("PositiveSyntaxTest11"), ids=lambda p: p.stem)
def test_every_positive_w3c_syntax_test_passes_the_guard(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    base = path.resolve().as_uri()
    # The dataset a W3C harness runs the test on holds the graphs its FROM clauses name (only
    # syntax-construct-where-02 has one); they are taken from rdflib's independent reading.
    algebra = translateQuery(parseQuery(text), base=base).algebra
    graphs = frozenset(str(c.get("default") or c.get("named")) for c in algebra.get("datasetClause") or ())
    assert read_query(text, base) is not None, "the grammar must read it, not only the raw fallback"
    checked = check_query(text, graphs, base)
    assert set(checked.from_graphs) == graphs
    assert checked.form == algebra.name.removesuffix("Query").upper()


def test_construct_where_02_names_its_graph() -> None:
    path = SUITE / "syntax-construct-where-02.rq"
    base = path.resolve().as_uri()
    graph = base.rsplit("/", 1)[0] + "/file"
    assert check_query(path.read_text(), frozenset({graph}), base).from_graphs == (graph,)
    with pytest.raises(QueryRefused, match="FROM"):  # a graph the dataset does not hold: refused, as before
        check_query(path.read_text(), frozenset(), base)


@pytest.mark.parametrize("path", suite_tests("NegativeSyntaxTest11"), ids=lambda p: p.stem)
def test_no_negative_w3c_syntax_test_runs(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    try:
        check_query(text, frozenset())
    except QueryRefused:
        return
    with pytest.raises(SyntaxError):
        ox.Store().query(text, base_iri=path.resolve().as_uri())


# --- names that contain keywords (clients review a1–a8; issue 15 item 2) ---------------------------

NAMES = {
    "a1": "PREFIX services: <http://example.org/services#>\nSELECT ?s WHERE { ?s services:provides ?o } LIMIT 5",
    "a2": "PREFIX service: <http://example.org/service#>\nASK { ?s service:name ?o }",
    "a3": "PREFIX serviceType: <http://example.org/st#>\nSELECT * WHERE { ?s a serviceType:Clinic } LIMIT 1",
    "a4": "PREFIX fromage: <http://example.org/cheese#>\nSELECT ?s WHERE { ?s fromage:type ?o } LIMIT 5",
    "a5": "PREFIX from: <http://example.org/from#>\nSELECT ?s WHERE { ?s from:date ?o } LIMIT 5",
    "a6": "PREFIX fromDate: <http://example.org/fd#>\nSELECT ?s WHERE { ?s fromDate:x ?o } LIMIT 5",
    "a7": "SELECT ?s WHERE { ?s ?p ?o FILTER(?o<'a>b' || ?o = 'drop me') } LIMIT 1",
    "a8": "SELECT ?s WHERE { ?s ?p ?o FILTER(?o = 'it\\u0027s') FILTER(?o != 'with love') } LIMIT 1",
    "serviceLevel": "PREFIX serviceLevel: <http://e/sl#> SELECT ?from WHERE { serviceLevel:x ?load ?from }",
    "ex:load": "PREFIX ex: <http://e/> SELECT * WHERE { ?s ex:load ?o ; ex:service ?x ; ex:insert ?y ; ex:from ?z }",
    "variables": "SELECT ?insert ?delete ?service ?from ?load WHERE { ?insert ?delete ?service . ?from ?load 1 }",
    "subjects": "PREFIX services: <http://e/s#> PREFIX from: <http://e/f#> SELECT * WHERE { services:x ?p ?o . "
    "from:y ?p services:z FILTER(?o != services:q) }",
    "words in strings": 'SELECT * WHERE { ?s ?p "SERVICE <x> { } ; DROP ALL FROM <y>" } # SERVICE FROM LOAD',
}


@pytest.mark.parametrize("name", NAMES)
def test_names_that_contain_keywords_pass(name: str) -> None:
    query = NAMES[name]
    checked = check_query(query, frozenset())
    assert read_query(query) is not None and checked.from_graphs == ()
    list(ox.Store().query(query)) if checked.form == "SELECT" else ox.Store().query(query)  # the engine runs it


# --- the review's forms: SERVICE, FROM and nesting hidden from a guard that took '<' for an IRI ------


NAMED = {"S": "SERVICE", "F": "FROM", "N": "nested deeper"}


@pytest.mark.parametrize("case", DESYNC)
def test_the_reviews_desynchronising_forms_are_refused(case: str) -> None:
    with pytest.raises(QueryRefused) as refused:
        check_query(DESYNC[case], frozenset())
    assert NAMED[case[0]] in str(refused.value)


def test_less_than_is_less_than_where_an_operand_ended() -> None:
    """The engine's reading, shown on pyoxigraph itself: ``1<'>'`` compares, ``?a<?b#>`` comments."""
    assert ox.Store().query("ASK { FILTER(1<'>' || true) } #'")  # parses: '<' is an operator
    hidden = "SELECT * WHERE { BIND(1 AS ?a) FILTER(?a<?b#>\n) } "
    assert check_query(hidden, frozenset()).form == "SELECT"
    assert read_query(hidden).depth == 2  # type: ignore[union-attr]
    # After the operator the grammar expects a term again, where '<' does start an IRI.
    assert read_query("ASK { FILTER(?a<<http://e/x>) }") is not None
    assert read_query("ASK { ?s ?p <http://e/x> FILTER(?s = <http://e/y>) }") is not None


@pytest.mark.parametrize(
    "query,named",
    [
        ("SELECT * WHERE { SERVICE <http://127.0.0.1:1/> { ?s ?p ?o } }", "SERVICE"),
        ("PREFIX ex: <http://127.0.0.1:1/> SELECT * WHERE { SERVICEex:x { ?s ?p ?o } }", "SERVICE"),  # glued
        ("SELECT * WHERE { \\u0053ERVICE <http://127.0.0.1:1/> { ?s ?p ?o } }", "SERVICE"),  # as the spec unescapes
        ("SELECT * WHERE { ?s ?p 1SERVICE <http://127.0.0.1:1/> { ?s ?p ?o } }", "SERVICE"),
        ("SELECT * FROM <http://127.0.0.1:1/g> WHERE { ?s ?p ?o }", "FROM"),
        ("PREFIX ex: <http://127.0.0.1:1/> SELECT * FROMex:g WHERE { ?s ?p ?o }", "FROM"),
        ("LOAD <http://127.0.0.1:1/x>", "(LOAD)"),
        ("INSERT DATA { <http://e/a> <http://e/b> 1 }", "(INSERT)"),
        ("SELECT * WHERE { ?s ?p ?o } ; CLEAR ALL", "(CLEAR)"),
        ("ASK { " + "{" * (MAX_NESTING + 1) + "}" * (MAX_NESTING + 1) + " }", f"nested deeper than {MAX_NESTING}"),
        ("ASK { FILTER(" + "(" * MAX_NESTING + "1" + ")" * MAX_NESTING + ") }", f"nested deeper than {MAX_NESTING}"),
    ],
)
def test_a_refusal_names_what_it_refused(query: str, named: str) -> None:
    with pytest.raises(QueryRefused) as refused:
        check_query(query, frozenset())
    assert named in str(refused.value)
    assert "127.0.0.1" not in str(refused.value)  # never echoes an IRI


def test_nesting_up_to_the_limit_passes() -> None:
    depth = MAX_NESTING - 2  # the WHERE braces and FILTER's own parentheses count too
    query = "ASK { FILTER" + "(" * depth + "1" + ")" * depth + " }"
    assert read_query(query).depth == depth + 1  # type: ignore[union-attr]
    assert check_query(query, frozenset()).form == "ASK"


def fill(head: str, unit: str, tail: str = "", size: int = MAX_QUERY_BYTES - 64) -> str:
    count = (size - len(head.encode()) - len(tail.encode())) // len(unit.encode())
    return head + unit * count + tail


REVIEW_FORMS = {
    "G01/G02 'a1'": ("ASK {}\n", "a1", ""),
    "G04 'é'": ("ASK {} #\n", "é", ""),
    "pname run": ("ASK {}\n", "a1.-", ""),
    "operator chain": ("SELECT (1", "+1", " AS ?x) {}"),
    "unary chain": ("ASK { FILTER(", "!", "true) }"),
    "triples": ("SELECT * WHERE {", " ?s ?p ?o .", " }"),
    "desync forms": ("ASK { ?s ?p ?o ", "FILTER(1<'>') ", "}"),
    "open strings": ("ASK {", "'a ", ""),
    "open IRIs": ("ASK {", "<a", ""),
}


# --- the review's long forms (finding 2): every one gets a verdict --------------------------------------
# How long the check takes (linear, well under 50 ms at 64 KiB) is measured by bench/guard.py, not here.

# Long chains are refused before the engine (sparql/chains.py); the other forms are left to the engine, whose
# syntax error answers them (a1…, é…, open strings and IRIs) or which runs them (triples, unary chain).
CHAIN_REFUSED = {"operator chain", "desync forms"}


@pytest.mark.parametrize("form", REVIEW_FORMS)
def test_a_64_kib_query_of_the_reviews_forms_gets_its_verdict(form: str) -> None:
    query = fill(*REVIEW_FORMS[form])
    assert MAX_QUERY_BYTES - 128 < len(query.encode()) <= MAX_QUERY_BYTES
    if form in CHAIN_REFUSED:
        with pytest.raises(QueryRefused, match="too long a chain of operators or group elements"):
            check_query(query, frozenset())
    else:
        assert check_query(query, frozenset()).form == query.split(maxsplit=1)[0].split("(")[0]


def test_every_project_query_is_read_by_the_grammar() -> None:
    """The catalogue, the pages' and the service's own queries and the fact checks: read by the grammar (not
    only let through by the raw fallback), with no SERVICE and no FROM."""
    root = Path(__file__).parent.parent
    files = sorted((root / "queries").rglob("*.rq")) + sorted((root / "tests" / "facts").glob("*.rq"))
    assert len(files) > 100
    for path in files:
        reading = read_query(path.read_text(encoding="utf-8"))
        assert reading is not None, path.name
        assert reading.services == 0 and reading.from_graphs == () and reading.depth <= MAX_NESTING, path.name


def test_every_w3c_evaluation_query_the_engine_parses_is_read_by_the_grammar() -> None:
    """The SPARQL 1.0 and 1.1 query-evaluation suites (vendored for tests/test_w3c_query_eval.py): every query
    pyoxigraph parses is read by the guard's grammar too, so none depends on the raw fallback (which refuses
    a text that merely mentions SERVICE or FROM)."""
    suite = Path(__file__).parent / "external" / "w3c-sparql-query-eval"
    parsed = 0
    for path in sorted(suite.rglob("*.rq")):
        text, base = path.read_text(encoding="utf-8"), path.resolve().as_uri()
        try:
            ox.Store().query(text, base_iri=base)
        except SyntaxError:
            continue
        except Exception:  # noqa: BLE001 - an evaluation error: the text parsed
            pass
        parsed += 1
        assert read_query(text, base) is not None, path.relative_to(suite)
    assert parsed > 450
