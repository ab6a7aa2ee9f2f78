"""The security rules, applied to every request before any route runs.

1. **Host**: without a token the server answers only requests addressed to a loopback name
   (stops DNS-rebinding pages from reaching the API through the browser).
2. **Token**: when the server has a token (always, when bound to a non-loopback address) every
   request carries it: ``Authorization: Bearer T``, the ``threadsmith_token`` cookie, or once
   as ``?token=T`` on a page (which sets the cookie and redirects to the clean URL).
3. **CSRF**: state-changing requests (anything but GET/HEAD/OPTIONS) must send the server's
   CSRF secret in ``X-CSRF-Token`` (pages carry it in a meta tag; ``GET /api/session`` gives it
   to same-origin scripts), must not come from another origin (``Origin`` / ``Sec-Fetch-Site``),
   and must not be a plain form post. Cross-site pages can neither read the secret nor set the
   header without a CORS preflight, which this server never grants.
4. **Paths**: a name the browser sends for a file or folder (an export's folder) is one plain
   name resolved inside a folder of the workspace (:func:`contained`); it cannot climb out
   with ``..``, an absolute path or a symbolic link.
5. **Headers**: a Content-Security-Policy that allows only this server's own scripts (no inline
   script runs, even if some text escaped escaping), ``nosniff``, no framing, no referrer.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from threadsmith.errors import UserError
from threadsmith.web.responses import error_response
from threadsmith.web.settings import ServerSettings, is_loopback

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
TOKEN_COOKIE = "threadsmith_token"
CSRF_HEADER = "x-csrf-token"
CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                           "img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
                           "form-action 'self'; connect-src 'self'")
HEADERS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
}


#: A name the browser may give a file or folder: letters, digits, ``.``, ``_``, ``-``; no leading dot.
PLAIN_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


def contained(root: str | Path, name: str, *, what: str = "folder") -> Path:
    """``root/name`` when ``name`` is one plain name that stays inside ``root`` (also through links)."""
    if not PLAIN_NAME.match(name) or name in (".", ".."):
        raise UserError(f"{name!r} is not a plain {what} name.",
                        hint="Use letters, digits, '.', '_' and '-' only (no slashes), e.g. chats-v3-openai.")
    base = Path(root).resolve()
    target = (base / name).resolve()
    if target.parent != base:
        raise UserError(f"The {what} {name!r} leads outside {base}.", hint=f"Choose a {what} inside {base}.")
    return target


def _same(given: str | None, wanted: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode(), wanted.encode())


def presented_token(request: Request) -> str | None:
    """The token a request carries (header, cookie or query), if any."""
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    return request.cookies.get(TOKEN_COOKIE) or request.query_params.get("token")


def refusal(request: Request, settings: ServerSettings) -> Response | None:
    """The error response for a request the rules refuse; None when it may go on."""
    host = urlsplit("//" + request.headers.get("host", "")).hostname or ""
    if settings.token is None and not (is_loopback(host) or host == settings.host):
        return error_response(request, 403, "forbidden_host", f"This server answers only on 127.0.0.1, not {host!r}.",
                              "Open http://127.0.0.1:PORT/, or serve with --token to allow other addresses.")
    if settings.token is not None and not _same(presented_token(request), settings.token):
        return error_response(request, 401, "unauthorized", "This server needs its access token.",
                              "Open the URL that `threadsmith serve` printed (it ends in ?token=...), or send "
                              "Authorization: Bearer TOKEN.")
    if request.method not in SAFE_METHODS:
        return csrf_refusal(request, settings)
    return None


def csrf_refusal(request: Request, settings: ServerSettings) -> Response | None:
    """The refusal of a state-changing request that may be cross-site; None when it is same-origin."""
    origin = request.headers.get("origin")
    if origin is not None and urlsplit(origin).netloc != request.headers.get("host", ""):
        return error_response(request, 403, "csrf", "Cross-site request refused.",
                              "State-changing requests must come from the workbench's own pages.")
    if request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
        return error_response(request, 403, "csrf", "Cross-site request refused.",
                              "State-changing requests must come from the workbench's own pages.")
    if not _same(request.headers.get(CSRF_HEADER), settings.csrf_secret):
        return error_response(request, 403, "csrf", "Missing or wrong X-CSRF-Token header.",
                              "Send the token from GET /api/session (the pages do this for you).")
    return None


def token_redirect(request: Request, settings: ServerSettings) -> Response | None:
    """A page opened with ?token=T: set the cookie and redirect to the URL without it."""
    if settings.token is None or request.method != "GET" or "token" not in request.query_params:
        return None
    if request.url.path.startswith("/api"):
        return None
    rest = [(k, v) for k, v in request.query_params.multi_items() if k != "token"]
    target = request.url.path + ("?" + urlencode(rest) if rest else "")
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(TOKEN_COOKIE, settings.token, httponly=True, samesite="strict", path="/")
    return response


def middleware(settings: ServerSettings) -> Callable[[Request, Callable[[Request], Awaitable[Response]]],
                                                     Awaitable[Response]]:
    """The HTTP middleware applying the rules and the headers."""

    async def guard(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = refusal(request, settings) or token_redirect(request, settings)
        if response is None:
            response = await call_next(request)
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        if request.url.path.startswith("/api"):
            response.headers.setdefault("cache-control", "no-store")
        return response

    return guard
