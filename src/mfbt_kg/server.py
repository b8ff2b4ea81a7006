"""Running the service: uvicorn on loopback by default, one process; queries go to worker processes."""

from __future__ import annotations

import uvicorn

from .api import Settings, create_app


def serve(host: str, port: int, store_url: str | None, timeout: float, max_rows: int, workers: int,
          root: str | None = None, data: str | None = None) -> None:
    from pathlib import Path

    settings = Settings(root=Path(root) if root else None, store_url=store_url, timeout=timeout,
                        max_rows=max_rows, workers=workers, data_file=Path(data) if data else None)
    uvicorn.run(create_app(settings), host=host, port=port, log_level="warning", access_log=False)
