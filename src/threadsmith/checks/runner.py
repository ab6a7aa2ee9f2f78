"""Running checks: per conversation, with fixes, and dataset-wide summaries.

The runner never raises for a check's bug: a check that crashes on an entry becomes a
finding under that check's code, and the run goes on.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from threadsmith.checks.base import (Check, ConversationCheck, DatasetCheck, DatasetHit, EntryRef, Hit, Recall,
                                     RecordCheck)
from threadsmith.checks.profile import CheckContext
from threadsmith.checks.registry import all_checks, resolve
from threadsmith.model import Conversation, Finding, FixSafety, ProblemKind, RecordProblem, Severity

#: How many fix-and-recheck rounds one conversation may take before the runner stops fixing.
MAX_FIX_ROUNDS = 8


@dataclass(slots=True)
class CheckSet:
    """The selected checks, instantiated with their options."""

    conversation: list[ConversationCheck]
    dataset: list[DatasetCheck]
    record: dict[ProblemKind, type[RecordCheck]]

    @property
    def codes(self) -> list[str]:
        """Every selected code, sorted."""
        classes: list[type[Check]] = [type(c) for c in self.conversation + self.dataset]
        classes += list(self.record.values())
        return sorted(c.code for c in classes)


def build_checks(
    select: Sequence[str] = (),
    ignore: Sequence[str] = (),
    options: Mapping[str, Mapping[str, Any]] | None = None,
    context: CheckContext | None = None,
) -> CheckSet:
    """Instantiate the checks chosen by ``select`` (default: all) minus ``ignore``."""
    chosen = resolve(select) if select else {c.code for c in all_checks()}
    chosen -= resolve(ignore) if ignore else set()
    options = options or {}
    conversation: list[ConversationCheck] = []
    dataset: list[DatasetCheck] = []
    record: dict[ProblemKind, type[RecordCheck]] = {}
    for cls in all_checks():
        if cls.code not in chosen:
            continue
        if getattr(cls, "needs_tokenizer", False) and (context is None or context.tokenizer is None):
            continue  # template checks need --tokenizer
        opts = options.get(cls.code) or options.get(cls.name) or {}
        if issubclass(cls, RecordCheck):
            record[cls.kind] = cls
        elif issubclass(cls, ConversationCheck):
            conversation.append(cls(opts, context))
        elif issubclass(cls, DatasetCheck):
            dataset.append(cls(opts, context))
    return CheckSet(conversation, dataset, record)


@dataclass(slots=True)
class EntryResult:
    """What checking (and maybe fixing) one conversation produced."""

    conversation: Conversation | None
    findings: list[Finding]
    summaries: list[Any]
    fixes_applied: int = 0
    dropped: bool = False
    #: More entries a fix split this one into, in order after ``conversation`` (not checked yet:
    #: process each, e.g. LN001's "split" fix gives windows of an over-long conversation).
    parts: tuple[Conversation, ...] = ()


@dataclass(slots=True)
class Runner:
    """Runs a :class:`CheckSet` over conversations, optionally fixing them."""

    checks: CheckSet
    fix: bool = False
    unsafe_fixes: bool = False
    _dataset_fixing: list[bool] = field(default_factory=list)
    #: Positions (in ``checks.dataset``) of the checks whose summaries are settled in batches.
    _settling: list[int] = field(default_factory=list)
    #: Findings of settle() steps that crashed, reported with the dataset findings.
    _settle_crashes: list[Finding] = field(default_factory=list)
    #: The conversation checks that prepare for a batch (see :meth:`prepare`).
    _preparing: list[ConversationCheck] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._dataset_fixing = [self._may_fix(type(c)) for c in self.checks.dataset]
        self._settling = [d for d, c in enumerate(self.checks.dataset) if type(c).settle is not DatasetCheck.settle]
        self._preparing = [c for c in self.checks.conversation if type(c).prepare is not ConversationCheck.prepare]

    def prepare(self, conversations: Sequence[Conversation]) -> None:
        """Let the checks that batch (the template checks render a batch at once) prepare for
        these conversations, before :meth:`process` is called on each; a bug here costs only speed."""
        for check in self._preparing:
            try:
                check.prepare(conversations)
            except Exception:  # noqa: S112 - check() will run without the batch and report any crash
                continue

    def _may_fix(self, cls: type[Check]) -> bool:
        if not self.fix or cls.fix_safety is None:
            return False
        return cls.fix_safety is FixSafety.SAFE or self.unsafe_fixes

    def problem_finding(self, problem: RecordProblem) -> Finding | None:
        """The finding for a record the readers could not read (None when its check is off)."""
        cls = self.checks.record.get(problem.kind)
        if cls is None:
            return None
        return Finding(
            cls.code, cls.name, cls.family, cls.severity, problem.detail, problem.path, problem.index,
            problem.record_id, problem.message_index, problem.line, problem.column, None,
        )

    def process(self, conversation: Conversation, settle: bool = True) -> EntryResult:
        """Check one conversation (fixing it first when fixing is on) and summarize it.

        With ``settle`` false the summaries are left for :meth:`settle` to finish together with
        other conversations' (cheaper per conversation): call it before drops() or observe().
        """
        applied, parts = 0, ()
        if self.fix:
            conversation, applied, crashed, parts = self._fix(conversation)
            if conversation is None:
                return EntryResult(None, [], [], applied, dropped=True)
        else:
            crashed = []
        findings = crashed + self.findings(conversation, skip={f.code for f in crashed})
        summaries = self._summaries(conversation, findings)
        if settle and self._settling:
            self.settle([summaries])
        return EntryResult(conversation, findings, summaries, applied, parts=parts)

    def settle(self, rows: Sequence[list[Any]]) -> None:
        """Settle, in place, the summaries of many conversations (each row: one conversation's
        summaries, as :meth:`process` gives them), one call per dataset check that settles."""
        if not rows:
            return
        for d in self._settling:
            check = self.checks.dataset[d]
            column = [row[d] for row in rows]
            try:
                settled = check.settle(column)
            except Exception as exc:  # a check's bug must not stop the audit: its summaries are dropped
                self._settle_crashes.append(_crash_finding(check, None, "check", exc))
                settled = [None] * len(rows)
            for row, summary in zip(rows, settled):
                row[d] = summary

    def stored(self, summaries: Sequence[Any]) -> list[Any]:
        """One conversation's settled summaries as a workspace caches them (see :meth:`DatasetCheck.stored`)."""
        return [None if summary is None else check.stored(summary)
                for check, summary in zip(self.checks.dataset, summaries)]

    def recall_with(self, recall: Recall | None) -> None:
        """Lend the dataset checks a way to read observed entries back (see :attr:`DatasetCheck.recall`)."""
        for check in self.checks.dataset:
            check.recall = recall

    def findings(self, conversation: Conversation, skip: set[str] | frozenset[str] = frozenset()) -> list[Finding]:
        """Every finding of the per-conversation checks (but those in ``skip``).

        Runs for every conversation and every check, so the loop does no more than it must:
        most checks return an empty tuple or list, which is neither copied nor iterated."""
        out: list[Finding] = []
        checks = self.checks.conversation
        if skip:
            checks = [check for check in checks if check.code not in skip]
        for check in checks:
            try:
                hits = check.check(conversation)
                if not hits:  # () or [] (a generator is true: it is consumed below, in the try)
                    continue
                if hits.__class__ is not list and hits.__class__ is not tuple:
                    hits = list(hits)
            except Exception as exc:  # a check's bug must not stop the audit
                out.append(self._crash(check, conversation, "check", exc))
                continue
            for hit in hits:
                out.append(self._finding(check, conversation, hit))
        return out

    def _fix(self, conversation: Conversation
             ) -> tuple[Conversation | None, int, list[Finding], tuple[Conversation, ...]]:
        """Fix rounds; a fix that returns several conversations splits the entry: fixing goes on
        with the first, the others come back as parts."""
        applied = 0
        parts: tuple[Conversation, ...] = ()
        crashed: list[Finding] = []
        broken: set[str] = set()
        for _ in range(MAX_FIX_ROUNDS):
            changed = False
            for check in self.checks.conversation:
                if check.code in broken or not self._may_fix(type(check)):
                    continue
                try:
                    count = sum(1 for hit in check.check(conversation) if hit.fixable)
                    if not count:
                        continue
                    fixed = check.fix(conversation)
                except Exception as exc:  # a fix's bug leaves the entry as it was
                    broken.add(check.code)
                    crashed.append(self._crash(check, conversation, "fix", exc))
                    continue
                applied += count
                if isinstance(fixed, tuple):
                    fixed, parts = (fixed[0], fixed[1:] + parts) if fixed else (None, ())
                if fixed is None:
                    return None, applied, crashed, ()
                if fixed != conversation:
                    conversation, changed = fixed, True
            if not changed:
                break
        return conversation, applied, crashed, parts

    def _summaries(self, conversation: Conversation, findings: list[Finding]) -> list[Any]:
        """Every dataset check's summary of the conversation (None where one crashed: a finding)."""
        out: list[Any] = []
        for check in self.checks.dataset:
            try:
                out.append(check.summarize(conversation))
            except Exception as exc:
                findings.append(self._crash(check, conversation, "check", exc))
                out.append(None)
        return out

    def drops(self, summaries: Sequence[Any]) -> bool:
        """True when a dataset check's enabled fix leaves this conversation out of the output."""
        dropped = False
        for check, fixing, summary in zip(self.checks.dataset, self._dataset_fixing, summaries):
            if fixing and summary is not None and check.drops(summary):
                dropped = True
        return dropped

    def observe_for_fixes(self, summaries: Sequence[Any], ref: EntryRef) -> None:
        """Feed one conversation's summaries to the dataset checks whose fix is on, and only to
        them: what :meth:`drops` needs when no report is made (fixing a workspace's dataset)."""
        for check, fixing, summary in zip(self.checks.dataset, self._dataset_fixing, summaries):
            if fixing and summary is not None:
                check.observe(summary, ref)

    def observe(self, summaries: Sequence[Any], ref: EntryRef) -> None:
        """Feed one conversation's summaries to the dataset checks."""
        for check, summary in zip(self.checks.dataset, summaries):
            if summary is not None:
                check.observe(summary, ref)

    def observe_many(self, rows: Sequence[Sequence[Any]], refs: Sequence[EntryRef]) -> None:
        """Feed many conversations' summaries (one row each, in order) to the dataset checks, a
        batch per check: what the main process does for every conversation, so its cost counts."""
        if not rows:
            return
        for check, column in zip(self.checks.dataset, zip(*rows)):  # one column per check
            check.observe_many(column, refs)

    def finish(self) -> list[Finding]:
        """The dataset checks' findings, once every conversation was observed."""
        out: list[Finding] = list(self._settle_crashes)
        for findings in self.finish_each():
            out += findings
        return out

    def finish_each(self) -> list[list[Finding]]:
        """The findings of each dataset check, in check order (settle crashes left out)."""
        out: list[list[Finding]] = []
        for check in self.checks.dataset:
            try:
                hits: Iterable[DatasetHit] = list(check.finish())
            except Exception as exc:
                out.append([_crash_finding(check, None, "check", exc)])
                continue
            fix = check.fix_info()
            found = []
            for hit in hits:
                ref = hit.ref or EntryRef(None, None, None, None)
                found.append(Finding(
                    check.code, check.name, check.family, check.severity, hit.message, ref.path, ref.entry_index,
                    ref.entry_id, hit.message_index, ref.line, None, fix if hit.fixable else None,
                ))
            out.append(found)
        return out

    def _finding(self, check: Check, conversation: Conversation, hit: Hit) -> Finding:
        source = conversation.source
        return Finding(
            check.code, check.name, check.family, check.severity, hit.message, source.path, source.index,
            conversation.id, hit.message_index, source.line, None, check.fix_info() if hit.fixable else None,
        )

    def _crash(self, check: Check, conversation: Conversation, what: str, exc: Exception) -> Finding:
        return _crash_finding(check, conversation, what, exc)


def _crash_finding(check: Check, conversation: Conversation | None, what: str, exc: Exception) -> Finding:
    source = conversation.source if conversation is not None else None
    return Finding(
        check.code, check.name, check.family, Severity.ERROR,
        f"internal error: the {what} of {check.code} crashed on this entry ({type(exc).__name__}: {exc}); "
        "please report it",
        source.path if source else None, source.index if source else None,
        conversation.id if conversation is not None else None, None, source.line if source else None, None, None,
    )
