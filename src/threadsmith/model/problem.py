"""Record problems: what a reader could not turn into a conversation.

Readers report these as data; the check registry gives each kind its code and documentation,
so a reader never needs to know about checks.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class ProblemKind(str, Enum):
    """Why a record could not be read (each kind is one structure check)."""

    UNPARSEABLE = "unparseable"
    NOT_AN_OBJECT = "not-an-object"
    UNRECOGNIZED = "unrecognized"
    MESSAGES_NOT_A_LIST = "messages-not-a-list"
    INVALID_MESSAGE = "invalid-message"
    INVALID_CONTENT = "invalid-content"


@dataclass(frozen=True, slots=True)
class RecordProblem:
    """A record (or line) that could not be read as a conversation."""

    kind: ProblemKind
    detail: str
    path: str | None = None
    index: int | None = None
    line: int | None = None
    column: int | None = None
    #: The message inside the record the problem is about, when it is one message.
    message_index: int | None = None
    #: The id found in the record, when it had one.
    record_id: str | None = None
