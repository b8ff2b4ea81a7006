"""The HTTP layer: an app factory and thin routers, one per area."""
