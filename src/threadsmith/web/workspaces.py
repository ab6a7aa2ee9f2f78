"""One open Workspace per server thread (SQLite connections are not shared between threads).

Requests run in a thread pool; each thread opens the workspace once and keeps it, so a request
pays no open cost, and readers never block each other (WAL). Writers are serialized by SQLite.
"""

from __future__ import annotations

import threading
from fastapi import Request

from threadsmith.config import Config, load_config
from threadsmith.workspace import Workspace


class WorkspacePool:
    """Workspaces of one path, one per thread; :meth:`close` closes them all."""

    def __init__(self, path: str | None, config: Config | None = None) -> None:
        self.path = path
        self.config = config or load_config()
        self._local = threading.local()
        self._opened: list[Workspace] = []
        self._lock = threading.Lock()
        Workspace.open(path, create=True, config=self.config).close()  # create it, fail early when unusable

    def get(self) -> Workspace:
        """This thread's workspace."""
        ws = getattr(self._local, "workspace", None)
        if ws is None:
            ws = Workspace.open(self.path, create=True, config=self.config)
            self._local.workspace = ws
            with self._lock:
                self._opened.append(ws)
        return ws

    def close(self) -> None:
        """Close every workspace this pool opened."""
        with self._lock:
            for ws in self._opened:
                ws.close()
            self._opened.clear()
        self._local = threading.local()


def pool(request: Request) -> WorkspacePool:
    """FastAPI dependency: the pool; call ``.get()`` inside the route (dependencies may run on another thread)."""
    return request.app.state.pool  # type: ignore[no-any-return]
