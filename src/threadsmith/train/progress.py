"""Per-step metrics from the Trainer: loss, validation loss, learning rate, tokens/s, GPU memory.

:func:`metrics_callback` makes a ``transformers.TrainerCallback`` that turns each log into one
``(kind, step, values)`` report (``kind`` is ``train`` or ``eval``) and each optimizer step into
a progress tick. Tokens/s is measured between two logs from TRL's running token count
(``num_tokens``), so it counts real (unpadded) tokens. Reading these values costs no extra
device synchronisation: the Trainer already moved them to the host to log them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

#: ``report(kind, step, values)``.
MetricsReport = Callable[[str, int, dict[str, Any]], None]
#: ``tick(step, max_steps)``.
ProgressTick = Callable[[int, int], None]

_TRAIN_KEYS = {"loss": "loss", "learning_rate": "lr", "grad_norm": "grad_norm", "mean_token_accuracy": "accuracy",
               "num_tokens": "tokens", "epoch": "epoch"}


def metrics_callback(report: MetricsReport, tick: ProgressTick | None = None) -> Any:
    """A TrainerCallback reporting metrics (and progress) to plain functions."""
    from transformers import TrainerCallback

    class MetricsCallback(TrainerCallback):  # type: ignore[misc]
        def __init__(self) -> None:
            self.last_time: float | None = None
            self.last_tokens = 0.0

        def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            self.last_time, self.last_tokens = time.perf_counter(), 0.0

        def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            if tick is not None:
                tick(state.global_step, state.max_steps)

        def on_log(self, args: Any, state: Any, control: Any, logs: dict[str, Any] | None = None,
                   **kwargs: Any) -> None:
            logs = logs or {}
            if "eval_loss" in logs:
                report("eval", state.global_step, {"eval_loss": logs["eval_loss"], "epoch": logs.get("epoch")})
                return
            if "loss" not in logs:
                return
            values = {name: logs[key] for key, name in _TRAIN_KEYS.items() if key in logs}
            now = time.perf_counter()
            tokens = float(logs.get("num_tokens", 0.0))
            if self.last_time is not None and tokens > self.last_tokens and now > self.last_time:
                values["tokens_per_s"] = round((tokens - self.last_tokens) / (now - self.last_time), 1)
            self.last_time, self.last_tokens = now, tokens
            memory = peak_memory_gib()
            if memory is not None:
                values["gpu_memory_gib"] = memory
            report("train", state.global_step, values)

    return MetricsCallback()


def peak_memory_gib() -> float | None:
    """Peak GPU memory allocated so far, in GiB (None without CUDA)."""
    import torch

    if not torch.cuda.is_available():
        return None
    return round(torch.cuda.max_memory_allocated() / 2**30, 2)
