"""The web workbench: a JSON API (FastAPI) and server-rendered pages over one workspace.

::

    from threadsmith.web import create_app
    app = create_app("my-workspace")          # serve with: threadsmith serve

This package is the only place that imports the web framework; the CLI imports it late, so
``import threadsmith`` stays light. Every route parses its input, makes one workspace call and
renders (JSON, or a Jinja2 page with autoescaping on). Security rules live in ``security``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from threadsmith.errors import MissingDependency

if TYPE_CHECKING:
    from threadsmith.web.settings import ServerSettings

__all__ = ["create_app"]


def create_app(workspace: str | None = None, *, settings: ServerSettings | None = None, **options: Any) -> Any:
    """The FastAPI application for a workspace (``options``: see :class:`~threadsmith.web.settings.ServerSettings`)."""
    try:
        import fastapi  # noqa: F401
        import jinja2  # noqa: F401
    except ImportError as exc:
        raise MissingDependency(exc.name or "fastapi", extra="web", purpose="The web workbench") from None
    from threadsmith.web.app import build_app
    from threadsmith.web.settings import ServerSettings

    return build_app(settings or ServerSettings.make(workspace, **options))
