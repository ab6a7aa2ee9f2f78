"""The check registry, the runner, and the built-in checks (one module per family)."""

from threadsmith.checks.base import Check, ConversationCheck, DatasetCheck, DatasetHit, EntryRef, Hit, RecordCheck
from threadsmith.checks.registry import all_checks, get_check, register, resolve
from threadsmith.checks.runner import CheckSet, EntryResult, Runner, build_checks

__all__ = [
    "Check",
    "CheckSet",
    "ConversationCheck",
    "DatasetCheck",
    "DatasetHit",
    "EntryRef",
    "EntryResult",
    "Hit",
    "RecordCheck",
    "Runner",
    "all_checks",
    "build_checks",
    "get_check",
    "register",
    "resolve",
]
