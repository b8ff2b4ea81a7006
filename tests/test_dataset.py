"""Loading files: errors name file and line, and nothing is merged half-way."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import break_file
from mfbt_kg.cli import main
from mfbt_kg.graph.files import DataFileError, graph_files, load_graph, parse_file


def test_every_file_parses(root: Path) -> None:
    for path in graph_files(root):
        assert len(parse_file(path, root)) > 0, path


def test_unknown_prefix_names_file_and_line(project_copy: Path) -> None:
    target = project_copy / "data" / "ttl" / "sources.ttl"
    line = break_file(target, "source:kbt-2018-abstract a", "mfbtt:kbt-2018-abstract a")
    with pytest.raises(DataFileError) as err:
        load_graph(project_copy)
    assert str(err.value) == f"data/ttl/sources.ttl:{line}: unknown prefix 'mfbtt:'"


def test_line_is_right_below_an_object_list_over_two_lines(tmp_path: Path) -> None:
    """rdflib's own line counter counts the newline after a trailing ',' twice; the reported line must not drift."""
    path = tmp_path / "list.ttl"
    path.write_text(
        '@prefix ex: <http://example.org/> .\nex:a ex:p "a" ,\n    "b" .\n\nexx:b ex:p 1 .\n', encoding="utf-8"
    )
    with pytest.raises(DataFileError) as err:
        parse_file(path)
    assert (err.value.line, err.value.message) == (5, "unknown prefix 'exx:'")


def test_syntax_error_stops_the_whole_load(project_copy: Path, capsys) -> None:
    target = project_copy / "data" / "ttl" / "sources.ttl"
    line = break_file(target, '"Abstract"@nb ;', '"Abstract@nb ;')
    code = main(["--root", str(project_copy), "validate"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith(f"mfbt-kg: data/ttl/sources.ttl:{line}:"), err
    assert "Traceback" not in err


def test_deep_nesting_is_refused_with_a_line(tmp_path: Path) -> None:
    path = tmp_path / "deep.ttl"
    path.write_text("@prefix x: <http://example.org/> .\nx:a x:b " + "[ x:p " * 100_000 + "\n", encoding="utf-8")
    with pytest.raises(DataFileError) as err:
        parse_file(path)
    assert err.value.line == 2 and "nesting deeper" in err.value.message


@pytest.mark.parametrize(
    "payload",
    [
        '<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">&x;</rdf:RDF>',
        '<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">&b;</rdf:RDF>',
    ],
)
def test_rdfxml_with_entities_is_refused(tmp_path: Path, payload: str) -> None:
    path = tmp_path / "evil.rdf"
    path.write_text(payload, encoding="utf-8")
    with pytest.raises(DataFileError) as err:
        parse_file(path)
    assert "DOCTYPE" in err.value.message and "passwd" not in str(err.value)


@pytest.mark.parametrize(
    "context",
    ['"http://127.0.0.1:9/ctx.jsonld"', '"file:///etc/passwd"', '"ctx.jsonld"', '{"@import": "http://127.0.0.1:9/x"}'],
)
def test_jsonld_context_by_reference_is_refused(tmp_path: Path, context: str) -> None:
    path = tmp_path / "doc.jsonld"
    path.write_text(f'{{"@context": {context}, "@id": "http://example.org/a"}}', encoding="utf-8")
    with pytest.raises(DataFileError) as err:
        parse_file(path)
    assert "not accepted" in err.value.message
