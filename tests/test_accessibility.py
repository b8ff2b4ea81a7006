"""axe-core in Chromium: no violations on any page type of the site, in Norwegian and in English (issue 12 item 7).

axe-core is vendored for the tests only (tests/vendor/axe-core/, MPL 2.0, from the npm registry) and
injected into each page after it has loaded; nothing of it is served by the site. Every rule axe runs by
default counts (WCAG 2.0/2.1/2.2 A and AA and best practices), at desktop width and at 390 px; a violation
fails with its rule, its help text and the elements it found.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

import browser_fixtures
from browser_fixtures import SIZES, chromium
from service_fixtures import Service

pytestmark = pytest.mark.slow  # Chromium

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"

# One page of each type (path, expected status). The finder and the comparison are checked where the
# service has them (issue 12 items 1 and 3); every other page must be there.
PAGES = {
    "home": ("/", 200),
    "kind list": ("/id/offer", 200),
    "offer": ("/id/offer/unn-asgard", 200),
    "method": ("/id/method/miljoterapi", 200),
    "method category": ("/id/method-category/psykoedukasjon", 200),
    "guideline": ("/id/guideline/psykoselidelser-2013", 200),
    "region": ("/id/region/helse-nord", 200),
    "source": ("/id/source/kbt-2018-tabell-kapasitet", 200),
    "document": ("/id/document/kbt-2018", 200),
    "assessment": ("/id/assessment/helse-midt-norge-separate-unit", 200),
    "concept": ("/id/concept/basis-stated", 200),
    "ontology": ("/ontology", 200),
    "dataset": ("/dataset", 200),
    "finder": ("/finn?q=asgard", None),
    "comparison": ("/sammenlign?offer=unn-asgard&offer=vegsund-dps", None),
    "figures": ("/tall", 200),
    "catalogue list": ("/sporringer", 200),
    "catalogue question (form)": ("/sporringer/offers-prioritising-diagnosis", 200),
    "catalogue question (answer)": ("/sporringer/offers-by-referrer?referrer=gp&date=2021-10-01", 200),
    "query page": ("/sparql", 200),
    "query page (results)": (
        "/sparql?query=" + quote("SELECT ?s ?label WHERE { ?s skos:prefLabel ?label } LIMIT 5"),
        200,
    ),
    "404": ("/id/offer/unn-asgrd", 404),
}


server = browser_fixtures.server  # the shared fixture, by name: the real service


@pytest.fixture(scope="module")
def browser(tmp_path_factory) -> Iterator[object]:
    """One Chromium for the module, at desktop width, in the browser's default locale (the page's lang is ?lang=)."""
    with chromium(tmp_path_factory.mktemp("axe-profile"), viewport=SIZES["desktop"]) as context:
        yield context


def violations(page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    found = page.evaluate(
        "async () => (await axe.run(document)).violations.map(v => "
        "v.id + ' (' + v.impact + '): ' + v.help + ' — ' + "
        "v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '))"
    )
    return list(found)


@pytest.mark.parametrize("lang", ["nb", "en"])
@pytest.mark.parametrize("name", list(PAGES))
def test_no_axe_violations(server: Service, browser, name: str, lang: str) -> None:
    path, status = PAGES[name]
    page = browser.new_page()
    try:
        response = page.goto(server.base + path + ("&" if "?" in path else "?") + f"lang={lang}")
        assert response is not None
        if status is None and response.status == 404:
            pytest.skip(f"no {name} page on this service")
        assert response.status == (status or 200), f"{path}: {response.status}"
        assert page.locator("html").get_attribute("lang") == lang
        for width in (1200, 390):
            page.set_viewport_size({"width": width, "height": 900})
            found = violations(page)
            assert not found, f"{name} ({lang}, {width}px) {path}:\n" + "\n".join(found)
    finally:
        page.close()
