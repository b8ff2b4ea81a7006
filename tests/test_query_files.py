"""Every query file of the project in one grammar and one prefix policy (queries/README.md).

Catalogue, page, internal and fact-check files all read with ``read_query_file``; none declares one of
the project's own prefixes (one prefix policy); every parameter a header declares is used in the query;
the prologue puts in front exactly the project prefixes a query uses; every internal query is one the
code asks; and no module spells a query in a string.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import ROOT
from mfbt_kg.namespaces import PREFIXES, sparql_prologue
from mfbt_kg.sparql.catalogue import HEADER_KEYS, read_query_file

SRC = ROOT / "src" / "mfbt_kg"
KINDS_OF_FILE = {
    "catalogue": ROOT / "queries",
    "page": ROOT / "queries" / "pages",
    "internal": ROOT / "queries" / "internal",
    "fact": ROOT / "tests" / "facts",
}
DECLARED = re.compile(r"^\s*PREFIX\s+([A-Za-z][\w.\-]*)?\s*:\s*<([^>]*)>", re.IGNORECASE | re.MULTILINE)
FILES = [
    pytest.param(kind, path, id=f"{kind}:{path.stem}")
    for kind, folder in KINDS_OF_FILE.items()
    for path in sorted(folder.glob("*.rq"))
]


def test_every_kind_of_query_file_is_there() -> None:
    assert set(KINDS_OF_FILE) == set(HEADER_KEYS)
    for kind, folder in KINDS_OF_FILE.items():
        assert list(folder.glob("*.rq")), f"no {kind} query files in {folder}"


@pytest.mark.parametrize("kind,path", FILES)
def test_query_file_reads_in_the_one_grammar(kind: str, path: Path) -> None:
    query = read_query_file(path, kind)  # raises CatalogueError naming the file and line
    body = "\n".join(line for line in query.text.splitlines() if not line.lstrip().startswith("#"))
    for param in query.parameters:
        assert re.search(rf"[?$]{param.name}\b", body), f"{path.name}: parameter {param.name} not used in the query"


@pytest.mark.parametrize("kind,path", FILES)
def test_query_file_leaves_the_project_prefixes_to_the_prologue(kind: str, path: Path) -> None:
    """One prefix policy (queries/README.md): a file declares no prefix of the project's; the text the engine
    runs is the PREFIX lines of the project prefixes it uses, then the file."""
    text = path.read_text(encoding="utf-8")
    own = [name for name, _ in DECLARED.findall(text) if name in PREFIXES]
    assert not own, f"{path.name} declares the project's prefix(es) {own}: leave them to the prologue"
    assert read_query_file(path, kind).sparql == sparql_prologue(text) + text


def test_prologue_gives_exactly_the_project_prefixes_a_query_uses() -> None:
    text = "PREFIX ex: <http://example.org/>\nSELECT * WHERE { ?o a mfbt:TreatmentOffer ; ex:p offer:unn-asgard }"
    assert sparql_prologue(text) == f"PREFIX mfbt: <{PREFIXES['mfbt']}>\nPREFIX offer: <{PREFIXES['offer']}>\n"
    assert sparql_prologue("PREFIX mfbt: <urn:x#>\nASK { ?s mfbt:p ?o }") == "", "a file's own declaration wins"


def test_every_internal_query_is_asked_by_the_code() -> None:
    code = "\n".join(p.read_text(encoding="utf-8") for p in SRC.rglob("*.py"))
    for path in sorted(KINDS_OF_FILE["internal"].glob("*.rq")):
        assert f'"{path.stem}"' in code, f"queries/internal/{path.name} is asked by no module"


def test_no_module_writes_sparql_in_a_string() -> None:
    """The queries live in files: no Python string of the package opens a query form with its pattern."""
    query_in_string = re.compile(
        r"[\"'](?:[^\"'\n]*\n)?\s*(?:SELECT\s+(?:\?|\*|\(|DISTINCT)|ASK\s*\{|"
        r"CONSTRUCT\s*\{|DESCRIBE\s+[?<])"
    )
    found = [
        f"{p.relative_to(ROOT)}:{text.count(chr(10), 0, m.start()) + 1}"
        for p in sorted(SRC.rglob("*.py"))
        for text in [p.read_text(encoding="utf-8")]
        for m in query_in_string.finditer(text)
    ]
    assert not found, f"SPARQL in Python strings: {found}"
