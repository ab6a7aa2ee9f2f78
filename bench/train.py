"""Training speed: TRL's SFTTrainer with its default settings vs `threadsmith train`'s settings, in one run.

    python bench/train.py             # CUDA: 340M Llama-shaped model, 2,048-token packed rows, batch 8
    python bench/train.py --tiny      # CPU: a tiny model, same comparison in about a minute
    python bench/train.py --steps 60 --json results.json

Same model (built from a config with random weights, seeded), same tokenized data, same
LoRA (r=16 on every projection), same learning rate, seed and number of steps; the only
difference is the trainer settings:

- stock: ``SFTConfig(packing=True, max_length=2048, per_device_train_batch_size=8, ...)`` with
  everything else at TRL's defaults (gradient checkpointing on, SDPA attention, which turns
  the packed batch's document boundaries into a dense mask over the flattened batch);
- threadsmith: the arguments ``threadsmith train`` passes (threadsmith.train.trainer.sft_arguments):
  no gradient checkpointing when memory allows, variable-length flash attention for packed rows
  (flash-attn's kernel, else PyTorch's ``varlen_attn``), fused AdamW, TF32, and on CUDA with the
  ``liger-kernel`` package installed Liger's RMSNorm / RoPE / SwiGLU kernels (``use_liger_kernel``,
  what ``threadsmith train --liger`` turns on; ``--no-liger`` measures without them).

Data: synthetic token conversations (no tokenizer or download needed): turns drawn from a fixed
pool of "phrases" (so there is structure to learn), conversation lengths log-normal (median ~600
tokens, capped at the row length), assistant turns trained. Prints tokens/s (timed after warm-up
steps, device synchronised), peak GPU memory and final validation loss for each, and the ratio.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

FULL = {"hidden": 1024, "layers": 24, "heads": 16, "intermediate": 2816, "vocab": 32000, "length": 2048, "batch": 8,
        "steps": 30, "warmup": 5, "examples": 2400}
TINY = {"hidden": 128, "layers": 2, "heads": 4, "intermediate": 344, "vocab": 2048, "length": 256, "batch": 4,
        "steps": 12, "warmup": 2, "examples": 300}


def synthetic_examples(count: int, vocab: int, max_length: int, seed: int) -> dict[str, list[list[int]]]:
    """Token conversations with assistant masks: user and assistant turns built from a pool of phrases."""
    rng = random.Random(seed)
    phrases = [[rng.randrange(16, vocab) for _ in range(rng.randint(3, 12))] for _ in range(2000)]
    ids, masks = [], []
    for _ in range(count):
        target = min(max_length, max(32, int(rng.lognormvariate(6.4, 0.6))))
        row, mask, speaker = [1], [0], 0
        while len(row) < target:
            turn = [2 + speaker]
            for _ in range(rng.randint(2, 20)):
                turn += phrases[min(len(phrases) - 1, int(rng.paretovariate(1.2)) - 1 + rng.randrange(50))]
            turn.append(3 - speaker + 2)
            row += turn
            mask += [speaker] * len(turn)
            speaker = 1 - speaker
        ids.append(row[:target])
        masks.append(mask[:target])
    return {"input_ids": ids, "assistant_masks": masks}


def build_model(shape: dict, attention: str, dtype):
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    config = LlamaConfig(hidden_size=shape["hidden"], num_hidden_layers=shape["layers"],
                         num_attention_heads=shape["heads"], num_key_value_heads=shape["heads"],
                         intermediate_size=shape["intermediate"], vocab_size=shape["vocab"],
                         max_position_embeddings=shape["length"], tie_word_embeddings=True, pad_token_id=0,
                         bos_token_id=1, eos_token_id=5)
    config._attn_implementation = attention
    return LlamaForCausalLM(config).to(dtype)


def tokenizer_for(vocab: int, folder: str):
    """A stand-in tokenizer (the data is already tokenized; the trainer only needs pad/eos ids)."""
    from tokenizers import Tokenizer, models
    from transformers import PreTrainedTokenizerFast

    raw = Tokenizer(models.WordLevel({f"t{i}": i for i in range(vocab)}, unk_token="t0"))
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=raw, pad_token="t0", eos_token="t5", bos_token="t1")
    tokenizer.save_pretrained(folder)
    return tokenizer


def timing_callback(trainer_box: list, warmup: int, cuda: bool):
    import torch
    from transformers import TrainerCallback

    class Timing(TrainerCallback):
        def __init__(self):
            self.start = self.end = None
            self.tokens_start = self.tokens_end = 0

        def _mark(self):
            if cuda:
                torch.cuda.synchronize()
            return time.perf_counter(), time.process_time(), trainer_box[0]._total_train_tokens

        def on_step_end(self, args, state, control, **kwargs):
            if state.global_step == warmup:
                self.start, self.cpu_start, self.tokens_start = self._mark()
            if state.global_step == state.max_steps:
                self.end, self.cpu_end, self.tokens_end = self._mark()

    return Timing()


def run_variant(name: str, shape: dict, data, eval_data, cuda: bool, workdir: str, lr: float,
                liger: bool = False) -> dict:
    import torch
    import trl
    from peft import LoraConfig

    from threadsmith.train import attention
    from threadsmith.train.config import TrainConfig
    from threadsmith.train.data import Examples
    from threadsmith.train.trainer import Plan, sft_arguments

    dtype = torch.bfloat16 if cuda else torch.float32
    common = {"max_steps": shape["steps"], "per_device_train_batch_size": shape["batch"],
              "per_device_eval_batch_size": shape["batch"], "max_length": shape["length"], "packing": True,
              "learning_rate": lr, "seed": 0, "report_to": "none", "save_strategy": "no", "eval_strategy": "no",
              "output_dir": os.path.join(workdir, name), "disable_tqdm": True}
    if name == "stock":
        model = build_model(shape, "sdpa", dtype)
        args = trl.SFTConfig(**common, **({} if cuda else {"use_cpu": True, "bf16": False}))
    else:
        chosen = attention.choose("auto", cuda=cuda, packing=True)
        model = build_model(shape, chosen, dtype)
        config = TrainConfig(model="bench", batch_size=shape["batch"], max_steps=shape["steps"], learning_rate=lr,
                             seed=0, logging_steps=10, early_stopping=None)
        plan = Plan("bench", "cuda" if cuda else "cpu", "bf16" if cuda else "fp32", chosen, False, shape["length"],
                    Examples((), (), 0), None, (), liger)
        tuned = sft_arguments(config, plan, Path(workdir, name))
        tuned.update({k: v for k, v in common.items() if k in ("max_steps", "learning_rate", "seed", "save_strategy",
                                                                 "eval_strategy", "output_dir")})
        # same schedule and data order as the stock run: only the speed-related settings differ
        tuned["warmup_steps"], tuned["lr_scheduler_type"], tuned["weight_decay"] = 0.0, "linear", 0.0
        tuned["shuffle_dataset"] = False
        tuned.pop("eval_steps", None), tuned.pop("save_steps", None)
        args = trl.SFTConfig(**tuned)
    lora = LoraConfig(r=16, lora_alpha=32, lora_dropout=0.0, task_type="CAUSAL_LM",
                      target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"])
    tokenizer = tokenizer_for(shape["vocab"], os.path.join(workdir, "tokenizer"))
    box: list = []
    timing = timing_callback(box, shape["warmup"], cuda)
    if cuda:
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()
    trainer = trl.SFTTrainer(model=model, args=args, train_dataset=data, eval_dataset=eval_data,
                             processing_class=tokenizer, peft_config=lora, callbacks=[timing])
    box.append(trainer)
    started = time.perf_counter()
    trainer.train()
    wall = time.perf_counter() - started
    eval_loss = trainer.evaluate()["eval_loss"]
    seconds = (timing.end or time.perf_counter()) - (timing.start or started)
    cpu_seconds = timing.cpu_end - timing.cpu_start if timing.start else None
    tokens = timing.tokens_end - timing.tokens_start
    result = {"variant": name, "tokens_per_s": round(tokens / seconds, 1) if seconds > 0 else None,
              "tokens_per_cpu_s": round(tokens / cpu_seconds, 1) if cpu_seconds else None,
              "timed_steps": shape["steps"] - shape["warmup"], "timed_tokens": tokens, "train_seconds": round(wall, 1),
              "peak_gpu_gib": round(torch.cuda.max_memory_allocated() / 2**30, 2) if cuda else None,
              "eval_loss": round(eval_loss, 4), "attention": model.config._attn_implementation,
              "gradient_checkpointing": bool(args.gradient_checkpointing), "bf16": bool(args.bf16),
              "liger": bool(args.use_liger_kernel)}
    del trainer, model
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tiny", action="store_true", help="CPU-sized model and data (about a minute)")
    parser.add_argument("--steps", type=int, help="optimizer steps per variant")
    parser.add_argument("--only", choices=["stock", "threadsmith"], help="run one variant")
    parser.add_argument("--lr", type=float, help="learning rate (default 1e-4; 1e-3 with --tiny)")
    parser.add_argument("--json", help="also write the results here")
    parser.add_argument("--no-liger", action="store_true",
                        help="threadsmith arm without Liger's kernels (by default on when CUDA and liger-kernel are there)")
    opts = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import datasets
    import torch

    cuda = torch.cuda.is_available()
    shape = dict(TINY if opts.tiny or not cuda else FULL)
    lr = opts.lr or (1e-3 if shape is not None and shape["hidden"] == TINY["hidden"] else 1e-4)
    if opts.steps:
        shape["steps"] = opts.steps
        shape["warmup"] = min(shape["warmup"], max(0, opts.steps - 2))
    data = datasets.Dataset.from_dict(synthetic_examples(shape["examples"], shape["vocab"], shape["length"], seed=1))
    eval_data = datasets.Dataset.from_dict(synthetic_examples(max(16, shape["examples"] // 20), shape["vocab"],
                                                              shape["length"], seed=2))
    device = torch.cuda.get_device_name(0) if cuda else f"cpu ({os.cpu_count()} cores)"
    liger = cuda and not opts.no_liger and importlib.util.find_spec("liger_kernel") is not None
    print(f"device: {device}; torch {torch.__version__}; model hidden {shape['hidden']} x {shape['layers']} layers; "
          f"rows of {shape['length']} tokens, batch {shape['batch']}, {shape['steps']} steps "
          f"({shape['warmup']} warm-up)", flush=True)
    results = []
    with tempfile.TemporaryDirectory() as workdir:
        for name in ("stock", "threadsmith"):
            if opts.only and opts.only != name:
                continue
            result = run_variant(name, shape, data, eval_data, cuda, workdir, lr, liger=liger)
            results.append(result)
            print(json.dumps(result), flush=True)
    if len(results) == 2 and results[0]["tokens_per_s"]:
        ratio = results[1]["tokens_per_s"] / results[0]["tokens_per_s"]
        print(f"threadsmith / stock tokens/s: {ratio:.2f}x; eval loss {results[1]['eval_loss']} vs "
              f"{results[0]['eval_loss']}")
    if opts.json:
        Path(opts.json).write_text(json.dumps({"device": device, "platform": platform.platform(), "shape": shape,
                                               "results": results}, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
