"""The workspace: datasets kept in one SQLite file, with versions, diffs, restore, editing and search.

:class:`Workspace` is the facade (the CLI and the web UI are thin shells over it); the
modules beside it hold the parts: ``ingest`` (import), ``history`` (diff, restore),
``reading`` (pages, entries), ``editing`` (pure edits), ``results`` (what methods return).
"""

from threadsmith.workspace.facade import DATABASE_NAME, DEFAULT_FOLDER, Workspace, locate
from threadsmith.workspace.results import (
    DatasetInfo,
    Diff,
    EditResult,
    Entry,
    EntryChange,
    ExportResult,
    FamilyDelta,
    ImportResult,
    Page,
    Provenance,
    SearchHit,
    SearchResult,
    TurnChange,
    Version,
)

__all__ = [
    "DATABASE_NAME",
    "DEFAULT_FOLDER",
    "DatasetInfo",
    "Diff",
    "EditResult",
    "Entry",
    "EntryChange",
    "ExportResult",
    "FamilyDelta",
    "ImportResult",
    "Page",
    "Provenance",
    "SearchHit",
    "SearchResult",
    "TurnChange",
    "Version",
    "Workspace",
    "locate",
]
