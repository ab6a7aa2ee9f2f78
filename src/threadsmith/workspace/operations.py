"""Edit operations as values: what to change in which entry.

A list of operations is applied as one version by :meth:`Workspace.apply`; an operation with
``key=None`` is a template that :meth:`Workspace.apply_where` fills in for every entry a query
selects (a bulk edit, still one version). ``expected`` (a content hash, see
:attr:`Entry.content_hash`) makes an operation refuse to apply to an entry whose content is not
the one the caller saw.
"""

from __future__ import annotations

from dataclasses import dataclass

from threadsmith.model import Conversation


@dataclass(frozen=True, slots=True)
class Operation:
    """Base of every edit operation."""

    key: str | None


@dataclass(frozen=True, slots=True)
class SetText(Operation):
    """Replace the text of turn ``index``."""

    index: int = 0
    text: str = ""
    expected: str | None = None


@dataclass(frozen=True, slots=True)
class SetRole(Operation):
    """Give turn ``index`` another role."""

    index: int = 0
    role: str = "user"
    expected: str | None = None


@dataclass(frozen=True, slots=True)
class InsertTurn(Operation):
    """Insert a turn at ``index`` (the number of turns appends)."""

    index: int = 0
    role: str = "user"
    text: str = ""
    expected: str | None = None


@dataclass(frozen=True, slots=True)
class DeleteTurn(Operation):
    """Delete turn ``index``."""

    index: int = 0
    expected: str | None = None


@dataclass(frozen=True, slots=True)
class MoveTurn(Operation):
    """Move turn ``source`` to index ``target``."""

    source: int = 0
    target: int = 0
    expected: str | None = None


@dataclass(frozen=True, slots=True)
class SetTags(Operation):
    """Add and remove tags, or replace them all (``replace_with``)."""

    add: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()
    replace_with: tuple[str, ...] | None = None
    expected: str | None = None


@dataclass(frozen=True, slots=True)
class Split(Operation):
    """Split at turn ``at`` into this entry and a new one after it; both keep the system prompt."""

    at: int = 1
    expected: str | None = None


@dataclass(frozen=True, slots=True)
class Join(Operation):
    """Append the turns of ``others`` (in order) to this entry and delete them."""

    others: tuple[str, ...] = ()
    expected: str | None = None


@dataclass(frozen=True, slots=True)
class Duplicate(Operation):
    """Copy this entry into a new entry right after it."""

    expected: str | None = None


@dataclass(frozen=True, slots=True)
class Exclude(Operation):
    """Keep the entry but leave it out of exports and audits, with a reason."""

    reason: str = "excluded"
    expected: str | None = None


@dataclass(frozen=True, slots=True)
class Include(Operation):
    """Bring an excluded entry back."""

    expected: str | None = None


@dataclass(frozen=True, slots=True)
class Delete(Operation):
    """Remove the entry from the dataset (earlier versions keep it)."""

    expected: str | None = None


@dataclass(frozen=True, slots=True)
class Replace(Operation):
    """Replace the entry's whole conversation (fixes, templates and other programs use this)."""

    conversation: Conversation | None = None
    expected: str | None = None


@dataclass(frozen=True, slots=True)
class SetSystemPrompt(Operation):
    """Make the entry's first system message say ``text`` (inserting one when missing)."""

    text: str = ""
    expected: str | None = None
