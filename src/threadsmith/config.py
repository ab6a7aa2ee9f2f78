"""Configuration: ``threadsmith.toml`` or ``[tool.threadsmith]`` in ``pyproject.toml``.

The nearest file from the current folder upward wins (``threadsmith.toml`` before
``pyproject.toml`` in the same folder). Keys::

    select = ["ST", "RP001"]      # codes, prefixes, families or names; default: all
    ignore = ["ST016"]
    fail-on = "warning"           # error | warning | info | never
    kind = "auto"                  # auto | roleplay | assistant | instruction
    [roles]                        # custom speaker labels -> roles
    Kai = "assistant"
    [checks.ST008]                 # per-check options (by code or name)
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from threadsmith.errors import ConfigError
from threadsmith.model import CANONICAL_ROLES

FAIL_LEVELS = ("error", "warning", "info", "never")
KINDS = ("auto", "roleplay", "assistant", "instruction")
_KEYS = {"select", "ignore", "fail-on", "kind", "roles", "checks"}


@dataclass(frozen=True, slots=True)
class Config:
    """Settings for audit and the checks."""

    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    fail_on: str = "warning"
    kind: str = "auto"
    roles: Mapping[str, str] = field(default_factory=dict)
    checks: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    #: The file the settings came from, if any.
    path: str | None = None

    def overridden(self, **changes: Any) -> Config:
        """A copy with the given non-None settings replaced (command-line flags win)."""
        return replace(self, **{k: v for k, v in changes.items() if v not in (None, ())})


def find_config(start: str | os.PathLike[str] | None = None) -> Path | None:
    """The nearest threadsmith.toml, or pyproject.toml with a [tool.threadsmith] table."""
    folder = Path(start or os.getcwd()).resolve()
    for candidate in (folder, *folder.parents):
        own = candidate / "threadsmith.toml"
        if own.is_file():
            return own
        pyproject = candidate / "pyproject.toml"
        if pyproject.is_file() and "[tool.threadsmith" in pyproject.read_text(encoding="utf-8", errors="replace"):
            return pyproject
    return None


def load_config(path: str | os.PathLike[str] | None = None, *, start: str | None = None) -> Config:
    """Settings from ``path``, or from the nearest config file, or the defaults."""
    found = Path(path) if path is not None else find_config(start)
    if found is None:
        return Config()
    try:
        data = tomllib.loads(found.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"Config file {found} does not exist.") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{found} is not valid TOML: {exc}") from None
    if found.name == "pyproject.toml":
        data = data.get("tool", {}).get("threadsmith", {})
    return parse_config(data, str(found))


def parse_config(data: Mapping[str, Any], origin: str = "configuration") -> Config:
    """Validate a settings table; unknown keys and wrong types are errors that name the key."""
    unknown = set(data) - _KEYS
    if unknown:
        raise ConfigError(f"{origin}: unknown key(s) {', '.join(sorted(unknown))}.",
                          hint=f"Known keys: {', '.join(sorted(_KEYS))}.")
    fail_on = data.get("fail-on", "warning")
    if fail_on not in FAIL_LEVELS:
        raise ConfigError(f"{origin}: fail-on must be one of {', '.join(FAIL_LEVELS)}, not {fail_on!r}.")
    kind = data.get("kind", "auto")
    if kind not in KINDS:
        raise ConfigError(f"{origin}: kind must be one of {', '.join(KINDS)}, not {kind!r}.")
    roles = data.get("roles", {})
    if not isinstance(roles, dict) or any(v not in CANONICAL_ROLES for v in roles.values()):
        raise ConfigError(f"{origin}: [roles] maps speaker labels to one of {', '.join(CANONICAL_ROLES)}.")
    checks = data.get("checks", {})
    if not isinstance(checks, dict) or any(not isinstance(v, dict) for v in checks.values()):
        raise ConfigError(f"{origin}: [checks.CODE] tables hold per-check options.")
    return Config(
        select=_codes(data, "select", origin),
        ignore=_codes(data, "ignore", origin),
        fail_on=fail_on,
        kind=kind,
        roles=dict(roles),
        checks={k: dict(v) for k, v in checks.items()},
        path=origin,
    )


def _codes(data: Mapping[str, Any], key: str, origin: str) -> tuple[str, ...]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{origin}: {key} must be a list of codes, prefixes or family names.")
    return tuple(value)
