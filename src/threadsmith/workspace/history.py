"""History: what changed between two versions (down to the turn), and restoring a version.

Both cost O(entries changed between the two versions), not O(dataset): the states table is
read through its ``valid_from`` / ``valid_to`` indexes.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence

from threadsmith.model import Conversation
from threadsmith.store import Change, DatasetRow, Slot, Store, StateValue, Transition, VersionRow
from threadsmith.store.codec import loads
from threadsmith.workspace.results import EntryChange, TurnChange
from threadsmith.workspace.versioning import commit


def entry_changes(store: Store, dataset: DatasetRow, a: int, b: int, *, turns: bool = True,
                  limit: int | None = None) -> tuple[list[Transition], list[EntryChange]]:
    """The transitions from ``a`` to ``b`` and, for the first ``limit``, what changed in each entry."""
    transitions = store.states.transitions(dataset.id, a, b)
    shown = transitions if limit is None else transitions[:limit]
    entries = store.entries.by_ids(t.entry_id for t in shown)
    ids = {v.content_id for t in shown for v in (t.before, t.after) if v is not None}
    bodies = store.contents.bodies(ids) if turns else {}
    hashes = _hashes(store, ids)
    changes = []
    for t in shown:
        kind = classify(t)
        before = t.before.content_id if t.before else None
        after = t.after.content_id if t.after else None
        turn_changes: tuple[TurnChange, ...] = ()
        notes: list[str] = []
        if turns and kind == "changed" and before is not None and after is not None:
            old, new = loads(bodies[before]), loads(bodies[after])
            turn_changes = tuple(turn_diff(_messages(old), _messages(new)))
            notes = _envelope_notes(old, new)
            if not turn_changes and not notes:
                notes.append("message fields other than role and text changed (name, tool calls, weight ...)")
        if t.before and t.after and t.before.excluded != t.after.excluded:
            notes.append(f"excluded: {t.before.excluded!r} -> {t.after.excluded!r}")
        changes.append(EntryChange(entries[t.entry_id].key, kind, hashes.get(before), hashes.get(after),
                                   turn_changes, tuple(notes)))
    return transitions, changes


def classify(t: Transition) -> str:
    """added, removed, changed, excluded, included or moved."""
    if t.before is None:
        return "added"
    if t.after is None:
        return "removed"
    if t.before.content_id != t.after.content_id:
        return "changed"
    if t.before.excluded is None and t.after.excluded is not None:
        return "excluded"
    if t.before.excluded is not None and t.after.excluded is None:
        return "included"
    return "moved" if t.before.position != t.after.position else "changed"


def _hashes(store: Store, ids: set[int]) -> dict[int | None, str]:
    return {cid: store.contents.hash_of(cid).hex() for cid in ids}


def _messages(data: dict) -> list[tuple[str, str]]:
    """(role as spelled in the data, text) of each turn: a respelled role ("human" -> "user") is a change."""
    out = []
    for m in data["m"]:
        text = m["c"] if "c" in m else "\n".join(p[1] for p in m["p"] if p[1] is not None)
        out.append((m.get("rr") or m["r"], text))
    return out


def _envelope_notes(old: dict, new: dict) -> list[str]:
    notes = []
    if old.get("t", []) != new.get("t", []):
        notes.append(f"tags: {old.get('t', [])} -> {new.get('t', [])}")
    if old.get("md", {}) != new.get("md", {}):
        notes.append("metadata changed")
    return notes


def turn_diff(before: Sequence[tuple[str, str]], after: Sequence[tuple[str, str]]) -> list[TurnChange]:
    """Turn-level changes: turns aligned by (role, text), changed turns with a unified text diff."""
    out: list[TurnChange] = []
    matcher = difflib.SequenceMatcher(a=list(before), b=list(after), autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        paired = min(i2 - i1, j2 - j1) if op == "replace" else 0
        for k in range(paired):
            (r1, t1), (r2, t2) = before[i1 + k], after[j1 + k]
            lines = tuple(difflib.unified_diff(t1.splitlines(), t2.splitlines(), lineterm="", n=1))[2:]
            out.append(TurnChange("changed", i1 + k, j1 + k, r1, r2, lines))
        for i in range(i1 + paired, i2):
            out.append(TurnChange("removed", i, None, before[i][0], None, tuple(before[i][1].splitlines())))
        for j in range(j1 + paired, j2):
            out.append(TurnChange("added", None, j, None, after[j][0], tuple(after[j][1].splitlines())))
    return out


def conversation_turns(conversation: Conversation) -> list[tuple[str, str]]:
    """(role, text) of each message, as :func:`turn_diff` compares them."""
    return [(m.role, m.text) for m in conversation.messages]


def restore(store: Store, dataset: DatasetRow, target: int, message: str | None) -> VersionRow | None:
    """Make the dataset's content that of version ``target`` again, as a new version (None if already so)."""
    with store.write():
        head = store.versions.head(dataset.id)
        transitions = store.states.transitions(dataset.id, target, head)
        current = store.states.current(t.entry_id for t in transitions)
        changes = [_undo(t, current.get(t.entry_id)) for t in transitions]
        return commit(store, dataset, "restore", message or f"restore version {target}",
                      [c for c in changes if c is not None])


def _undo(t: Transition, now: Slot | None) -> Change | None:
    """The change that puts an entry back to its value in the older version (``t.before``)."""
    closes = now.state_id if now is not None else None
    wanted: StateValue | None = t.before
    if wanted is None and closes is None:
        return None
    return Change(t.entry_id, closes, wanted)
