"""Chromium driven by Playwright, shared by the browser tests (test_browser*.py, test_accessibility.py).

Debian's Chromium runs headless with a fresh profile (removed afterwards) and without the background
services that would call Google; the real service (`mfbt-kg serve`) listens on 127.0.0.1 only. A module
that imports this one is skipped, saying why, when Playwright or Chromium is missing. What differs between
the tests (viewport, locale, JavaScript, downloads) is given to ``chromium()`` as launch options.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from service_fixtures import Service, ServicePool

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-default-apps",
    "--no-default-browser-check",
]
SIZES = {"desktop": {"width": 1200, "height": 900}, "phone": {"width": 390, "height": 844}}

sync_api = pytest.importorskip(
    "playwright.sync_api", reason="playwright is a test dependency: pip install -e '.[test]'"
)
if not Path(CHROMIUM).exists():  # `make test` installs it (scripts/ensure-chromium.sh); say so rather than pass
    pytest.skip(
        f"{CHROMIUM} missing: run scripts/ensure-chromium.sh (apt-get install chromium)", allow_module_level=True
    )


@contextmanager
def chromium(profile: Path, **options: Any) -> Iterator[Any]:
    """A Chromium context on a fresh profile at ``profile``, closed and its profile removed afterwards;
    ``options`` go to ``launch_persistent_context`` (viewport, locale, java_script_enabled, accept_downloads)."""
    with sync_api.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS, **options
        )
        try:
            yield context
        finally:
            context.close()
            shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="module")
def server(services: ServicePool) -> Service:
    """The real service (`mfbt-kg serve`), as a person would reach it after `make serve`."""
    return services.get()


@pytest.fixture()
def browser(tmp_path: Path) -> Iterator[Any]:
    """Chromium at desktop width in Norwegian, a fresh profile for each test."""
    with chromium(tmp_path / "profile", viewport=SIZES["desktop"], locale="nb-NO") as context:
        yield context


def recording_page(context: Any) -> tuple[Any, list[str]]:
    """A new page and the list it appends every URL it requests to (to show that no other host is asked)."""
    requests: list[str] = []
    page = context.new_page()
    page.on("request", lambda request: requests.append(request.url))
    return page, requests


def sideways_overflow(page: Any) -> int:
    """How many pixels the page itself scrolls sideways (0 or less: none; tables scroll in their own box)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def tab_to(page: Any, selector: str, limit: int = 300) -> None:
    """Press Tab until the element matching ``selector`` has the focus (a keyboard user's way there)."""
    for _ in range(limit):
        if page.evaluate("s => document.activeElement && document.activeElement.matches(s)", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {selector} within {limit} presses")
