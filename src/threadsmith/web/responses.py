"""The one error shape of the API, and how our exceptions map onto it.

Every error the API returns (bad input, missing dataset, stale save, missing token, CSRF,
validation, a bug) is::

    {"error": {"status": 409, "code": "conflict", "message": "...", "hint": "..." | null, "details": {...}}}

Pages (paths outside ``/api``) show the same message and hint as an HTML page instead.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException

from threadsmith.errors import (
    Conflict,
    MissingDependency,
    NotFound,
    SchemaTooNew,
    StoreBusy,
    StoreError,
    ThreadsmithError,
    UserError,
)

log = logging.getLogger("threadsmith.web")

#: (exception class, HTTP status, error code), most specific first.
_MAPPING: tuple[tuple[type[ThreadsmithError], int, str], ...] = (
    (Conflict, 409, "conflict"),
    (NotFound, 404, "not_found"),
    (UserError, 400, "bad_request"),
    (StoreBusy, 503, "busy"),
    (SchemaTooNew, 500, "schema_too_new"),
    (StoreError, 500, "store_error"),
    (MissingDependency, 501, "missing_dependency"),
)
_HTTP_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
               409: "conflict", 413: "too_large", 415: "unsupported_media_type", 422: "invalid_request"}


def error_body(status: int, code: str, message: str, hint: str | None = None,
               details: dict[str, Any] | None = None) -> dict[str, Any]:
    """The error shape."""
    return {"error": {"status": status, "code": code, "message": message, "hint": hint, "details": details or {}}}


def error_response(request: Request, status: int, code: str, message: str, hint: str | None = None,
                   details: dict[str, Any] | None = None) -> Response:
    """The error as JSON for the API, as a page for the pages."""
    body = error_body(status, code, message, hint, details)
    if request.url.path.startswith("/api") or "text/html" not in request.headers.get("accept", ""):
        return JSONResponse(body, status_code=status)
    from threadsmith.web.rendering import render_error

    return render_error(request, body["error"])


def classify(exc: ThreadsmithError) -> tuple[int, str, dict[str, Any]]:
    """HTTP status, error code and details for one of our exceptions."""
    details: dict[str, Any] = {}
    if isinstance(exc, Conflict):
        details = {"entry": exc.entry, "based_on": exc.based_on, "current": exc.current}
    for kind, status, code in _MAPPING:
        if isinstance(exc, kind):
            return status, code, details
    return 500, "error", details


async def on_threadsmith_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ThreadsmithError)
    status, code, details = classify(exc)
    return error_response(request, status, code, str(exc), exc.hint, details)


async def on_validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    problems = [{"where": ".".join(str(p) for p in error.get("loc", ())), "problem": error.get("msg", "")}
                for error in exc.errors()]
    first = problems[0] if problems else {"where": "request", "problem": "invalid"}
    return error_response(request, 422, "invalid_request", f"{first['where']}: {first['problem']}",
                          "Check the request against /openapi.json.", {"problems": problems})


async def on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    message = exc.detail if isinstance(exc.detail, str) else "Request refused."
    return error_response(request, exc.status_code, _HTTP_CODES.get(exc.status_code, "error"), message)


async def on_unexpected(request: Request, exc: Exception) -> Response:
    log.exception("internal error on %s %s", request.method, request.url.path)
    return error_response(request, 500, "internal", f"Internal error: {type(exc).__name__}.",
                          "This is a threadsmith bug; the server log has the traceback.")


HANDLERS: dict[Any, Any] = {
    ThreadsmithError: on_threadsmith_error,
    RequestValidationError: on_validation_error,
    HTTPException: on_http_error,
    Exception: on_unexpected,
}
