"""An analyst runs a catalogue question from its form and downloads the CSV, in Chromium (issue 12, journey 3).

From the home page the main menu leads to the questions (/sporringer, not raw JSON); the analyst
opens «Tilbud som prioriterer en diagnosegruppe», picks «Angst» in the form, reads the answer as a
table and downloads it as CSV. Once with the mouse and once by keyboard only, at desktop width and at
390 px. The CSV is checked row by row, and is the same bytes /api/queries gives a program.

The expected offers (seed 001_17db9149d318b85f.txt, «Diagnosegrupper» and the target-group table,
pinned also in tests/expected/offers-prioritising-diagnosis.json): Vegsund DPS («Helse Midt-Norge:
Angst, depresjon, …», L1697, «Helse Midt-Norge -Angst.», L1762), Lister DPS («søvnproblemer, angst og
…», L2127), Nedre Romerike DPS and Vestre Viken (Bærum DPS) («-Angst.», L1937 and L1969): four offers
and no other.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

import browser_fixtures
from browser_fixtures import SIZES, chromium, recording_page, sideways_overflow, sync_api, tab_to
from service_fixtures import Service

pytestmark = pytest.mark.slow  # Chromium

ID = "https://w3id.org/mfbt-kg/id/"
ANXIETY_OFFERS = {
    ID + "offer/vegsund-dps",
    ID + "offer/sorlandet-lister",
    ID + "offer/ahus-nedre-romerike",
    ID + "offer/vestre-viken",
}
COLUMNS = [
    "offer",
    "offer_label",
    "group",
    "priority_label",
    "unit",
    "text",
    "basis",
    "basis_label",
    "basis_note",
    "sources",
]  # the #+ column lines of queries/offers-prioritising-diagnosis.rq, in order
QUESTION = "Tilbud som prioriterer en diagnosegruppe"

server = browser_fixtures.server  # the shared fixture, by name: the real service


@pytest.fixture(params=sorted(SIZES))
def browser(request, tmp_path: Path) -> Iterator[object]:
    """Chromium in Norwegian at desktop width and at 390 px, taking downloads."""
    size = SIZES[request.param]
    with chromium(tmp_path / "profile", viewport=size, locale="nb-NO", accept_downloads=True) as context:
        yield context


def check_answer_and_csv(page, server: Service, csv_bytes: bytes) -> None:
    """The table on the page and the downloaded file: the four offers, and nothing else."""
    table = page.get_by_role("table")
    sync_api.expect(table.locator("tbody tr")).to_have_count(4)
    headers = table.locator("thead th").all_inner_texts()
    assert "tilbud" in headers[0] and "prioritet" in " ".join(headers)  # #+ column's Norwegian headers
    for iri in ANXIETY_OFFERS:
        path = iri[len("https://w3id.org/mfbt-kg") :]
        sync_api.expect(table.locator(f'a[href="{path}"]').first).to_be_visible()
    rows = list(csv.reader(io.StringIO(csv_bytes.decode("utf-8"))))
    assert rows[0] == COLUMNS
    assert len(rows) == 5 and {row[0] for row in rows[1:]} == ANXIETY_OFFERS
    assert all(row[2] == ID + "diagnosis-group/anxiety" for row in rows[1:])
    program = httpx.get(
        f"{server.base}/api/queries/offers-prioritising-diagnosis",
        params={"diagnosis": "anxiety", "format": "csv"},
        timeout=30,
    )
    assert program.status_code == 200 and program.content == csv_bytes  # the same bytes a program gets


def no_sideways_scroll(page) -> None:
    overflow = sideways_overflow(page)
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow}px (tables scroll in their own box)"


def test_analyst_runs_a_question_from_its_form_and_downloads_the_csv(server: Service, browser) -> None:
    expect = sync_api.expect
    page, requests = recording_page(browser)
    page.goto(server.base + "/")
    menu = page.get_by_role("navigation", name="Hovedmeny")
    if not menu.get_by_role("link", name="Spørringer").is_visible():  # a phone may fold the menu
        page.get_by_role("button", name="Meny").click()
    menu.get_by_role("link", name="Spørringer").click()
    expect(page).to_have_url(server.base + "/sporringer")
    expect(page.get_by_role("heading", level=1)).to_have_text("Ferdige spørsmål til grafen")
    page.get_by_role("link", name=QUESTION).first.click()
    expect(page).to_have_url(server.base + "/sporringer/offers-prioritising-diagnosis")
    expect(page.get_by_role("heading", level=1)).to_have_text(QUESTION)
    expect(page.get_by_role("table")).to_have_count(0)  # a required value is missing: nothing is run yet

    page.get_by_label("diagnosis").select_option(label="Angst")
    page.get_by_role("button", name="Vis svaret").click()
    expect(page).to_have_url(server.base + "/sporringer/offers-prioritising-diagnosis?diagnosis=anxiety")
    expect(page.get_by_label("diagnosis")).to_have_value("anxiety")  # the form keeps what was chosen
    no_sideways_scroll(page)

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Last ned CSV").click()
    download = download_info.value
    assert download.suggested_filename == "offers-prioritising-diagnosis.csv"
    check_answer_and_csv(page, server, Path(download.path()).read_bytes())

    # sorting without a script: the header is a link; the page says which column it is sorted by
    page.get_by_role("columnheader", name="tilbud", exact=False).first.get_by_role("link").click()
    expect(page.locator('th[aria-sort="ascending"]')).to_have_count(1)
    labels = page.locator("tbody tr td:first-child").all_inner_texts()
    assert labels == sorted(labels, key=str.lower)
    assert all(url.startswith(server.base + "/") for url in requests), "a page asked another host"


def test_the_same_journey_by_keyboard(server: Service, browser) -> None:
    expect = sync_api.expect
    page = browser.new_page()
    page.goto(server.base + "/")
    tab_to(page, 'header nav a[href="/sporringer"]')
    page.keyboard.press("Enter")
    expect(page).to_have_url(server.base + "/sporringer")
    tab_to(page, 'ul.questions a[href="/sporringer/offers-prioritising-diagnosis"]')
    page.keyboard.press("Enter")
    expect(page).to_have_url(server.base + "/sporringer/offers-prioritising-diagnosis")

    tab_to(page, "select#param-diagnosis")
    page.keyboard.type("Angst")  # a focused select picks the option its label starts with
    expect(page.locator("select#param-diagnosis")).to_have_value("anxiety")
    tab_to(page, "form.question-form button[type=submit]")
    page.keyboard.press("Enter")
    expect(page).to_have_url(server.base + "/sporringer/offers-prioritising-diagnosis?diagnosis=anxiety")

    tab_to(page, 'ul.downloads a[download$=".csv"]')
    with page.expect_download() as download_info:
        page.keyboard.press("Enter")
    check_answer_and_csv(page, server, Path(download_info.value.path()).read_bytes())


ANALYST_PAGES = [
    "/sporringer",
    "/queries?lang=en",
    "/sporringer/offers-by-referrer?referrer=gp&date=2021-10-01",
    "/sporringer/figures-by-measure?measure=earmarked-beds",
    "/tall",
    "/figures?lang=en",
    "/sparql?query=SELECT%20*%20WHERE%20%7B%3Fs%20%3Fp%20%3Fo%7D%20LIMIT%2020",
]


def test_the_analysts_pages_need_no_sideways_scrolling(server: Service, browser) -> None:
    page = browser.new_page()
    for path in ANALYST_PAGES:
        response = page.goto(server.base + path)
        assert response is not None and response.status == 200, path
        sync_api.expect(page.get_by_role("heading", level=1)).to_be_visible()
        no_sideways_scroll(page)
