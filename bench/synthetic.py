"""A larger graph with the real data's shape, for measuring at ×10 and ×100.

Every resource of an instance kind (offers, units, trusts, statements, figures,
...) is copied with a suffix; vocabulary kinds (methods, measures, concepts,
regions, guidelines and their table cells, sources) are shared, so the copies link to the
same vocabulary as the real offers do: a lookup of one offer still finds one
offer, an aggregate over all offers grows with the scale. Works on N-Triples
lines (one triple a line, IRIs in <...>), so ×100 (about a million triples)
takes seconds and no rdflib graph. The copies are benchmark data only: they
never enter data/ttl/.
"""

from __future__ import annotations

import re

from mfbt_kg.namespaces import ID

SHARED_KINDS = (
    "concept",
    "referrer",
    "measure",
    "method",
    "method-category",
    "diagnosis-group",
    "exclusion-criterion",
    "region",
    "guideline",
    "document",
    "source",
    "area",
    # The guidelines' own content — the KBT appendix's cells and the graded recommendations — is a fixed national
    # document: more offers add none of it (copying it made guideline lookups grow with the copies, which no real
    # growth would do; ×1000 is then about 6.8 M triples, near the "about 6.6 M").
    "table-cell",
    "graded-recommendation",
)
_SHARED = "|".join(re.escape(kind) for kind in SHARED_KINDS)
# An instance IRI (its kind is not shared), or a blank node label: what each copy renames.
_INSTANCE = re.compile(rf"<({re.escape(str(ID))}(?!(?:{_SHARED})/)[^>]*)>|(_:[A-Za-z0-9]+)")


def _is_instance_line(line: str) -> bool:
    return bool(_INSTANCE.match(line))


def _renamed(line: str, copy: int) -> str:
    """The line with its subject and IRI/blank-node object renamed for ``copy`` (literals untouched)."""
    subject_end = line.index(" ")
    predicate_end = line.index(" ", subject_end + 1)
    obj = line[predicate_end + 1 :]
    if obj.startswith(("<", "_:")):
        obj = _INSTANCE.sub(lambda m: _suffix(m, copy), obj, count=1)
    return (
        _INSTANCE.sub(lambda m: _suffix(m, copy), line[:subject_end], count=1)
        + line[subject_end : predicate_end + 1]
        + obj
    )


def _suffix(match: re.Match[str], copy: int) -> str:
    iri, bnode = match.groups()
    return f"<{iri}-x{copy}>" if iri else f"{bnode}x{copy}"


def scaled_ntriples(ntriples: bytes, factor: int) -> bytes:
    """The real N-Triples plus ``factor - 1`` renamed copies of the instance data."""
    lines = ntriples.decode("utf-8").splitlines()
    instance = [line for line in lines if line and _is_instance_line(line)]
    out = list(lines)
    for copy in range(1, factor):
        out.extend(_renamed(line, copy) for line in instance)
    return ("\n".join(out) + "\n").encode("utf-8")
