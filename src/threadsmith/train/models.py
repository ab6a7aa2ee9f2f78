"""Base models: a hub id, a local folder, or a GGUF file, made into a plain folder to train from.

A GGUF file is loaded by transformers (with the ``gguf`` package), which dequantizes its
weights. The loaded model still carries the GGUF quantizer's marks, which would stop PEFT and
the Trainer ("cannot train a quantized model"), so they are cleared and the model is saved
ONCE as a plain safetensors folder in the cache (keyed by the file's path, size and time);
later runs load that folder in under a second instead of converting again (~20-50 s).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import warnings
from pathlib import Path
from typing import Any

from threadsmith.errors import InputNotFound, MissingDependency, UserError

#: Where converted models are kept (env THREADSMITH_CACHE overrides).
DEFAULT_CACHE = Path("~/.cache/threadsmith").expanduser()


def require(package: str, purpose: str = "Training") -> Any:
    """Import an optional package late, or raise MissingDependency naming the train extra."""
    import importlib

    try:
        return importlib.import_module(package)
    except ImportError:
        raise MissingDependency(package, extra="train", purpose=purpose) from None


def hide_peft_renames() -> None:
    """Inside ``warnings.catch_warnings()``: hide the FutureWarning PEFT raises by asking
    transformers 5 for ``is_gradient_checkpointing`` (renamed ``is_activation_checkpointing``),
    which says nothing a user can act on."""
    warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*", category=FutureWarning)


def cache_root(cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """The cache folder for converted models."""
    return Path(cache_dir or os.environ.get("THREADSMITH_CACHE") or DEFAULT_CACHE).expanduser() / "models"


def is_local_folder(spec: str) -> bool:
    """True when ``spec`` is a folder holding a transformers model."""
    return Path(spec).is_dir() and (Path(spec) / "config.json").is_file()


def resolve_model(spec: str, *, cache_dir: str | os.PathLike[str] | None = None) -> str:
    """A path or hub id transformers can load without quantization marks (converts a GGUF file once)."""
    if not spec:
        raise UserError("No base model given.", hint="Pass --model with a hub id, a model folder or a .gguf file.")
    if spec.lower().endswith(".gguf"):
        source = Path(spec).expanduser()
        if not source.is_file():
            raise InputNotFound(f"GGUF file {source} does not exist.")
        return str(convert_gguf(source, cache_root(cache_dir)))
    if Path(spec).expanduser().exists():
        folder = Path(spec).expanduser()
        if not is_local_folder(str(folder)):
            raise UserError(f"{folder} is not a model folder (no config.json inside).",
                            hint="Pass a folder written by save_pretrained, a .gguf file, or a hub id.")
        return str(folder)
    return spec


def convert_gguf(source: Path, root: Path) -> Path:
    """The plain folder for a GGUF file, converting (dequantizing) it on first use."""
    stat = source.stat()
    key = hashlib.sha256(f"{source.resolve()}|{stat.st_size}|{stat.st_mtime_ns}".encode()).hexdigest()[:12]
    target = root / f"{source.stem}-{key}"
    if is_local_folder(str(target)):
        return target
    transformers = require("transformers", "Loading a GGUF model")
    require("gguf", "Loading a GGUF model")
    partial = root / f".{target.name}.partial-{os.getpid()}"
    shutil.rmtree(partial, ignore_errors=True)
    tokenizer = transformers.AutoTokenizer.from_pretrained(str(source.parent), gguf_file=source.name)
    model = transformers.AutoModelForCausalLM.from_pretrained(str(source.parent), gguf_file=source.name)
    clear_quantization(model)
    partial.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(partial))
    tokenizer.save_pretrained(str(partial))
    try:
        partial.rename(target)
    except OSError:  # another process converted it meanwhile
        shutil.rmtree(partial, ignore_errors=True)
    return target


def clear_quantization(model: Any) -> None:
    """Drop the marks a GGUF load leaves on a model whose weights are already dequantized."""
    model.hf_quantizer = None
    model.is_quantized = False
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config


def load_tokenizer(path: str) -> Any:
    """The tokenizer of a resolved model, with a pad token (its EOS when it has none)."""
    transformers = require("transformers")
    try:
        tokenizer = transformers.AutoTokenizer.from_pretrained(path)
    except OSError as exc:
        raise UserError(f"Cannot load the tokenizer of {path}: {exc}",
                        hint="Check the hub id (and network, or set HF_HUB_OFFLINE=1 for cached models).") from None
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def load_model(path: str, *, method: str = "lora", dtype: str = "fp32", attention: str = "sdpa",
               device_map: Any = None) -> Any:
    """The base model in the training dtype (4-bit for QLoRA, which needs CUDA and bitsandbytes)."""
    transformers = require("transformers")
    torch = require("torch")
    kwargs: dict[str, Any] = {"dtype": {"bf16": torch.bfloat16, "fp16": torch.float16}.get(dtype, torch.float32),
                              "attn_implementation": attention}
    if method == "qlora":
        if not torch.cuda.is_available():
            raise UserError("QLoRA needs a CUDA GPU (bitsandbytes 4-bit kernels).",
                            hint="Use --method lora on this machine.")
        require("bitsandbytes", "QLoRA")
        compute = torch.bfloat16 if dtype == "bf16" else torch.float16
        kwargs["quantization_config"] = transformers.BitsAndBytesConfig(
            load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
            bnb_4bit_compute_dtype=compute)
    if device_map is not None:
        kwargs["device_map"] = device_map
    try:
        return transformers.AutoModelForCausalLM.from_pretrained(path, **kwargs)
    except OSError as exc:
        raise UserError(f"Cannot load the model {path}: {exc}",
                        hint="Pass a hub id, a local folder, or a .gguf file; offline, only cached models load.") from None
