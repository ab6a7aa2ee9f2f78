"""The one registry of checks: codes are validated and unique, and never reused.

Codes are a two-letter family prefix plus three digits (``ST004``). :data:`RETIRED` keeps
codes that were removed so they are never given to another check.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from threadsmith.checks.base import Check
from threadsmith.errors import UnknownCheck
from threadsmith.model import Family

PREFIXES: dict[Family, str] = {
    Family.STRUCTURE: "ST",
    Family.ROLE_CONFUSION: "RC",
    Family.SYNTHETIC_NOISE: "SN",
    Family.WEAK_TURN: "WT",
    Family.REPETITION: "RP",
    Family.CONTRADICTION: "CT",
    Family.FORMATTING: "FM",
    Family.FILLER: "FL",
    Family.LOW_VARIATION: "LV",
    Family.LENGTH: "LN",
    Family.PRIVACY: "PV",
    Family.TEMPLATE: "TM",
}
#: Codes that once existed; never give them to a new check.
RETIRED: frozenset[str] = frozenset()
SECTIONS = ("What it does:", "Why it matters:", "Example:", "Fix:")
_CODE = re.compile(r"^[A-Z]{2}\d{3}$")
_NAME = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")

_FAMILY_NAMES = frozenset(f.value for f in Family)

_REGISTRY: dict[str, type[Check]] = {}


def register(cls: type[Check]) -> type[Check]:
    """Class decorator: validate a check's declaration and add it to the registry."""
    problems = declaration_problems(cls)
    if problems:
        raise TypeError(f"{cls.__name__}: " + "; ".join(problems))
    _REGISTRY[cls.code] = cls
    return cls


def declaration_problems(cls: type[Check]) -> list[str]:
    """What is wrong with a check's declaration (empty when it is fine)."""
    problems = []
    code = getattr(cls, "code", "")
    if not _CODE.match(code):
        problems.append(f"code {code!r} is not two letters and three digits")
    elif code[:2] != PREFIXES.get(getattr(cls, "family", None), code[:2]):
        problems.append(f"code {code} does not use its family's prefix {PREFIXES[cls.family]}")
    if code in _REGISTRY and _qualname(_REGISTRY[code]) != _qualname(cls):  # a re-imported module may re-register
        problems.append(f"code {code} is already used by {_REGISTRY[code].__name__}")
    if code in RETIRED:
        problems.append(f"code {code} is retired and may not be reused")
    if not _NAME.match(getattr(cls, "name", "")):
        problems.append(f"name {getattr(cls, 'name', '')!r} is not kebab-case")
    doc = cls.doc()
    missing = [s for s in SECTIONS if s not in doc]
    if missing:
        problems.append(f"docstring lacks {', '.join(missing)}")
    if (cls.fix_safety is None) != (cls.fix_description is None):
        problems.append("fix_safety and fix_description must be set together")
    return problems


def _qualname(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def all_checks() -> list[type[Check]]:
    """Every registered check, sorted by code."""
    _load_builtins()
    return [_REGISTRY[code] for code in sorted(_REGISTRY)]


def get_check(code_or_name: str) -> type[Check]:
    """One check by code (``ST004``, any case) or name (``empty-content``)."""
    _load_builtins()
    key = code_or_name.strip()
    if key.upper() in _REGISTRY:
        return _REGISTRY[key.upper()]
    for cls in _REGISTRY.values():
        if cls.name == key.lower():
            return cls
    raise UnknownCheck(f"No check is called {code_or_name!r}.")


def resolve(selectors: Iterable[str]) -> set[str]:
    """Codes matched by selectors: codes, code prefixes (``ST``, ``ST01``), family or check names."""
    _load_builtins()
    codes: set[str] = set()
    for raw in selectors:
        selector = raw.strip()
        if not selector:
            continue
        upper = selector.upper()
        if upper == "ALL":
            codes.update(_REGISTRY)
            continue
        matched = {c for c in _REGISTRY if c.startswith(upper)}
        matched |= {c for c, cls in _REGISTRY.items() if selector.lower() in (cls.family.value, cls.name)}
        if not matched and selector.lower() not in _FAMILY_NAMES:  # a family may have no checks yet
            raise UnknownCheck(f"{selector!r} matches no check code, prefix, family or name.")
        codes |= matched
    return codes


def _load_builtins() -> None:
    """Import the modules that hold the built-in checks (they register themselves)."""
    import threadsmith.checks.builtin  # noqa: F401
