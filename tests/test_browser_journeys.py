"""Two journeys of issue 12 in a real browser (Debian's Chromium driven by Playwright, as tests/test_browser.py),
against the real service (`mfbt-kg serve`, 127.0.0.1), at desktop and phone width, by pointer and by keyboard only.

1. A patient in Troms finds the offers that accept self-referral as of 2021: UNN Åsgård only (seed
   000_b3fe6caf6ec656fe.txt L22 «Egenhenvisning», UNN slides, October 2021; the 2018 report says no offer explicitly
   takes self-referrals, seed 001_17db9149d318b85f.txt L1678–1680; Troms is in UNN Åsgård's catchment area, «Finnmark,
   Troms og Nordland», KBT 2018 «Geografisk plassering av tilbudene»).
2. A GP finds the offers that prioritise bipolar disorders, take GP referrals and are not stated to exclude
   compulsory care: Lovisenberg, Telemark, Vestfold (table «Sykehus/foretak – Målgruppe – Eksklusjonskriterier», seed
   001 L1742–2130: bipolar prioritised at L1871, L1881, L2044; GP referral stated for Helse Sør-Øst only, L1670), then
   compares Lovisenberg and Telemark: both take patients under compulsory care on a condition («tar … imot pasienter
   underlagt tvungent psykisk helsevern hvis pasienten er motivert for medikamentfri behandling og det er vurdert
   faglig forsvarlig», seed 001 L2194–2197).
"""

from __future__ import annotations

import pytest

import browser_fixtures
from browser_fixtures import SIZES, sideways_overflow, sync_api, tab_to
from service_fixtures import Service

pytestmark = pytest.mark.slow  # Chromium

server = browser_fixtures.server  # the shared fixtures, by name: the real service, Chromium at desktop width in nb
browser = browser_fixtures.browser


def choose(page, name: str, label: str, keyboard: bool) -> None:
    """Pick an option of the select ``name``: by pointer, or by keyboard (focus it, type the label's start)."""
    if not keyboard:
        page.locator(f'select[name="{name}"]').select_option(label=label)
        return
    tab_to(page, f'select[name="{name}"]')
    page.keyboard.type(label[:12])
    chosen = page.evaluate(f"document.querySelector('select[name=\"{name}\"]').selectedOptions[0].text")
    assert chosen == label, f"typing chose {chosen!r} in {name}, not {label!r}"


def type_date(page, selector: str, iso: str) -> None:
    """Type a date into a date field by keyboard; the field's order of day, month and year is the browser's
    (headless Chromium here: month first, whatever the locale), so both orders are tried."""
    year, month, day = iso.split("-")
    for digits in (month + day + year, day + month + year):
        tab_to(page, selector)
        page.keyboard.type(digits)
        if page.evaluate("s => document.querySelector(s).value", selector) == iso:
            return
        for _ in range(3):  # clear the three parts, again by keyboard
            page.keyboard.press("Backspace")
            page.keyboard.press("Shift+Tab")
    raise AssertionError(f"could not type {iso} into {selector}")


def fits(page) -> None:
    overflow = sideways_overflow(page)
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow}px"


def results(page) -> list[str]:
    return page.locator("ol.results > li.result h3 a").evaluate_all("els => els.map(a => a.getAttribute('href'))")


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("keyboard", [False, True], ids=["pointer", "keyboard"])
def test_patient_in_troms_finds_self_referral_2021(server: Service, browser, size: str, keyboard: bool) -> None:
    expect = sync_api.expect
    page = browser.new_page()
    page.set_viewport_size(SIZES[size])
    page.goto(server.base + "/")
    if keyboard:
        tab_to(page, 'nav a[href="/finn"]')
        with page.expect_navigation():
            page.keyboard.press("Enter")
    else:
        page.get_by_role("navigation", name="Hovedmeny").get_by_role("link", name="Finn tilbud").click()
    expect(page).to_have_url(server.base + "/finn")
    expect(page.get_by_role("heading", level=1)).to_have_text("Finn et medikamentfritt behandlingstilbud")
    choose(page, "area", "Troms", keyboard)
    choose(page, "referrer", "pasienten selv (egenhenvisning)", keyboard)
    if keyboard:
        type_date(page, 'input[name="date"]', "2021-12-31")
        tab_to(page, 'button[type="submit"]')
        with page.expect_navigation():
            page.keyboard.press("Enter")
    else:
        page.locator('input[name="date"]').fill("2021-12-31")
        page.get_by_role("button", name="Finn", exact=True).click()
    page.wait_for_url("**/finn?*")
    assert "date=2021-12-31" in page.url and "referrer=self" in page.url and "area=troms" in page.url
    assert results(page) == ["/id/offer/unn-asgard"]
    hit = page.locator("li.result").first
    expect(hit).to_contain_text("pasienten selv (egenhenvisning): ja")
    expect(hit).to_contain_text("oktober 2021")
    expect(hit.locator(".basis").first).to_be_visible()  # the readings on the offer carry their markers here too
    fits(page)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("keyboard", [False, True], ids=["pointer", "keyboard"])
def test_gp_finds_bipolar_offers_and_compares_two(server: Service, browser, size: str, keyboard: bool) -> None:
    expect = sync_api.expect
    page = browser.new_page()
    page.set_viewport_size(SIZES[size])
    page.goto(server.base + "/find?lang=en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Find a medication-free treatment offer")
    choose(page, "group", "Bipolar disorders", keyboard)
    choose(page, "priority", "prioritised", keyboard)
    choose(page, "exclude", "Compulsory mental health care", keyboard)
    choose(page, "referrer", "general practitioner", keyboard)
    if keyboard:
        tab_to(page, 'button[type="submit"]')
        with page.expect_navigation():
            page.keyboard.press("Enter")
    else:
        page.get_by_role("button", name="Find", exact=True).click()
    page.wait_for_url("**/find?*")
    assert results(page) == ["/id/offer/lovisenberg", "/id/offer/telemark", "/id/offer/vestfold"]
    expect(page.locator("li.result").first).to_contain_text("stated for")
    for slug in ("lovisenberg", "telemark"):
        box = page.locator(f'ol.results input[type="checkbox"][value="{slug}"]')
        if keyboard:
            tab_to(page, f'ol.results input[type="checkbox"][value="{slug}"]')
            page.keyboard.press("Space")
        else:
            box.check()
        expect(box).to_be_checked()
    if keyboard:
        tab_to(page, "ol.results ~ p.actions button")
        with page.expect_navigation():
            page.keyboard.press("Enter")
    else:
        page.get_by_role("button", name="Compare selected").click()
    page.wait_for_url("**/compare?*")
    expect(page.get_by_role("heading", level=1)).to_have_text("Compare offers")
    table = page.get_by_role("table", name="Compare offers")
    heads = table.locator("thead th a").evaluate_all("els => els.map(a => a.getAttribute('href'))")
    assert heads == ["/id/offer/lovisenberg", "/id/offer/telemark"]
    policy = table.get_by_role("row").filter(has=page.get_by_role("rowheader", name="Compulsory care"))
    expect(policy).to_contain_text("accepts on condition")
    expect(policy.locator("td")).to_have_count(2)
    expect(policy.locator("td").nth(0)).to_contain_text("motivert for medikamentfri behandling")
    fits(page)


PHONE_PAGES = [
    "/finn?group=bipolar-disorder",
    "/sammenlign?offer=lovisenberg&offer=telemark&offer=unn-asgard&offer=vestfold",
    "/id/offer/unn-asgard",
    "/id/offer/vestre-viken",
    "/dataset",
    "/id/source/kbt-2018-tabell-kapasitet",
]


def test_no_table_is_cut_off_on_a_phone(server: Service, browser) -> None:
    """At 390 px no table needs sideways scrolling, in the page or in its own box: cells wrap, the comparison
    collapses to one block per aspect."""
    page = browser.new_page()
    page.set_viewport_size(SIZES["phone"])
    for path in PHONE_PAGES:
        page.goto(server.base + path)
        fits(page)
        cut = page.evaluate("""() => [...document.querySelectorAll('.table-wrap, table')]
            .filter(e => e.scrollWidth > e.clientWidth + 1)
            .map(e => (e.getAttribute('aria-label') || e.className || e.tagName) + ': '
                      + e.scrollWidth + ' > ' + e.clientWidth)""")
        assert not cut, f"{path}: {cut}"
