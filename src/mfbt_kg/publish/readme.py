"""The README of an export bundle: what a recipient needs to load, check and catalogue it.

Written from the same bundle, facts and settings as the DCAT description, so the two
never disagree; no clock, so the same input gives the same text.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import TYPE_CHECKING

from mfbt_kg.namespaces import EU_LICENCE_OF, ID, MFBT, ORGANIZATION_CATALOG
from mfbt_kg.publish.dcat import DESCRIPTION_TEXT, TITLE, Facts, download_url, publisher
from mfbt_kg.publish.parts import Bundle
from mfbt_kg.publish.settings import PublishSettings
from mfbt_kg.publish.tables import CODEBOOK_FILE

if TYPE_CHECKING:
    from mfbt_kg.graph.validate import Report

DEFAULT_BASE_URL = PublishSettings().base_url


def render_readme(
    bundle: Bundle, facts: Facts, settings: PublishSettings, files: Mapping[str, bytes], report: Report
) -> str:
    """Markdown for the recipient. ``files`` are the bundle's files written before the README."""
    version = settings.version or facts.version or "not set"
    modified = settings.modified or facts.modified or "not set"
    issued = settings.issued or facts.issued or "not set (give --issued when the dataset is published)"
    out = [
        f"# {TITLE['en']}",
        "",
        f"*{TITLE['nb']}*",
        "",
        DESCRIPTION_TEXT["en"],
        "",
        DESCRIPTION_TEXT["nb"],
        "",
        f"- Version {version}; modified {modified}; issued {issued}.",
        *(
            [
                f"- This release follows {settings.previous_version}: "
                + next((text for lang, text in settings.version_notes if lang == "en"), "")
                + " `changes/diff.ttl` holds the same changes as RDF; `CHANGELOG.md` lists every release."
            ]
            if settings.previous_version
            else []
        ),
        f"- Checked against the project's SHACL shapes before export: {report.summary_line()}.",
        f"- Licence: <{settings.licence}>.",
        "",
    ]

    out += ["## Files", "", "| file | what | bytes | SHA-256 |", "| --- | --- | ---: | --- |"]
    titles = {part.path: part.title_en for part in bundle.parts}
    titles.update(
        {
            "dcat.ttl": "DCAT-AP-NO description of the dataset (see below)",
            "void.ttl": "VoID description of the dataset (see below)",
        }
    )
    for path, data in sorted(files.items()):
        out.append(f"| `{path}` | {titles.get(path, '')} | {len(data):,} | `{hashlib.sha256(data).hexdigest()}` |")
    out += [
        "",
        "`SHA256SUMS` lists the SHA-256 of every file but itself (this README included): "
        "check the bundle with `sha256sum -c SHA256SUMS`.",
        "",
    ]

    out += [
        "## Loading the data",
        "",
        "- `data/mfbt-kg.ttl`, `.nt` and `.rdf` hold the same graph (the ontology, the controlled vocabularies "
        "and the facts) in Turtle, N-Triples and RDF/XML; any RDF tool reads them "
        '(rdflib: `Graph().parse("data/mfbt-kg.ttl")`; Apache Jena: `riot data/mfbt-kg.nt`).',
        "- `data/mfbt-kg.standalone.jsonld` is JSON-LD with its context inline: it loads in any JSON-LD "
        "processor (rdflib, Oxigraph, jsonld.js) without fetching anything. `data/mfbt-kg.jsonld` is the same "
        "graph naming its context by the relative reference `context.jsonld` (`data/context.jsonld`): keep the "
        "two together, or use the standalone file with a tool that will not load a referenced context.",
        f"- Resources are named `{ID}{{kind}}/{{slug}}`; the vocabulary is `{MFBT}` (prefix `mfbt:`). "
        "Every fact carries `dcterms:source`: the document and section it comes from.",
        "- `ontology/` holds the model files as curated, with comments; `ontology/shapes.ttl` is the SHACL "
        "the graph was checked against.",
        "",
    ]

    out += [
        "## Query tables",
        "",
        "Each question of the project's query catalogue, run with its defaults (a question that needs a "
        "value: once for every resource it accepts, in one long table whose first columns name the value), "
        "in three files:",
        "",
        "- `queries/NAME.rq`: the query itself (SPARQL 1.1), to rerun it with other values against the "
        "SPARQL endpoint or a copy of the dumps;",
        "- `queries/NAME.csv`: the answer as SPARQL CSV (W3C), for code: headers are the query's variables, "
        "IRIs in full;",
        "- `tables/NAME.csv`: the same table for a spreadsheet: UTF-8 with a byte-order mark, `;` between "
        "fields, a header row in "
        + ("Norwegian" if settings.language == "nb" else "English")
        + " (`--language`), and beside each column of IRIs a column with their labels. Every text field "
        "is quoted; a text a spreadsheet would read as a number, date or formula (a section `4.12`, a start "
        "written `3.10.2016`) begins with the invisible character U+2060 WORD JOINER, so a spreadsheet keeps "
        "it as written; code reading these files should strip it (or read `queries/NAME.csv`). In "
        'LibreOffice, tick "Format quoted field as text" when importing to keep every quoted field as text.',
        f"- `{CODEBOOK_FILE}`: the codebook, one row per column of every table: the variable, its Norwegian "
        "and English header, and what it means.",
        "",
        "| file | question | parameters used |",
        "| --- | --- | --- |",
    ]
    for table in bundle.tables:
        if table.path:
            out.append(
                f"| `{table.path}`, `{table.sheet}` | {table.query.title_en} / *{table.query.title_nb}* | "
                f"{table.parameters} |"
            )
    skipped = [t for t in bundle.tables if t.skipped]
    if skipped:
        out += [
            "",
            "Not included, because a table needs a value the query has no usable default for "
            "(run them against the SPARQL endpoint or with `mfbt-kg query run NAME --param ...`):",
            "",
            "| query | why |",
            "| --- | --- |",
        ]
        out += [f"| `{t.query.name}` ({t.query.title_en}) | {t.skipped} |" for t in skipped]
    out.append("")

    out += _description_section(facts, settings)
    return "\n".join(out) + "\n"


def _description_section(facts: Facts, settings: PublishSettings) -> list[str]:
    eu_licence = EU_LICENCE_OF.get(settings.licence)
    years = f"{facts.first_year}–{facts.last_year}" if facts.first_year and facts.last_year else "not known"
    out = [
        "## Dataset description (DCAT-AP-NO and VoID)",
        "",
        "- `dcat.ttl` describes the dataset by DCAT-AP-NO 2.0, the profile data.norge.no harvests: a catalogue, "
        "the dataset (title and description in Norwegian and English, publisher, contact point, licence, "
        "theme, keywords, temporal and spatial coverage, dates, version), the SPARQL endpoint as a "
        f"`dcat:DataService` at <{settings.endpoint_url}>, and one distribution per data file above with "
        "format, media type, download URL, byte size and checksums.",
        f"- `void.ttl` gives the VoID figures: {facts.counts['triples']:,} triples, {facts.counts['entities']:,} "
        f"entities, {facts.counts['classes']} classes, {facts.counts['properties']} properties; the SPARQL "
        "endpoint, the dumps and example resources.",
        f"- Download URLs start with <{settings.base_url}>."
        + (
            " That is the default: the files as served by `mfbt-kg serve` on the machine that exported them. "
            "Export again with `--base-url` set to where the files will be published before the description "
            "is handed on."
            if settings.base_url == DEFAULT_BASE_URL
            else ""
        ),
        "- Checksums: every distribution carries its SHA-256 (`schema:sha256`, and in `SHA256SUMS`). "
        "DCAT-AP-NO 2.0 accepts only SHA-1 in `spdx:checksum`, so each distribution carries its SHA-1 there.",
        f"- Themes: {', '.join(f'<{t}>' for t in settings.themes)} (the EU data theme DCAT-AP-NO requires, and "
        "the national Los theme). Spatial coverage: "
        f"{', '.join(f'<{s}>' for s in settings.spatial)} (the health regions are not entries of the "
        "vocabularies DCAT-AP-NO accepts for `dct:spatial`, so the description names the country). Temporal "
        f"coverage: {years}, the years the sources' "
        "dates span (the documents and the dates and periods their facts hold for; the national guidelines' "
        "publication years are the yardstick, not the period, and are left out).",
        "- Upkeep: landing page (`dcat:landingPage`), accrual periodicity irregular (the data changes when a "
        "curator adds or corrects facts), a provenance statement (`dct:provenance`), and the qualified "
        "attribution (`prov:qualifiedAttribution`) of the organisations whose documents the data comes from.",
        f"- Licence: <{settings.licence}>"
        + (
            f", written in the description as the EU licence table's entry <{eu_licence}>, which is what "
            "DCAT-AP-NO accepts."
            if eu_licence
            else ": not an entry of the EU licence table, which DCAT-AP-NO requires, so the national validator "
            "will reject the description until the licence is one that is."
        ),
    ]
    if settings.publisher_orgnr:
        out.append(f"- Publisher: organisation number {settings.publisher_orgnr}, <{publisher(settings)}>.")
    else:
        out.append(
            "- Publisher: **no organisation number is configured.** DCAT-AP-NO names a publisher by its entry in "
            f"the national organisation catalogue (`{ORGANIZATION_CATALOG}<orgnr>`), and no number has been "
            f"invented here. Until one is given (`--publisher-orgnr` or `MFBT_KG_PUBLISHER_ORGNR`), the "
            f"description names the project itself, <{publisher(settings)}>, as publisher: valid against the "
            "profile's shapes, but not attributed to any organisation in data.norge.no."
        )
    contact = (
        f"<mailto:{settings.contact_email}>"
        if settings.contact_email
        else "the project's address only (no e-mail configured: `--contact-email`)"
    )
    out += [
        f"- Contact point: {contact}.",
        f"- Documentation: this README, at <{download_url(settings, 'README.md')}>.",
        "",
    ]
    return out
