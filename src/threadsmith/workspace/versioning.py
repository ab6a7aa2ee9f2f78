"""Making versions: who and when, and committing a set of entry changes as the next version."""

from __future__ import annotations

import datetime as dt
import getpass
import os
from collections.abc import Sequence

from threadsmith.store import Change, DatasetRow, Store, VersionRow


def utc_now() -> str:
    """The time now, UTC, ISO 8601 to the second (``2025-01-31T12:00:00Z``)."""
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def current_author() -> str:
    """``THREADSMITH_AUTHOR``, else the operating-system user."""
    configured = os.environ.get("THREADSMITH_AUTHOR", "").strip()
    if configured:
        return configured
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def commit(store: Store, dataset: DatasetRow, kind: str, message: str, changes: Sequence[Change],
           *, extra_added: int = 0) -> VersionRow | None:
    """Write ``changes`` as the dataset's next version (call inside ``store.write()``); None when empty.

    ``extra_added`` counts entries whose states were inserted in bulk beforehand (imports).
    """
    if not changes and not extra_added:
        return None
    head = store.versions.head(dataset.id)
    number = head + 1
    added = extra_added + sum(1 for c in changes if c.closes is None and c.value is not None)
    removed = sum(1 for c in changes if c.value is None)
    changed = len(changes) + extra_added - added - removed
    before = store.versions.get(dataset, head).entries if head else 0
    store.states.apply(dataset.id, number, changes)
    row = VersionRow(number, kind, message, current_author(), utc_now(), before + added - removed, added, removed,
                     changed)
    store.versions.add(dataset, row)
    return row


def next_number(store: Store, dataset: DatasetRow) -> int:
    """The number the next version of the dataset will get (read inside the write transaction)."""
    return store.versions.head(dataset.id) + 1
