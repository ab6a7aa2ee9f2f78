"""Training settings: one frozen dataclass, read from a TOML or YAML file and overridden by flags.

::

    # train.toml (every key optional except model and one of dataset / data)
    model = "HuggingFaceTB/SmolLM2-135M-Instruct"   # hub id, local folder, or a .gguf file
    dataset = "chats"                               # a workspace dataset ...
    version = "v3"                                  #   ... and version (default: latest)
    # data = "chats.jsonl"                          # ... or a JSONL file, or an export manifest.json
    method = "lora"                                 # lora | qlora | full
    learning-rate = 1e-4                            # default per method (below)
    epochs = 2
    [lora]
    r = 16
    alpha = 32
    dropout = 0.05
    target-modules = ["q_proj", "v_proj"]           # default per architecture

Learning rates follow the guidance "10x to 100x lower than pre-training": small decoder models
are pre-trained at about 3e-4 to 6e-4, so a full fine-tune defaults to 1e-5 (30x-60x lower) and
warns above 5e-5 (less than ~10x lower: catastrophic forgetting risk). LoRA trains new zero-initialised
low-rank matrices while the base weights stay frozen, so its usual range is higher (1e-4 to 2e-4,
PEFT and the QLoRA paper); it defaults to 1e-4 and warns above 3e-4.
"""

from __future__ import annotations

import math
import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from threadsmith.errors import ConfigError, InputNotFound

METHODS = ("lora", "qlora", "full")
PRECISIONS = ("auto", "bf16", "fp16", "fp32")
SWITCHES = ("auto", "on", "off")
ATTENTIONS = ("auto", "sdpa", "eager", "flash_attention_2", "varlen")
#: What happens to a conversation longer than max-length (see :mod:`threadsmith.train.windowing`).
LONG_MODES = ("window", "truncate", "drop")

#: Default learning rate per method, and the rate above which a run risks catastrophic forgetting.
DEFAULT_LEARNING_RATE = {"lora": 1e-4, "qlora": 1e-4, "full": 1e-5}
RISKY_LEARNING_RATE = {"lora": 3e-4, "qlora": 3e-4, "full": 5e-5}

#: LoRA target modules per architecture (``config.model_type``): every attention and MLP projection.
TARGET_MODULES: dict[str, tuple[str, ...]] = {
    "llama": ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"),
    "mistral": ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"),
    "qwen2": ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"),
    "qwen3": ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"),
    "gemma": ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"),
    "gemma2": ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"),
    "phi3": ("qkv_proj", "o_proj", "gate_up_proj", "down_proj"),
    "gpt2": ("c_attn", "c_proj", "c_fc"),
    "gpt_neox": ("query_key_value", "dense", "dense_h_to_4h", "dense_4h_to_h"),
    "falcon": ("query_key_value", "dense", "dense_h_to_4h", "dense_4h_to_h"),
}
#: PEFT's own choice for architectures not listed.
FALLBACK_TARGETS = "all-linear"

#: Token budget used when the dataset's token counts cannot be measured (characters / 3.5, a
#: documented estimate for English BPE vocabularies), and the bounds on the chosen max length.
CHARS_PER_TOKEN = 3.5
MIN_MAX_LENGTH, MAX_MAX_LENGTH = 256, 8192


@dataclass(frozen=True, slots=True)
class LoraSettings:
    """Low-rank adapter settings (``target_modules`` None: the architecture's default)."""

    r: int = 16
    alpha: int | None = None
    dropout: float = 0.05
    target_modules: tuple[str, ...] | None = None
    #: Only these layer indices get adapters (PEFT ``layers_to_transform``); None: every layer.
    #: Adapting only the top layers also stops the backward pass there (faster, less memory).
    layers: tuple[int, ...] | None = None

    @property
    def scale_alpha(self) -> int:
        """``alpha``, defaulting to twice the rank."""
        return self.alpha if self.alpha is not None else 2 * self.r


@dataclass(frozen=True, slots=True)
class TrainConfig:
    """Everything one training run needs; :func:`load_train_config` builds it from a file and flags."""

    model: str = ""
    dataset: str | None = None
    version: str | None = None
    data: str | None = None
    workspace: str | None = None
    method: str = "lora"
    learning_rate: float | None = None
    lora: LoraSettings = field(default_factory=LoraSettings)
    epochs: float = 2.0
    max_steps: int | None = None
    batch_size: int = 8
    gradient_accumulation: int = 1
    max_length: int | None = None
    packing: bool = True
    #: A conversation longer than max-length: ``window`` (split into windows), ``truncate`` or ``drop``.
    long: str = "window"
    assistant_only_loss: bool = True
    validation: float = 0.05
    eval_steps: int | None = None
    early_stopping: int | None = 3
    seed: int = 42
    precision: str = "auto"
    gradient_checkpointing: str = "auto"
    attention: str = "auto"
    #: Liger's Triton kernels (RMSNorm, RoPE, SwiGLU) through TRL's ``use_liger_kernel``: CUDA + liger-kernel only.
    use_liger_kernel: bool = False
    warmup_ratio: float = 0.03
    weight_decay: float = 0.0
    scheduler: str = "cosine"
    logging_steps: int = 10
    output: str | None = None
    merge: bool = False
    #: The file the settings came from, if any.
    path: str | None = None

    @property
    def lr(self) -> float:
        """The learning rate used: the one given, else the method's default."""
        return self.learning_rate if self.learning_rate is not None else DEFAULT_LEARNING_RATE[self.method]

    def warnings(self) -> list[str]:
        """Settings that will run but are risky (catastrophic forgetting, tiny validation...)."""
        out = []
        risky = RISKY_LEARNING_RATE[self.method]
        if self.lr > risky:
            out.append(f"learning rate {self.lr:g} is above {risky:g} for {self.method}: it risks catastrophic "
                       f"forgetting (the base model losing what it knew). The guidance is 10x to 100x below the "
                       f"pre-training rate; the default for {self.method} is {DEFAULT_LEARNING_RATE[self.method]:g}.")
        if self.lr < DEFAULT_LEARNING_RATE[self.method] / 100:
            out.append(f"learning rate {self.lr:g} is 100x below the {self.method} default: the model will barely "
                       f"adapt to the data.")
        if self.method != "full" and self.lora.scale_alpha / self.lora.r > 4:
            out.append(f"LoRA alpha/r = {self.lora.scale_alpha / self.lora.r:g} scales the adapter's update strongly; "
                       f"1 to 2 is usual.")
        if self.epochs > 5 and self.max_steps is None:
            out.append(f"{self.epochs:g} epochs over the same data tends to overfit; 1 to 3 is usual.")
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready settings (recorded with the run)."""
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name not in ("lora", "path")}
        out["lora"] = {"r": self.lora.r, "alpha": self.lora.scale_alpha, "dropout": self.lora.dropout,
                       "target_modules": list(self.lora.target_modules) if self.lora.target_modules else None,
                       "layers": list(self.lora.layers) if self.lora.layers else None}
        out["learning_rate"] = self.lr
        return out

    def overridden(self, **changes: Any) -> TrainConfig:
        """A copy with the given non-None settings replaced (flags win over the file), validated."""
        lora_changes = {k: changes.pop(k) for k in list(changes) if k.startswith("lora_")}
        lora = replace(self.lora, **{k[5:]: v for k, v in lora_changes.items() if v not in (None, ())})
        return validate(replace(self, lora=lora, **{k: v for k, v in changes.items() if v not in (None, ())}))


def target_modules_for(model_type: str, lora: LoraSettings) -> list[str] | str:
    """The LoRA target modules: the configured ones, else the architecture's projections, else all linear layers."""
    if lora.target_modules:
        return list(lora.target_modules)
    known = TARGET_MODULES.get(model_type)
    return list(known) if known else FALLBACK_TARGETS


def choose_max_length(token_counts: list[int], *, context: int | None = None, quantile: float = 0.98) -> int:
    """A max length covering ``quantile`` of the conversations, rounded up to a multiple of 64.

    Bounded by 256 below, by the model's context window (or 8192) above, so one long outlier
    does not inflate the memory of every batch.
    """
    upper = min(context or MAX_MAX_LENGTH, MAX_MAX_LENGTH)
    if not token_counts:
        return min(1024, upper)
    ordered = sorted(token_counts)
    covered = ordered[max(0, math.ceil(quantile * len(ordered)) - 1)]
    return max(MIN_MAX_LENGTH, min(upper, -(-covered // 64) * 64))


def validate(config: TrainConfig) -> TrainConfig:
    """The config, or ConfigError naming the setting that is wrong and what it accepts."""
    where = f" in {config.path}" if config.path else ""

    def bad(text: str) -> ConfigError:
        return ConfigError(f"Training setting {text}{where}.")

    for name, value, allowed in (("method", config.method, METHODS), ("precision", config.precision, PRECISIONS),
                                 ("gradient-checkpointing", config.gradient_checkpointing, SWITCHES),
                                 ("attention", config.attention, ATTENTIONS), ("long", config.long, LONG_MODES)):
        if value not in allowed:
            raise bad(f"{name} = {value!r} is not one of {', '.join(allowed)}")
    if config.learning_rate is not None and not 0 < config.learning_rate < 1:
        raise bad(f"learning-rate = {config.learning_rate} must be between 0 and 1 (e.g. 1e-4)")
    for name, value in (("lora.r", config.lora.r), ("batch-size", config.batch_size),
                        ("gradient-accumulation", config.gradient_accumulation), ("logging-steps", config.logging_steps)):
        if not isinstance(value, int) or value < 1:
            raise bad(f"{name} = {value!r} must be a whole number of at least 1")
    if not 0 <= config.lora.dropout < 1:
        raise bad(f"lora.dropout = {config.lora.dropout} must be in [0, 1)")
    if config.max_length is not None and config.max_length < 16:
        raise bad(f"max-length = {config.max_length} is too short (at least 16 tokens)")
    if config.epochs <= 0 and config.max_steps is None:
        raise bad(f"epochs = {config.epochs} must be above 0")
    if config.validation < 0 or (config.validation >= 1 and config.validation != int(config.validation)):
        raise bad(f"validation = {config.validation} must be a fraction below 1 or a whole count")
    if config.dataset and config.data:
        raise bad("dataset and data both set: train from a workspace dataset or from a file, not both")
    return config


_ALIASES = {"lr": "learning_rate", "target_modules": "lora_target_modules", "liger": "use_liger_kernel"}
_LORA_KEYS = {"r", "alpha", "dropout", "target_modules", "layers"}


def from_mapping(raw: dict[str, Any], *, path: str | None = None) -> TrainConfig:
    """A config from a parsed file (keys in kebab- or snake-case; a ``[lora]`` table), validated."""
    known = {f.name for f in fields(TrainConfig)} - {"lora", "path"}
    values: dict[str, Any] = {}
    lora: dict[str, Any] = {}
    for key, value in raw.items():
        name = _ALIASES.get(key.replace("-", "_"), key.replace("-", "_"))
        if name == "lora" and isinstance(value, dict):
            for sub, item in value.items():
                sub_name = sub.replace("-", "_")
                if sub_name not in _LORA_KEYS:
                    raise ConfigError(f"Unknown key lora.{sub} in {path or 'the training settings'}.",
                                      hint=f"Known keys in [lora]: {', '.join(sorted(_LORA_KEYS))}.")
                lora[sub_name] = tuple(item) if sub_name in ("target_modules", "layers") else item
        elif name.startswith("lora_") and name[5:] in _LORA_KEYS:
            lora[name[5:]] = tuple(value) if name in ("lora_target_modules", "lora_layers") else value
        elif name in known:
            values[name] = value
        else:
            raise ConfigError(f"Unknown training setting {key!r} in {path or 'the training settings'}.",
                              hint="See docs/train.md for every setting.")
    try:
        config = TrainConfig(lora=LoraSettings(**lora), path=path, **values)
    except TypeError as exc:
        raise ConfigError(f"Bad training settings in {path or 'the input'}: {exc}.") from None
    return validate(config)


def load_train_config(path: str | os.PathLike[str] | None = None) -> TrainConfig:
    """Settings from a ``.toml``, ``.yaml`` or ``.yml`` file (a ``[train]`` table is used when present)."""
    if path is None:
        return TrainConfig()
    source = Path(path)
    if not source.is_file():
        raise InputNotFound(f"Training config {source} does not exist.")
    text = source.read_text(encoding="utf-8")
    try:
        if source.suffix.lower() in (".yaml", ".yml"):
            import yaml

            raw = yaml.safe_load(text) or {}
        else:
            raw = tomllib.loads(text)
    except ImportError:
        raise ConfigError(f"Reading {source} needs PyYAML.", hint="pip install 'threadsmith[train]'") from None
    except Exception as exc:  # tomllib.TOMLDecodeError, yaml.YAMLError
        raise ConfigError(f"Cannot parse {source}: {exc}.") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{source} must hold a table of settings.")
    if isinstance(raw.get("train"), dict):
        raw = raw["train"]
    return from_mapping(raw, path=str(source))
