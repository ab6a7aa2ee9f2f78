"""Exports from the web: where they go, which tokenizers the page offers, and the manifests written.

The browser never names a server path. An export goes to ``exports/NAME/`` beside the workspace
database (NAME one plain folder name, :func:`~threadsmith.web.security.contained`), and is
refused when that folder already holds something (an export is never overwritten from the
web). Exact token counts use a tokenizer the owner put in ``tokenizers/`` beside the database
(``tokenizer.json``, ``.json.gz``, ``.gguf`` or a model folder); the page offers only those.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from threadsmith.errors import NotFound, UserError
from threadsmith.export import MANIFEST_NAME
from threadsmith.web.security import PLAIN_NAME, contained

EXPORTS, TOKENIZERS = "exports", "tokenizers"
_TOKENIZER_FILES = (".json", ".json.gz", ".gguf")


@dataclass(frozen=True, slots=True)
class ExportPlace:
    """The export and tokenizer folders of one workspace."""

    root: Path

    @classmethod
    def of(cls, database: str) -> ExportPlace:
        """The place beside a workspace database file."""
        return cls(Path(database).resolve().parent)

    @property
    def exports(self) -> Path:
        return self.root / EXPORTS

    def new_folder(self, name: str) -> Path:
        """The folder for a new export called ``name`` (created; refused when it holds anything)."""
        self.exports.mkdir(exist_ok=True)
        folder = contained(self.exports, name, what="export folder")
        if name.lower().endswith((".json", ".jsonl")):
            raise UserError(f"An export folder cannot be called {name!r} (a .json name means a single file).",
                            hint="Drop the .json/.jsonl ending, e.g. chats-v3-openai.")
        if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
            raise UserError(f"The export folder {name!r} already exists; an export is never overwritten from the web.",
                            hint="Choose another folder name (or delete the old export on disk).")
        folder.mkdir(exist_ok=True)
        return folder

    def suggest(self, stem: str) -> str:
        """A plain folder name from ``stem`` that no export uses yet (``chats-v3``, ``chats-v3-2`` ...)."""
        base = re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip(".-_")[:90] or "export"
        name, n = base, 1
        while (self.exports / name).exists():
            n += 1
            name = f"{base}-{n}"
        return name

    def tokenizers(self) -> list[str]:
        """The tokenizers offered for exact token counts: names inside ``tokenizers/``."""
        folder = self.root / TOKENIZERS
        if not folder.is_dir():
            return []
        return sorted(p.name for p in folder.iterdir() if PLAIN_NAME.match(p.name)
                      and (p.is_dir() or p.name.lower().endswith(_TOKENIZER_FILES)))

    def tokenizer(self, name: str) -> str:
        """The path of an offered tokenizer (refused unless :meth:`tokenizers` lists it)."""
        if name not in self.tokenizers():
            raise UserError(f"No tokenizer {name!r} in {self.root / TOKENIZERS}.",
                            hint="Put a tokenizer.json, .json.gz, .gguf or model folder there, then reload the page.")
        return os.fspath(self.root / TOKENIZERS / name)

    def manifest(self, name: str) -> dict[str, Any]:
        """The manifest of export ``name``."""
        path = contained(self.exports, name, what="export folder") / MANIFEST_NAME
        try:
            with open(path, encoding="utf-8") as handle:
                return dict(json.load(handle))
        except FileNotFoundError:
            raise NotFound(f"No export {name!r} (no {MANIFEST_NAME} in {path.parent}).") from None
        except (OSError, ValueError) as exc:
            raise UserError(f"Cannot read the manifest of export {name!r}: {exc}.") from None

    def listing(self, dataset: str) -> list[dict[str, Any]]:
        """The exports of ``dataset`` found under ``exports/``, newest first (name, time, target, version, counts)."""
        if not self.exports.is_dir():
            return []
        out = []
        for folder in self.exports.iterdir():
            if not PLAIN_NAME.match(folder.name) or not (folder / MANIFEST_NAME).is_file():
                continue
            try:
                manifest = self.manifest(folder.name)
            except UserError:
                continue
            source = manifest.get("source") or {}
            if source.get("dataset") != dataset:
                continue
            out.append({"name": folder.name, "created_at": manifest.get("created_at"), "target": manifest.get("target"),
                        "version": source.get("version"), "counts": manifest.get("counts", {})})
        return sorted(out, key=lambda e: (str(e["created_at"] or ""), e["name"]), reverse=True)
