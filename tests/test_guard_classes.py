"""The guard's name classes, as compiled, against the SPARQL grammar's classes, at every code point.

sparql/guard.py writes each class of the grammar's terminals (PN_CHARS_BASE, PN_CHARS_U, PN_CHARS, VARNAME
and their combinations with ``.``, ``:`` and ``0-9``) as the grammar does, and compiles it as the negation of
its complement, which Python's re compiles four times faster. The two spellings must match exactly the same
characters: checked here over all of 0..0x10FFFF, lone surrogates included (a query text may hold them).
"""

from __future__ import annotations

import re
import sys

import pytest

from mfbt_kg.sparql import guard

EVERY_CHARACTER = "".join(map(chr, range(sys.maxunicode + 1)))
BODIES = sorted(guard._CLASSES)


def test_every_class_of_the_grammar_is_respelled() -> None:
    """The classes the patterns use: the grammar's three and the five combinations the terminals write."""
    assert set(BODIES) == {
        guard._PN_CHARS_BASE,
        guard._PN_CHARS,
        guard._PN_CHARS + ".",
        guard._PN_CHARS + ":",
        guard._PN_CHARS + ".:",
        guard._PN_CHARS_U + ":0-9",
        guard._PN_CHARS_U + "0-9",
        guard._VARNAME_CHARS,
    }


@pytest.mark.parametrize("body", BODIES, ids=range(len(BODIES)))
def test_class_matches_the_grammar_class_at_every_code_point(body: str) -> None:
    written = re.compile(f"[{body}]")
    used = guard._CLASSES[body]
    assert used.startswith("[^")  # the complement spelling, not the class as written
    # findall keeps the order of EVERY_CHARACTER: equal strings are equal sets of characters.
    matched = "".join(re.findall(used, EVERY_CHARACTER))
    assert matched == "".join(written.findall(EVERY_CHARACTER))
    assert "A" in matched and "\U000effff" in matched
    assert not {" ", ">", "\ud800", "\U000f0000"} & set(matched)


def test_the_grammar_class_bodies_read_as_the_spec_writes_them() -> None:
    """PN_CHARS_BASE per SPARQL 1.1 §19.8 [164], spot-checked at each range's edges."""
    base = re.compile(guard._CLASSES[guard._PN_CHARS_BASE])
    inside = "AZaz\u00c0\u00d6\u00d8\u00f6\u00f8\u02ff\u0370\u037d\u037f\u1fff\u200c\u200d\u2070\u218f"
    inside += "\u2c00\u2fef\u3001\ud7ff\uf900\ufdcf\ufdf0\ufffd\U00010000\U000effff"
    outside = "@[`{\u00bf\u00d7\u00f7\u0300\u037e\u2000\u200e\u2190\u2ff0\u3000\ud800\uf8ff\ufdd0\ufffe\U000f0000_0."
    assert all(base.fullmatch(c) for c in inside)
    assert not any(base.fullmatch(c) for c in outside)


def test_lazy_patterns_compile_once_and_then_match_directly() -> None:
    guard.warm()
    for pattern in guard._LAZY:
        assert pattern.pattern is not None
        assert pattern.match == pattern.pattern.match  # the compiled pattern's own method, no wrapper
    # A fresh lazy pattern compiles on its first match and answers as the compiled one does.
    lazy = guard._Lazy(guard._VAR)
    guard._LAZY.remove(lazy)
    assert lazy.pattern is None
    found = lazy.match("?név_1 x", 0)
    assert found is not None and found.group() == "?név_1"
    assert lazy.pattern is not None and lazy.match == lazy.pattern.match
