"""The application factory: routes, error handlers, security middleware, static files, workspaces."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import metadata
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from threadsmith.web import (api_entries, api_export, api_findings, api_history, api_library, api_runs,
                             export_pages, pages, run_pages)
from threadsmith.web import api_probes
from threadsmith.web import api_render, render_pages
from threadsmith.web.responses import HANDLERS
from threadsmith.web.security import middleware
from threadsmith.web.settings import ServerSettings
from threadsmith.web.workspaces import WorkspacePool

STATIC = Path(__file__).parent / "static"


def _version() -> str:
    try:
        return metadata.version("threadsmith")
    except metadata.PackageNotFoundError:
        return "0+unknown"


def build_app(settings: ServerSettings) -> FastAPI:
    """The app for ``settings`` (the workspace is opened, and created when missing, right away)."""
    workspaces = WorkspacePool(settings.workspace)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        workspaces.close()

    # No Swagger UI: it loads its script from a CDN. The schema itself is at /openapi.json.
    app = FastAPI(title="Threadsmith workbench", version=_version(), lifespan=lifespan, docs_url=None,
                  redoc_url=None, openapi_url="/openapi.json",
                  description="The JSON API behind the Threadsmith web workbench. Errors all have one shape: "
                              '`{"error": {"status", "code", "message", "hint", "details"}}`. State-changing '
                              "requests need the X-CSRF-Token header (GET /api/session).")
    app.state.settings = settings
    app.state.pool = workspaces
    for kind, handler in HANDLERS.items():
        app.add_exception_handler(kind, handler)
    app.middleware("http")(middleware(settings))
    for module in (api_entries, api_history, api_findings, api_library, api_runs, api_export, pages, run_pages,
                   export_pages, api_probes, api_render, render_pages):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app
