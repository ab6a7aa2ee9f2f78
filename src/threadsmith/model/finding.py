"""Findings: what a check reports, in the stable shape of the audit JSON contract."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any


class Severity(str, Enum):
    """How bad a finding is; ``audit`` fails on findings at or above ``--fail-on``."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        """2 for error, 1 for warning, 0 for info."""
        return _RANKS[self]


_RANKS = {Severity.ERROR: 2, Severity.WARNING: 1, Severity.INFO: 0}


class Family(str, Enum):
    """The twelve check families (exact strings are part of the JSON contract)."""

    STRUCTURE = "structure"
    ROLE_CONFUSION = "role-confusion"
    SYNTHETIC_NOISE = "synthetic-noise"
    WEAK_TURN = "weak-turn"
    REPETITION = "repetition"
    CONTRADICTION = "contradiction"
    FORMATTING = "formatting"
    FILLER = "filler"
    LOW_VARIATION = "low-variation"
    LENGTH = "length"
    PRIVACY = "privacy"
    TEMPLATE = "template"


class FixSafety(str, Enum):
    """Safe fixes are applied by ``--fix``; unsafe ones only with ``--unsafe-fixes``."""

    SAFE = "safe"
    UNSAFE = "unsafe"


@dataclass(frozen=True, slots=True)
class Fix:
    """A fix available for a finding."""

    description: str
    safety: FixSafety

    def __str__(self) -> str:
        return f"{self.description} ({self.safety.value} fix)"


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem found in a dataset, located as precisely as the input allows."""

    code: str
    name: str
    family: Family
    severity: Severity
    message: str
    path: str | None = None
    entry_index: int | None = None
    entry_id: str | None = None
    message_index: int | None = None
    line: int | None = None
    column: int | None = None
    fix: Fix | None = None

    def to_dict(self) -> dict[str, Any]:
        """The finding as the audit JSON contract spells it (docs/audit-json.md)."""
        return {
            "code": self.code,
            "name": self.name,
            "family": self.family.value,
            "severity": self.severity.value,
            "message": self.message,
            "entry_index": self.entry_index,
            "entry_id": self.entry_id,
            "message_index": self.message_index,
            "line": self.line,
            "column": self.column,
            "path": self.path,
            "fix": None if self.fix is None else str(self.fix),
        }
