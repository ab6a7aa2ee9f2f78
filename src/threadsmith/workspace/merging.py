"""Merging datasets into one, with a duplicate policy; every merged entry keeps its provenance.

Policies: ``keep-all`` keeps every entry; ``skip-exact`` skips an entry whose content is
byte-identical to one already in the result; ``keep-first`` also skips an entry whose id
(key) is already in the result, so the first dataset listed wins. The result (a new or
existing dataset) gets one version.
"""

from __future__ import annotations

from collections.abc import Sequence

from threadsmith.errors import UserError
from threadsmith.store import DatasetRow, Store
from threadsmith.store.codec import content_hash
from threadsmith.workspace.editor import Editor
from threadsmith.workspace.reading import conversation_of
from threadsmith.workspace.results import Version
from threadsmith.workspace.versioning import utc_now

POLICIES = ("keep-first", "keep-all", "skip-exact")


def merge(store: Store, sources: Sequence[tuple[DatasetRow, int]], into: str, policy: str,
          message: str | None) -> tuple[Version | None, int, int]:
    """Merge each source dataset's version into ``into``; (the version made, entries added, entries skipped)."""
    if policy not in POLICIES:
        raise UserError(f"Unknown duplicate policy {policy!r}.", hint=f"Choose one of: {', '.join(POLICIES)}.")
    if any(row.name == into for row, _ in sources):
        raise UserError(f"Cannot merge {into!r} into itself.", hint="Merge into a new dataset name.")
    with store.write():
        target = store.versions.find_dataset(into) or store.versions.create_dataset(into, utc_now())
        editor = Editor(store, target)
        seen_hashes, seen_keys = _present(store, target)
        added = skipped = 0
        for row, version in sources:
            for slot, body in store.states.slots_with_bodies(row.id, version):
                if slot.excluded is not None:
                    continue
                digest = content_hash(body)
                if (policy != "keep-all" and digest in seen_hashes) or (policy == "keep-first" and slot.key in seen_keys):
                    skipped += 1
                    continue
                seen_hashes.add(digest)
                seen_keys.add(slot.key)
                editor.add(slot.key, conversation_of(slot, body), record_id=slot.record_id, source=slot,
                           origin=f"merged from {row.name} entry {slot.key} (version {version})")
                added += 1
        names = ", ".join(f"{row.name}@{version}" for row, version in sources)
        made = editor.commit("merge", message or f"merge {names} ({policy}): {added:,} entries, {skipped:,} skipped")
    return made, added, skipped


def _present(store: Store, target: DatasetRow) -> tuple[set[bytes], set[str]]:
    """Content hashes and keys already in the target's latest version."""
    head = store.versions.head(target.id)
    hashes: set[bytes] = set()
    keys: set[str] = set()
    if head:
        for slot, body in store.states.slots_with_bodies(target.id, head):
            hashes.add(content_hash(body))
            keys.add(slot.key)
    return hashes, keys
