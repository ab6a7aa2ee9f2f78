"""Training from a dataset version: LoRA, QLoRA or full fine-tuning over TRL's SFTTrainer and PEFT.

Heavy libraries (torch, transformers, trl, peft) load only when a run starts; without them a
:class:`~threadsmith.errors.MissingDependency` names ``pip install 'threadsmith[train]'``.
See docs/train.md.
"""

from threadsmith.train.config import LoraSettings, TrainConfig, load_train_config
from threadsmith.train.distributed import accelerate_config

__all__ = ["LoraSettings", "TrainConfig", "TrainResult", "TrainingFailed", "accelerate_config", "load_train_config", "train"]


def __getattr__(name: str) -> object:
    if name in ("train", "TrainResult", "TrainingFailed"):
        from threadsmith.train import trainer

        return getattr(trainer, name)
    raise AttributeError(f"module 'threadsmith.train' has no attribute {name!r}")
