"""How long a query's chains are: a rule the guard applies before the engine sees a query.

pyoxigraph's parser and evaluator recurse once per element of a chain — an
operator chain (``1+1+…``, ``a && b && …``) or a sequence of group elements
(``BIND``, ``MINUS``, ``OPTIONAL``, ``UNION``, ``FILTER``) — even when nothing is
nested. The security review crashed workers (SIGSEGV) with 8,000 ``+`` terms,
10,000 ``&&`` operands, 3,000 ``BIND`` and 3,000 ``MINUS`` groups. Workers now
run queries on a 256 MiB stack, which carries every such chain a 64 KiB query
can hold; this limit is the second layer, and keeps each refused query cheap.

The count is taken over the raw text, strings, IRIs and comments included, so it
can only over-count: nothing hides from it, and a real query is far below it
(the catalogue's longest has a few dozen).
"""

from __future__ import annotations

import re

CHAIN_LIMIT = 2000
_ELEMENT = re.compile(r"&&|\|\||[+*=]|\b(?:BIND|MINUS|OPTIONAL|UNION|FILTER)\b", re.IGNORECASE)


def chain_elements(text: str) -> int:
    """Operators (``&& || + * =``, ``=`` also in ``!= <= >=``) and the group keywords above, in linear time."""
    return sum(1 for _ in _ELEMENT.finditer(text))


def chain_refusal(text: str) -> str | None:
    """Why the query is refused for its chains, or None."""
    count = chain_elements(text)
    if count > CHAIN_LIMIT:
        return (
            f"query too long a chain of operators or group elements ({count}; at most {CHAIN_LIMIT} "
            "of && || + * = BIND MINUS OPTIONAL UNION FILTER)"
        )
    return None
