"""The pure domain model: conversations, messages, findings. No I/O here."""

from threadsmith.model.calls import FUNCTION_CALL, message_calls, with_call_ids
from threadsmith.model.conversation import (
    CANONICAL_ROLES,
    ContentPart,
    Conversation,
    Message,
    Source,
    ToolCall,
)
from threadsmith.model.fingerprint import fingerprint
from threadsmith.model.finding import Family, Finding, Fix, FixSafety, Severity
from threadsmith.model.problem import ProblemKind, RecordProblem
from threadsmith.model.roles import NATIVE_SPELLINGS, ROLE_ALIASES, canonical_role

__all__ = [
    "CANONICAL_ROLES",
    "FUNCTION_CALL",
    "ContentPart",
    "Conversation",
    "Family",
    "Finding",
    "Fix",
    "FixSafety",
    "Message",
    "NATIVE_SPELLINGS",
    "ProblemKind",
    "ROLE_ALIASES",
    "RecordProblem",
    "Severity",
    "Source",
    "ToolCall",
    "canonical_role",
    "fingerprint",
    "message_calls",
    "with_call_ids",
]
