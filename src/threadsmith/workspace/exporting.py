"""Trainer-ready exports of a workspace dataset version (the library is ``threadsmith.export``).

A version becomes an :class:`~threadsmith.export.ExportSource`: its entries in order, the
excluded ones counted and never exported, and its (incremental, cached) audit for finding
filters. The manifest names the workspace, the dataset, the version number and its tags.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator

from threadsmith.config import Config
from threadsmith.export import Excluded, ExportOptions, ExportResult, ExportSource, export
from threadsmith.export.exporter import Item
from threadsmith.model import Finding
from threadsmith.store import DatasetRow, Store
from threadsmith.workspace import auditing, reading


def version_source(store: Store, dataset: DatasetRow, version: int, config: Config) -> ExportSource:
    """One version of a dataset as an export source."""

    def items() -> Iterator[Item]:
        for slot, conversation in reading.conversations(store, dataset, version, include_excluded=True):
            yield Excluded(slot.key) if slot.excluded is not None else conversation

    def findings() -> Iterable[Finding]:
        return auditing.audit_version(store, dataset, version, config).findings

    record = store.versions.get(dataset, version)
    description = {"kind": "workspace", "workspace": os.path.abspath(store.path), "dataset": dataset.name,
                   "version": version, "tags": list(record.tags),
                   "entries": record.entries, "created_at": record.created_at}
    return ExportSource(description, items, findings, "ordinal")


def export_version(store: Store, dataset: DatasetRow, version: int, output: str | os.PathLike[str],
                   options: ExportOptions, config: Config) -> ExportResult:
    """Export one version for a trainer (see :func:`threadsmith.export.export`)."""
    return export(version_source(store, dataset, version, config), output, options)
