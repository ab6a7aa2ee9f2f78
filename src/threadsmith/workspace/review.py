"""Reviewing findings entry by entry: an entry's findings, a fix's before/after, applying it, dismissing.

The checks run on one conversation at a time here (cheap: milliseconds), so an entry page
shows findings for the state the editor holds, audited or not. A fix is applied as a
``Replace`` of that entry checked against the version the caller saw (stale: Conflict).
Dismissals are kept per entry key and code, so they survive edits and new versions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from threadsmith.checks import Runner
from threadsmith.config import Config
from threadsmith.errors import NotFound, UserError
from threadsmith.model import Conversation, Finding
from threadsmith.store import DatasetRow, Store
from threadsmith.store.dismissals import DismissalRow
from threadsmith.workspace import operations as ops
from threadsmith.workspace.auditing import detect_version_kind, plan_checks
from threadsmith.workspace.findings import CodeFindings, FindingsOverview, StoredRun, code_page, overview, stored_run
from threadsmith.workspace.history import turn_diff
from threadsmith.workspace.results import EditResult, Entry, TurnChange
from threadsmith.workspace.versioning import utc_now

#: A dismissal: an entry key, a finding code, the reason, when.
Dismissal = DismissalRow


@dataclass(frozen=True, slots=True)
class FixPreview:
    """What the fixes of some codes would do to one entry."""

    key: str
    codes: tuple[str, ...]
    before: Conversation
    #: None when the fix would drop the entry.
    after: Conversation | None
    fixes_applied: int

    @property
    def changes(self) -> bool:
        """True when applying would change the entry."""
        return self.after != self.before

    def turns(self) -> list[TurnChange]:
        """Turn-level changes the fix makes (every turn removed when it drops the entry)."""
        after = _spelled_turns(self.after) if self.after is not None else []
        return turn_diff(_spelled_turns(self.before), after)


def _spelled_turns(conversation: Conversation) -> list[tuple[str, str]]:
    """(role as spelled in the data, text) of each turn, so a role-spelling fix shows in the diff."""
    return [(m.raw_role or m.role, m.text) for m in conversation.messages]


_KINDS: dict[tuple[str, int, str], str] = {}


def version_kind(store: Store, dataset: DatasetRow, version: int, config: Config) -> str:
    """The dataset kind the checks use: its latest audit's, else detected once per dataset and remembered.

    Not re-detected per version: an edit to a few entries does not change what a dataset is,
    and detection reads thousands of entries (a second on a large dataset).
    """
    key = (store.path, dataset.id, config.kind)
    if key not in _KINDS:
        run = store.audit.latest_run(dataset.id, with_findings=False)
        kind = run.summary.get("kind") if run is not None and config.kind == "auto" else None
        if len(_KINDS) > 256:
            _KINDS.clear()
        _KINDS[key] = str(kind) if kind else detect_version_kind(store, dataset, version, config)
    return _KINDS[key]


def entry_findings(store: Store, dataset: DatasetRow, version: int, conversation: Conversation,
                   config: Config) -> list[Finding]:
    """The per-conversation findings of one conversation under the dataset's check plan."""
    plan = plan_checks(config, version_kind(store, dataset, version, config))
    return list(Runner(plan.checks).process(conversation).findings)


def preview_fix(store: Store, dataset: DatasetRow, version: int, key: str, conversation: Conversation,
                codes: Sequence[str], config: Config, *, unsafe: bool = True) -> FixPreview:
    """What fixing ``codes`` (safe fixes; unsafe ones too by default: a person reviews them) would do."""
    if not codes:
        raise UserError("Name the finding codes whose fixes to preview.")
    settings = config.overridden(select=tuple(codes))
    plan = plan_checks(settings, version_kind(store, dataset, version, config))
    result = Runner(plan.checks, fix=True, unsafe_fixes=unsafe).process(conversation)
    after = None if result.dropped else result.conversation
    return FixPreview(key, tuple(codes), conversation, after, result.fixes_applied)


def dismiss(store: Store, dataset: DatasetRow, key: str, code: str, reason: str) -> Dismissal:
    """Record that ``code`` on entry ``key`` is not a problem (the reason is required)."""
    reason = reason.strip()
    if not reason:
        raise UserError("Say why the finding is dismissed.", hint="Give a short reason, e.g. 'intended style'.")
    if not code.strip():
        raise UserError("Name the finding code to dismiss.")
    now = utc_now()
    with store.write():
        store.entries.by_key(dataset.id, key, dataset.name)
        store.dismissals.save(dataset.id, key, code.strip().upper(), reason, now)
    return Dismissal(key, code.strip().upper(), reason, now)


def undismiss(store: Store, dataset: DatasetRow, key: str, code: str) -> None:
    """Forget a dismissal (raises NotFound when there was none)."""
    with store.write():
        if not store.dismissals.remove(dataset.id, key, code.strip().upper()):
            raise NotFound(f"No dismissal of {code} on entry {key!r} in {dataset.name!r}.")


class ReviewMethods:
    """Mixed into :class:`~threadsmith.workspace.Workspace`: findings review for one entry at a time."""

    store: Store
    config: Config

    def entry(self, dataset: str, key: str, *, version: str | int | None = None) -> Entry:
        raise NotImplementedError  # provided by the Workspace

    def apply(self, dataset: str, operations: Sequence[ops.Operation], *, message: str | None = None,
              base_version: str | int | None = None) -> EditResult:
        raise NotImplementedError  # provided by the Workspace

    def entry_findings(self, dataset: str, key: str, *, version: str | int | None = None) -> list[Finding]:
        """The per-conversation findings of one entry (dataset-level ones come from :meth:`audit`)."""
        row = self.store.versions.dataset(dataset)
        number = self.store.versions.resolve(row, version)
        found = self.entry(dataset, key, version=number)
        return entry_findings(self.store, row, number, found.conversation, self.config)

    def preview_fix(self, dataset: str, key: str, codes: Sequence[str], *, unsafe: bool = True) -> FixPreview:
        """What the fixes of ``codes`` would do to the latest state of one entry (nothing is written)."""
        row = self.store.versions.dataset(dataset)
        head = self.store.versions.head(row.id)
        found = self.entry(dataset, key, version=head)
        return preview_fix(self.store, row, head, key, found.conversation, codes, self.config, unsafe=unsafe)

    def fix_entry(self, dataset: str, key: str, codes: Sequence[str], *, base_version: str | int | None = None,
                  unsafe: bool = True, message: str | None = None) -> EditResult:
        """Apply the fixes of ``codes`` to one entry as a version (Conflict when it changed after ``base_version``)."""
        preview = self.preview_fix(dataset, key, codes, unsafe=unsafe)
        text = message or f"fix {','.join(preview.codes)} in {key}"
        if preview.after is None:
            operation: ops.Operation = ops.Exclude(key, reason=f"dropped by fix {','.join(preview.codes)}")
        elif preview.changes:
            operation = ops.Replace(key, conversation=preview.after)
        else:
            return EditResult(dataset, None, 0, 0, 0, {"fixes_applied": 0})
        result = self.apply(dataset, [operation], message=text, base_version=base_version)
        return EditResult(result.dataset, result.version, result.changed, result.added, result.removed,
                          {"fixes_applied": preview.fixes_applied})

    def undo_entry(self, dataset: str, key: str, *, base_version: str | int | None = None) -> EditResult:
        """Put one entry back to its state before the version that last changed it (a new version)."""
        current = self.entry(dataset, key)
        try:
            previous = self.entry(dataset, key, version=current.since - 1) if current.since > 1 else None
        except NotFound:
            previous = None
        if previous is None:
            raise UserError(f"Entry {key!r} has no earlier state to go back to (it was added in version "
                            f"{current.since}).", hint="Delete the entry instead, or restore an older version.")
        operations: list[ops.Operation] = []
        if previous.conversation != current.conversation:
            operations.append(ops.Replace(key, conversation=previous.conversation))
        if previous.excluded != current.excluded:
            operations.append(ops.Include(key) if previous.excluded is None
                              else ops.Exclude(key, reason=previous.excluded))
        if not operations:
            return EditResult(dataset, None, 0, 0, 0)
        return self.apply(dataset, operations, message=f"undo {key}: back to version {current.since - 1}",
                          base_version=base_version)

    def fix_code(self, dataset: str, code: str, *, unsafe: bool = False) -> EditResult:
        """Apply one code's fixes to every entry that has it, except where it was dismissed (one version)."""
        dismissed = {d.entry_key for d in self.dismissals(dataset) if d.code == code.upper()}
        if not dismissed:
            return self.fix(dataset, codes=[code], unsafe=unsafe)  # type: ignore[attr-defined]
        report = self.audit(dataset)  # type: ignore[attr-defined]
        keys = dict.fromkeys(f.entry_id for f in report.findings
                             if f.code == code.upper() and f.entry_id is not None and f.entry_id not in dismissed)
        operations: list[ops.Operation] = []
        applied = 0
        for key in keys:
            preview = self.preview_fix(dataset, key, [code], unsafe=unsafe)
            applied += preview.fixes_applied
            if preview.after is None:
                operations.append(ops.Exclude(key, reason=f"dropped by fix {code}"))
            elif preview.changes:
                operations.append(ops.Replace(key, conversation=preview.after))
        if not operations:
            return EditResult(dataset, None, 0, 0, 0, {"fixes_applied": 0, "skipped_dismissed": len(dismissed)})
        result = self.apply(dataset, operations, message=f"fix {code} in {len(operations):,} entries "
                                                          f"({len(dismissed)} dismissed left alone)")
        return EditResult(result.dataset, result.version, result.changed, result.added, result.removed,
                          {"fixes_applied": applied, "skipped_dismissed": len(dismissed)})

    def dismiss(self, dataset: str, key: str, code: str, reason: str) -> Dismissal:
        """Dismiss finding ``code`` on entry ``key`` with a reason (kept across versions)."""
        return dismiss(self.store, self.store.versions.dataset(dataset), key, code, reason)

    def undismiss(self, dataset: str, key: str, code: str) -> None:
        """Forget a dismissal."""
        undismiss(self.store, self.store.versions.dataset(dataset), key, code)

    def dismissals(self, dataset: str, *, key: str | None = None) -> list[Dismissal]:
        """The dismissals of a dataset (or of one entry)."""
        row = self.store.versions.dataset(dataset)
        if key is not None:
            return self.store.dismissals.of_entry(row.id, key)
        return self.store.dismissals.of_dataset(row.id)

    def findings(self, dataset: str, *, version: str | int | None = None, per_code: int = 100) -> FindingsOverview:
        """Findings of a version by family and code, dismissed ones counted apart, each code with its first
        ``per_code`` open findings: read from the stored audit (the version is audited first when it was not)."""
        source = self._stored_run(dataset, version)
        with self.store.read():
            return overview(self.store, source, self.config, per_code)

    def code_findings(self, dataset: str, code: str, *, version: str | int | None = None, cursor: str | None = None,
                      limit: int = 100) -> CodeFindings:
        """A page of one code's open findings in dataset order (``next_cursor`` pages on)."""
        source = self._stored_run(dataset, version)
        with self.store.read():
            return code_page(self.store, source, code.strip().upper(), cursor, limit)

    def _stored_run(self, dataset: str, version: str | int | None) -> StoredRun:
        row = self.store.versions.dataset(dataset)
        number = self.store.versions.resolve(row, version)
        source = stored_run(self.store, row, number, self.config)
        if source is None:
            self.audit(dataset, version=number)  # type: ignore[attr-defined]
            source = stored_run(self.store, row, number, self.config)
        if source is None:
            raise UserError(f"The audit of {dataset} version {number} could not be stored.",
                            hint="Run: threadsmith audit --dataset " + dataset)
        return source

    def audit_summary(self, dataset: str) -> dict[str, object] | None:
        """The summary of the latest audit of the dataset's latest version (None when never audited)."""
        row = self.store.versions.dataset(dataset)
        run = self.store.audit.run(row.id, self.store.versions.head(row.id), with_findings=False)
        return run.summary if run is not None else None
