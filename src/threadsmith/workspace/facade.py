"""The Workspace: the library facade over one workspace database.

::

    from threadsmith import Workspace

    with Workspace.open("my-workspace") as ws:
        ws.import_files(["chats.jsonl"], dataset="chats")
        ws.edit_text("chats", "conv-7", 2, "A better answer.")
        print(ws.diff("chats", "latest~1", "latest").changes)
        ws.export("chats", "chats.clean.jsonl")

Every method that writes makes one transaction and (when something changed) one version.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from threadsmith.checks.profile import CheckContext
from threadsmith.config import Config
from threadsmith.errors import NotFound, UserError
from threadsmith.formats import write_jsonl
from threadsmith.model import Conversation
from threadsmith.store import DEFAULT_BUSY_TIMEOUT, DatasetRow, Store
from threadsmith.audit import AuditReport
from threadsmith.export import ExportOptions
from threadsmith.export import ExportResult as TrainingExport
from threadsmith.workspace import auditing, exporting, fixing, history, ingest, reading, searching
from threadsmith.workspace.editor import EditProgress, Editor, with_key
from threadsmith.workspace.library import LibraryMethods
from threadsmith.workspace.maintenance import MaintenanceMethods
from threadsmith.workspace.merging import merge
from threadsmith.workspace.operations import Operation
from threadsmith.workspace.query import Query
from threadsmith.workspace.insights import InsightsMethods
from threadsmith.workspace.probes import ProbeMethods
from threadsmith.workspace.review import ReviewMethods
from threadsmith.workspace.runs import RunMethods
from threadsmith.workspace.results import (
    DatasetInfo,
    Diff,
    EditResult,
    Entry,
    ExportResult,
    ImportResult,
    Page,
    SearchResult,
    Version,
)
from threadsmith.workspace.versioning import utc_now

if TYPE_CHECKING:
    from threadsmith.rendering import ChatTokenizer

#: The workspace used when none is named: this folder, in the current directory.
DEFAULT_FOLDER = "threadsmith-workspace"
#: The database file inside a workspace folder.
DATABASE_NAME = "workspace.sqlite"
VersionRef = str | int | None


def locate(path: str | os.PathLike[str] | None) -> Path:
    """The database file for a workspace path (a folder, or a ``.sqlite`` file); default from the environment."""
    raw = os.fspath(path) if path is not None else os.environ.get("THREADSMITH_WORKSPACE") or DEFAULT_FOLDER
    target = Path(raw).expanduser()
    if target.is_file() or target.suffix.lower() in (".sqlite", ".sqlite3", ".db"):
        return target
    return target / DATABASE_NAME


class Workspace(ReviewMethods, InsightsMethods, RunMethods, ProbeMethods, LibraryMethods, MaintenanceMethods):
    """One workspace: datasets, their versions, the libraries. Use :meth:`open`."""

    def __init__(self, store: Store, config: Config | None = None) -> None:
        self.store = store
        #: Check settings used when a method is not given its own (audit, fix, finding filters).
        self.config = config or Config()

    @classmethod
    def open(cls, path: str | os.PathLike[str] | None = None, *, create: bool = True,
             busy_timeout: float = DEFAULT_BUSY_TIMEOUT, config: Config | None = None) -> Workspace:
        """Open (or, with ``create``, make) the workspace at ``path``; also a context manager."""
        database = locate(path)
        if not database.exists():
            if not create:
                raise NotFound(f"No workspace at {database.parent if database.name == DATABASE_NAME else database}.",
                               hint="Import a dataset first (threadsmith import FILE --dataset NAME), or pass "
                                    "--workspace PATH.")
            if database.parent.exists() and not database.parent.is_dir():
                raise UserError(f"{database.parent} is a file, not a workspace folder.")
            database.parent.mkdir(parents=True, exist_ok=True)
        return cls(Store(database, busy_timeout=busy_timeout), config)

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        """Close the database."""
        self.store.close()

    @property
    def path(self) -> str:
        """The database file."""
        return self.store.path

    # -- datasets and history ---------------------------------------------------------------------

    def dataset(self, name: str) -> DatasetRow:
        """The stored dataset row (raises :class:`NotFound` naming the datasets that exist)."""
        return self.store.versions.dataset(name)

    def datasets(self) -> list[DatasetInfo]:
        """Every dataset with its latest version and entry count."""
        out = []
        with self.store.read():
            for row in self.store.versions.datasets():
                latest = self.store.versions.get(row, row.head) if row.head else None
                out.append(DatasetInfo(row.name, row.head, latest.entries if latest else 0, row.created_at,
                                       latest.created_at if latest else None))
        return out

    def import_files(self, paths: Sequence[str | os.PathLike[str]], dataset: str, *, message: str | None = None,
                     config: Config | None = None, progress: ingest.ImportProgress | None = None) -> ImportResult:
        """Import dataset files (any format the readers know) into ``dataset`` as one new version."""
        roles = (config or self.config).roles
        return ingest.import_files(self.store, paths, dataset, role_map=roles, message=message, progress=progress)

    def resolve(self, dataset: str, version: VersionRef = None) -> int:
        """The version number a reference names (a number, a tag, ``latest``, ``latest~N``)."""
        return self.store.versions.resolve(self.dataset(dataset), version)

    def log(self, dataset: str) -> list[Version]:
        """Every version of a dataset, newest first."""
        return self.store.versions.history(self.dataset(dataset))

    def version(self, dataset: str, version: VersionRef = None) -> Version:
        """One version's record."""
        row = self.dataset(dataset)
        return self.store.versions.get(row, self.store.versions.resolve(row, version))

    def tag(self, dataset: str, version: VersionRef, name: str, *, move: bool = False) -> Version:
        """Give a version a name (``trained-run-3``), usable wherever a version is asked for."""
        with self.store.write():
            row = self.dataset(dataset)
            number = self.store.versions.resolve(row, version)
            self.store.versions.tag(row, number, name, utc_now(), move=move)
            return self.store.versions.get(row, number)

    def diff(self, dataset: str, before: VersionRef, after: VersionRef = None, *, turns: bool = True,
             limit: int | None = None, findings: bool = False) -> Diff:
        """What changed from version ``before`` to ``after``: entries added, removed, changed, and how.

        ``findings``: also the findings per family in each version (complete when both versions
        were audited; otherwise the per-conversation findings of the changed entries).
        """
        with self.store.read():
            row = self.dataset(dataset)
            a, b = self.store.versions.resolve(row, before), self.store.versions.resolve(row, after)
            transitions, changes = history.entry_changes(self.store, row, a, b, turns=turns, limit=limit)
        counts = {kind: 0 for kind in ("added", "removed", "changed", "moved", "excluded", "included")}
        for t in transitions:
            counts[history.classify(t)] += 1
        deltas, scope = None, None
        if findings:
            kind = auditing.detect_version_kind(self.store, row, b, self.config)
            deltas, scope = fixing.findings_delta(self.store, row, a, b, transitions, self.config, kind)
        return Diff(dataset, a, b, changes=tuple(changes), findings=deltas, findings_scope=scope, **counts)

    def restore(self, dataset: str, version: VersionRef, *, message: str | None = None) -> Version | None:
        """A new version whose entries are those of ``version`` (history is kept); None when nothing differs."""
        row = self.dataset(dataset)
        return history.restore(self.store, row, self.store.versions.resolve(row, version), message)

    # -- reading -----------------------------------------------------------------------------------

    def page(self, dataset: str, *, version: VersionRef = None, cursor: str | None = None, limit: int = 50) -> Page:
        """A page of entries in dataset order; pass ``next_cursor`` back for the next page."""
        with self.store.read():
            row = self.dataset(dataset)
            return reading.page(self.store, row, self.store.versions.resolve(row, version), cursor, limit)

    def entry(self, dataset: str, key: str, *, version: VersionRef = None) -> Entry:
        """One entry by its key."""
        with self.store.read():
            row = self.dataset(dataset)
            return reading.entry(self.store, row, key, self.store.versions.resolve(row, version))

    def conversations(self, dataset: str, *, version: VersionRef = None,
                      include_excluded: bool = False) -> Iterator[Conversation]:
        """Every conversation of a version, in order (excluded entries left out unless asked)."""
        row = self.dataset(dataset)
        number = self.store.versions.resolve(row, version)
        for _, conversation in reading.conversations(self.store, row, number, include_excluded=include_excluded):
            yield conversation

    def export(self, dataset: str, output: str | os.PathLike[str], *, version: VersionRef = None,
               fmt: str | None = None) -> ExportResult:
        """Write a version to JSONL (each record in its own format, or ``fmt``); excluded entries are left out."""
        row = self.dataset(dataset)
        number = self.store.versions.resolve(row, version)
        excluded = 0

        def kept() -> Iterator[Conversation]:
            nonlocal excluded
            for slot, conversation in reading.conversations(self.store, row, number, include_excluded=True):
                if slot.excluded is not None:
                    excluded += 1
                else:
                    yield conversation

        result = write_jsonl(kept(), output, fmt)
        return ExportResult(dataset, number, result.path, result.records, excluded, fmt)

    def export_for_training(self, dataset: str, output: str | os.PathLike[str], options: ExportOptions | None = None,
                            *, version: VersionRef = None, config: Config | None = None) -> TrainingExport:
        """Export a version for a trainer: target format, filters, leakage-free splits, manifest (docs/export.md)."""
        row = self.dataset(dataset)
        number = self.store.versions.resolve(row, version)
        return exporting.export_version(self.store, row, number, output, options or ExportOptions(),
                                        config or self.config)

    # -- editing -----------------------------------------------------------------------------------

    def apply(self, dataset: str, operations: Sequence[Operation], *, message: str | None = None,
              base_version: VersionRef = None, progress: EditProgress | None = None) -> EditResult:
        """Apply edit operations as one version; refused with Conflict if an edited entry changed meanwhile.

        ``base_version``: the version the caller's view of the entries came from; an entry changed
        after it is a conflict (without it, the version current when this call read the entry).
        """
        row = self.dataset(dataset)
        base = self.store.versions.resolve(row, base_version) if base_version is not None else None
        editor = Editor(self.store, row, base_version=base)
        for operation in operations:
            editor.apply(operation)
        version = editor.commit("edit", message or describe_operations(operations), progress)
        return _edit_result(dataset, version)

    def apply_where(self, dataset: str, query: Query, operation: Operation, *, message: str | None = None,
                    progress: EditProgress | None = None) -> EditResult:
        """Apply one operation to every entry the query selects in the latest version, as one version."""
        row = self.dataset(dataset)
        scope = self._prepare_query(row, self.store.versions.head(row.id), query)
        editor = Editor(self.store, row)
        with self.store.read():
            head = self.store.versions.head(row.id)
            slots = list(searching.select(self.store, row, head, query, scope=scope))
            for start in range(0, len(slots), 1000):
                chunk = slots[start:start + 1000]
                found = self.store.contents.hashed_bodies(s.content_id for s in chunk)
                editor.preload((s, *found[s.content_id]) for s in chunk)
        for slot in slots:
            editor.apply(with_key(operation, slot.key))
        text = message or f"{describe_operations([operation])} on {len(slots):,} entries matching {describe_query(query)}"
        version = editor.commit("bulk-edit", text, progress)
        return _edit_result(dataset, version, selected=len(slots))

    def merge(self, sources: Sequence[str], into: str, *, policy: str = "keep-first", message: str | None = None,
              versions: Sequence[VersionRef] | None = None) -> EditResult:
        """Merge datasets (their latest versions, or ``versions``) into ``into`` as one version, provenance kept."""
        refs = list(versions) if versions is not None else [None] * len(sources)
        rows = [self.dataset(name) for name in sources]
        picked = [(row, self.store.versions.resolve(row, ref)) for row, ref in zip(rows, refs)]
        version, added, skipped = merge(self.store, picked, into, policy, message)
        return _edit_result(into, version, skipped=skipped)

    # -- search ------------------------------------------------------------------------------------

    def search(self, dataset: str, query: Query | str | None = None, *, version: VersionRef = None,
               cursor: str | None = None, limit: int = 50, count: bool = False, sort: str = "position",
               progress: Callable[[int], None] | None = None) -> SearchResult:
        """A page of entries matching a query (text and filters); ``count`` also counts every match.

        ``sort``: ``position`` (dataset order), ``chars`` / ``-chars``, ``turns`` / ``-turns`` (shortest
        / longest first), ``changed`` (last changed first) or ``findings`` (most finding codes first;
        audits the version when needed); every order pages by keyset. A text search is not sorted.
        ``progress(done)`` is called while the search index catches up with imported contents.
        """
        query = Query(text=query) if isinstance(query, str) else (query or Query())
        row = self.dataset(dataset)
        number = self.store.versions.resolve(row, version)
        scope = self._prepare_query(row, number, query, progress, findings=sort == "findings")
        with self.store.read():
            return searching.search(self.store, row, number, query, scope=scope, cursor=cursor, limit=limit,
                                    count=count, sort=sort)

    def index(self, progress: Callable[[int], None] | None = None) -> int:
        """Bring the full-text index up to date (imports defer it; search calls this); contents indexed."""
        return ingest.index_pending(self.store, progress)

    def _prepare_query(self, row: DatasetRow, version: int, query: Query,
                       progress: Callable[[int], None] | None = None,
                       findings: bool = False) -> searching.FindingScope | None:
        """Make the index current for a text query; the audit that finding filters (and, with ``findings``,
        the findings order) read (None without codes)."""
        if query.match_expression() is not None:
            self.index(progress)
        if not query.codes and not findings:
            return None
        run = self.store.audit.run(row.id, version, with_findings=False)
        if run is None:
            self.audit(row.name, version=version)
            run = self.store.audit.run(row.id, version, with_findings=False)
        assert run is not None
        return run.config_id, run.id

    # -- audit and fix -----------------------------------------------------------------------------

    def audit(self, dataset: str, *, version: VersionRef = None, config: Config | None = None,
              progress: auditing.AuditProgress | None = None, tokenizer: ChatTokenizer | None = None,
              train_on: str = "all", max_tokens: int | None = None, refresh: bool = False) -> AuditReport:
        """Audit a version like files are audited; results are cached per content, so re-audits are incremental.

        With ``tokenizer`` (:func:`threadsmith.rendering.load_tokenizer`) the template checks (TM)
        run and LN001 counts real tokens (against ``max_tokens`` when given); ``train_on`` is
        "all" or "last", as training will use. Cached per tokenizer and template too. A version
        already audited under the same configuration is answered from that audit's stored results
        (the same report); ``refresh`` runs the dataset checks again all the same."""
        row = self.dataset(dataset)
        number = self.store.versions.resolve(row, version)
        return auditing.audit_version(self.store, row, number, config or self.config, progress,
                                      _tokens(tokenizer, train_on, max_tokens), refresh)

    def fix(self, dataset: str, *, codes: Sequence[str] = (), unsafe: bool = False, config: Config | None = None,
            message: str | None = None, progress: EditProgress | None = None, tokenizer: ChatTokenizer | None = None,
            train_on: str = "all", max_tokens: int | None = None) -> EditResult:
        """Apply the checks' fixes (safe ones; ``unsafe`` too) to the latest version, as one new version.

        ``tokenizer``, ``train_on`` and ``max_tokens`` as for :meth:`audit` (LN001's fixes need a
        tokenizer; its "split" strategy turns one entry into several, provenance kept)."""
        settings = (config or self.config).overridden(select=tuple(codes))
        row = self.dataset(dataset)
        kind = auditing.detect_version_kind(self.store, row, self.store.versions.head(row.id), settings)
        plan = auditing.plan_checks(settings, kind, _tokens(tokenizer, train_on, max_tokens))
        outcome = fixing.fix_dataset(self.store, row, plan, unsafe=unsafe, message=message, progress=progress)
        return _edit_result(dataset, outcome.version, fixes_applied=outcome.fixes_applied,
                            fixed_entries=outcome.fixed_entries, excluded=outcome.dropped)

    # -- safety ------------------------------------------------------------------------------------

    def backup(self, output: str | os.PathLike[str]) -> str:
        """A consistent copy of the whole workspace database (SQLite online backup), safe while in use."""
        target = Path(output)
        if target.is_dir():
            target = target / f"workspace-{utc_now().replace(':', '')}.sqlite"
        if target.exists():
            raise UserError(f"{target} exists; a backup never overwrites a file.", hint="Choose a new file name.")
        if not target.parent.is_dir():
            raise UserError(f"Cannot write {target}: the folder {target.parent} does not exist.")
        partial = target.with_name(target.name + ".partial")
        self.store.backup(str(partial))
        partial.replace(target)
        return str(target)

    def integrity_check(self) -> str:
        """SQLite's integrity check of the workspace file: ``ok`` or the problems found."""
        return self.store.integrity()


def _tokens(tokenizer: ChatTokenizer | None, train_on: str, max_tokens: int | None) -> CheckContext | None:
    """The tokenizer settings of an audit or fix (None without a tokenizer)."""
    if tokenizer is None:
        return None
    if train_on not in ("all", "last"):
        raise UserError(f"train_on must be 'all' or 'last', not {train_on!r}.")
    return CheckContext(tokenizer=tokenizer, train_on=train_on, max_tokens=max_tokens)


def describe_operations(operations: Sequence[Operation]) -> str:
    """A version message for a list of operations: ``set-text conv-1``, or ``5 edits``."""
    if len(operations) > 3:
        return f"{len(operations)} edits"
    return "; ".join(f"{_kebab(type(op).__name__)} {op.key}" if op.key else _kebab(type(op).__name__)
                     for op in operations) or "no edits"


def describe_query(query: Query) -> str:
    """A query in a few words, for version messages."""
    parts = [f"{name}={value}" for name, value in (
        ("text", query.text), ("role", ",".join(query.roles)), ("tag", ",".join(query.tags)),
        ("character", ",".join(query.characters)), ("code", ",".join(query.codes))) if value]
    return " ".join(parts) or "everything"


def _kebab(name: str) -> str:
    return "".join("-" + ch.lower() if ch.isupper() and i else ch.lower() for i, ch in enumerate(name))


def _edit_result(dataset: str, version: Version | None, **details: object) -> EditResult:
    if version is None:
        return EditResult(dataset, None, 0, 0, 0, dict(details))
    return EditResult(dataset, version, version.changed, version.added, version.removed, dict(details))
