"""The trainer targets: each one's record builder, data file names, and the files that point the trainer at them.

=======================  =============================================  =====================================
target                   data files                                     beside them
=======================  =============================================  =====================================
jsonl, openai, trl,      ``train.jsonl`` (``validation.jsonl``,          -
trl-prompt-completion,   ``test.jsonl`` with a split)
sharegpt, alpaca
axolotl                  same                                           ``axolotl.yaml`` (``type: chat_template``)
llamafactory             same                                           ``dataset_info.json``
hf                       ``data/train-00000-of-00001.parquet`` ...      ``README.md`` card, ``arrow/`` (save_to_disk
                         and ``arrow/train/data-00000-of-00001.arrow``  layout, streamed with the Parquet files)
=======================  =============================================  =====================================
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from threadsmith.errors import MissingDependency, UnknownFormat
from threadsmith.export.records import BUILDERS, Record
from threadsmith.model import Conversation

#: ``finish(folder, files, context)`` writes the extra files and returns their paths (relative).
ARROW_FOLDER, ARROW_DATA = "arrow", "data-00000-of-00001.arrow"
Finisher = Callable[[str, dict[str, str], dict[str, Any]], list[str]]


@dataclass(frozen=True, slots=True)
class Target:
    """One trainer target."""

    name: str
    build: Callable[[Conversation], Record]
    parquet: bool = False
    finish: Finisher | None = None
    #: True when the target needs a folder (it writes files beside the data).
    folder_only: bool = False

    def data_file(self, split: str) -> str:
        """The data file of a split, relative to the export folder."""
        return f"data/{split}-00000-of-00001.parquet" if self.parquet else f"{split}.jsonl"

    def arrow_file(self, split: str) -> str | None:
        """The ``save_to_disk`` data file of a split (``hf`` only), relative to the export folder."""
        return f"{ARROW_FOLDER}/{split}/{ARROW_DATA}" if self.parquet else None


def _yaml() -> Any:
    try:
        import yaml
    except ImportError:
        raise MissingDependency("pyyaml", extra="export", purpose="Writing the Axolotl config") from None
    return yaml


def _write_text(path: str, text: str) -> None:
    tmp = f"{path}.partial"
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(tmp, path)


def _axolotl_dataset(path: str) -> dict[str, Any]:
    return {"path": path, "ds_type": "json", "type": "chat_template", "field_messages": "messages",
            "message_property_mappings": {"role": "role", "content": "content"},
            "roles_to_train": ["assistant"], "train_on_eos": "turn"}


def finish_axolotl(folder: str, files: dict[str, str], context: dict[str, Any]) -> list[str]:
    """``axolotl.yaml``: the datasets as ``type: chat_template`` with their field mappings."""
    config: dict[str, Any] = {
        "base_model": context.get("base_model") or "CHANGE-ME/your-base-model",
        "chat_template": "tokenizer_default",
        "datasets": [_axolotl_dataset(f"./{files['train']}")],
        "dataset_prepared_path": "./prepared",
        "output_dir": "./outputs",
        "sequence_len": int(context.get("sequence_len") or 4096),
    }
    weighted = context.get("weighted")
    if weighted:
        config["datasets"][0]["message_field_training"] = "training"
    evals = [name for name in ("validation", "test") if name in files]
    if evals:
        config["test_datasets"] = [{**_axolotl_dataset(f"./{files[evals[0]]}"), "split": "train"}]
        config["val_set_size"] = 0.0
    header = ("# Written by threadsmith export. Set base_model, then run from this folder:\n"
              "#   axolotl train axolotl.yaml\n")
    _write_text(os.path.join(folder, "axolotl.yaml"), header + _yaml().safe_dump(config, sort_keys=False))
    return ["axolotl.yaml"]


LLAMAFACTORY_TAGS = {"role_tag": "from", "content_tag": "value", "user_tag": "human", "assistant_tag": "gpt",
                     "observation_tag": "observation", "function_tag": "function_call", "system_tag": "system"}


def finish_llamafactory(folder: str, files: dict[str, str], context: dict[str, Any]) -> list[str]:
    """``dataset_info.json``: one entry per split with ``formatting: sharegpt``, columns and tags
    (the ``tools`` column named when some record has tool definitions)."""
    name = context.get("name") or "threadsmith"
    columns = {"messages": "conversations", "system": "system"}
    if context.get("tools"):
        columns["tools"] = "tools"
    info = {f"{name}_{split}": {"file_name": path, "formatting": "sharegpt", "columns": dict(columns),
                                "tags": dict(LLAMAFACTORY_TAGS)}
            for split, path in files.items()}
    _write_text(os.path.join(folder, "dataset_info.json"), json.dumps(info, indent=2, ensure_ascii=False) + "\n")
    return ["dataset_info.json"]


def finish_hf(folder: str, files: dict[str, str], context: dict[str, Any]) -> list[str]:
    """The dataset card (``README.md`` with the ``configs`` the Hub and ``load_dataset`` read) and ``arrow/``."""
    name = context.get("name") or "threadsmith export"
    counts = context.get("sizes", {})
    # an empty Parquet split cannot be loaded by `datasets`: the card lists the others
    data_files = "".join(f"  - split: {split}\n    path: {path}\n" for split, path in files.items()
                         if counts.get(split, 1))
    sizes = ", ".join(f"{split}: {count:,}" for split, count in context.get("sizes", {}).items())
    card = (f"---\nconfigs:\n- config_name: default\n  data_files:\n{data_files}"
            f"tags:\n- threadsmith\n- conversational\n---\n\n# {name}\n\n"
            f"Conversations exported by threadsmith ({sizes}). Each row has an `id`, `messages` "
            "(`role`, `content`) and `tags`.\n\n```python\nfrom datasets import load_dataset\n"
            "ds = load_dataset(\"parquet\", data_dir=\"data\")  # or load_from_disk(\"arrow\")\n```\n\n"
            "`manifest.json` names the source, filters, split seed and the SHA-256 of every file.\n")
    _write_text(os.path.join(folder, "README.md"), card)
    return ["README.md", *save_to_disk(folder, files)]


def save_to_disk(folder: str, files: dict[str, str]) -> list[str]:
    """``arrow/``: what ``DatasetDict.save_to_disk`` writes, around the Arrow files the sinks streamed.

    Each split folder holds the Arrow IPC stream ``data-00000-of-00001.arrow``, its
    ``dataset_info.json`` (the features) and ``state.json``; ``dataset_dict.json`` lists the
    splits. ``datasets.load_from_disk("arrow")`` reads it (tests/export/test_consumers.py).
    """
    try:
        import datasets
    except ImportError:
        raise MissingDependency("datasets", extra="export", purpose="Writing the save_to_disk copy") from None
    from threadsmith.export.sinks import parquet_schema, sha256_file

    features = datasets.Features.from_arrow_schema(parquet_schema()).to_dict()
    written = []
    for split in files:
        base = os.path.join(folder, ARROW_FOLDER, split)
        info = {"citation": "", "description": "", "features": features, "homepage": "", "license": ""}
        state = {"_data_files": [{"filename": ARROW_DATA}],
                 "_fingerprint": sha256_file(os.path.join(base, ARROW_DATA))[:16], "_format_columns": None,
                 "_format_kwargs": {}, "_format_type": None, "_output_all_columns": False, "_split": split}
        for name, body in (("dataset_info.json", info), ("state.json", state)):
            _write_text(os.path.join(base, name), json.dumps(body, indent=2) + "\n")
        written += [f"{ARROW_FOLDER}/{split}/{name}" for name in (ARROW_DATA, "dataset_info.json", "state.json")]
    _write_text(os.path.join(folder, ARROW_FOLDER, "dataset_dict.json"), json.dumps({"splits": list(files)}) + "\n")
    return [*written, f"{ARROW_FOLDER}/dataset_dict.json"]


TARGETS: dict[str, Target] = {
    name: Target(name, build) for name, build in BUILDERS.items() if name not in ("hf", "axolotl", "llamafactory")
}
TARGETS["hf"] = Target("hf", BUILDERS["hf"], parquet=True, finish=finish_hf, folder_only=True)
TARGETS["axolotl"] = Target("axolotl", BUILDERS["axolotl"], finish=finish_axolotl, folder_only=True)
TARGETS["llamafactory"] = Target("llamafactory", BUILDERS["llamafactory"], finish=finish_llamafactory, folder_only=True)
#: Every target name, in the order the CLI lists them.
TARGET_NAMES = ("openai", "trl", "trl-prompt-completion", "sharegpt", "alpaca", "hf", "axolotl", "llamafactory", "jsonl")


def get_target(name: str) -> Target:
    """The target called ``name`` (raises :class:`UnknownFormat` listing them)."""
    try:
        return TARGETS[name]
    except KeyError:
        raise UnknownFormat(f"Unknown export target {name!r}.", hint=f"Choose one of: {', '.join(TARGET_NAMES)}.") from None
