"""A person's walk through the pages in a real browser: Debian's Chromium driven by Playwright.

Home → region → offer → method → guideline, then English and back, checking what is on the
screen at each step: headings, the links a person follows, the language they chose (kept in a
cookie), that nothing is fetched from another host, and that a phone-sized screen needs no
sideways scrolling of the page itself. The real service listens on 127.0.0.1 only; Chromium runs
headless with a fresh profile and without the background services that would call Google.
"""

from __future__ import annotations

import pytest

import browser_fixtures
from browser_fixtures import recording_page, sideways_overflow, sync_api
from service_fixtures import Service

pytestmark = pytest.mark.slow  # Chromium

server = browser_fixtures.server  # the shared fixtures, by name: the real service, Chromium at desktop width in nb
browser = browser_fixtures.browser


def test_walk_from_home_to_a_guideline_and_switch_language(server: Service, browser) -> None:
    expect = sync_api.expect
    page, requests = recording_page(browser)

    page.goto(server.base + "/")
    expect(page.locator("html")).to_have_attribute("lang", "nb")
    expect(page.get_by_role("heading", level=1)).to_have_text("Medikamentfrie behandlingstilbud i psykisk helsevern")
    expect(page.get_by_role("heading", name="Regioner og tilbud")).to_be_visible()

    page.get_by_role("link", name="Helse Nord RHF", exact=True).click()
    expect(page).to_have_url(server.base + "/id/region/helse-nord")
    expect(page.get_by_role("heading", level=1)).to_have_text("Helse Nord RHF")
    expect(page.get_by_role("heading", name="Tilbud i regionen")).to_be_visible()

    page.get_by_role("link", name="Medikamentfritt behandlingstilbud, UNN Åsgård").first.click()
    expect(page).to_have_url(server.base + "/id/offer/unn-asgard")
    expect(page.get_by_role("heading", level=1)).to_have_text("Medikamentfritt behandlingstilbud, UNN Åsgård")
    glance = page.locator("dl.facts")
    expect(glance).to_contain_text("Helse Nord RHF")
    expect(glance).to_contain_text("1.1.2017")
    beds = page.get_by_role("region", name="Øremerkede senger")
    expect(beds.get_by_role("row").filter(has_text="2.1.2018")).to_contain_text("6")
    methods = page.get_by_role("table", name="Nevnt i retningslinje (KBTs tabell)")
    milieu_row = methods.get_by_role("row").filter(has=page.locator('a[href="/id/method/miljoterapi"]'))
    expect(milieu_row).to_contain_text("X")

    milieu_row.locator('a[href="/id/method/miljoterapi"]').click()
    expect(page).to_have_url(server.base + "/id/method/miljoterapi")
    expect(page.get_by_role("heading", level=1)).to_have_text("Miljøterapi")
    expect(page.get_by_role("link", name="Medikamentfritt behandlingstilbud, UNN Åsgård").first).to_be_visible()
    backing = page.get_by_role("row").filter(has=page.locator('a[href="/id/guideline/psykoselidelser-2013"]'))
    expect(backing).to_contain_text("nevnt (X)")

    backing.locator('a[href="/id/guideline/psykoselidelser-2013"]').click()
    title_nb = "Nasjonal faglig retningslinje for utredning, behandling og oppfølging av personer med psykoselidelser"
    expect(page.get_by_role("heading", level=1)).to_have_text(title_nb)
    named = page.get_by_role("region", name="Metodekategorier retningslinjen nevner", exact=True).first
    expect(named.get_by_role("link", name="Miljøterapi").first).to_be_visible()

    page.get_by_role("navigation", name="Språk").get_by_role("link", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "National guideline for assessment, treatment and follow-up of people with psychotic disorders"
    )
    expect(page.get_by_role("heading", name="Method categories this guideline names")).to_be_visible()

    page.get_by_role("navigation", name="Main menu").get_by_role("link", name="Home").click()
    expect(page).to_have_url(server.base + "/")
    expect(page.locator("html")).to_have_attribute("lang", "en")  # remembered: the cookie, not the URL
    expect(page.get_by_role("link", name="Northern Norway Regional Health Authority")).to_be_visible()
    assert any(c["name"] == "lang" and c["value"] == "en" for c in browser.cookies())

    page.get_by_role("navigation", name="Language").get_by_role("link", name="Norsk").click()
    expect(page.locator("html")).to_have_attribute("lang", "nb")
    expect(page.get_by_role("heading", name="Regioner og tilbud")).to_be_visible()

    assert requests and all(url.startswith(server.base + "/") for url in requests), (
        f"the pages asked another host: {[u for u in requests if not u.startswith(server.base)]}"
    )


PHONE_PAGES = [
    "/",
    "/id/region/helse-nord",
    "/id/offer/unn-asgard",
    "/id/method/miljoterapi",
    "/id/guideline/psykoselidelser-2013",
    "/id/source/kbt-2018-tabell-kapasitet",
    "/ontology",
    "/dataset",
]


def test_pages_fit_a_phone(server: Service, browser) -> None:
    page = browser.new_page()
    page.set_viewport_size({"width": 390, "height": 844})
    for path in PHONE_PAGES:
        page.goto(server.base + path)
        sync_api.expect(page.get_by_role("heading", level=1)).to_be_visible()
        overflow = sideways_overflow(page)
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px on a phone (tables scroll in their own box)"
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent")
    assert focused == "Hopp til innholdet", "the first Tab reaches the skip link"


def test_unknown_address_shows_the_404_page(server: Service, browser) -> None:
    page = browser.new_page()
    response = page.goto(server.base + "/id/offer/unn-asgrd")
    assert response is not None and response.status == 404
    sync_api.expect(page.get_by_role("heading", level=1)).to_have_text("Fant ingen ressurs")
    page.get_by_role("link", name="Medikamentfritt behandlingstilbud, UNN Åsgård").click()
    sync_api.expect(page).to_have_url(server.base + "/id/offer/unn-asgard")
