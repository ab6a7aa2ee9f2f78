"""The example datasets shipped with threadsmith, loaded into an empty workspace (``make run``)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from threadsmith.workspace.facade import Workspace

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def seed_examples(ws: Workspace, *, audit: bool = True) -> list[str]:
    """Import every example file as a dataset named after it (only into a workspace with no datasets), audit each.

    Returns the names of the datasets created (empty when the workspace already had datasets).
    """
    if ws.datasets():
        return []
    created = []
    for path in sorted(EXAMPLES.glob("*.jsonl")):
        ws.import_files([path], path.stem, message="example dataset")
        if audit:
            ws.audit(path.stem)
        created.append(path.stem)
    return created
