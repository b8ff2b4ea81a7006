"""/health: is the service up, and which data version does it serve."""

from __future__ import annotations

from fastapi import APIRouter, Request

router = APIRouter(tags=["health"])


@router.get("/health")
async def health(request: Request) -> dict[str, object]:
    service = request.app.state.service
    return {"status": "ok", "data_version": service.version, "queries": len(service.catalogue)}
