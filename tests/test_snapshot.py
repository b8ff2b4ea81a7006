"""``graph.snapshot``: the project's N-Triples kept per content, so commands and the service parse the
Turtle files once. A kept copy is used only for the exact files it was made from, and only while its
bytes match the digest its name carries: a stale or corrupt copy is never answered from."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import break_file
from mfbt_kg.graph import snapshot
from mfbt_kg.graph import validate as validate_module
from mfbt_kg.graph.files import load_graph
from mfbt_kg.graph.validate import validate_project, validated_ntriples
from mfbt_kg.sparql.store import to_ntriples


def _no_parse(*args: object, **kwargs: object) -> None:
    raise AssertionError("the files were parsed again")


def _kept(cache: Path) -> list[Path]:
    return sorted(cache.glob(f"*{snapshot.SUFFIX}"))


def test_kept_ntriples_are_the_parsed_graph_and_spare_the_parse(
    project_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    parsed = to_ntriples(load_graph(project_copy))
    assert snapshot.project_ntriples(project_copy, cache) == parsed
    assert len(_kept(cache)) == 1
    monkeypatch.setattr(snapshot, "load_graph", _no_parse)
    assert snapshot.project_ntriples(project_copy, cache) == parsed  # byte for byte, from the kept copy


def test_a_corrupt_copy_is_never_used(project_copy: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    parsed = snapshot.project_ntriples(project_copy, cache)
    (copy,) = _kept(cache)
    copy.write_bytes(parsed[: len(parsed) // 2])  # cut short, as a full disk or a killed writer leaves it
    assert snapshot.kept_ntriples(cache, snapshot.content_key(project_copy)) is None
    assert not copy.exists()  # removed, not left for the next reader
    assert snapshot.project_ntriples(project_copy, cache) == parsed  # parsed again
    (copy,) = _kept(cache)
    copy.write_bytes(parsed.replace(b"Helse Nord", b"Helse Sxr", 1))  # same length, other bytes
    assert snapshot.project_ntriples(project_copy, cache) == parsed


def test_a_changed_file_is_a_new_key(project_copy: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    before = snapshot.project_ntriples(project_copy, cache)
    key = snapshot.content_key(project_copy)
    break_file(
        project_copy / "data/ttl/offers.ttl",
        "mfbt:region region:helse-nord ; mfbt:providedBy trust:unn ;",
        "mfbt:providedBy trust:unn ;",
    )
    assert snapshot.content_key(project_copy) != key
    after = snapshot.project_ntriples(project_copy, cache)
    assert after == to_ntriples(load_graph(project_copy)) and after != before
    assert len(after.splitlines()) == len(before.splitlines()) - 1  # the one triple taken out, nothing kept from before


def test_validate_from_the_kept_check_gives_the_checked_report(
    project_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``mfbt-kg validate`` (validate_project) and the service's load (validated_ntriples) on files
    checked before: the same report and bytes, with no SHACL run and no parse; a corrupt copy is checked again."""
    monkeypatch.setattr(validate_module, "CHECK_CACHE", tmp_path / "cache")
    first = validate_project(project_copy)
    data, report = validated_ntriples(project_copy)
    assert first.conforms and report == first and data == to_ntriples(load_graph(project_copy))
    with monkeypatch.context() as patched:
        patched.setattr(validate_module, "shacl_validate", _no_parse)
        patched.setattr(validate_module, "load_graph", _no_parse)
        patched.setattr(snapshot, "load_graph", _no_parse)
        assert validate_project(project_copy) == first
        assert validated_ntriples(project_copy) == (data, first)
    (copy,) = _kept(tmp_path / "cache")
    copy.write_bytes(b"")
    calls: list[int] = []
    real = validate_module.shacl_validate
    monkeypatch.setattr(validate_module, "shacl_validate", lambda *a, **k: calls.append(1) or real(*a, **k))
    assert validated_ntriples(project_copy) == (data, first) and calls == [1]  # checked again, kept again
    assert [p.read_bytes() for p in _kept(tmp_path / "cache")] == [data]


def test_only_the_most_recently_used_copies_are_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(snapshot, "KEEP", 2)
    cache = tmp_path / "cache"
    for n in range(3):
        snapshot.keep_ntriples(cache, f"key{n}", f'<urn:a> <urn:b> "{n}" .\n'.encode())
        assert snapshot.kept_ntriples(cache, "key0") is not None  # read after each write: key0 stays recent
    assert snapshot.kept_ntriples(cache, "key1") is None  # the least recently used went
    assert snapshot.kept_ntriples(cache, "key0") == b'<urn:a> <urn:b> "0" .\n'
    assert snapshot.kept_ntriples(cache, "key2") == b'<urn:a> <urn:b> "2" .\n'
