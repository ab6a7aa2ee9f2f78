"""Workspace upkeep: pruning the audit results no audit will read again (see store/pruning.py)."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass

from threadsmith.config import Config
from threadsmith.errors import StoreBusy, UserError
from threadsmith.store import Store
from threadsmith.store.pruning import ConfigUse
from threadsmith.workspace.auditing import detect_version_kind, plan_checks
from threadsmith.workspace.insights import INSIGHTS_PREFIX, is_stale_insights_key


@dataclass(frozen=True, slots=True)
class PruneReport:
    """What :meth:`MaintenanceMethods.prune` removed (or, in a dry run, would remove)."""

    kept: tuple[ConfigUse, ...]
    removed: tuple[ConfigUse, ...]
    #: Remembered insights computed by older statistics code.
    stale_insights: int
    #: The workspace file's size before and after (after = before in a dry run or without vacuum).
    size_before: int
    size_after: int
    dry_run: bool
    vacuumed: bool

    @property
    def results_removed(self) -> int:
        """Cached per-content results removed."""
        return sum(c.results for c in self.removed)

    @property
    def bytes_removed(self) -> int:
        """Bytes of cached results removed (what a vacuum gives back to the disk)."""
        return sum(c.size for c in self.removed)


class MaintenanceMethods:
    """Mixed into :class:`~threadsmith.workspace.Workspace`."""

    store: Store
    config: Config

    def prune(self, *, keep_days: float = 7.0, dry_run: bool = False, vacuum: bool = True) -> PruneReport:
        """Delete the audit results cached under check configurations that today's audits would not
        use (an older threadsmith, other check options, another tokenizer) and that no audit used in
        the last ``keep_days`` days; then ``vacuum`` the file so the disk space comes back.

        Kept: the configuration an audit of each dataset's latest version would use now (under
        the workspace's settings) and any used recently. Audit runs (each version's summary and
        dataset findings) are history and always stay; pruned results are recomputed by the next
        audit that needs them. ``dry_run`` only reports.
        """
        if keep_days < 0:
            raise UserError(f"keep_days must be 0 or more, not {keep_days}.")
        pruning = self.store.pruning
        current = self._current_configs()
        since = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=keep_days)).isoformat(timespec="seconds")
        since = since.replace("+00:00", "Z")
        uses = pruning.configurations()
        kept = tuple(c for c in uses if c.config_id in current or (c.last_used is not None and c.last_used >= since))
        removed = tuple(c for c in uses if c not in kept)
        stale = [key for key in pruning.meta_keys(INSIGHTS_PREFIX) if is_stale_insights_key(key)]
        before = _file_size(self.store.path)
        if not dry_run:
            with self.store.write():
                pruning.drop_results([c.config_id for c in removed])
                pruning.drop_meta(stale)
            vacuum = vacuum and (bool(removed) or _worth_compacting(pruning.free_bytes(), self.store.path))
            if vacuum:
                try:
                    self.store.vacuum()
                except StoreBusy:
                    raise StoreBusy(f"Removed {sum(c.results for c in removed):,} cached results, but the workspace is "
                                    "in use by another process, so the file was not compacted.",
                                    hint="Stop the other threadsmith command (e.g. threadsmith serve) and run "
                                         "threadsmith prune again.") from None
        return PruneReport(kept, removed, len(stale), before, _file_size(self.store.path), dry_run,
                           vacuum and not dry_run)

    def _current_configs(self) -> set[int]:
        """The configurations an audit of each dataset's latest version would use now."""
        ids = set()
        for row in self.store.versions.datasets():
            head = self.store.versions.head(row.id)
            plan = plan_checks(self.config, detect_version_kind(self.store, row, head, self.config))
            found = self.store.audit.find_config(plan.fingerprint)
            if found is not None:
                ids.add(found)
        return ids


def _worth_compacting(free: int, path: str) -> bool:
    """Whether the free pages left by earlier removals are worth rewriting the file for (a prune
    that could not compact, or deletions and edits): 64 MB, or a tenth of the file."""
    return free >= 64 * 2**20 or free >= _file_size(path) // 10 > 0


def _file_size(path: str) -> int:
    """The workspace file and its write-ahead log, in bytes."""
    return sum(os.path.getsize(p) for p in (path, path + "-wal") if os.path.exists(p))
