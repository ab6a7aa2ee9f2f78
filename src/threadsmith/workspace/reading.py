"""Reading entries back: pages by keyset, single entries, every conversation of a version."""

from __future__ import annotations

from collections.abc import Iterator

from threadsmith.errors import NotFound, UserError
from threadsmith.model import Conversation, Source
from threadsmith.store import DatasetRow, Slot, Store
from threadsmith.store.codec import Entity, decode
from threadsmith.workspace.results import Entry, Page, Provenance


def conversation_of(slot: Slot, body: bytes) -> Conversation:
    """The conversation an entry holds in a state."""
    source = Source(slot.source_path, slot.source_index, slot.source_line)
    return decode(body, Entity(slot.record_id, slot.key, source))


def entry_of(slot: Slot, digest: bytes, body: bytes) -> Entry:
    """The public view of one entry."""
    provenance = Provenance(slot.source_path, slot.source_line, slot.source_index, slot.source_format,
                            slot.batch_id, slot.origin)
    return Entry(slot.key, conversation_of(slot, body), slot.position, slot.excluded, slot.since, digest.hex(),
                 provenance)


def encode_cursor(slot: Slot) -> str:
    """An opaque cursor after ``slot`` (its position and entry id)."""
    return f"{slot.position!r}:{slot.entry_id}"


def decode_cursor(cursor: str | None) -> tuple[float, int] | None:
    """The ``(position, entry id)`` a cursor stands for."""
    if cursor is None:
        return None
    try:
        position, entry_id = cursor.rsplit(":", 1)
        return float(position), int(entry_id)
    except ValueError:
        raise UserError(f"{cursor!r} is not a page cursor.", hint="Pass the next_cursor of the previous page.") from None


def page(store: Store, dataset: DatasetRow, version: int, cursor: str | None, limit: int) -> Page:
    """Up to ``limit`` entries after ``cursor``, in dataset order."""
    slots = list(store.states.slots(dataset.id, version, after=decode_cursor(cursor), limit=limit + 1))
    more = len(slots) > limit
    slots = slots[:limit]
    found = store.contents.hashed_bodies(s.content_id for s in slots)
    entries = tuple(entry_of(s, *found[s.content_id]) for s in slots)
    return Page(entries, encode_cursor(slots[-1]) if more and slots else None)


def entry(store: Store, dataset: DatasetRow, key: str, version: int) -> Entry:
    """One entry as version ``version`` holds it."""
    row = store.entries.by_key(dataset.id, key, dataset.name)
    slot = store.states.slot(dataset.id, row.id, version)
    if slot is None:
        raise NotFound(f"Entry {key!r} is not in version {version} of {dataset.name!r} (deleted, or added later).")
    digest, body = store.contents.hashed_bodies([slot.content_id])[slot.content_id]
    return entry_of(slot, digest, body)


def conversations(store: Store, dataset: DatasetRow, version: int, *,
                  include_excluded: bool = False) -> Iterator[tuple[Slot, Conversation]]:
    """Every entry of a version, in order, with its conversation (excluded ones only when asked)."""
    for slot, body in store.states.slots_with_bodies(dataset.id, version):
        if slot.excluded is not None and not include_excluded:
            continue
        yield slot, conversation_of(slot, body)
