"""Pages: the Jinja2 environment (autoescaping always on) and the helpers templates use.

Dataset text is untrusted. Templates never mark data ``|safe``; the only markup inserted as
is comes from the report's chart functions, which escape every data string themselves.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse

from threadsmith.model.calls import call_line
from threadsmith.report.charts import number, percent

TEMPLATES = Path(__file__).parent / "templates"
ROLE_CLASSES = {"system": "system", "user": "user", "assistant": "assistant", "tool": "tool"}


def _url(*parts: object, **query: object) -> str:
    """``/datasets/a%2Fb/entries/k?x=1``: every path part quoted, empty query values dropped."""
    path = "/" + "/".join(quote(str(p), safe="") for p in parts)
    items = [(k, v) for k, v in query.items() if v not in (None, "", ())]
    return path + ("?" + urlencode(items, doseq=True) if items else "")


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """The template environment (autoescape on for every template)."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.globals.update(url=_url, number=number, percent=percent)
    env.filters["role_class"] = lambda role: ROLE_CLASSES.get(str(role), "other")
    env.filters["when"] = lambda stamp: str(stamp or "").replace("T", " ")[:16]
    env.filters["call_lines"] = lambda message: [call_line(call) for call in message.tool_calls]
    return env


def render(request: Request, template: str, status: int = 200, *, with_csrf: bool = True,
           **context: Any) -> HTMLResponse:
    """A page: the template with the request, the CSRF secret (unless refused) and ``context``."""
    csrf = request.app.state.settings.csrf_secret if with_csrf else ""
    html = environment().get_template(template).render(request_path=request.url.path, csrf=csrf, **context)
    return HTMLResponse(html, status_code=status)


def render_error(request: Request, error: dict[str, Any]) -> HTMLResponse:
    """The error page (same message and hint as the API's error shape); it never carries the CSRF secret,
    so a refused request (wrong host, no token) learns nothing from it."""
    return render(request, "error.html", status=int(error["status"]), with_csrf=False, error=error, title="Error")
