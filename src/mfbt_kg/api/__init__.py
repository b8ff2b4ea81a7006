"""The FastAPI service: an app factory and thin routers, one per area."""

from .app import Settings, create_app

__all__ = ["Settings", "create_app"]
