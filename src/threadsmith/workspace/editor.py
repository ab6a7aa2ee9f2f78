"""Applying edit operations as one version, with optimistic concurrency.

The editor reads the entries it edits without a lock and remembers the state it read. At
commit it takes the write lock and checks that each of those entries is still in that state
(and, with ``base_version``, unchanged since that version); if another process changed one in
between, nothing is written and :class:`~threadsmith.errors.Conflict` names the entry and the
version the edit was based on. No update is ever silently lost.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

from threadsmith.errors import Conflict, UserError
from threadsmith.model import Conversation
from threadsmith.store import Change, DatasetRow, NewEntry, Slot, StateValue, Store, VersionRow, prepare
from threadsmith.workspace import editing
from threadsmith.workspace import operations as ops
from threadsmith.workspace.reading import conversation_of
from threadsmith.workspace.versioning import commit

#: Marks a new entry whose exported id is its new key (a split part, a duplicate).
_NEW_KEY = "\0new-key"
#: ``progress(stage, done)`` is called while the commit writes (inside the transaction).
EditProgress = Callable[[str, int], None]


@dataclass(slots=True)
class _Touched:
    """An existing entry the batch edits: the state it read and the state it will write."""

    key: str
    base: Slot
    base_hash: str
    conversation: Conversation | None
    excluded: str | None


@dataclass(slots=True)
class _Created:
    """A new entry the batch makes (split, duplicate, merge)."""

    wanted_key: str
    conversation: Conversation
    position: float
    #: The id written on export: the new key ("key"), this id, or none (None).
    record_id: str | None
    origin: str
    source: Slot | None


class Editor:
    """A batch of operations on one dataset, committed as one version."""

    def __init__(self, store: Store, dataset: DatasetRow, *, base_version: int | None = None) -> None:
        self.store = store
        self.dataset = dataset
        self.base_version = base_version
        self.read_head = store.versions.head(dataset.id)
        self.touched: dict[str, _Touched] = {}
        self.created: list[_Created] = []
        self._end: float | None = None
        self._handlers: dict[type[ops.Operation], Callable[[_Touched, ops.Operation], None]] = {
            ops.SetText: lambda t, o: self._change(t, editing.set_text(self._live(t), o.index, o.text)),
            ops.SetRole: lambda t, o: self._change(t, editing.set_role(self._live(t), o.index, o.role)),
            ops.InsertTurn: lambda t, o: self._change(t, editing.insert_turn(self._live(t), o.index, o.role, o.text)),
            ops.DeleteTurn: lambda t, o: self._change(t, editing.delete_turn(self._live(t), o.index)),
            ops.MoveTurn: lambda t, o: self._change(t, editing.move_turn(self._live(t), o.source, o.target)),
            ops.SetTags: lambda t, o: self._change(t, editing.set_tags(self._live(t), add=o.add, remove=o.remove,
                                                                        replace_with=o.replace_with)),
            ops.SetSystemPrompt: lambda t, o: self._change(t, editing.set_system_prompt(self._live(t), o.text)),
            ops.Replace: self._replace,
            ops.Split: self._split,
            ops.Join: self._join,
            ops.Duplicate: self._duplicate,
            ops.Exclude: self._exclude,
            ops.Include: lambda t, o: setattr(self._live_entry(t), "excluded", None),
            ops.Delete: lambda t, o: setattr(self._live_entry(t), "conversation", None),
        }

    # -- loading -----------------------------------------------------------------------------------

    def load(self, key: str) -> _Touched:
        """The entry with this key as the batch sees it (read from the current version once)."""
        if key in self.touched:
            return self.touched[key]
        row = self.store.entries.by_key(self.dataset.id, key, self.dataset.name)
        slot = self.store.states.current([row.id]).get(row.id)
        if slot is None:
            raise UserError(f"Entry {key!r} was deleted from {self.dataset.name!r}; it cannot be edited.",
                            hint=f"Restore an earlier version to bring it back: threadsmith log --dataset {self.dataset.name}")
        digest, body = self.store.contents.hashed_bodies([slot.content_id])[slot.content_id]
        return self._remember(slot, digest, body)

    def preload(self, rows: Iterable[tuple[Slot, bytes, bytes]]) -> None:
        """Remember many current entries at once: ``(slot, hash, body)`` each (bulk edits)."""
        for slot, digest, body in rows:
            if slot.key not in self.touched:
                self._remember(slot, digest, body)

    def _remember(self, slot: Slot, digest: bytes, body: bytes) -> _Touched:
        touched = _Touched(slot.key, slot, digest.hex(), conversation_of(slot, body), slot.excluded)
        self.touched[slot.key] = touched
        return touched

    # -- operations --------------------------------------------------------------------------------

    def apply(self, operation: ops.Operation) -> None:
        """Apply one operation to the batch (nothing is written before :meth:`commit`)."""
        if operation.key is None:
            raise UserError("This operation names no entry.", hint="Give an entry key, or use a bulk edit with a query.")
        handler = self._handlers.get(type(operation))
        if handler is None:
            raise UserError(f"Unknown edit operation {type(operation).__name__}.")
        touched = self.load(operation.key)
        expected = getattr(operation, "expected", None)
        if expected and not touched.base_hash.startswith(expected.lower()):
            raise Conflict(f"Entry {touched.key!r} does not hold the content {expected} the edit expects (it holds "
                           f"{touched.base_hash[:12]}, since version {touched.base.since}); nothing was changed.",
                           entry=touched.key, based_on=self.base_version, current=touched.base.since)
        handler(touched, operation)

    def _live(self, touched: _Touched) -> Conversation:
        return self._live_entry(touched).conversation  # type: ignore[return-value]

    def _live_entry(self, touched: _Touched) -> _Touched:
        if touched.conversation is None:
            raise UserError(f"Entry {touched.key!r} is deleted in this batch; it cannot be edited further.")
        return touched

    def _change(self, touched: _Touched, conversation: Conversation) -> None:
        touched.conversation = conversation

    def _replace(self, touched: _Touched, op: ops.Operation) -> None:
        assert isinstance(op, ops.Replace) and op.conversation is not None
        self._live_entry(touched).conversation = op.conversation

    def _exclude(self, touched: _Touched, op: ops.Operation) -> None:
        assert isinstance(op, ops.Exclude)
        if not op.reason.strip():
            raise UserError("Excluding an entry needs a reason.", hint="Pass --reason, e.g. --reason 'off topic'.")
        self._live_entry(touched).excluded = op.reason

    def _split(self, touched: _Touched, op: ops.Operation) -> None:
        assert isinstance(op, ops.Split)
        first, second = editing.split(self._live(touched), op.at)
        touched.conversation = first
        origin = f"split from {touched.key} at turn {op.at} (version {self.read_head})"
        self._create(touched, f"{touched.key}-2", second, origin)

    def split_into(self, key: str, parts: list[Conversation], origin: str) -> list[str]:
        """Entry ``key`` becomes ``parts[0]``; the other parts become new entries right after it,
        in order, with its provenance (``origin`` says how they came). Their wanted keys."""
        touched = self._live_entry(self.load(key))
        touched.conversation = parts[0]
        position, wanted = touched.base.position, []
        for k, part in enumerate(parts[1:], start=2):
            position = self._position_after(position)
            wanted.append(f"{key}-w{k}")
            record_id = _NEW_KEY if touched.base.record_id is not None else None
            self.created.append(_Created(wanted[-1], part, position, record_id, f"{origin}, part {k} of {len(parts)}",
                                         touched.base))
        return wanted

    def _duplicate(self, touched: _Touched, op: ops.Operation) -> None:
        origin = f"duplicate of {touched.key} (version {self.read_head})"
        self._create(touched, f"{touched.key}-copy", self._live(touched), origin)

    def _join(self, touched: _Touched, op: ops.Operation) -> None:
        assert isinstance(op, ops.Join)
        others = [self.load(key) for key in op.others]
        if any(other is touched for other in others):
            raise UserError(f"Entry {touched.key!r} cannot be joined with itself.")
        touched.conversation = editing.join([self._live(touched), *(self._live(o) for o in others)])
        for other in others:
            other.conversation = None

    def _create(self, source: _Touched, wanted: str, conversation: Conversation, origin: str) -> None:
        position = self._position_after(source.base.position)
        record_id = _NEW_KEY if source.base.record_id is not None else None
        self.created.append(_Created(wanted, conversation, position, record_id, origin, source.base))

    def add(self, wanted_key: str, conversation: Conversation, *, origin: str, record_id: str | None,
            source: Slot | None = None) -> None:
        """Append a new entry at the end of the dataset (merges use this); ``source`` lends its provenance."""
        if self._end is None:
            self._end = self.store.states.next_position(self.dataset.id)
        self.created.append(_Created(wanted_key, conversation, self._end + len(self.created), record_id, origin,
                                     source))

    def _position_after(self, position: float) -> float:
        stored = self.store.states.following_position(self.dataset.id, position)
        pending = [c.position for c in self.created if c.position > position]
        upper = min([float(int(position) + 1) if stored is None else stored, *pending])
        middle = (position + upper) / 2
        return middle if position < middle < upper else upper

    # -- commit ------------------------------------------------------------------------------------

    def commit(self, kind: str, message: str, progress: EditProgress | None = None, *,
               also: Callable[[], None] | None = None) -> VersionRow | None:
        """Write the batch as one version (None when it changes nothing); ``also`` runs in the same transaction."""
        with self.store.write():
            if also is not None:
                also()
            self._check_conflicts()
            changed = [t for t in self.touched.values() if t.conversation is not None]
            conversations = [t.conversation for t in changed] + [c.conversation for c in self.created]
            ids, _ = self.store.contents.add([prepare(c) for c in conversations if c is not None])
            if progress is not None:
                progress("contents", len(ids))
            changes = self._existing_changes(changed, ids[:len(changed)])
            changes += self._new_entries(ids[len(changed):])
            if progress is not None:
                progress("states", len(changes))
            return commit(self.store, self.dataset, kind, message, changes)

    def _check_conflicts(self) -> None:
        current = self.store.states.current(t.base.entry_id for t in self.touched.values())
        based_on = self.base_version if self.base_version is not None else self.read_head
        for touched in self.touched.values():
            now = current.get(touched.base.entry_id)
            moved_on = now is None or now.state_id != touched.base.state_id
            if moved_on or (self.base_version is not None and touched.base.since > self.base_version):
                last = now.since if now is not None else self.store.versions.head(self.dataset.id)
                raise Conflict(f"Entry {touched.key!r} of {self.dataset.name!r} changed in version {last}, after "
                               f"version {based_on} that this edit was based on; nothing was written.",
                               entry=touched.key, based_on=based_on, current=last)

    def _existing_changes(self, changed: list[_Touched], content_ids: list[int]) -> list[Change]:
        out = [Change(t.base.entry_id, t.base.state_id, None) for t in self.touched.values() if t.conversation is None]
        for touched, content_id in zip(changed, content_ids):
            value = StateValue(content_id, touched.base.position, touched.excluded)
            if value != touched.base.value:
                out.append(Change(touched.base.entry_id, touched.base.state_id, value))
        return out

    def _new_entries(self, content_ids: list[int]) -> list[Change]:
        if not self.created:
            return []
        keys = self.store.entries.unique_keys(self.dataset.id, [c.wanted_key for c in self.created])
        news = []
        for created, key in zip(self.created, keys):
            src = created.source
            news.append(NewEntry(key, key if created.record_id == _NEW_KEY else created.record_id,
                                 src.source_path if src else None, src.source_line if src else None,
                                 src.source_index if src else None, src.source_format if src else None,
                                 created.origin))
        made = self.store.entries.add(self.dataset.id, None, news)
        return [Change(entry_id, None, StateValue(content_id, created.position, None))
                for (entry_id, _), content_id, created in zip(made, content_ids, self.created)]


def with_key(operation: ops.Operation, key: str) -> ops.Operation:
    """A template operation (``key=None``) aimed at one entry."""
    return replace(operation, key=key)
