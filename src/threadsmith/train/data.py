"""Training data: conversations from a workspace version, a JSONL file or an export manifest, tokenized.

Tokens and the loss mask come from :mod:`threadsmith.rendering` (the same renderer the
template checks and exports use): with ``assistant_only_loss`` only assistant turns (and the
end-of-turn token after each) are trained. The validation split is chosen by a hash of each
conversation's id and the seed, so it is stable across runs and machines; an export manifest's
own ``validation`` split is used as is.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from threadsmith.errors import InputNotFound, UserError
from threadsmith.model import Conversation

if TYPE_CHECKING:
    from threadsmith.rendering import ChatTokenizer


@dataclass(frozen=True, slots=True)
class DataSource:
    """What a run trained on: a workspace dataset version, a file, or an export manifest."""

    kind: str
    name: str
    version: int | None = None
    path: str | None = None
    sha256: str | None = None
    manifest_sha256: str | None = None

    def describe(self) -> str:
        """``chats@3``, ``data.jsonl``, or ``manifest.json (chats@3)``."""
        if self.kind == "workspace":
            return f"{self.name}@{self.version}"
        return self.name


@dataclass(frozen=True, slots=True)
class Examples:
    """Tokenized examples (``input_ids`` and ``assistant_masks`` per conversation) and what was left out."""

    input_ids: tuple[tuple[int, ...], ...]
    masks: tuple[tuple[int, ...], ...]
    skipped: int
    #: For each row, the index of the conversation it came from in the list given to :func:`encode`.
    origins: tuple[int, ...] = ()

    @property
    def lengths(self) -> list[int]:
        """Tokens per example."""
        return [len(ids) for ids in self.input_ids]

    def truncated(self, max_length: int) -> Examples:
        """Examples cut to ``max_length`` tokens (keeping the start), dropping those left with no trained token."""
        ids, masks, origins, dropped = [], [], [], 0
        for k, (row, mask) in enumerate(zip(self.input_ids, self.masks)):
            if any(mask[:max_length]):
                ids.append(row[:max_length])
                masks.append(mask[:max_length])
                origins.extend(self.origins[k:k + 1])
            else:
                dropped += 1
        return Examples(tuple(ids), tuple(masks), self.skipped + dropped, tuple(origins))

    def to_dataset(self) -> Any:
        """A ``datasets.Dataset`` with ``input_ids`` and ``assistant_masks`` (TRL builds the labels)."""
        from threadsmith.train.models import require

        datasets = require("datasets")
        return datasets.Dataset.from_dict({"input_ids": [list(r) for r in self.input_ids],
                                           "assistant_masks": [list(m) for m in self.masks]})


def sha256_of(path: str | os.PathLike[str]) -> str:
    """SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_conversations(path: str | os.PathLike[str]) -> list[Conversation]:
    """Every conversation of a dataset file (records that cannot be read are skipped; audit reports them)."""
    from threadsmith.formats import read_file

    if not Path(path).is_file():
        raise InputNotFound(f"Training data {path} does not exist.")
    return [item for item in read_file(path) if isinstance(item, Conversation)]


def from_file(path: str) -> tuple[list[Conversation], list[Conversation] | None, DataSource]:
    """Conversations from a JSONL file, or from an export manifest (its train and validation files)."""
    if path.endswith(".json") and _is_manifest(path):
        return from_manifest(path)
    conversations = read_conversations(path)
    return conversations, None, DataSource("file", os.path.basename(path), path=os.path.abspath(path),
                                           sha256=sha256_of(path))


def _is_manifest(path: str) -> bool:
    try:
        with open(path, encoding="utf-8") as handle:
            body = json.load(handle)
    except (OSError, ValueError):
        return False
    return isinstance(body, dict) and "files" in body and "schema" in body


def from_manifest(path: str) -> tuple[list[Conversation], list[Conversation] | None, DataSource]:
    """The train and validation files an export manifest lists, checked against their SHA-256 first."""
    from threadsmith.export.manifest import verify_manifest

    problems = verify_manifest(path)
    if problems:
        raise UserError(f"The export {path} changed since it was written: {'; '.join(problems)}.",
                        hint="Export again (threadsmith export), then train from the new manifest.")
    with open(path, encoding="utf-8") as handle:
        manifest = json.load(handle)
    folder = os.path.dirname(os.path.abspath(path))
    train: list[Conversation] = []
    evaluation: list[Conversation] = []
    for entry in manifest["files"]:
        if not str(entry["path"]).endswith(".jsonl"):
            continue
        split = entry.get("split") or "train"
        if split in ("validation", "val", "eval"):
            evaluation.extend(read_conversations(os.path.join(folder, entry["path"])))
        elif split == "train":
            train.extend(read_conversations(os.path.join(folder, entry["path"])))
    if not train:
        raise UserError(f"The export {path} lists no JSONL train file.",
                        hint="Export with --to trl or --to jsonl to train from it.")
    source = manifest.get("source") or {}
    name = f"{os.path.basename(path)} ({source.get('dataset')}@{source.get('version')})" if source.get("dataset") \
        else os.path.basename(path)
    version = source.get("version") if isinstance(source.get("version"), int) else None
    return train, evaluation or None, DataSource("manifest", name, version=version, path=os.path.abspath(path),
                                                 sha256=source.get("sha256"), manifest_sha256=sha256_of(path))


def split(conversations: Sequence[Conversation], validation: float, seed: int) -> tuple[list[Conversation], list[Conversation]]:
    """(train, validation): a fraction (< 1) or a count of conversations, chosen by a seeded hash of each id."""
    if validation <= 0 or len(conversations) < 4:
        return list(conversations), []
    count = int(validation) if validation >= 1 else max(1, round(validation * len(conversations)))
    count = min(count, len(conversations) // 2)
    ranked = sorted(range(len(conversations)),
                    key=lambda i: hashlib.sha256(f"{seed}:{conversations[i].id}:{i}".encode()).digest())
    held = set(ranked[:count])
    return ([c for i, c in enumerate(conversations) if i not in held],
            [c for i, c in enumerate(conversations) if i in held])


def encode(tokenizer: str | ChatTokenizer, conversations: Iterable[Conversation], *, assistant_only: bool = True,
           template: str | None = None) -> Examples:
    """Token ids and loss masks, rendered with the model's chat template (refused conversations skipped).

    ``tokenizer`` is a tokenizer or model path, or an already loaded chat tokenizer.
    """
    chat = chat_tokenizer(tokenizer, template=template)
    ids: list[tuple[int, ...]] = []
    masks: list[tuple[int, ...]] = []
    origins: list[int] = []
    skipped = 0
    for index, rendered in enumerate(chat.render_many(list(conversations))):
        if isinstance(rendered, Exception) or not rendered.input_ids:
            skipped += 1
            continue
        mask = tuple(rendered.assistant_mask) if assistant_only else (1,) * len(rendered.input_ids)
        if not any(mask):
            skipped += 1
            continue
        ids.append(tuple(rendered.input_ids))
        masks.append(mask)
        origins.append(index)
    return Examples(tuple(ids), tuple(masks), skipped, tuple(origins))


def chat_tokenizer(tokenizer: str | ChatTokenizer, *, template: str | None = None) -> ChatTokenizer:
    """A loaded chat tokenizer as is, or the one of a tokenizer or model path."""
    from threadsmith.rendering import ChatTokenizer as Loaded
    from threadsmith.rendering import load_tokenizer

    return tokenizer if isinstance(tokenizer, Loaded) else load_tokenizer(tokenizer, template=template)
