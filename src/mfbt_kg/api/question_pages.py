"""The query catalogue for people: ``/sporringer`` (English ``/queries``) and ``/sporringer/{name}``.

The list groups the questions by topic; a question's page has a plain GET form for its parameters
(it works without JavaScript), runs the question when every required parameter has a value, and
shows the answer as a table (``pages/questions.py``) with CSV and JSON downloads from
``/api/queries/{name}`` (the same bytes a program gets). The question runs the way
``/api/queries`` runs it: the catalogue binds the parameters as checked terms, the service's guard,
worker and row cap answer it. A parameter the catalogue refuses is said on the page, in the form.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import PlainTextResponse

from mfbt_kg.api.deps import ServiceDep
from mfbt_kg.api.errors import Failed
from mfbt_kg.api.html import language, render, root_path
from mfbt_kg.api.pages import page_errors
from mfbt_kg.pages import questions
from mfbt_kg.pages.presentation import Presenter
from mfbt_kg.pages.texts import texts
from mfbt_kg.service.fairness import client_key
from mfbt_kg.service.service import Service
from mfbt_kg.sparql.catalogue import CatalogueError, ParameterError, bound_text
from mfbt_kg.sparql.guard import QueryRefused

router = APIRouter(tags=["pages"], dependencies=[Depends(page_errors)])
GET = ["GET", "HEAD"]
PATHS = {"nb": "/sporringer", "en": "/queries"}
# Scripts built from the npm registry and served from the site itself (scripts/build-editor.sh), with their licences.
VENDOR = {
    p.name: p.read_bytes()
    for p in (Path(__file__).parent / "static" / "vendor").glob("*")
    if p.suffix in (".js", ".txt")
}
VENDOR_TYPES = {".js": "text/javascript; charset=utf-8", ".txt": "text/plain; charset=utf-8"}


@router.api_route("/static/vendor/{name}", methods=GET, include_in_schema=False)
def vendor(name: str) -> Response:
    body = VENDOR.get(name)
    if body is None:
        return PlainTextResponse("not found\n", status_code=404)
    return Response(body, media_type=VENDOR_TYPES[Path(name).suffix], headers={"Cache-Control": "public, max-age=3600"})


@router.api_route("/sporringer", methods=GET, summary="The query catalogue for people: questions by topic")
@router.api_route("/queries", methods=GET, include_in_schema=False)
async def question_list(request: Request, service: ServiceDep) -> Response:
    lang = language(request)[0]
    base = root_path(request) + PATHS[lang]
    topics = questions.catalogue_list(service.catalogue, lang, base)
    return render(
        request,
        "questions.html",
        title=texts(lang)["q_heading"],
        topics=topics,
        count=len(service.catalogue),
        current_nav=PATHS[lang],
    )


@router.api_route("/sporringer/{name}", methods=GET, summary="One catalogue question: a form, the answer, downloads")
@router.api_route("/queries/{name}", methods=GET, include_in_schema=False)
async def question(name: str, request: Request, service: ServiceDep) -> Response:
    lang = language(request)[0]
    query = service.catalogue.get(name)
    root = root_path(request)
    if query is None:
        raise Failed(404, f"no query named '{name}' (see {PATHS[lang]})")
    given = {
        k: v
        for k, v in request.query_params.items()
        if k not in questions.SORT_KEYS and k != "lang" and query.parameter(k) is not None and v != ""
    }
    sort = request.query_params.get("sort")
    order = "desc" if request.query_params.get("order") == "desc" else "asc"
    site = service.site()
    present = Presenter(lang, site.labels, root)
    fields = await asyncio.to_thread(questions.form_fields, site, present, query, given)
    context: dict[str, Any] = {
        "query": query,
        "fields": fields,
        "error": "",
        "table": None,
        "capped": False,
        "rows": 0,
        "downloads": [],
        "missing": questions.missing(query, given),
        "title_pair": questions.titles(query, lang),
        "current_nav": PATHS[lang],
        "topics": [questions.topic_name(tag, lang) for tag in query.tags],
        "action": root + PATHS[lang] + "/" + query.name,
        "list_href": root + PATHS[lang],
        "sparql_href": "",
        "max_rows": service.settings.max_rows,
    }
    status = 200
    if not context["missing"]:
        try:
            snapshot = service.snapshot
            assert snapshot is not None
            text = await asyncio.to_thread(bound_text, query, given, snapshot.store)
            results, capped = await _run(request, service, text)
        except (ParameterError, CatalogueError, QueryRefused) as refused:
            context["error"], status = str(refused), 400
        except Failed as failed:
            context["error"], status = str(failed), failed.status
        else:
            base_href = root + PATHS[lang] + "/" + query.name
            context["table"] = await asyncio.to_thread(
                questions.answer_table, present, query, results, given, sort, order, base_href
            )
            context["rows"] = len(results["results"]["bindings"])
            context["capped"] = capped
            context["downloads"] = [
                {
                    "fmt": fmt,
                    "name": shown,
                    "href": questions.download_href(root, query, given, fmt),
                    "file": f"{query.name}.{fmt}",
                }
                for fmt, shown in (("csv", "CSV"), ("json", "JSON"))
            ]
            editable = "\n".join(line for line in text.splitlines() if not line.startswith("#+"))
            href = root + "/sparql?" + urlencode({"query": editable})
            context["sparql_href"] = href if len(href) < service.settings.max_url_bytes - 100 else ""
    title = context["title_pair"][0]
    return render(request, "question.html", status=status, title=title, **context)


async def _run(request: Request, service: Service, text: str) -> tuple[dict[str, Any], bool]:
    checked = await service.inspect(text)
    outcome, _ = await service.run(
        text, "json", checked=checked, client=client_key(request.client.host if request.client else None)
    )
    if not outcome.ok:
        raise Failed(outcome.status, outcome.error)
    return await asyncio.to_thread(json.loads, outcome.body), bool(outcome.capped)
