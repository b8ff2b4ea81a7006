"""The figures page (/tall, /figures): charts as SVG drawn on the server, with the numbers beside them
(issue 12 item 4).

In-process against the real data. Each chart must be an accessible image (role="img", <title>, <desc>), carry
no script and no style from another host, and show the source's numbers with their qualifications:

- Norway: the offers' earmarked beds as of 2.1.2018 sum to 53, the report states 56 («Totalt er det opprettet
  tilbud ved 14 avdelinger med 56 øremerkede senger», seed 001_17db9149d318b85f.txt L94); both bars are drawn.
- UNN Åsgård, Jan 2017 – Oct 2021 (seed 000_b3fe6caf6ec656fe.txt): patients by diagnosis group «Bipolar lidelse;
  19» (L144–145), «Psykoselidelse; 55» (L147–148), «Andre diagnoser; 10»; the neuroleptic use in the pathway,
  41 % / 7 % / 30 % / 22 % (L172–177), comes before its four labels (L179–182) and the graph records them with
  mfbt:labelCertain false: four dashed bars that say the category is not tied to the value for certain.
- KBT's method × guideline table: the last row (Aksept- og forpliktelsesterapi) is cut off in the source, so its
  four cells are unknown (data/ttl/guideline-table.ttl, row 21): four «?» cells, no more.
"""

from __future__ import annotations

import re

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from conftest import ROOT
from mfbt_kg.api import errors, figures_page, pages
from mfbt_kg.api.deps import get_service
from mfbt_kg.service.service import Service
from mfbt_kg.service.settings import Settings
from mfbt_kg.sparql.store import Store


@pytest.fixture(scope="module")
def client(store: Store) -> TestClient:
    service = Service.over(store, Settings(root=ROOT))
    app = FastAPI()
    errors.install(app)
    app.include_router(pages.router)
    app.include_router(figures_page.router)
    app.dependency_overrides[get_service] = lambda: service
    return TestClient(app)


def svg(page: str, chart_id: str) -> str:
    match = re.search(rf'<svg class="chart[^"]*" id="{chart_id}".*?</svg>', page, re.S)
    assert match, f"no chart {chart_id}"
    return match.group(0)


def test_every_chart_is_an_accessible_image_without_scripts(client: TestClient) -> None:
    page = client.get("/tall?lang=nb").text
    charts = re.findall(r"<svg [^>]*>", page)
    assert len(charts) >= 5
    for tag in charts:
        chart_id = re.search(r'id="([^"]+)"', tag).group(1)
        assert 'role="img"' in tag and f'aria-labelledby="{chart_id}-title {chart_id}-desc"' in tag
        body = svg(page, chart_id)
        assert f'<title id="{chart_id}-title">' in body and f'<desc id="{chart_id}-desc">' in body
    assert "<script" not in page and "<style" not in page
    assert not re.search(r'src="https?://', page)  # nothing loaded from another host
    assert re.findall(r'<link rel="stylesheet" href="([^"]+)"', page) == ["/static/site.css"]


def test_beds_per_region_shows_the_sum_beside_the_stated_total(client: TestClient) -> None:
    chart = svg(client.get("/tall?lang=nb").text, "chart-beds-region")
    assert re.search(
        r"Norge – sum av tilbudenes tall</text>\s*<rect class=\"bar summed\"[^>]*>\s*</rect>\s*"
        r"<text class=\"value\"[^>]*>53</text>",
        chart,
    )
    assert re.search(
        r"Norge – oppgitt sum</text>\s*<rect class=\"bar stated\"[^>]*>\s*</rect>\s*"
        r"<text class=\"value\"[^>]*>56</text>",
        chart,
    )
    english = svg(client.get("/figures?lang=en").text, "chart-beds-region")
    assert "Norway – stated total</text>" in english and "Norway – sum of the offers&#39; figures</text>" in english


def test_unn_breakdowns_show_uncertain_labels_as_uncertain(client: TestClient) -> None:
    page = client.get("/tall?lang=nb").text
    charts = {
        m.group(1): m.group(0) for m in re.finditer(r'<svg class="chart" id="(chart-unn-\d+)".*?</svg>', page, re.S)
    }
    diagnosis = next(c for c in charts.values() if "diagnosegruppe" in c.split("</title>")[0])
    shown = re.findall(
        r'<text class="label"[^>]*>([^<]+)</text>\s*<rect[^>]*></rect>\s*<text class="value"[^>]*>'
        r"([^<]+)</text>",
        diagnosis,
    )
    assert [value for _, value in shown] == ["Psykoselidelse; 55", "Bipolar lidelse; 19", "Andre diagnoser; 10"]
    assert "uncertain" not in diagnosis
    pathway = next(c for c in charts.values() if "i forløpet" in c.split("</title>")[0])
    dashed = re.findall(r'<rect class="bar stated uncertain"', pathway)
    assert len(dashed) == 4 and pathway.count("kategori ikke sikkert knyttet til verdien") == 4
    values = re.findall(r'<text class="value"[^>]*>([^<]+)</text>', pathway)
    assert sorted(values) == sorted(["41% (?)", "30% (?)", "22% (?)", "7% (?)"])


def test_the_guideline_matrix_keeps_unknown_cells_unknown(client: TestClient) -> None:
    chart = svg(client.get("/tall?lang=nb").text, "chart-matrix")
    assert len(re.findall(r'<rect class="cell unknown"', chart)) == 4
    assert len(re.findall(r'<text class="cell-mark"[^>]*>\?</text>', chart)) == 4
    assert re.search(
        r"Aksept- og forpliktelsesterapi</text>(\s*<rect class=\"cell unknown\"[^>]*></rect>\s*"
        r"<text class=\"cell-mark\"[^>]*>\?</text>){4}",
        chart,
    )


def test_counts_over_time_keep_their_precision_and_kind_of_date(client: TestClient) -> None:
    """UNN Åsgård's own counts: «om lag 80 henvisninger» in 2017 (seed 001_17db9149d318b85f.txt L1630), «Ca. 24»
    patients taken in by 1.10.2017 (L1555), 6 earmarked beds on 2.1.2018 (the capacity table), and the 2021 deck's
    «6 plasser i avdelingen - ca. 30 pas. i forløp til enhver tid» (seed 000_b3fe6caf6ec656fe.txt L17), which has
    no date of its own: drawn as the source's status date (a hollow dot)."""
    chart = svg(client.get("/tall?lang=nb").text, "chart-time")
    values = re.findall(r'<text class="value"[^>]*>([^<]+)</text>', chart)
    assert {"ca. 80", "ca. 24", "ca. 30", "66", "6"} <= set(values)
    assert len(re.findall(r'<circle class="dot status"', chart)) == 3  # places 2018 and 2021, patients 2021
    assert "Pasienter i forløp" in chart and "Øremerkede senger" in chart
    # Sykehuset Vestfold: its own row only («Ca. 1 pasient per 3. måned.», seed 001 L1609, and 8 beds, which the
    # row's own units contradict, so marked ⚑), not the beds of its five units (2 + 2 + 2 + 2 + 2,
    # data/ttl/figures-capacity.ttl)
    vestfold = svg(client.get("/tall?lang=nb&offer=vestfold").text, "chart-time")
    assert re.findall(r'<text class="value"[^>]*>([^<]+)</text>', vestfold) == ["ca. 1", "8 ⚑"]
