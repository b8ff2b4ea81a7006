"""Filling a remote store: the validated graph, as one Graph Store PUT of the default graph (or of a named one).

The service then reads it with ``serve --store``.
"""

from __future__ import annotations

from pathlib import Path

from mfbt_kg.graph.files import project_root
from mfbt_kg.graph.validate import validated
from mfbt_kg.sparql.store import RemoteStore, to_ntriples


def upload(
    store_url: str,
    root: Path | None = None,
    *,
    graph: str | None = None,
    graph_store: str | None = None,
    user: str | None = None,
    password: str | None = None,
) -> int:
    """Validate, then replace the remote store's default graph (or the named graph ``graph``) with the graph;
    the triples uploaded. ``graph_store``: the Graph Store endpoint, when not the query URL's ``/store``;
    ``user`` / ``password``: who may write there (``RemoteStore``).

    Raises InvalidGraphError when the graph does not conform (nothing is uploaded) and
    StoreError when the store cannot be reached or refuses.
    """
    data, _ = validated(project_root(root))
    RemoteStore(store_url, graph_store, graph=graph, user=user, password=password).replace(to_ntriples(data))
    return len(data)
