"""Trainer-ready exports: formats for every common trainer, filters, leakage-free splits, manifests (issue 5).

:func:`export` reads a source (:func:`file_source`, or a workspace version through
``Workspace.export_for_training``), filters it, splits it without leakage, and writes the
target's files and a manifest, streaming. See docs/export.md.
"""

from threadsmith.export.exporter import (
    Excluded,
    ExportedFile,
    ExportOptions,
    ExportResult,
    ExportSource,
    export,
    file_source,
)
from threadsmith.export.filters import Filters, entry_score
from threadsmith.export.manifest import MANIFEST_NAME, verify_manifest
from threadsmith.export.splits import SplitPlan, SplitSpec
from threadsmith.export.targets import TARGET_NAMES, get_target
from threadsmith.export.tokens import PriceTable

__all__ = [
    "Excluded",
    "ExportOptions",
    "ExportResult",
    "ExportSource",
    "ExportedFile",
    "Filters",
    "MANIFEST_NAME",
    "PriceTable",
    "SplitPlan",
    "SplitSpec",
    "TARGET_NAMES",
    "entry_score",
    "export",
    "file_source",
    "get_target",
    "verify_manifest",
]
