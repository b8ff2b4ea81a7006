"""/health: is the service up, which data version it serves, and how its workers fare."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from mfbt_kg.api.deps import ServiceDep

router = APIRouter(tags=["health"])


@router.get("/health", summary="Liveness, data version, worker state")
async def health(service: ServiceDep) -> JSONResponse:
    snapshot = service.snapshot
    if snapshot is None:  # the service answers only once its first data version is loaded
        return JSONResponse({"status": "starting"}, status_code=503)
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
        body["last_reload_error"] = f"the last reload failed; still serving the previous data: {service.reload_reason}"
    if pool is not None:
        body["workers"] = {
            "size": pool.size,
            "fast_lane": pool.fast,
            "standby": pool.standby(),
            "alive": len(pool.pids()),
            "busy": pool.busy(),
            "restarts": pool.restarts,
            "network_isolated": pool.sandboxed,
            # the mechanisms that cut every worker off the network; "none" (then user SPARQL
            # is refused unless the service was started with --allow-worker-network)
            "network_isolation": " + ".join(pool.isolation) or "none",
            "user_sparql": bool(pool.isolation) or service.settings.allow_worker_network,
        }
        body["client_budgets"] = service.budgets.stats()
    return JSONResponse(body, headers={"Cache-Control": "no-store"})
