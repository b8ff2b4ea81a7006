"""Validators tied to the data version: ETag, Last-Modified, and 304 on revalidation.

An answer depends on the data version, the request (URL) and the negotiated
format, so the ETag is the version plus the format; it is weak because gzip may
change the bytes on the way. No version (a remote store loaded by other means)
means no validators at all rather than ones that lie.
"""

from __future__ import annotations

import datetime as dt
from email.utils import format_datetime, parsedate_to_datetime

from fastapi import Request, Response

from mfbt_kg.sparql.answers import Outcome

MAX_AGE = 60


def etag(version: str, variant: str) -> str | None:
    return f'W/"{version}-{variant}"' if version else None


def headers(version: str, modified: dt.datetime | None, variant: str, vary: str = "Accept") -> dict[str, str]:
    out = {"Vary": vary}
    tag = etag(version, variant)
    if tag:
        out["ETag"] = tag
        out["Cache-Control"] = f"public, max-age={MAX_AGE}"
    else:
        out["Cache-Control"] = "no-cache"
    if modified is not None:
        out["Last-Modified"] = format_datetime(modified.astimezone(dt.UTC), usegmt=True)
    return out


def not_modified(request: Request, version: str, modified: dt.datetime | None, variant: str) -> bool:
    """RFC 9110: If-None-Match (weak comparison) wins; If-Modified-Since only without it; GET/HEAD only."""
    if request.method not in ("GET", "HEAD"):
        return False
    tag = etag(version, variant)
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:
        if tag is None:
            return False
        wanted = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
        return "*" in wanted or tag.removeprefix("W/") in wanted
    since = request.headers.get("if-modified-since")
    if since and modified is not None and tag is not None:
        try:
            return modified.replace(microsecond=0) <= parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False
    return False


def answer_headers(outcome: Outcome, version: str, modified: dt.datetime | None, variant: str) -> dict[str, str]:
    """The validators of an answer, and what the answer holds: its rows, and whether the cap cut it."""
    out = headers(version, modified, variant)
    out["X-Result-Rows"] = str(outcome.rows)
    if outcome.capped:
        out["X-Result-Capped"] = "true"
    return out


def not_modified_response(version: str, modified: dt.datetime | None, variant: str, vary: str = "Accept") -> Response:
    return Response(status_code=304, headers=headers(version, modified, variant, vary))
