"""A release of the dataset, against the one before it: its version, the diff and the data changelog.

``mfbt-kg export --previous DIR`` reads the earlier bundle (its N-Triples dump and the version its
``dcat.ttl`` states), compares the graph being exported with it (``publish.diff``) and:

- gives the release the version its changes call for (docs/curation.md "Releases": a fact removed or
  changed → major, only facts added → minor, only wording → patch; no change → the same version);
  a version given by hand that differs is refused;
- puts the diff in the bundle, as text (``changes/diff.txt``) and as RDF (``changes/diff.ttl``, the
  changeset vocabulary), and a data changelog (``CHANGELOG.md``): this release's entry, then the earlier
  bundle's entries;
- has the description say so: ``adms:versionNotes`` and ``dcat:previousVersion``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from rdflib import Graph, URIRef
from rdflib.namespace import OWL

from mfbt_kg.namespaces import DATASET_IRI
from mfbt_kg.publish.diff import DUMP, Diff, DiffError, as_rdf, as_text, compare, next_version, read_release
from mfbt_kg.publish.parts import FilePart
from mfbt_kg.sparql.media import named

DIFF_TEXT = "changes/diff.txt"
DIFF_RDF = "changes/diff.ttl"
CHANGELOG = "CHANGELOG.md"
CHANGELOG_TITLE = "# Changelog of the data"
LEVEL_WORDS = {
    "major": ("en større endring: fakta fjernet eller endret", "a major change: facts removed or changed"),
    "minor": (
        "en mindre endring: bare fakta eller ressurser lagt til",
        "a minor change: only facts or resources added",
    ),
    "patch": (
        "en rettelse: bare ordlyd (etiketter, definisjoner, merknader)",
        "a patch: only wording (labels, definitions, notes)",
    ),
    "none": ("ingen endring i dataene", "no change to the data"),
}


class ReleaseError(ValueError):
    """A previous release that cannot be read, or a version that does not follow the changes; one line."""


@dataclass(frozen=True)
class Release:
    version: str
    previous_version: str
    diff: Diff
    parts: tuple[FilePart, ...]
    notes: dict[str, str]  # language -> adms:versionNotes


def previous_version(folder: Path) -> str:
    """The version an earlier bundle's ``dcat.ttl`` states for the dataset (owl:versionInfo)."""
    try:
        description = Graph().parse(folder / "dcat.ttl", format="turtle")
    except (OSError, SyntaxError, ValueError) as exc:
        raise ReleaseError(f"{folder}: not an earlier export (cannot read its dcat.ttl: {exc})") from None
    version = description.value(URIRef(DATASET_IRI), OWL.versionInfo)
    if version is None or not re.fullmatch(r"\d+\.\d+\.\d+", str(version)):
        raise ReleaseError(f"{folder}/dcat.ttl states no version X.Y.Z of the dataset (owl:versionInfo)")
    return str(version)


def release(previous: Path, graph: Graph, asked_version: str | None, turtle: bytes | None = None) -> Release:
    """This release against ``previous`` (an export folder). ``asked_version`` (set by hand) must be the one
    the changes call for. ``turtle`` writes the diff graph as bytes (the bundle's stable writer)."""
    if not (previous / DUMP).is_file():
        raise ReleaseError(f"{previous}: not an earlier export (no {DUMP})")
    before = previous_version(previous)
    try:
        old = read_release(str(previous), previous)
    except DiffError as exc:
        raise ReleaseError(str(exc)) from None
    diff = compare(old, graph, f"release {before}", "this release")
    level = diff.level()
    version = next_version(before, level)
    if asked_version is not None and asked_version != version:
        raise ReleaseError(
            f"version {asked_version} does not follow the changes since {before}: they are "
            f"{LEVEL_WORDS[level][1]}, so this release is {version} (docs/curation.md, Releases)"
        )
    counts = diff.counts()
    summary_en = (
        f"Version {version}, {LEVEL_WORDS[level][1]} since {before}: {counts['resources']} resources "
        f"changed, {counts['added']} facts added, {counts['removed']} removed (listed in {DIFF_TEXT})."
    )
    summary_nb = (
        f"Versjon {version}, {LEVEL_WORDS[level][0]} siden {before}: {counts['resources']} ressurser "
        f"endret, {counts['added']} fakta lagt til, {counts['removed']} fjernet (listet i {DIFF_TEXT})."
    )
    text = as_text(diff, graph).encode("utf-8")
    rdf = turtle if turtle is not None else as_rdf(diff).serialize(format="turtle", encoding="utf-8")
    ttl = named("turtle")
    parts = (
        FilePart(
            DIFF_TEXT,
            text,
            "TXT",
            "text/plain",
            f"Endringer siden {before}",
            f"Changes since {before}",
            "Facts added, removed and changed per resource, with labels and sources.",
        ),
        FilePart(
            DIFF_RDF,
            rdf,
            ttl.eu_file_type,
            ttl.media_type,
            f"Endringer siden {before} (RDF)",
            f"Changes since {before} (RDF)",
            "The same changes in the changeset vocabulary (reified statements).",
        ),
        FilePart(
            CHANGELOG,
            changelog(previous, version, summary_en if level != "none" else None),
            "TXT",
            "text/markdown",
            "Endringslogg for dataene",
            "Changelog of the data",
            "One entry per release, newest first.",
        ),
    )
    return Release(version, before, diff, parts, {"nb": summary_nb, "en": summary_en})


def changelog(previous: Path, version: str, summary: str | None) -> bytes:
    """This release's entry on top of the earlier bundle's changelog (or a line for that release); no new
    entry (``summary`` None) when the data did not change."""
    earlier = ""
    try:
        earlier = (previous / CHANGELOG).read_text(encoding="utf-8").removeprefix(CHANGELOG_TITLE).strip()
    except (OSError, UnicodeDecodeError):
        pass
    if not earlier:
        earlier = f"## {previous_version(previous)}\n\nThe earlier release (its bundle carries no changelog)."
    entry = f"## {version}\n\n{summary}\n\n" if summary else ""
    return f"{CHANGELOG_TITLE}\n\n{entry}{earlier}\n".encode()
