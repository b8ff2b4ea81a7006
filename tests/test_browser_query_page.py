"""The /sparql page in Chromium (issue 12 item 6): the vendored editor (CodeMirror 6, scripts/build-editor.sh)
highlights SPARQL and completes the ontology's terms, the project's prefixes need no PREFIX lines, results show
labels and sort, the URL is the shareable link; and without JavaScript the page is a textarea and a button
that still work.

The offers: 14 (seed 001_17db9149d318b85f.txt L94, «Totalt er det opprettet tilbud ved 14 avdelinger»;
data/ttl/offers.ttl has one mfbt:TreatmentOffer for each).
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

import browser_fixtures
from browser_fixtures import SIZES, chromium, recording_page, sync_api
from service_fixtures import Service

pytestmark = pytest.mark.slow  # Chromium

QUERY = "SELECT ?offer WHERE { ?offer a mfbt:TreatmentOffer }"  # no PREFIX line: mfbt: is predeclared


server = browser_fixtures.server  # the shared fixture, by name: the real service


def launch(profile: Path, javascript: bool = True):
    """Chromium at desktop width in Norwegian, with or without JavaScript."""
    return chromium(profile, java_script_enabled=javascript, viewport=SIZES["desktop"], locale="nb-NO")


def test_the_editor_completes_runs_and_sorts(server: Service, tmp_path: Path) -> None:
    expect = sync_api.expect
    with launch(tmp_path / "profile") as browser:
        page, requests = recording_page(browser)
        page.goto(server.base + "/sparql")
        editor = page.locator(".cm-editor .cm-content")
        expect(editor).to_be_visible()
        expect(page.locator("textarea#query")).to_be_hidden()  # the editor stands in for it
        expect(page.locator(".cm-editor .cm-line").first).to_contain_text("predeclared")
        editor.click()
        page.keyboard.press("Control+a")
        page.keyboard.type("SELECT ?offer WHERE { ?offer a mfbt:Treat")
        options = page.locator(".cm-tooltip-autocomplete li")
        expect(options.first).to_contain_text("mfbt:TreatmentOffer")
        page.wait_for_timeout(200)  # the completion list ignores Enter in its first 75 ms
        page.keyboard.press("Enter")  # take the completion
        page.keyboard.type(" ")  # the editor closed the brace when "{" was typed
        assert page.locator("textarea#query").input_value() == QUERY
        page.keyboard.press("Control+Enter")
        expect(page.locator("table.sortable tbody tr")).to_have_count(14)
        assert parse_qs(urlparse(page.url).query)["query"] == [QUERY]  # the address is the shareable link
        first = page.locator("table.sortable tbody tr td a").first
        assert first.get_attribute("title", timeout=5000).startswith("https://w3id.org/mfbt-kg/id/offer/")
        assert first.inner_text().startswith("Medikamentfritt")  # the label, not the IRI
        page.locator("table.sortable thead th button").first.click()
        expect(page.locator("table.sortable thead th").first).to_have_attribute("aria-sort", "ascending")
        labels = page.locator("table.sortable tbody tr td:first-child").all_inner_texts()
        assert labels == sorted(labels, key=str.casefold)
        page.locator("table.sortable thead th button").first.click()
        expect(page.locator("table.sortable thead th").first).to_have_attribute("aria-sort", "descending")
        assert all(url.startswith(server.base + "/") for url in requests), "the page asked another host"


def test_without_javascript_the_textarea_and_button_work(server: Service, tmp_path: Path) -> None:
    expect = sync_api.expect
    with launch(tmp_path / "plain", javascript=False) as browser:
        page = browser.new_page()
        page.goto(server.base + "/sparql")
        box = page.get_by_label("Spørring", exact=True)
        expect(box).to_be_visible()
        box.fill(QUERY)
        page.get_by_role("button", name="Kjør spørringen").click()
        expect(page.locator("table tbody tr")).to_have_count(14)
