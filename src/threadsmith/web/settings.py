"""What one server runs with: its workspace, the address it binds, its access token, its CSRF secret."""

from __future__ import annotations

import ipaddress
import secrets
from dataclasses import dataclass

#: Host names that mean "this machine only".
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and localhost."""
    host = host.strip("[]")
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True, slots=True)
class ServerSettings:
    """Settings of one server (build with :meth:`make`)."""

    workspace: str | None
    host: str = "127.0.0.1"
    port: int = 8000
    #: Required on every request when set (always set when binding a non-loopback address).
    token: str | None = None
    #: Sent back by the pages on every state-changing request (X-CSRF-Token header).
    csrf_secret: str = ""

    @classmethod
    def make(cls, workspace: str | None = None, *, host: str = "127.0.0.1", port: int = 8000,
             token: str | None = None, csrf_secret: str | None = None) -> ServerSettings:
        """Settings with a generated token when ``host`` is not loopback and none was given."""
        if token is None and not is_loopback(host):
            token = secrets.token_urlsafe(24)
        return cls(workspace, host, port, token or None, csrf_secret or secrets.token_urlsafe(32))

    @property
    def url(self) -> str:
        """The address to open (with the token when one is required)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        shown = "127.0.0.1" if self.host in ("0.0.0.0", "::") else host
        return f"http://{shown}:{self.port}/" + (f"?token={self.token}" if self.token else "")
