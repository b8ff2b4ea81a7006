"""Filling a remote store: the validated graph, as one Graph Store PUT of the default graph.

The service then reads it with ``serve --store``.
"""

from __future__ import annotations

from pathlib import Path

from mfbt_kg.graph.files import load_graph, project_root
from mfbt_kg.graph.validate import Report, validate_project
from mfbt_kg.sparql.store import RemoteStore, StoreError, to_ntriples


class UploadError(StoreError):
    """The graph was not uploaded because it does not conform; ``report`` says why."""

    def __init__(self, message: str, report: Report) -> None:
        super().__init__(message)
        self.report = report


def upload(store_url: str, root: Path | None = None) -> int:
    """Validate, then replace the remote store's default graph with the graph; the triples uploaded.

    Raises UploadError when the graph does not conform (nothing is uploaded) and
    StoreError when the store cannot be reached or refuses.
    """
    folder = project_root(root)
    report = validate_project(folder)
    if not report.conforms:
        raise UploadError(f"the graph does not conform ({len(report.violations)} violations); nothing uploaded "
                          "(see 'mfbt-kg validate')", report)
    graph = load_graph(folder)
    RemoteStore(store_url).replace(to_ntriples(graph))
    return len(graph)
