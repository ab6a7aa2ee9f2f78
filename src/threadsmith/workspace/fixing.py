"""Applying audit fixes to a dataset as one version, and the findings side of a diff.

Fixing runs the checks' own fixes (the runner in fix mode) only on entries whose cached
findings have a fix to apply; every other entry's cached summary still feeds the dataset
checks, which may drop entries (exact duplicates ...): those are excluded with a reason, not
deleted, so the fix can be reviewed and undone.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from threadsmith.checks import EntryRef, Runner
from threadsmith.config import Config
from threadsmith.store import DatasetRow, Slot, Store, Transition
from threadsmith.workspace import operations as ops
from threadsmith.workspace.auditing import CheckPlan, ResultSource, included_slots, plan_checks
from threadsmith.workspace.editor import EditProgress, Editor
from threadsmith.workspace.reading import conversation_of
from threadsmith.workspace.results import FamilyDelta, Version

DROP_REASON = "dropped by audit fix"


@dataclass(frozen=True, slots=True)
class FixOutcome:
    """What a fix run committed."""

    version: Version | None
    fixes_applied: int
    fixed_entries: int
    dropped: int


def _wants_fix(rows: Sequence[Sequence[object]], unsafe: bool) -> bool:
    allowed = ("safe", "unsafe") if unsafe else ("safe",)
    return any(row[8] in allowed for row in rows)


def fix_dataset(store: Store, dataset: DatasetRow, plan: CheckPlan, *, unsafe: bool, message: str | None,
                progress: EditProgress | None = None) -> FixOutcome:
    """Apply the fixes of ``plan``'s checks to the latest version, as one new version."""
    head = store.versions.head(dataset.id)
    source = ResultSource(store, plan)
    fixer = Runner(plan.checks, fix=True, unsafe_fixes=unsafe)
    editor = Editor(store, dataset)
    applied = fixed = dropped = ordinal = 0
    try:
        for chunk in included_slots(store, dataset, head):
            results = source.results([s.content_id for s in chunk])
            needed = [s for s in chunk if _wants_fix(results[s.content_id].findings, unsafe)]
            found = store.contents.hashed_bodies(s.content_id for s in needed)
            for slot in chunk:
                rows = [results[slot.content_id].summaries]
                if slot.content_id in found:
                    outcome = _fix_one(editor, fixer, slot, *found[slot.content_id])
                    if outcome is None:
                        dropped += 1
                        continue
                    count, rows = outcome
                    applied += count
                    fixed += 1 if count else 0
                if fixer.drops(rows[0]):
                    _drop(store, editor, slot)
                    dropped += 1
                    continue
                for summaries in rows:  # a split entry's parts follow it (not dropped: new entries)
                    fixer.observe_for_fixes(summaries, EntryRef(slot.source_path, ordinal, slot.key, slot.source_line))
                    ordinal += 1
    finally:
        source.close()
    codes = ",".join(plan.config.select) or "all checks"
    text = message or f"fix ({codes}{', unsafe' if unsafe else ''}): {applied:,} fixes in {fixed:,} entries" + (
        f", {dropped:,} excluded" if dropped else "")
    version = editor.commit("fix", text, progress)
    return FixOutcome(version, applied + dropped, fixed, dropped)


def _fix_one(editor: Editor, fixer: Runner, slot: Slot, digest: bytes,
             body: bytes) -> tuple[int, list[tuple]] | None:
    """Fix one entry in the batch; (fixes applied, the new summaries of it and of the parts a
    fix split it into), or None when the fix drops it."""
    editor.preload([(slot, digest, body)])
    conversation = conversation_of(slot, body)
    result = fixer.process(conversation)
    if result.dropped or result.conversation is None:
        editor.apply(ops.Exclude(slot.key, reason=DROP_REASON))
        return None
    if result.parts:
        parts = [fixer.process(part) for part in result.parts]
        kept = [result.conversation] + [p.conversation for p in parts if p.conversation is not None]
        editor.split_into(slot.key, kept, f"split from {slot.key} by an audit fix (version {editor.read_head})")
        return (result.fixes_applied + sum(p.fixes_applied for p in parts),
                [tuple(result.summaries)] + [tuple(p.summaries) for p in parts if p.conversation is not None])
    if result.conversation != conversation:
        editor.apply(ops.Replace(slot.key, conversation=result.conversation))
    return result.fixes_applied, [tuple(result.summaries)]


def _drop(store: Store, editor: Editor, slot: Slot) -> None:
    if slot.key not in editor.touched:
        editor.preload([(slot, *store.contents.hashed_bodies([slot.content_id])[slot.content_id])])
    editor.apply(ops.Exclude(slot.key, reason=DROP_REASON))


def findings_delta(store: Store, dataset: DatasetRow, a: int, b: int, transitions: Iterable[Transition],
                   config: Config, kind: str) -> tuple[tuple[FamilyDelta, ...], str]:
    """Findings per family in versions ``a`` and ``b``, and what they cover.

    When both versions were audited under the same configuration the counts are complete
    (dataset-level checks included); otherwise they count the per-conversation findings of the
    entries that changed, computed (and cached) now.
    """
    latest = store.audit.latest_run(dataset.id, with_findings=False)
    if latest is not None:
        before = store.audit.run(dataset.id, a, latest.config_id, with_findings=False)
        after = store.audit.run(dataset.id, b, latest.config_id, with_findings=False)
        if before is not None and after is not None:
            return _deltas(Counter(before.summary["by_family"]), Counter(after.summary["by_family"])), "complete"
    plan = plan_checks(config, kind)
    source = ResultSource(store, plan)
    old, new = Counter(), Counter()
    try:
        pairs = [(t.before, t.after) for t in transitions]
        ids = [v.content_id for pair in pairs for v in pair if v is not None and v.excluded is None]
        results = source.results(ids)
        for before_value, after_value in pairs:
            for value, counter in ((before_value, old), (after_value, new)):
                if value is not None and value.excluded is None:
                    counter.update(str(row[2]) for row in results[value.content_id].findings)
    finally:
        source.close()
    return _deltas(old, new), "changed entries, per-conversation checks"


def _deltas(before: Counter, after: Counter) -> tuple[FamilyDelta, ...]:
    families = sorted(set(before) | set(after), key=lambda f: (-(after[f] + before[f]), f))
    return tuple(FamilyDelta(f, before[f], after[f]) for f in families)
