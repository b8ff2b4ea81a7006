"""What a curator gets wrong across files, which SHACL cannot see: references and duplicates.

A *dangling reference* is an IRI of the project's namespace that some triple uses but no file
describes — nearly always a misspelt slug (``offer:unn-asgrd``), which SHACL passes because an
IRI is an IRI. A *duplicate* is one IRI typed (``a …``) in two places: a copied block, or one slug
reused for two things, which rdflib would silently merge into one resource.

Both are found per file, before merging, so every finding names a file and a line; the same
line index lets a SHACL violation name the line where its node is described.
"""

from __future__ import annotations

import difflib
import re
from collections import defaultdict
from dataclasses import dataclass

from rdflib import Graph, URIRef
from rdflib.namespace import OWL

from mfbt_kg.namespaces import BASE, curie, slug

# Objects that name a thing rather than refer to a description of it.
NOT_REFERENCES = frozenset({OWL.versionIRI})
_BLOCK = re.compile(r"^(?P<subject><[^>\s]*>|[A-Za-z][\w-]*:[\w.-]*)\s+a\s", re.M)
_PREFIX = re.compile(r"^@prefix\s+([\w-]*):\s*<([^>]*)>\s*\.", re.M)


@dataclass(frozen=True)
class Place:
    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True)
class Finding:
    """One dangling reference or duplicate description, where it is, and what to do."""

    kind: str  # "dangling" or "duplicate"
    iri: str
    place: Place
    message: str


@dataclass
class SourceIndex:
    """Where each subject is described (file and line of each ``a`` block), and what each file uses."""

    blocks: dict[str, list[Place]]
    described: set[str]
    uses: dict[str, list[Place]]

    def place_of(self, iri: str) -> Place | None:
        places = self.blocks.get(iri)
        return places[0] if places else None


def index_files(parsed: list[tuple[str, str, Graph]]) -> SourceIndex:
    """``parsed``: (file shown to the user, its text, its graph), one per file, in load order."""
    blocks: dict[str, list[Place]] = defaultdict(list)
    described: set[str] = set()
    uses: dict[str, list[Place]] = defaultdict(list)
    for shown, text, graph in parsed:
        prefixes = dict(_PREFIX.findall(text))
        for match in _BLOCK.finditer(text):
            iri = _expand(match.group("subject"), prefixes)
            if iri:
                blocks[iri].append(Place(shown, text.count("\n", 0, match.start()) + 1))
        described.update(str(s) for s in graph.subjects() if isinstance(s, URIRef))
        for _, predicate, obj in graph:
            for term in (predicate, obj):
                if isinstance(term, URIRef) and str(term).startswith(BASE) and predicate not in NOT_REFERENCES:
                    uses[str(term)].append(Place(shown, _line_of(text, str(term), prefixes)))
    return SourceIndex(dict(blocks), described, dict(uses))


def find_problems(index: SourceIndex) -> list[Finding]:
    findings = []
    for iri, places in sorted(index.uses.items()):
        if iri in index.described:
            continue
        hint = _did_you_mean(iri, index.described)
        for place in sorted(set(places), key=lambda p: (p.file, p.line)):
            findings.append(Finding("dangling", iri, place, f"{_shown(iri)} is used here but described nowhere{hint}"))
    for iri, places in sorted(index.blocks.items()):
        if len(places) > 1:
            others = ", ".join(str(p) for p in places)
            for place in places:
                findings.append(
                    Finding(
                        "duplicate",
                        iri,
                        place,
                        f"{_shown(iri)} is described in {len(places)} places ({others}); "
                        "describe it once, or give the second thing its own slug",
                    )
                )
    return findings


def _did_you_mean(iri: str, described: set[str]) -> str:
    """The closest described IRI of the same kind, after applying the slug rule to the misspelt slug."""
    head, _, tail = iri.rpartition("/")
    if not tail:
        head, _, tail = iri.rpartition("#")
    siblings = {d.rpartition("/")[2]: d for d in described if d.startswith(head + "/")}
    fixed = slug(tail)
    if fixed in siblings and siblings[fixed] != iri:
        return f"; did you mean {_shown(siblings[fixed])}?"
    close = difflib.get_close_matches(fixed, list(siblings), n=1, cutoff=0.75)
    return f"; did you mean {_shown(siblings[close[0]])}?" if close else ""


def _expand(name: str, prefixes: dict[str, str]) -> str | None:
    if name.startswith("<"):
        return name[1:-1]
    prefix, _, local = name.partition(":")
    namespace = prefixes.get(prefix)
    return namespace + local if namespace is not None else None


def _line_of(text: str, iri: str, prefixes: dict[str, str]) -> int:
    """The first line that spells ``iri``, in full or with one of the file's prefixes."""
    spellings = [f"<{iri}>"] + [f"{p}:{iri[len(ns) :]}" for p, ns in prefixes.items() if iri.startswith(ns)]
    found = [m.start() for s in spellings for m in re.finditer(re.escape(s) + r"(?![\w-])", text)]
    return text.count("\n", 0, min(found)) + 1 if found else 1


def _shown(iri: str) -> str:
    """A prefixed name where the project has the prefix, else the IRI in angle brackets."""
    short = curie(iri)
    return short if short != iri else f"<{iri}>"
