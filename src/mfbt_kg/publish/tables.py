"""The bundle's tables for people: CSV a spreadsheet opens as it is meant, and the codebook of every column.

The SPARQL CSV of each question (``queries/NAME.csv``) is for code: the W3C format, IRIs in full,
headers the query's variables. The tables here (``tables/NAME.csv``) are for a spreadsheet,
checked by converting them with LibreOffice (tests/test_tables.py):

- UTF-8 with a byte-order mark, so Excel reads ``Sør-Øst`` as written; ``;`` between fields, the list
  separator of a Norwegian spreadsheet, so the columns split on opening;
- a header row in the bundle's language (``#+ column`` lines of each query: Norwegian by default);
- beside every column of IRIs without a label column of its own, a column with each IRI's label;
- every text field quoted (LibreOffice's "Format quoted field as text" keeps each exactly), and a
  text a spreadsheet would read as a number, date or formula (a section ``4.12``, a start written
  ``3.10.2016``, a ``=`` or ``-`` at the start) begins with U+2060 WORD JOINER, an invisible
  character, so no spreadsheet turns it into something else whatever its import options
  (a Norwegian LibreOffice makes ``4.12`` the 4th of December otherwise); integers are numbers.

A question that needs a value is run for every resource it accepts (one offer profile per offer):
one long table whose first columns name the value it was run with.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pyoxigraph as ox

from mfbt_kg.namespaces import ID, KINDS
from mfbt_kg.sparql.answers import Table, Term
from mfbt_kg.sparql.catalogue import Column, NamedQuery, Parameter, internal, run
from mfbt_kg.sparql.store import Store

LANGUAGES = ("nb", "en")
CODEBOOK_FILE = "tables/codebook.csv"
BOM = "\ufeff"
TEXT_MARK = "\u2060"  # WORD JOINER: invisible, and makes a spreadsheet read the cell as text
DELIMITER = ";"
MAX_RUNS = 500  # runs of one question with every value it accepts; beyond, it is left out (and said why)
XSD = "http://www.w3.org/2001/XMLSchema#"
INTEGER_TYPES = {XSD + t for t in ("integer", "int", "long", "short", "nonNegativeInteger", "positiveInteger")}
# What a spreadsheet takes for a number, date, time, percentage, fraction, boolean or formula.
_RISKY = re.compile(r"[=+\-@\t\r]|[\d\s.,:/%()'-]*\d[\d\s.,:/%()'-]*(e[+-]?\d+)?|true|false|sann|usann", re.IGNORECASE)
LABEL_SUFFIX = {"nb": " (etikett)", "en": " (label)"}
Labeler = Callable[[str], str | None]


@dataclass(frozen=True)
class Runs:
    """A question needing values, run once per combination of the resources its parameters accept."""

    table: Table | None
    parameters: tuple[Parameter, ...]
    runs: int
    skipped: str | None = None


def each_resource(store: Store, query: NamedQuery) -> Runs:
    """Run ``query`` for every value its required parameters accept; its defaults for the others."""
    needed = [p for p in query.parameters if p.required]
    choices: list[list[ox.NamedNode]] = []
    for param in needed:
        if param.type != "resource" or not param.kinds:
            return Runs(None, tuple(needed), 0, f"needs parameter '{param.name}' ({param.type}): {param.description}")
        found: list[ox.NamedNode] = []
        for kind in param.kinds:
            assert kind in KINDS
            records = store.select(internal()["resources-of-kind"], {"space": ox.Literal(f"{ID}{kind}/")}).records()
            found += [r for row in records if isinstance(r := row["resource"], ox.NamedNode)]
        choices.append(found)
    combinations = list(itertools.product(*choices))
    if len(combinations) > MAX_RUNS:
        return Runs(None, tuple(needed), 0, f"would take {len(combinations)} runs (more than {MAX_RUNS})")
    variables: tuple[str, ...] | None = None
    rows: list[tuple[Term | None, ...]] = []
    for combination in combinations:
        answer = run(store, query, {p.name: node.value for p, node in zip(needed, combination, strict=True)})
        if not isinstance(answer, Table):
            return Runs(None, tuple(needed), 0, "answers with a graph or a boolean, not a table")
        variables = variables or answer.variables
        rows += [tuple(combination) + row for row in answer.rows]
    names = tuple(_lead_name(p, variables or ()) for p in needed)
    return Runs(Table(names + (variables or ()), rows), tuple(needed), len(combinations))


def _lead_name(param: Parameter, variables: Sequence[str]) -> str:
    return param.name if param.name not in variables else f"{param.name}_asked"


def lead_columns(runs: Runs) -> list[Column]:
    """The columns naming the value each row's run was given."""
    return [
        Column(
            _lead_name(p, ()),
            f"spurt om: {p.name}",
            f"asked for: {p.name}",
            f"the value of parameter '{p.name}' the question was run with: {p.description}",
        )
        for p in runs.parameters
    ]


def columns_of(query: NamedQuery, table: Table, lead: Sequence[Column] = ()) -> list[Column]:
    """The codebook entry of each column of ``table`` (a column the query does not document keeps its name)."""
    known = {c.name: c for c in (*lead, *query.columns)}
    return [known.get(v) or Column(v, v, v, "(not documented)") for v in table.variables]


def spreadsheet_csv(table: Table, columns: Sequence[Column], language: str, label: Labeler) -> bytes:
    """``table`` as a spreadsheet CSV (module text): headers in ``language``, labels beside IRIs."""
    names = [c.name for c in columns]
    labelled = [
        i
        for i, c in enumerate(columns)
        if f"{c.name}_label" not in names and any(isinstance(row[i], ox.NamedNode) for row in table.rows)
    ]
    header: list[object] = []
    for i, column in enumerate(columns):
        header.append(_text(column.header(language)))
        if i in labelled:
            header.append(_text(column.header(language) + LABEL_SUFFIX[language]))
    lines = [_line(header)]
    for row in table.rows:
        cells: list[object] = []
        for i, term in enumerate(row):
            cells.append(_cell(term))
            if i in labelled:
                cells.append(_text(label(term.value) or "") if isinstance(term, ox.NamedNode) else "")
        lines.append(_line(cells))
    return (BOM + "".join(lines)).encode("utf-8")


def codebook_csv(entries: Sequence[tuple[str, str, Column, bool]], language: str) -> bytes:
    """One row per column of every table: file, column, headers, meaning, and whether a label column follows."""
    lines = [_line([_text(h) for h in CODEBOOK_HEADER[language]])]
    for path, query_name, column, labelled in entries:
        lines.append(
            _line(
                [
                    _text(path),
                    _text(query_name),
                    _text(column.name),
                    _text(column.header_nb),
                    _text(column.header_en),
                    _text(column.meaning),
                    _text(YES_NO[language][labelled]),
                ]
            )
        )
    return (BOM + "".join(lines)).encode("utf-8")


CODEBOOK_HEADER = {
    "nb": [
        "fil",
        "spørring",
        "variabel",
        "kolonne (norsk)",
        "kolonne (engelsk)",
        "betydning (engelsk)",
        "etikettkolonne etter",
    ],
    "en": ["file", "query", "variable", "header (Norwegian)", "header (English)", "meaning", "label column follows"],
}
YES_NO = {"nb": {True: "ja", False: "nei"}, "en": {True: "yes", False: "no"}}


class _Text(str):
    """A text field: always quoted in the file."""


def _text(value: str) -> _Text:
    risky = bool(value) and (_RISKY.fullmatch(value) is not None or value[0] in "=+-@")
    return _Text(TEXT_MARK + value if risky else value)


def _line(cells: Sequence[object]) -> str:
    """One CSV record: integers bare, texts quoted (quotes doubled), nothing for an empty cell."""
    return (
        DELIMITER.join(
            str(c) if isinstance(c, int) else ('"' + str(c).replace('"', '""') + '"' if c else "") for c in cells
        )
        + "\r\n"
    )


def _cell(term: Term | None) -> object:
    if term is None:
        return _Text("")
    if (
        isinstance(term, ox.Literal)
        and term.datatype.value in INTEGER_TYPES
        and re.fullmatch(r"[+-]?\d{1,15}", term.value)
    ):
        return int(term.value)
    return _text("_:" + term.value if isinstance(term, ox.BlankNode) else term.value)


def read_back(data: bytes) -> list[list[str]]:
    """A spreadsheet CSV as rows of strings, the text marks removed (how code reads these tables)."""
    text = data.decode("utf-8").removeprefix(BOM)
    return [
        [cell.removeprefix(TEXT_MARK) for cell in row]
        for row in csv.reader(io.StringIO(text, newline=""), delimiter=DELIMITER)
    ]
