"""The export manifest: what a training run trained on, exactly.

``manifest.json`` (or ``NAME.manifest.json`` beside a single exported file) records the
source (a file and its SHA-256, or a workspace dataset and version), the target, the filters,
the split spec with its sizes and measured leakage, counts, token statistics, the OpenAI cost
estimate, and every file written with its size and SHA-256. :func:`verify_manifest` checks the
files against it.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from importlib import metadata
from typing import Any

from threadsmith.export.sinks import sha256_file

MANIFEST_NAME = "manifest.json"
SCHEMA = 1


def threadsmith_version() -> str:
    """The installed threadsmith version (``0+unknown`` in an uninstalled source tree)."""
    try:
        return metadata.version("threadsmith")
    except metadata.PackageNotFoundError:
        return "0+unknown"


def write_manifest(path: str, body: dict[str, Any]) -> dict[str, Any]:
    """Write the manifest (schema, threadsmith version and time first); returns what was written."""
    manifest = {"schema": SCHEMA, "threadsmith": threadsmith_version(),
                "created_at": datetime.now(UTC).isoformat(timespec="seconds"), **body}
    tmp = f"{path}.partial"
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(manifest, handle, indent=2, ensure_ascii=False)
        handle.write("\n")
    os.replace(tmp, path)
    return manifest


def verify_manifest(path: str) -> list[str]:
    """Problems found checking the files a manifest lists against their sizes and SHA-256 (empty: all good)."""
    with open(path, encoding="utf-8") as handle:
        manifest = json.load(handle)
    folder = os.path.dirname(os.path.abspath(path))
    problems = []
    for entry in manifest.get("files", []):
        file = os.path.join(folder, entry["path"])
        if not os.path.isfile(file):
            problems.append(f"{entry['path']}: missing")
        elif os.path.getsize(file) != entry["bytes"] or sha256_file(file) != entry["sha256"]:
            problems.append(f"{entry['path']}: changed since the export")
    return problems
