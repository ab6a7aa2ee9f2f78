"""One training run: data -> tokens and loss masks -> TRL's SFTTrainer (+ PEFT) -> adapter, card, recorded run.

::

    from threadsmith.train import TrainConfig, train
    result = train(TrainConfig(model="model.gguf", dataset="chats", version="v2", workspace="ws"))
    print(result.run, result.paths["adapter"], result.summary["eval_loss"])

Choices made from the machine and the data (each can be forced in the config):

- precision: bf16 on GPUs that support it, else fp16 on CUDA, fp32 on CPU;
- max length: covers 98% of the conversations' real token counts (rounded up to 64), capped by
  the model's context window;
- attention: flash-attention's variable-length kernel when packing on CUDA (no cross-document
  attention, no dense mask), else PyTorch SDPA (see :mod:`threadsmith.train.attention`);
- gradient checkpointing: only when the activations estimated for one step would not fit in
  60% of the free GPU memory (it costs ~20-30% speed; TRL turns it on by default);
- packing: best-fit decreasing into rows of max length, padding-free (TRL ``bfd``);
- long conversations: split into windows that keep the system prompt (``long``, see
  :mod:`threadsmith.train.windowing`);
- Liger's kernels: only when asked for, on CUDA with liger-kernel installed (:func:`choose_liger`).
"""

from __future__ import annotations

import math
import os
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from threadsmith.errors import UserError
from threadsmith.model import Conversation
from threadsmith.train import attention
from threadsmith.train.config import TrainConfig, choose_max_length, target_modules_for, validate
from threadsmith.train.data import DataSource, Examples, chat_tokenizer, encode, from_file, split
from threadsmith.train.models import hide_peft_renames, load_model, load_tokenizer, require, resolve_model
from threadsmith.train.outputs import device_name, environment, model_card, save_outputs
from threadsmith.train.progress import MetricsReport, ProgressTick, metrics_callback
from threadsmith.train.recorder import Recorder
from threadsmith.train.windowing import fit_to_length

OOM_HINT = ("Lower --batch-size (and raise --gradient-accumulation to keep the effective batch), lower "
            "--max-length, set gradient-checkpointing = \"on\", or use --method qlora / lora instead of full.")


class TrainingFailed(UserError):
    """Raised when a run starts but cannot finish (out of memory, a diverging loss, a bad model)."""


@dataclass(frozen=True, slots=True)
class Plan:
    """What the run will do, decided from the config, the machine and the data."""

    model_path: str
    device: str
    precision: str
    attention: str
    gradient_checkpointing: bool
    max_length: int
    train: Examples
    eval: Examples | None
    warnings: tuple[str, ...] = ()
    #: Liger's kernels on (asked for, on CUDA, with liger-kernel installed).
    liger: bool = False


@dataclass(frozen=True, slots=True)
class TrainResult:
    """A finished run: its name in the workspace (None when not recorded), output folder, files and figures."""

    run: str | None
    output: str
    paths: dict[str, str]
    summary: dict[str, Any]
    source: DataSource
    plan: Plan
    warnings: tuple[str, ...] = field(default_factory=tuple)


def train(config: TrainConfig, *, report: MetricsReport | None = None, tick: ProgressTick | None = None,
          cache_dir: str | None = None) -> TrainResult:
    """Train as ``config`` says; the run is recorded in the workspace when there is one."""
    config = validate(config)
    if int(os.environ.get("WORLD_SIZE", "1")) > 1 and not config.output:
        raise UserError("A distributed run (accelerate launch) needs an output folder every process agrees on.",
                        hint="Pass --output DIR (or set output in the training config).")
    for package in ("torch", "transformers", "trl", "peft", "datasets", "accelerate"):
        require(package)
    recorder = Recorder.open(config)
    try:
        return _train(config, recorder, report, tick, cache_dir)
    finally:
        recorder.close()


def _train(config: TrainConfig, recorder: Recorder, report: MetricsReport | None, tick: ProgressTick | None,
           cache_dir: str | None) -> TrainResult:
    conversations, held_out, source = load_data(config, recorder)
    plan = make_plan(config, resolve_model(config.model, cache_dir=cache_dir), conversations, held_out)
    run = recorder.start(source, config, plan, environment(plan.device))
    output = Path(config.output or recorder.default_output(run)).expanduser()
    collected: list[tuple[str, int, dict[str, Any]]] = []

    def on_metrics(kind: str, step: int, values: dict[str, Any]) -> None:
        collected.append((kind, step, values))
        recorder.metrics(kind, step, values)
        if report is not None:
            report(kind, step, values)

    started = time.perf_counter()
    try:
        trainer, tokenizer = build_trainer(config, plan, output, metrics_callback(on_metrics, tick))
        run_training(trainer, has_eval=plan.eval is not None)
        summary = summarize(collected, time.perf_counter() - started, plan)
        paths = save_outputs(trainer, tokenizer, output, merge=config.merge, method=config.method)
    except BaseException as exc:
        recorder.fail(exc)
        raise
    card = model_card(config, source, summary, run)
    for folder in paths.values():
        Path(folder, "README.md").write_text(card, encoding="utf-8")
    recorder.finish(str(output), summary)
    return TrainResult(run, str(output), paths, summary, source, plan, tuple(config.warnings()) + plan.warnings)


def load_data(config: TrainConfig, recorder: Recorder) -> tuple[list[Conversation], list[Conversation] | None,
                                                                  DataSource]:
    """The conversations to train on (and a held-out set the source itself provides)."""
    if config.dataset:
        return recorder.conversations(config.dataset, config.version)
    if config.data:
        return from_file(config.data)
    raise UserError("No training data given.",
                    hint="Pass --dataset NAME (a workspace dataset, with --version) or --data FILE (JSONL or an "
                         "export manifest.json).")


def make_plan(config: TrainConfig, model_path: str, conversations: list[Conversation],
              held_out: list[Conversation] | None) -> Plan:
    """Decide device, precision, attention, max length and checkpointing; tokenize the data."""
    torch = require("torch")
    transformers = require("transformers")
    cuda = bool(torch.cuda.is_available())
    model_config = transformers.AutoConfig.from_pretrained(model_path)
    train_set, eval_set = (conversations, held_out) if held_out is not None else split(
        conversations, config.validation, config.seed)
    chat = chat_tokenizer(model_path)
    train_examples = encode(chat, train_set, assistant_only=config.assistant_only_loss)
    if not train_examples.input_ids:
        raise UserError(f"No conversation of the {len(train_set)} given has a token to train on.",
                        hint="Check that the data has assistant turns (threadsmith audit), or set "
                             "assistant-only-loss = false.")
    context = getattr(model_config, "max_position_embeddings", None)
    max_length = config.max_length or choose_max_length(train_examples.lengths, context=context)
    precision = choose_precision(config.precision, cuda, torch)
    notes: list[str] = []
    if train_examples.skipped:
        notes.append(f"{train_examples.skipped} conversations left out: the chat template refused them or "
                        f"they have no trained token.")
    fitted = fit_to_length(train_examples, train_set, max_length, mode=config.long, chat=chat,
                           assistant_only=config.assistant_only_loss)
    kept = fitted.examples
    if not kept.input_ids:
        raise UserError(f"At max-length {max_length} no conversation keeps a trained token (long = {config.long}).",
                        hint="Raise --max-length, use --long window, or shorten system prompts.")
    notes.extend(fitted.notes(max_length))
    evaluated = None
    if eval_set:
        eval_examples = encode(chat, eval_set, assistant_only=config.assistant_only_loss)
        evaluated = fit_to_length(eval_examples, eval_set, max_length, mode=config.long, chat=chat,
                                  assistant_only=config.assistant_only_loss).examples
    liger, liger_note = choose_liger(config.use_liger_kernel, cuda)
    notes.extend([liger_note] if liger_note else [])
    return Plan(model_path, device_name(), precision,
                attention.choose(config.attention, cuda=cuda, packing=config.packing),
                choose_checkpointing(config, model_config, max_length, precision, cuda, torch), max_length, kept,
                evaluated if evaluated and evaluated.input_ids else None, tuple(notes), liger)


def choose_liger(requested: bool, cuda: bool) -> tuple[bool, str | None]:
    """Whether to turn on Liger's kernels, and a note when asked for but off (no GPU).

    Raises UserError on a GPU without the liger-kernel package (asked for explicitly, so not ignored).
    """
    if not requested:
        return False, None
    if not cuda:
        return False, ("use-liger-kernel is on but there is no CUDA GPU: Liger's Triton kernels run on GPUs only, "
                       "so this run trains without them.")
    import importlib.util

    if importlib.util.find_spec("liger_kernel") is None:
        raise UserError("use-liger-kernel is on but the liger-kernel package is not installed.",
                        hint="pip install liger-kernel (it brings Triton), or drop --liger.")
    return True, None


def choose_precision(requested: str, cuda: bool, torch: Any) -> str:
    """bf16 where the GPU supports it, else fp16 on CUDA; fp32 on CPU."""
    if requested == "fp16" and not cuda:
        raise UserError("fp16 training needs a CUDA GPU.", hint="Use precision = \"fp32\" or \"bf16\" on CPU.")
    if requested != "auto":
        return requested
    if cuda:
        return "bf16" if torch.cuda.is_bf16_supported() else "fp16"
    return "fp32"


def choose_checkpointing(config: TrainConfig, model_config: Any, max_length: int, precision: str, cuda: bool,
                         torch: Any) -> bool:
    """On when asked; with ``auto``, only when one step's estimated activations exceed 60% of free GPU memory.

    Estimate per token and layer: ``(10 * hidden + 3 * intermediate) * bytes`` (the inputs the
    backward pass keeps for attention, norms and the gated MLP).
    """
    if config.gradient_checkpointing != "auto":
        return config.gradient_checkpointing == "on"
    if not cuda:
        return False
    hidden = getattr(model_config, "hidden_size", 4096)
    intermediate = getattr(model_config, "intermediate_size", None) or 4 * hidden
    layers = getattr(model_config, "num_hidden_layers", 32)
    width = 4 if precision == "fp32" else 2
    need = config.batch_size * max_length * layers * (10 * hidden + 3 * intermediate) * width
    free, _ = torch.cuda.mem_get_info()
    return need > 0.6 * free


def build_trainer(config: TrainConfig, plan: Plan, output: Path, callback: Any) -> tuple[Any, Any]:
    """TRL's SFTTrainer over the tokenized data, with a PEFT adapter unless the method is ``full``."""
    trl = require("trl")
    tokenizer = load_tokenizer(plan.model_path)
    load_dtype = plan.precision if config.method != "full" else "fp32"
    model = load_model(plan.model_path, method=config.method, dtype=load_dtype, attention=plan.attention)
    peft_config = None
    if config.method != "full":
        peft = require("peft")
        if config.method == "qlora":
            model = peft.prepare_model_for_kbit_training(model, use_gradient_checkpointing=plan.gradient_checkpointing)
        peft_config = peft.LoraConfig(
            r=config.lora.r, lora_alpha=config.lora.scale_alpha, lora_dropout=config.lora.dropout,
            target_modules=target_modules_for(model.config.model_type, config.lora), task_type="CAUSAL_LM",
            layers_to_transform=list(config.lora.layers) if config.lora.layers else None)
    args = trl.SFTConfig(**sft_arguments(config, plan, output))
    callbacks = [callback]
    if plan.eval is not None and config.early_stopping:
        from transformers import EarlyStoppingCallback

        callbacks.append(EarlyStoppingCallback(early_stopping_patience=config.early_stopping))
    with warnings.catch_warnings():
        # TRL 1.16 marks use_liger_kernel deprecated in favour of Hub kernels, which need a download
        warnings.filterwarnings("ignore", message=".*use_liger_kernel.*", category=FutureWarning)
        hide_peft_renames()
        trainer = trl.SFTTrainer(model=model, args=args, train_dataset=plan.train.to_dataset(),
                                 eval_dataset=plan.eval.to_dataset() if plan.eval is not None else None,
                                 processing_class=tokenizer, peft_config=peft_config, callbacks=callbacks)
    return trainer, tokenizer


def sft_arguments(config: TrainConfig, plan: Plan, output: Path) -> dict[str, Any]:
    """SFTConfig keyword arguments: the stock defaults changed where they cost speed or correctness."""
    cuda = plan.device.startswith("cuda")
    evaluating = plan.eval is not None
    every = config.eval_steps or 0.1
    best = evaluating and bool(config.early_stopping)
    return {
        "output_dir": str(output / "checkpoints"), "seed": config.seed, "data_seed": config.seed,
        "learning_rate": config.lr, "lr_scheduler_type": config.scheduler, "warmup_steps": config.warmup_ratio,
        "weight_decay": config.weight_decay, "num_train_epochs": config.epochs,
        "max_steps": config.max_steps if config.max_steps is not None else -1,
        "per_device_train_batch_size": config.batch_size, "per_device_eval_batch_size": config.batch_size,
        "gradient_accumulation_steps": config.gradient_accumulation,
        "max_length": plan.max_length, "packing": config.packing, "packing_strategy": "bfd",
        "bf16": plan.precision == "bf16", "fp16": plan.precision == "fp16", "tf32": True if cuda else None,
        "use_cpu": not cuda and plan.device.startswith("cpu"),
        "activation_checkpointing": plan.gradient_checkpointing,
        "optim": "adamw_torch_fused" if cuda else "adamw_torch",
        "logging_steps": config.logging_steps, "logging_first_step": True, "report_to": "none", "disable_tqdm": True,
        "eval_strategy": "steps" if evaluating else "no", "eval_steps": every if evaluating else None,
        "save_strategy": "steps" if best else "no", "save_steps": every if best else None,
        "save_only_model": True, "save_total_limit": 2 if best else None,
        "load_best_model_at_end": best, "metric_for_best_model": "eval_loss" if best else None,
        "dataloader_pin_memory": cuda, "shuffle_dataset": True,
        "use_liger_kernel": plan.liger,
    }


def run_training(trainer: Any, *, has_eval: bool) -> None:
    """``trainer.train()`` (and a final evaluation), with out-of-memory and divergence turned into clear errors."""
    torch = require("torch")
    try:
        output = trainer.train()
        if has_eval and not any("eval_loss" in row for row in trainer.state.log_history[-2:]):
            trainer.evaluate()
    except torch.OutOfMemoryError:
        raise TrainingFailed("The GPU ran out of memory during training.", hint=OOM_HINT) from None
    if output is not None and not math.isfinite(getattr(output, "training_loss", 0.0)):
        raise TrainingFailed("The training loss diverged (NaN or infinity).",
                             hint="Lower the learning rate, or use bf16 instead of fp16.")


def summarize(collected: list[tuple[str, int, dict[str, Any]]], seconds: float, plan: Plan) -> dict[str, Any]:
    """The run's headline figures from its logged metrics."""
    train_rows = [values for kind, _, values in collected if kind == "train" and "loss" in values]
    eval_rows = [values for kind, _, values in collected if kind == "eval"]
    speeds = [values["tokens_per_s"] for values in train_rows if "tokens_per_s" in values]
    memory = [values["gpu_memory_gib"] for values in train_rows if "gpu_memory_gib" in values]
    steps = [step for kind, step, _ in collected if kind == "train"]
    return {
        "steps": max(steps) if steps else 0,
        "first_loss": round(train_rows[0]["loss"], 4) if train_rows else None,
        "final_loss": round(train_rows[-1]["loss"], 4) if train_rows else None,
        "eval_loss": round(eval_rows[-1]["eval_loss"], 4) if eval_rows else None,
        "tokens_per_s": round(sum(speeds) / len(speeds), 1) if speeds else None,
        "peak_gpu_gib": max(memory) if memory else None,
        "seconds": round(seconds, 1), "max_length": plan.max_length,
        "train_examples": len(plan.train.input_ids), "eval_examples": len(plan.eval.input_ids) if plan.eval else 0,
        "precision": plan.precision, "attention": plan.attention,
        "gradient_checkpointing": plan.gradient_checkpointing,
    }

