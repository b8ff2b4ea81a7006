"""/health: is the service up, which data version it serves, and how its workers fare."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

router = APIRouter(tags=["health"])


@router.get("/health", summary="Liveness, data version, worker state")
async def health(request: Request) -> JSONResponse:
    service = request.app.state.service
    snapshot = service.snapshot
    pool = service.pool
    body: dict[str, object] = {
        "status": "ok",
        "store": "remote" if service.remote is not None else "embedded",
        "data_version": snapshot.version,
        "data_modified": snapshot.modified.isoformat() if snapshot.modified else None,
        "triples": snapshot.triples,
        "named_graphs": len(snapshot.graphs),
        "queries": len(service.catalogue),
        "reloads": service.reloads,
        "time_limit_seconds": service.settings.timeout,
        "max_rows": service.settings.max_rows,
        "answer_cache": service.answers.stats(),
    }
    if service.reload_error:
        body["last_reload_error"] = "the last reload failed; still serving the previous data"
    if pool is not None:
        body["workers"] = {"size": pool.size, "alive": len(pool.pids()), "restarts": pool.restarts,
                           "network_isolated": pool.sandboxed}
    return JSONResponse(body, headers={"Cache-Control": "no-store"})
