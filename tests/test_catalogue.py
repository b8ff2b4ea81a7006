"""The query catalogue: headers document the queries, and every query answers as the seeds say."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from conftest import ROOT
from mfbt_kg.cli import main
from mfbt_kg.namespaces import ID, sparql_prologue
from mfbt_kg.sparql.answers import Table
from mfbt_kg.sparql.catalogue import ParameterError, bind, load_catalogue, run

EXPECTED_DIR = Path(__file__).parent / "expected"
CATALOGUE = load_catalogue(ROOT)
CASES = [
    pytest.param(name, case, id=f"{name}[{i}]")
    for name in CATALOGUE
    for i, case in enumerate(
        json.loads((EXPECTED_DIR / f"{name}.json").read_text(encoding="utf-8"))
        if (EXPECTED_DIR / f"{name}.json").exists()
        else []
    )
]


def test_catalogue_has_at_least_30_questions() -> None:
    assert len(CATALOGUE) >= 30, sorted(CATALOGUE)


@pytest.mark.parametrize("name", sorted(CATALOGUE))
def test_header_documents_every_parameter(name: str) -> None:
    query = CATALOGUE[name]
    body = "\n".join(line for line in query.sparql.splitlines() if not line.lstrip().startswith("#"))
    for param in query.parameters:
        assert re.search(rf"[?$]{param.name}\b", body), f"{name}: parameter {param.name} not used in the query"
    assert query.example.startswith(f"mfbt-kg query run {name}"), f"{name}: example must run this query"
    for given in re.findall(r"--param (\w+)=", query.example):
        assert query.parameter(given), f"{name}: example uses undeclared parameter {given}"


@pytest.mark.parametrize("name", sorted(CATALOGUE))
def test_every_query_has_expectations(name: str) -> None:
    path = EXPECTED_DIR / f"{name}.json"
    assert path.exists(), f"tests/expected/{name}.json is missing"
    for case in json.loads(path.read_text(encoding="utf-8")):
        assert case.get("seed"), f"{path.name}: every case cites its seed passage"
        # an expected answer pins the whole answer: every row, the exact number of rows, or (for an answer
        # that grows with every curated fact, such as all triples about a resource) rows that must be absent
        assert {"expect_rows", "expect_count", "expect_boolean", "expect_excludes"} & set(case), (
            f"{path.name}: a case gives expect_rows, expect_count or expect_excludes: {case['seed'][:60]}"
        )


def _cell(column: str, term) -> str:
    """A cell's value; a list of passages (a ``*sources`` column) in a fixed order, as engines may differ."""
    if term is None:
        return ""
    return " ".join(sorted(term.value.split())) if column.endswith("sources") else term.value


def _values(result, columns: list[str]) -> list[tuple[str, ...]]:
    assert isinstance(result, Table), "a SELECT answers with rows"
    variables, data = result.variables, result.records()
    missing = [c for c in columns if c not in variables]
    assert not missing, f"no column(s) {missing} in {variables}"
    return [tuple(_cell(c, row[c]) for c in columns) for row in data]


@pytest.mark.parametrize("name,case", CASES)
def test_query_answers_as_the_seeds_say(name: str, case: dict, store) -> None:
    result = run(store, CATALOGUE[name], case.get("params", {}))
    if "expect_boolean" in case:
        assert bool(result) is case["expect_boolean"]
        return
    got = _values(result, case["columns"])
    if "expect_rows" in case:
        # every row, each once: a repeated row fails (the catalogue joins a fact's passages in one cell)
        assert sorted(got) == sorted(tuple(r) for r in case["expect_rows"]), case["seed"]
    for row in case.get("expect_includes", []):
        assert tuple(row) in got, f"missing {row}; {case['seed']}"
    for row in case.get("expect_excludes", []):
        assert tuple(row) not in got, f"unexpected {row}; {case['seed']}"
    if "expect_count" in case:
        assert len(got) == case["expect_count"], case["seed"]


def _runs() -> list:
    """Every query with the parameters of its header example and of each of its expected cases."""
    runs = []
    for name, query in CATALOGUE.items():
        seen: list[dict] = []
        path = EXPECTED_DIR / f"{name}.json"
        cases = json.loads(path.read_text(encoding="utf-8")) if path.exists() else []
        for params in [dict(re.findall(r"--param (\w+)=(\S+)", query.example)), *(c.get("params", {}) for c in cases)]:
            if params not in seen:
                seen.append(params)
                runs.append(pytest.param(name, params, id=f"{name}{sorted(params.items())}"))
    return runs


def _is_source_column(column: str) -> bool:
    return column == "source" or column.endswith(("_source", "sources"))


@pytest.mark.parametrize("name,params", _runs())
def test_no_answer_repeats_a_row(name: str, params: dict, store) -> None:
    """No catalogue answer gives a row twice, nor the same row once per passage: the passages a fact rests
    on are joined in one ``sources`` cell, so each row is one fact."""
    result = run(store, CATALOGUE[name], params)
    if not isinstance(result, Table):
        return
    variables, data = result.variables, result.records()
    facts = [tuple(_cell(v, row[v]) for v in variables if not _is_source_column(v)) for row in data]
    repeated = sorted({fact for fact in facts if facts.count(fact) > 1})
    assert not repeated, f"{len(repeated)} row(s) repeated (ignoring source columns), e.g. {repeated[0]}"


def test_facts_about_a_resource_are_about_that_resource_only(store) -> None:
    """Every node answered is the resource or a statement/figure about it (a BIND that saw the
    parameter out of scope once returned the whole graph)."""
    result = run(store, CATALOGUE["facts-about-resource"], {"resource": "offer/unn-asgard"})
    nodes = {row[0] for row in _values(result, ["node"])}
    about = {
        row["s"].value
        for row in store.select(sparql_prologue() + "SELECT ?s WHERE { ?s mfbt:about offer:unn-asgard }").records()
    }
    assert nodes == about | {f"{ID}offer/unn-asgard"}


def test_offer_profile_values_are_linked_to_the_offer(store) -> None:
    """Every resource in an offer's profile is linked from the offer or from a statement or figure
    about it (an OPTIONAL after the UNION once bound unlinked concepts to every valueless row)."""
    result = run(store, CATALOGUE["offer-profile"], {"offer": "vegsund-dps"})
    values = {row[0] for row in _values(result, ["value"]) if row[0].startswith("https://")}
    linked = {
        row["o"].value
        for row in store.select(
            sparql_prologue()
            + """
        SELECT ?o WHERE { { offer:vegsund-dps ?p ?o } UNION { ?s mfbt:about offer:vegsund-dps ; ?p ?o } }"""
        ).records()
    }
    assert values and values <= linked, sorted(values - linked)[:5]


# --- parameters are values, never query text -------------------------------

HOSTILE = ['"} ; DROP ALL ; SELECT * WHERE { ?s ?p ?o', "x> } UNION { ?s ?p ?o } #", "?o }", '\\" . }']


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_string_is_a_plain_value(value: str, store) -> None:
    result = run(store, CATALOGUE["find-resources-by-label"], {"text": value})
    assert _values(result, ["resource"]) == []


def test_plain_string_finds_resources(store) -> None:
    found = _values(run(store, CATALOGUE["find-resources-by-label"], {"text": "Åsgård"}), ["resource"])
    assert ("https://w3id.org/mfbt-kg/id/unit/unn-asgard",) in found


# ("UNN Åsgård" is no longer refused: a name as a person types it goes through the slug rule, issue 14 item 6;
# tests/test_cli_conventions.py)
@pytest.mark.parametrize("value", HOSTILE + ["unn-asgard>", "unn-asgard> ?p ?o } #", "offer/unn-asgard#x"])
def test_hostile_resource_value_is_refused(value: str, store) -> None:
    with pytest.raises(ParameterError):
        bind(CATALOGUE["offer-profile"], {"offer": value}, store)


@pytest.mark.parametrize(
    "argv,fragment",
    [
        (["query", "run", "no-such-query"], "no query named 'no-such-query'"),
        (["query", "run", "offer-profile"], "needs parameter 'offer'"),
        (
            ["query", "run", "offer-profile", "--param", "offer=unn-asgard", "--param", "colour=red"],
            "has no parameter 'colour'",
        ),
        (["query", "run", "offer-profile", "--param", "offer=no-such-offer"], "no offer named 'no-such-offer'"),
        (
            ["query", "run", "offers-by-referrer", "--param", "referrer=gp", "--param", "date=last year"],
            "must be a date YYYY-MM-DD",
        ),
        # a resource of the wrong kind would answer "nothing", which reads like "none": it is an error
        (
            ["query", "run", "offer-profile", "--param", "offer=method/miljoterapi"],
            "must name a resource of kind offer, but 'method/miljoterapi' is a method",
        ),
        (
            ["query", "run", "offer-profile", "--param", "offer=https://w3id.org/mfbt-kg/id/unit/unn-asgard"],
            "is a unit",
        ),
        (
            [
                "query",
                "run",
                "methods-backed-by-guideline",
                "--param",
                "unit=unn-asgard",
                "--param",
                "guideline=method/miljoterapi",
            ],
            "must name a resource of kind guideline",
        ),
        (["query", "run", "offer-profile", "--param", "offer=http://example.org/x"], "is not a resource of this graph"),
        # a concept of another list: the header names the scheme, resource(CompulsoryCarePolicyScheme)
        (
            ["query", "run", "offers-accepting-compulsory-care", "--param", "policy=basis-stated"],
            "must name a concept of CompulsoryCarePolicyScheme, but 'basis-stated' is not one",
        ),
        (
            ["query", "run", "tools-and-arrangements", "--param", "feature=compulsory-policy-excludes"],
            "must name a concept of FeatureScheme",
        ),
    ],
)
def test_cli_parameter_errors_are_one_line(argv: list[str], fragment: str, capsys) -> None:
    assert main(["--root", str(ROOT), *argv]) == 2
    err = capsys.readouterr().err
    assert fragment in err and err.count("\n") == 1 and "Traceback" not in err


# methods-backed-by-guideline for UNN Åsgard's unit and the psychosis guideline, as the CLI runs it
BACKED_AT_ASGARD = ["query", "run", "methods-backed-by-guideline", "--param", "unit=unn-asgard"]
BACKED_AT_ASGARD += ["--param", "guideline=psykoselidelser-2013"]


def test_cli_list_and_run(capsys) -> None:
    assert main(["--root", str(ROOT), "query", "list"]) == 0
    assert "methods-backed-by-guideline" in capsys.readouterr().out
    assert main(["--root", str(ROOT), *BACKED_AT_ASGARD]) == 0
    out = capsys.readouterr().out
    # IRIs by their compact names in the terminal table (issue 14 item 6), not written out in full
    assert (
        "Miljøterapi" in out and "methodcategory:" in out and "<https://w3id.org/mfbt-kg/id/method-category/" not in out
    )


@pytest.mark.parametrize("fmt,marker", [("json", '"head"'), ("csv", "method,method_label"), ("tsv", "?method\t")])
def test_cli_formats(fmt: str, marker: str, capsysbinary) -> None:
    assert main(["--root", str(ROOT), *BACKED_AT_ASGARD, "--format", fmt]) == 0
    assert marker in capsysbinary.readouterr().out.decode("utf-8")
