"""Answers as tables for a terminal: compact names, labels, and columns wrapped to fit the width.

An IRI of the project reads as its prefixed name (``offer:unn-asgard``); where the answer has no
label column of its own beside it, its label goes in front (``UNN Åsgård (offer:unn-asgard)``), so
an IRI and its label are never both written out in full. Columns wider than their share of the
terminal wrap onto more lines instead of running off the screen; piped output keeps one line per row
unless a width is given.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterable

import pyoxigraph as ox

from mfbt_kg.sparql.answers import Answer, Table, Term, render_table

MIN_COLUMN = 8
GAP = "  "


def compact(iri: str, prefixes: Iterable[tuple[str, str]]) -> str:
    """``prefix:local`` for the longest namespace that holds ``iri``, else ``<iri>``."""
    best = max(
        ((p, ns) for p, ns in prefixes if iri.startswith(ns) and len(iri) > len(ns)),
        key=lambda item: len(item[1]),
        default=None,
    )
    if best is None or any(c in iri[len(best[1]) :] for c in "/#?"):
        return f"<{iri}>"
    return f"{best[0]}:{iri[len(best[1]) :]}"


def fitted_table(
    answer: Answer, label: Callable[[str], str | None], prefixes: Iterable[tuple[str, str]], width: int | None
) -> str:
    """``answer`` as a table ``width`` characters wide at most (None: as wide as the rows are)."""
    if not isinstance(answer, Table):
        return render_table(answer, label)
    prefixes = list(prefixes)
    variables = list(answer.variables)
    labelled = {i for i, v in enumerate(variables) if f"{v}_label" not in variables}

    def cell(i: int, term: Term | None) -> str:
        if term is None:
            return ""
        if isinstance(term, ox.NamedNode):
            name = compact(term.value, prefixes)
            text = label(term.value) if i in labelled else None
            return f"{text} ({name})" if text else name
        return term.value if isinstance(term, ox.Literal) else str(term)

    rows = [[cell(i, term) for i, term in enumerate(row)] for row in answer.rows]
    natural = [
        max([len(v)] + [max((len(line) for line in r[i].splitlines()), default=0) for r in rows])
        for i, v in enumerate(variables)
    ]
    widths = _fit(natural, width)
    out = [
        _line([_wrap(v, w) for v, w in zip(variables, widths, strict=True)], widths),
        GAP.join("-" * w for w in widths),
    ]
    for row in rows:
        out.append(_line([_wrap(text, w) for text, w in zip(row, widths, strict=True)], widths))
    out.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(out) + "\n"


def _fit(natural: list[int], width: int | None) -> list[int]:
    """Column widths: the natural ones if they fit; else narrow columns keep theirs and the wide ones share
    what is left equally (never under ``MIN_COLUMN``)."""
    if not width or not natural or sum(natural) + len(GAP) * (len(natural) - 1) <= width:
        return natural
    remaining = max(width - len(GAP) * (len(natural) - 1), MIN_COLUMN * len(natural))
    widths, wide = list(natural), set(range(len(natural)))
    while wide:
        share = remaining // len(wide)
        narrow = {i for i in wide if natural[i] <= share}
        if not narrow:
            break
        remaining -= sum(natural[i] for i in narrow)
        wide -= narrow
    for i in wide:
        widths[i] = max(MIN_COLUMN, remaining // len(wide))
    return widths


def _wrap(text: str, width: int) -> list[str]:
    lines: list[str] = []
    for part in text.splitlines() or [""]:
        lines += textwrap.wrap(part, width, break_long_words=True, break_on_hyphens=False) or [""]
    return lines


def _line(cells: list[list[str]], widths: list[int]) -> str:
    height = max(len(c) for c in cells)
    return "\n".join(
        GAP.join((c[k] if k < len(c) else "").ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()
        for k in range(height)
    )
