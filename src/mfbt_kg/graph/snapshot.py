"""The project's graph parsed once per content: its sorted N-Triples kept in the user's cache.

Parsing the Turtle files with rdflib takes seconds; loading N-Triples into pyoxigraph takes
milliseconds. So the first command (or service start) that parses the files keeps the N-Triples,
under a key that is a digest of every byte they depend on (``content_key``: the graph files, the
shapes, the code of this folder, pySHACL's version), beside the kept validation report
(``graph.validate``). Later commands on the same files read the N-Triples back instead of parsing.

A kept copy is never trusted blindly: its file name carries the SHA-256 of its bytes, checked on
every read, so a truncated or altered copy is dropped and the files are parsed again; a changed file
is a new key. Writes go beside, then are renamed: a reader sees a whole copy or none.
"""

from __future__ import annotations

import hashlib
import os
from importlib import metadata
from pathlib import Path

from mfbt_kg.graph.files import graph_files, load_graph, shapes_file
from mfbt_kg.sparql.store import to_ntriples

SUFFIX = ".nt"
KEEP = 16  # copies kept (the most recently used); tests and edits make a new key per content


def content_key(root: Path) -> str:
    """A digest of everything the graph and its check depend on: the files, the shapes, this folder's code,
    pySHACL's version (read from the installed metadata: importing pySHACL takes a tenth of a second)."""
    digest = hashlib.sha256(metadata.version("pyshacl").encode())
    here = Path(__file__).parent
    for path in [*graph_files(root), shapes_file(root), *sorted(here.glob("*.py"))]:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def kept_ntriples(cache: Path, key: str) -> bytes | None:
    """The N-Triples kept under ``key``, if a copy's bytes still match the digest its name carries
    (a copy that does not is removed)."""
    try:
        candidates = sorted(cache.glob(f"{key}.*{SUFFIX}"))
    except OSError:
        return None
    for path in candidates:
        recorded = path.name[len(key) + 1 : -len(SUFFIX)]
        try:
            data = path.read_bytes()
        except OSError:
            continue
        if hashlib.sha256(data).hexdigest() == recorded:
            try:
                os.utime(path)  # recently used: the last to be pruned
            except OSError:
                pass
            return data
        try:  # stale or corrupt: never used, and not left for the next reader
            path.unlink()
        except OSError:
            pass
    return None


def keep_ntriples(cache: Path, key: str, data: bytes) -> None:
    """Keep ``data`` under ``key`` (its digest in the name). A cache that cannot be written is skipped."""
    try:
        cache.mkdir(parents=True, exist_ok=True)
        final = cache / f"{key}.{hashlib.sha256(data).hexdigest()}{SUFFIX}"
        if final.exists():
            return
        partial = cache / f".{key}.{os.getpid()}.partial"
        partial.write_bytes(data)
        partial.replace(final)
        _prune(cache)
    except OSError:
        pass


def _prune(cache: Path) -> None:
    """Remove all but the ``KEEP`` most recently used copies (a report without its copy is only a digest away)."""

    def used(path: Path) -> float:
        try:
            return path.stat().st_mtime
        except OSError:
            return 0.0

    for path in sorted(cache.glob(f"*{SUFFIX}"), key=used, reverse=True)[KEEP:]:
        try:
            path.unlink()
        except OSError:
            pass


def project_ntriples(root: Path, cache: Path) -> bytes:
    """The project's graph as sorted N-Triples: the kept copy for these exact files, or parsed now (and kept,
    unless a file changed while it was read)."""
    key = content_key(root)
    kept = kept_ntriples(cache, key)
    if kept is not None:
        return kept
    data = to_ntriples(load_graph(root))
    if content_key(root) == key:
        keep_ntriples(cache, key, data)
    return data
