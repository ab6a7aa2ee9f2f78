"""What a run leaves behind: the adapter (or full model), optionally a merged model, and a model card."""

from __future__ import annotations

import platform
from pathlib import Path
from typing import Any

from threadsmith.train.config import TrainConfig
from threadsmith.train.data import DataSource

_LIBRARIES = ("torch", "transformers", "trl", "peft", "accelerate", "datasets", "threadsmith")


def environment(device: str) -> dict[str, Any]:
    """Library versions, Python, platform and device, recorded with each run."""
    from importlib import metadata

    versions = {}
    for name in _LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {"libraries": versions, "python": platform.python_version(), "platform": platform.platform(),
            "device": device}


def device_name() -> str:
    """``cuda:NVIDIA H100 80GB HBM3``, ``mps`` or ``cpu (N cores)``."""
    import os

    import torch

    if torch.cuda.is_available():
        return f"cuda:{torch.cuda.get_device_name(0)} x{torch.cuda.device_count()}"
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return "mps"
    return f"cpu ({os.cpu_count()} cores)"


def model_card(config: TrainConfig, source: DataSource, summary: dict[str, Any], run_name: str | None) -> str:
    """A README.md for the adapter naming the base model, the dataset version and the settings."""
    data = source.describe()
    if source.kind == "workspace":
        data = f"workspace dataset `{source.name}`, version {source.version}"
    elif source.manifest_sha256:
        data = f"export manifest `{source.name}` (SHA-256 {source.manifest_sha256})"
    elif source.sha256:
        data = f"`{source.name}` (SHA-256 {source.sha256})"
    lines = [
        "---", "library_name: peft" if config.method != "full" else "library_name: transformers",
        f"base_model: {config.model}", "tags: [threadsmith, sft, " + config.method + "]", "---", "",
        f"# {run_name or 'threadsmith run'}", "",
        f"Fine-tuned from `{config.model}` with threadsmith ({config.method}) on {data}.", "",
        "| setting | value |", "|---|---|",
    ]
    settings = config.to_dict()
    for key in ("method", "learning_rate", "epochs", "max_steps", "batch_size", "max_length", "packing",
                "assistant_only_loss", "seed"):
        lines.append(f"| {key} | {settings.get(key)} |")
    if config.method != "full":
        lines.append(f"| lora | r={config.lora.r}, alpha={config.lora.scale_alpha}, dropout={config.lora.dropout} |")
    lines += ["", "| result | value |", "|---|---|"]
    lines += [f"| {key} | {value} |" for key, value in summary.items()]
    lines += ["", "Try it: `threadsmith chat --model " + config.model + " --adapter THIS_FOLDER`", ""]
    return "\n".join(lines)


def save_outputs(trainer: Any, tokenizer: Any, folder: Path, *, merge: bool, method: str) -> dict[str, str]:
    """Save the adapter (or the full model) and, when asked, the merged model; their paths."""
    paths = {}
    target = folder / ("adapter" if method != "full" else "model")
    trainer.save_model(str(target))
    tokenizer.save_pretrained(str(target))
    paths["adapter" if method != "full" else "model"] = str(target)
    if merge and method != "full":
        merged = trainer.model.merge_and_unload()
        merged.save_pretrained(str(folder / "merged"))
        tokenizer.save_pretrained(str(folder / "merged"))
        paths["merged"] = str(folder / "merged")
    return paths
