"""What a bundle is made of: its files (each a DCAT distribution) and its query tables."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from mfbt_kg.sparql.catalogue import NamedQuery


@dataclass(frozen=True)
class FilePart:
    """One file of the bundle: its bytes and what a catalogue says about it."""

    path: str
    data: bytes
    file_type: str
    media_type: str
    title_nb: str
    title_en: str
    description_en: str | None = None
    dump: bool = False

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def sha1(self) -> str:
        return hashlib.sha1(self.data, usedforsecurity=False).hexdigest()


@dataclass(frozen=True)
class QueryTable:
    """A catalogue query run for the bundle, or skipped, and why."""

    query: NamedQuery
    path: str | None
    parameters: str
    skipped: str | None = None
    sheet: str | None = None  # the spreadsheet table (tables/NAME.csv) beside the SPARQL CSV


@dataclass
class Bundle:
    """The files that carry the data (each a DCAT distribution), and the query tables."""

    parts: list[FilePart] = field(default_factory=list)
    tables: list[QueryTable] = field(default_factory=list)
