"""What a check is: a code, a name, a family, a severity, a docstring, and an optional fix.

Two scopes, as in datatrove's filter / filter_batch:

* :class:`ConversationCheck` is a pure function of one conversation (it streams).
* :class:`DatasetCheck` turns each conversation into a small mergeable summary, observes the
  summaries, and decides at the end (duplicates, variation, contradictions).

:class:`RecordCheck` documents one kind of unreadable record; the readers report those.

A check's docstring has four sections, ``What it does:``, ``Why it matters:``, ``Example:``
and ``Fix:``; ``threadsmith explain CODE`` prints it and docs/checks.md is generated from it.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, ClassVar, NamedTuple

from threadsmith.checks.profile import CheckContext
from threadsmith.model import Conversation, Family, Fix, FixSafety, ProblemKind, Severity


class Hit(NamedTuple):
    """A check's raw report about one conversation; the runner locates it into a Finding."""

    message_index: int | None
    message: str
    #: False when this particular hit has no fix even though the check has one.
    fixable: bool = True


class EntryRef(NamedTuple):
    """Where an entry is, kept by dataset checks so they can report it at the end."""

    path: str | None
    entry_index: int | None
    entry_id: str | None
    line: int | None


#: ``recall(refs)``: the conversations of observed entries, in the order of ``refs``.
Recall = Callable[[Sequence[EntryRef]], list[Conversation]]


class DatasetHit(NamedTuple):
    """A dataset check's report: about one entry (``ref``), or the whole dataset (``ref=None``)."""

    ref: EntryRef | None
    message: str
    message_index: int | None = None
    fixable: bool = True


class Check:
    """Base of every check. Subclasses set the class attributes and write the docstring."""

    code: ClassVar[str]
    name: ClassVar[str]
    family: ClassVar[Family]
    severity: ClassVar[Severity]
    #: None when the check has no fix.
    fix_safety: ClassVar[FixSafety | None] = None
    #: One short phrase saying what the fix does ("strip the whitespace").
    fix_description: ClassVar[str | None] = None
    #: Tunable thresholds and their documented defaults; configuration may override them.
    defaults: ClassVar[Mapping[str, Any]] = {}

    def __init__(self, options: Mapping[str, Any] | None = None, context: CheckContext | None = None) -> None:
        merged = dict(self.defaults)
        merged.update(options or {})
        self.options = merged
        self.context = context or CheckContext()

    @classmethod
    def fix_info(cls) -> Fix | None:
        """The fix as findings show it, or None."""
        if cls.fix_safety is None or cls.fix_description is None:
            return None
        return Fix(cls.fix_description, cls.fix_safety)

    @classmethod
    def doc(cls) -> str:
        """The check's documentation (its cleaned docstring)."""
        return inspect.cleandoc(cls.__doc__ or "")

    @classmethod
    def summary(cls) -> str:
        """The first line of the documentation."""
        return cls.doc().split("\n", 1)[0]


class ConversationCheck(Check):
    """A check that looks at one conversation at a time."""

    def check(self, conversation: Conversation) -> Iterable[Hit]:
        """Every problem of this kind in the conversation."""
        raise NotImplementedError

    def prepare(self, conversations: Sequence[Conversation]) -> None:
        """Optional: get ready to check a batch of conversations together (one batch render for
        the template checks); :meth:`check` must give the same hits with or without it."""

    def fix(self, conversation: Conversation) -> Conversation | tuple[Conversation, ...] | None:
        """The conversation with every problem of this kind fixed (None drops it; a tuple of
        conversations splits it into several entries, in order)."""
        raise NotImplementedError


class DatasetCheck(Check):
    """A check over the whole dataset, built from one small summary per conversation."""

    #: What observing an entry's summary (decoding it from the cache included) and finishing cost,
    #: relative to the other dataset checks: balances them across processes (workspace/observation.py).
    observe_cost: ClassVar[float] = 1.0
    #: The code of a dataset check whose summaries hold the same values as this one's (the same
    #: strings): both are then observed in one process, so a cached summary keeps them once.
    observe_with: ClassVar[str | None] = None
    #: True when :meth:`stored` leaves out values that :meth:`finish` reads back through
    #: :attr:`recall`: the check is then observed in the process that can read the entries.
    recalls: ClassVar[bool] = False
    #: Reads back the conversations of observed entries, set by whoever feeds stored summaries
    #: (a workspace); None where every summary is whole (an audit of files).
    recall: Recall | None = None

    def summarize(self, conversation: Conversation) -> Any:
        """A small, picklable summary of one conversation (may run in a worker process), made of
        built-in values only (the workspace caches summaries)."""
        raise NotImplementedError

    def settle(self, summaries: list[Any]) -> list[Any]:
        """The summaries of a batch of conversations, finished together (``None`` stays ``None``).

        A summary may leave to this step the work that costs much per call but little per item
        (a MinHash over many rows in one call): the runner settles a worker's chunk at once,
        before the summaries are pickled. Settling a settled summary gives it back unchanged,
        and observe() settles what it is given unsettled, so skipping this step costs only speed.
        """
        return summaries

    def stored(self, summary: Any) -> Any:
        """What a workspace caches of a settled summary: all of it, unless the check leaves out
        values it needs for a few entries only (and reads those back with :attr:`recall`)."""
        return summary

    def observe(self, summary: Any, ref: EntryRef) -> None:
        """Take one conversation's summary into account."""
        raise NotImplementedError

    def observe_many(self, summaries: Sequence[Any], refs: Sequence[EntryRef]) -> None:
        """Take a batch of summaries into account, in order (``None`` ones are skipped): one call
        per batch, where a check can do per batch what it would do per conversation."""
        observe = self.observe
        for summary, ref in zip(summaries, refs):
            if summary is not None:
                observe(summary, ref)

    def finish(self) -> Iterable[DatasetHit]:
        """The findings, once every conversation was observed."""
        raise NotImplementedError

    def drops(self, summary: Any) -> bool:
        """With this check's fix on: True when the conversation should be left out (called before observe)."""
        return False


def present(summaries: Sequence[Any], refs: Sequence[EntryRef]) -> tuple[Sequence[Any], Sequence[EntryRef]]:
    """The summaries that are not None and their refs (the same sequences when none is None): what
    an :meth:`DatasetCheck.observe_many` takes into account."""
    if None not in summaries:
        return summaries, refs
    kept = [i for i, summary in enumerate(summaries) if summary is not None]
    return [summaries[i] for i in kept], [refs[i] for i in kept]


class RecordCheck(Check):
    """Documents one kind of record the readers could not turn into a conversation."""

    kind: ClassVar[ProblemKind]
