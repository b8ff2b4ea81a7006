"""Filling a remote store: the validated graph, as one Graph Store PUT of the default graph.

The service then reads it with ``serve --store``.
"""

from __future__ import annotations

from pathlib import Path

from mfbt_kg.graph.files import project_root
from mfbt_kg.graph.validate import validated
from mfbt_kg.sparql.store import RemoteStore, to_ntriples


def upload(store_url: str, root: Path | None = None) -> int:
    """Validate, then replace the remote store's default graph with the graph; the triples uploaded.

    Raises InvalidGraphError when the graph does not conform (nothing is uploaded) and
    StoreError when the store cannot be reached or refuses.
    """
    graph, _ = validated(project_root(root))
    RemoteStore(store_url).replace(to_ntriples(graph))
    return len(graph)
