"""Repetition checks that need the whole dataset: exact duplicate conversations."""

from __future__ import annotations

from collections.abc import Iterator

from threadsmith.checks.base import DatasetCheck, DatasetHit, EntryRef
from threadsmith.checks.features import shared_fingerprint
from threadsmith.checks.profile import CheckContext
from threadsmith.checks.registry import register
from threadsmith.model import Conversation, Family, FixSafety, Severity


def _where(ref: EntryRef) -> str:
    return f"entry {ref.entry_index}" + (f" (line {ref.line})" if ref.line is not None else "")


@register
class ExactDuplicate(DatasetCheck):
    """Two or more entries are the same conversation after normalization.

    What it does:
        Fingerprints every conversation after normalizing it (canonical roles, surrounding whitespace
        stripped; tags, ids and metadata ignored) and reports every member of
        each group of identical conversations, across all input files. The first one is the
        suggested keeper.
    Why it matters:
        Fine-tuning amplifies what it sees most: a conversation present five times is
        trained five times as hard, and duplicates that straddle a train/validation split
        make the validation loss lie.
    Example:
        ``{"messages": [{"role": "USER", "content": " Hi "}, ...]}`` and
        ``{"messages": [{"role": "user", "content": "Hi"}, ...]}``
    Fix:
        Unsafe: keep the first entry of each group and drop the others.
    """

    code = "RP001"
    name = "exact-duplicate"
    family = Family.REPETITION
    severity = Severity.WARNING
    fix_safety = FixSafety.UNSAFE
    fix_description = "drop this copy and keep the first"

    def __init__(self, options: dict | None = None, context: CheckContext | None = None) -> None:
        super().__init__(options, context)
        self._first: dict[bytes, EntryRef] = {}
        self._groups: dict[bytes, list[EntryRef]] = {}
        self._kept: set[bytes] = set()

    def summarize(self, conversation: Conversation) -> bytes:
        return shared_fingerprint(conversation)  # computed once, shared with reused-assistant-turn (RP005)

    def drops(self, summary: bytes) -> bool:
        if summary in self._kept:
            return True
        self._kept.add(summary)
        return False

    def observe(self, summary: bytes, ref: EntryRef) -> None:
        first = self._first.setdefault(summary, ref)
        if first is not ref:
            group = self._groups.get(summary)
            if group is None:
                self._groups[summary] = group = [first]
            group.append(ref)

    def finish(self) -> Iterator[DatasetHit]:
        for group in self._groups.values():
            keeper = group[0]
            listing = ", ".join(_where(r) for r in group[:6]) + (" ..." if len(group) > 6 else "")
            for ref in group:
                if ref is keeper:
                    note = f"first of {len(group)} identical conversations ({listing}); suggested keeper"
                    yield DatasetHit(ref, note, fixable=False)
                else:
                    where = f"{keeper.path}, " if keeper.path != ref.path else ""
                    yield DatasetHit(ref, f"exact duplicate of {where}{_where(keeper)} ({len(group)} copies in all)")
