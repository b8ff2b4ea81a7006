"""The site's HTML: one Jinja environment for every page, and what every page shares.

Every template extends ``base.html`` (navigation, language switch, ``site.css``) and is
rendered by ``render`` with the reader's language (``?lang=``, then the cookie, then
Norwegian), the site's words in that language (``pages/texts.py``) and the mount point
(``root``), so links work behind a proxy that serves the app under a prefix.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, TypeVar

from fastapi import Request, Response
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from mfbt_kg.pages.texts import DEFAULT_LANGUAGE, LANGUAGES, texts

R = TypeVar("R", bound=Response)
HERE = Path(__file__).parent
LANG_COOKIE = "lang"
COOKIE_AGE = 365 * 24 * 3600
STARTED = format(time.time_ns(), "x")  # in page ETags: a restart with new templates is a new page

ENV = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    undefined=StrictUndefined,
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
ENV.filters["upfirst"] = lambda text: text[:1].upper() + text[1:]

STATIC = {p.name: p.read_bytes() for p in (HERE / "static").glob("*.css")}


def language(request: Request) -> tuple[str, bool]:
    """(page language, whether the request chose it with ?lang=): the parameter, then the cookie, then Norwegian."""
    asked = request.query_params.get("lang")
    if asked in LANGUAGES:
        return asked, True
    remembered = request.cookies.get(LANG_COOKIE)
    return (remembered if remembered in LANGUAGES else DEFAULT_LANGUAGE), False


def root_path(request: Request) -> str:
    """Where the app is mounted, so links work behind a proxy that serves it under a prefix."""
    return str(request.scope.get("root_path", "")).rstrip("/")


def render_text(request: Request, template: str, **context: Any) -> str:
    """A template with what every page needs: language, words, mount point, language switch."""
    lang, _ = language(request)
    other = "en" if lang == "nb" else "nb"
    context.setdefault("alternates", [])
    return ENV.get_template(template).render(
        lang=lang,
        other_lang=other,
        t=texts(lang),
        root=root_path(request),
        switch_href=f"{request.url.path}?lang={other}",
        current=request.url.path,
        **context,
    )


def render(
    request: Request, template: str, status: int = 200, headers: dict[str, str] | None = None, **context: Any
) -> HTMLResponse:
    """``render_text`` as a response: in the reader's language, and remembering it when ``?lang=`` chose it."""
    response = HTMLResponse(
        render_text(request, template, **context),
        status_code=status,
        headers={"Vary": "Accept, Cookie", **(headers or {})},
    )
    return remember_language(request, response)


def remember_language(request: Request, response: R) -> R:
    """Say the page's language, and keep it in a cookie when ``?lang=`` chose it."""
    lang, chosen = language(request)
    response.headers["Content-Language"] = lang
    if chosen:
        response.set_cookie(LANG_COOKIE, lang, max_age=COOKIE_AGE, samesite="lax", httponly=True)
    return response
