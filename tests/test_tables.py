"""The bundle's spreadsheet tables (tables/*.csv) and codebook: read back with the csv module, and opened
by a real spreadsheet engine (LibreOffice headless, Debian's package, installed by
scripts/ensure-libreoffice.sh) and converted to .xlsx, whose cells are checked with openpyxl.

Expected values come from the data files and their seeds:
- Vegsund DPS started «3.10.2016» (seed 001_17db9149d318b85f.txt line 1392, KBT 2018 capacity table:
  «Helse Midt-Norge 3.10.2016  3 (+ 3 plasser for dagbehandling)»; data/ttl/offers.ttl);
- the bipolar guideline's graded recommendations stand in section «4.12» (data/ttl/guidelines.ttl
  line 109, mfbt:section "4.12").
"""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import ROOT
from mfbt_kg.publish.bundle import CODEBOOK_FILE, export_bundle
from mfbt_kg.publish.settings import PublishSettings
from mfbt_kg.publish.tables import BOM, TEXT_MARK, read_back
from mfbt_kg.sparql.catalogue import load_catalogue

CATALOGUE = load_catalogue(ROOT)
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
# LibreOffice's CSV filter options: ';' (59), '"' (34), UTF-8 (76), from line 1, no column types, the
# Norwegian Bokmål locale (1044): what a Norwegian user gets on opening (no "quoted field as text").
NORWEGIAN_IMPORT = "CSV:59,34,76,1,,1044"


@pytest.fixture(scope="module")
def bundles(tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("tables")
    made = {}
    for language in ("nb", "en"):
        made[language] = out / language
        export_bundle(ROOT, made[language], PublishSettings(language=language))
    return made


def sparql_rows(bundle: Path, name: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO((bundle / "queries" / f"{name}.csv").read_text(encoding="utf-8"), newline="")))


def test_every_table_is_utf8_with_bom_and_has_the_sparql_csv_rows(bundles) -> None:
    bundle = bundles["nb"]
    tables = sorted((bundle / "tables").glob("*.csv"))
    assert {t.stem for t in tables} - {"codebook"} == {p.stem for p in (bundle / "queries").glob("*.csv")}
    for table in tables:
        data = table.read_bytes()
        assert data.startswith(BOM.encode("utf-8")), table.name
        rows = read_back(data)
        assert len({len(row) for row in rows}) == 1, f"{table.name}: ragged"
        if table.stem != "codebook":
            assert len(rows) == len(sparql_rows(bundle, table.stem)), table.name


def test_headers_follow_the_codebook_in_the_bundle_language(bundles) -> None:
    for language, bundle in bundles.items():
        query = CATALOGUE["offers-overview"]
        header = read_back((bundle / "tables" / "offers-overview.csv").read_bytes())[0]
        # every documented column in order; the region IRI gets a label column (region_label is the query's own)
        expected = [c.header(language) for c in query.columns]
        assert [h for h in header if not h.endswith(("(etikett)", "(label)"))] == expected, language
        assert header[0] == {"nb": "tilbud", "en": "offer"}[language]


def test_labels_stand_beside_iris(bundles) -> None:
    rows = read_back((bundles["nb"] / "tables" / "start-dates-vs-deadline.csv").read_bytes())
    header = rows[0]
    assert header[:4] == ["tilbud", "tilbud (navn)", "region", "region (etikett)"]
    vegsund = [r for r in rows if r[0].endswith("/offer/vegsund-dps")]
    assert len(vegsund) == 1
    assert vegsund[0][3] == "Helse Midt-Norge RHF" and vegsund[0][4] == "3.10.2016"
    # a column of several IRIs (the passages) is text, given as it is
    assert "kilder" in header and "kilder (etikett)" not in header


def test_risky_texts_carry_the_mark_and_integers_are_bare(bundles) -> None:
    data = (bundles["nb"] / "tables" / "start-dates-vs-deadline.csv").read_text(encoding="utf-8")
    assert f'"{TEXT_MARK}3.10.2016"' in data
    overview = (bundles["nb"] / "tables" / "units-per-region-vs-required.csv").read_text(encoding="utf-8")
    assert ";1;" in overview  # a count is a number, not text


def test_a_question_needing_a_value_is_run_for_every_resource(bundles, store) -> None:
    bundle = bundles["nb"]
    rows = read_back((bundle / "tables" / "offer-profile.csv").read_bytes())
    offers = {
        row["o"].value
        for row in store.select("SELECT ?o WHERE { ?o a <https://w3id.org/mfbt-kg/ontology#TreatmentOffer> }").records()
    }
    assert rows[0][0] == "spurt om: offer"
    assert {r[0] for r in rows[1:]} == offers, "one profile per offer, every offer"
    sparql = sparql_rows(bundle, "offer-profile")
    assert sparql[0][0] == "offer" and len(sparql) == len(rows)


def test_codebook_lists_every_column_of_every_table(bundles) -> None:
    rows = read_back((bundles["en"] / CODEBOOK_FILE).read_bytes())
    assert rows[0][:3] == ["file", "query", "variable"]
    documented = {(r[0], r[2]) for r in rows[1:]}
    for table in (bundles["en"] / "tables").glob("*.csv"):
        if table.stem == "codebook":
            continue
        variables = sparql_rows(bundles["en"], table.stem)[0]
        assert {(f"tables/{table.name}", v) for v in variables} <= documented, table.name
        assert (bundles["en"] / "queries" / f"{table.stem}.rq").read_bytes() == CATALOGUE[table.stem].path.read_bytes()


@pytest.mark.slow  # a LibreOffice process
def test_libreoffice_opens_the_tables_as_columns_and_keeps_values(bundles, tmp_path: Path) -> None:
    assert SOFFICE, "LibreOffice is missing: run scripts/ensure-libreoffice.sh (make test does)"
    openpyxl = pytest.importorskip("openpyxl", reason="openpyxl is in the test extra: pip install -e '.[test]'")
    names = ("start-dates-vs-deadline", "graded-recommendations", "units-per-region-vs-required")
    sources = [bundles["nb"] / "tables" / f"{n}.csv" for n in names]
    done = subprocess.run(
        [
            SOFFICE,
            "--headless",
            "--norestore",
            f"-env:UserInstallation=file://{tmp_path}/profile",
            f"--infilter={NORWEGIAN_IMPORT}",
            "--convert-to",
            "xlsx",
            "--outdir",
            str(tmp_path),
            *map(str, sources),
        ],
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr

    def sheet(name: str) -> list[list[object]]:
        book = openpyxl.load_workbook(tmp_path / f"{name}.xlsx")
        return [[c.value for c in row] for row in book.active.iter_rows()]

    for name, source in zip(names, sources, strict=True):
        cells = sheet(name)
        assert [[("" if v is None else v) for v in row] for row in cells][0] == read_back(source.read_bytes())[0]
        assert len(cells) == len(read_back(source.read_bytes())), f"{name}: rows split differently"
    starts = sheet("start-dates-vs-deadline")
    vegsund = [row for row in starts if str(row[0]).endswith("/offer/vegsund-dps")][0]
    assert vegsund[4] == TEXT_MARK + "3.10.2016", "the verbatim start stays text, not a date"
    assert vegsund[3] == "Helse Midt-Norge RHF"
    graded = sheet("graded-recommendations")
    sections = [row[graded[0].index("avsnitt")] for row in graded[1:]]
    assert sections and all(s == TEXT_MARK + "4.12" for s in sections), "section 4.12 stays text, not 4 December"
    required = sheet("units-per-region-vs-required")
    column = required[0].index("påkrevd")
    assert all(isinstance(row[column], int) for row in required[1:]), "counts are numbers"
    assert any("Sør-Øst" in str(v) for row in required for v in row), "UTF-8 read as UTF-8"
