"""Finding and parsing the project's RDF files, all or nothing.

Parsing is where a curator's typo or a hostile file first meets the code, so
every failure becomes a :class:`DataFileError` naming the file and line, and
nothing is merged until every file has parsed.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from rdflib import Graph

from mfbt_kg.namespaces import bind_prefixes
from mfbt_kg.sparql.media import GRAPH, answering, for_extension

# Formats by file ending (sparql/media.py): Turtle is what curators write; N-Triples, RDF/XML (.rdf, .owl)
# and JSON-LD are for files the CLI is pointed at.
FILE_ENDINGS = tuple("." + ext for f in answering(GRAPH) for ext in (f.extension, *f.extensions))
MAX_NESTING = 256
SHAPES_FILE = "shapes.ttl"
MAX_FILE_BYTES = 50 * 1024 * 1024
# The graph and catalogue a built wheel carries (setup.py copies them there).
INSTALLED = Path(__file__).resolve().parents[1] / "project"


@dataclass(frozen=True)
class DataFileError(Exception):
    """A file that cannot be loaded: where, and what is wrong, in words."""

    path: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.message}"


def project_root(start: Path | None = None) -> Path:
    """The folder holding pyproject.toml, ontology/ and data/ttl/."""
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / "ontology").is_dir() and (candidate / "data" / "ttl").is_dir():
            return candidate
    for candidate in (Path(__file__).resolve().parents[3], INSTALLED):  # a checkout, or the installed copy
        if (candidate / "ontology").is_dir() and (candidate / "data" / "ttl").is_dir():
            return candidate
    raise DataFileError(str(here), None, "no ontology/ and data/ttl/ folders here or above")


def graph_files(root: Path) -> list[Path]:
    """Ontology first, then data, each in name order, so loads are repeatable.

    The shapes are not part of the graph: they are what the graph is checked against.
    """
    ontology = [p for p in sorted((root / "ontology").glob("*.ttl")) if p.name != SHAPES_FILE]
    return ontology + sorted((root / "data" / "ttl").glob("*.ttl"))


def shapes_file(root: Path) -> Path:
    return root / "ontology" / SHAPES_FILE


def _display(path: Path, root: Path | None) -> str:
    try:
        return str(path.resolve().relative_to(root.resolve())) if root else str(path)
    except ValueError:
        return str(path)


# Tokens the nesting pre-check steps over, read as rdflib's Turtle parser reads them: a long string
# ends at the last three of a run of up to five quotes ("""a"""" is the string a"), and a backslash
# escapes the next character (in strings and in local names such as ex:a\#b).
_LONG_STRING = {q: re.compile(rf"{q * 3}(?:(?:{q * 2}|{q})?+(?:[^{q}\\]|\\[\s\S]))*+{q}{{0,2}}{q * 3}") for q in "\"'"}
_SHORT_STRING = {q: re.compile(rf"{q}(?:[^{q}\\\n\r]|\\[\s\S])*+{q}") for q in "\"'"}
_IRI = re.compile(r"<[^>\s]*+>")
_COMMENT = re.compile(r"#[^\n\r]*+")
_NEXT = re.compile(r"[\"'<#\\\[\]()]")


def nesting_error(text: str, limit: int = MAX_NESTING) -> tuple[int, str] | None:
    """Line and message where ``[``/``(`` nesting exceeds ``limit``.

    rdflib's Turtle parser recurses per level; a file nested 100,000 deep would
    end in a RecursionError with no line. Strings, IRIs and comments are skipped,
    left to right, in one pass; at a string or IRI that does not end, the check
    stops (the parser will report it, before it could nest any deeper).
    """
    depth = 0
    pos = 0
    while (found := _NEXT.search(text, pos)) is not None:
        char, at = found.group(), found.start()
        if char in "[(":
            depth += 1
            if depth > limit:
                return text.count("\n", 0, at) + 1, f"nesting deeper than {limit} levels of '[' or '('"
            pos = at + 1
        elif char in "])":
            depth = max(depth - 1, 0)
            pos = at + 1
        elif char == "\\":
            pos = at + 2
        else:
            if char in "\"'":
                long = text.startswith(char * 3, at)
                token = (_LONG_STRING if long else _SHORT_STRING)[char].match(text, at)
            else:
                token = (_IRI if char == "<" else _COMMENT).match(text, at)
            if token is None:
                return None
            pos = token.end()
    return None


def _check_xml(text: str) -> tuple[int, str] | None:
    """RDF/XML with a DTD is refused: entities are how XML files reach out or blow up."""
    match = re.search(r"<!DOCTYPE|<!ENTITY", text, re.IGNORECASE)
    if match:
        return text.count("\n", 0, match.start()) + 1, "RDF/XML with a DOCTYPE or ENTITY declaration is not accepted"
    return None


def _check_jsonld(text: str) -> tuple[int, str] | None:
    """Only inline JSON-LD contexts: a context by reference would make the loader fetch."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        return exc.lineno, f"invalid JSON: {exc.msg}"
    bad = _remote_context(doc)
    return (1, bad) if bad else None


def _remote_context(node: object) -> str | None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "@import":
                return "JSON-LD @import is not accepted"
            if key == "@context":
                contexts = value if isinstance(value, list) else [value]
                if any(isinstance(c, str) for c in contexts):
                    return "JSON-LD context by reference is not accepted (inline the context)"
            found = _remote_context(value)
            if found:
                return found
    elif isinstance(node, list):
        for item in node:
            found = _remote_context(item)
            if found:
                return found
    return None


_PRECHECKS = {"turtle": nesting_error, "xml": _check_xml, "json-ld": _check_jsonld}


def parse_file(path: Path, root: Path | None = None, graph: Graph | None = None) -> Graph:
    """Parse one file into ``graph`` (a new one by default) or raise DataFileError."""
    shown = _display(path, root)
    found = for_extension(path.suffix.lstrip("."), GRAPH, aliases=True)
    if found is None or found.rdflib is None:
        raise DataFileError(
            shown, None, f"unknown file type {path.suffix!r}; expected one of {', '.join(FILE_ENDINGS)}"
        )
    fmt = found.rdflib
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise DataFileError(shown, None, f"file larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB")
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise DataFileError(shown, None, f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise DataFileError(shown, None, f"cannot read file ({exc.strerror})") from None
    check = _PRECHECKS.get(fmt)
    problem = check(text) if check else None
    if problem:
        raise DataFileError(shown, problem[0], problem[1])
    target = graph if graph is not None else Graph()
    try:
        target.parse(data=text, format=fmt, publicID=path.resolve().as_uri())
    except RecursionError:
        raise DataFileError(shown, None, "structure nested too deeply to parse") from None
    except Exception as exc:  # rdflib raises many types; each becomes file:line
        line, message = _describe_parse_error(exc)
        raise DataFileError(shown, line, message) from None
    return target


_LINE = re.compile(r"at line (\d+)")


def _describe_parse_error(exc: Exception) -> tuple[int | None, str]:
    """rdflib's BadSyntax carries the text and the offset of the error; turn them into a line and a short message.

    The line is counted from the offset: rdflib's own line counter (``lines``) counts a newline twice
    when it backtracks over it (after a ``,`` that ends a line, for one), and drifts down the file.
    """
    line = getattr(exc, "lines", None)
    why = getattr(exc, "_why", None)
    text, at = getattr(exc, "_str", None), getattr(exc, "_i", None)
    if isinstance(text, (bytes, str)) and isinstance(at, int) and why:  # the offset counts characters, not bytes
        chars = text.decode("utf-8", errors="replace") if isinstance(text, bytes) else text
        return chars.count("\n", 0, at) + 1, _tidy(str(why))
    if isinstance(line, int) and why:
        return line + 1, _tidy(str(why))
    text = str(exc)
    match = _LINE.search(text)
    return (int(match.group(1)) if match else None), _tidy(text.splitlines()[-1] if text else type(exc).__name__)


def _tidy(message: str) -> str:
    message = message.strip()
    match = re.match(r'Prefix "?([^"]*?):?"? not bound', message)
    if match:
        return f"unknown prefix '{match.group(1)}:'"
    return message


def load_graph(
    root: Path,
    files: list[Path] | None = None,
    origins: dict | None = None,
    texts: list[tuple[str, str, Graph]] | None = None,
) -> Graph:
    """Parse every file, each alone first; merge only when all have parsed.

    ``origins``, when given, is filled with subject -> file, so a report can say
    which file to open to fix a node; ``texts`` with (file, text, graph) per file,
    for the checks that need lines (``graph.references``).
    """
    paths = files if files is not None else graph_files(root)
    parsed = [(path, parse_file(path, root)) for path in paths]
    merged = bind_prefixes(Graph())
    for path, graph in parsed:
        shown = _display(path, root)
        if texts is not None:
            texts.append((shown, path.read_text(encoding="utf-8"), graph))
        for triple in graph:
            merged.add(triple)
            if origins is not None:
                origins.setdefault(triple[0], shown)
    return merged
