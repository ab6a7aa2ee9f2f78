"""The real CPU run: SmolLM2-135M-Instruct, LoRA, a few steps on the bundled roleplay example.

It lowers the training loss, saves an adapter that reloads and generates, and is recorded in the
workspace with its dataset version and per-step metrics.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.train.conftest import EXAMPLE

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def trained(smollm2_gguf, smollm2_folder, model_cache, tmp_path_factory):
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from threadsmith.train import TrainConfig, train
    from threadsmith.train.config import LoraSettings
    from threadsmith.workspace import Workspace

    root = tmp_path_factory.mktemp("train-run")
    subset = root / "lighthouse.jsonl"  # 6 conversations: 4 to train (seen twice in 8 steps), 2 held out
    subset.write_text("".join(EXAMPLE.read_text(encoding="utf-8").splitlines(keepends=True)[:6]), encoding="utf-8")
    with Workspace.open(root / "ws") as ws:
        ws.import_files([subset], dataset="lighthouse")
    # CPU budget: batch 1 x 448 tokens (system prompts are ~350), adapters on the top 4 of 30 layers only,
    # so the backward pass stops there.
    lora = LoraSettings(r=8, layers=(26, 27, 28, 29))  # every projection of those layers
    config = TrainConfig(model=str(smollm2_gguf), dataset="lighthouse", version="latest", workspace=str(root / "ws"),
                         method="lora", learning_rate=5e-3, lora=lora, max_steps=8, batch_size=1, max_length=448,
                         logging_steps=1, validation=2, early_stopping=None, eval_steps=100, warmup_ratio=0.0,
                         scheduler="constant", long="truncate")  # one row per conversation: two clean epochs
    reports = []
    result = train(config, cache_dir=str(model_cache), report=lambda kind, step, values: reports.append((kind, step, values)))
    return result, reports, root


def test_training_lowers_the_loss(trained):
    result, reports, _ = trained
    losses = [values["loss"] for kind, _, values in reports if kind == "train"]
    assert len(losses) == 8
    # 4 training conversations, one per step: steps 1-4 and 5-8 are two epochs over the same rows
    assert sum(losses[4:]) / 4 < sum(losses[:4]) / 4 - 0.05, losses
    assert result.summary["eval_loss"] is not None
    assert result.plan.train.input_ids and len(result.plan.train.input_ids) == 4
    assert result.plan.precision == "fp32" and result.plan.gradient_checkpointing is False


def test_the_run_is_recorded_with_its_dataset_version(trained):
    from threadsmith.workspace import Workspace

    result, _, root = trained
    with Workspace.open(root / "ws", create=False) as ws:
        run = ws.run(result.run)
        metrics = ws.run_metrics(result.run, "train")
        listed = ws.runs("lighthouse")
    assert run.status == "finished" and run.dataset == "lighthouse" and run.version == 1
    assert run.data["describe"] == "lighthouse@1"
    assert run.config["learning_rate"] == 5e-3 and run.config["lora"]["r"] == 8
    assert run.environment["libraries"]["trl"] and run.environment["device"].startswith("cpu")
    assert run.output == result.output and run.summary["steps"] == 8
    assert [m.step for m in metrics][:3] == [1, 2, 3] and "loss" in metrics[0].values and "lr" in metrics[0].values
    assert [r.name for r in listed] == [run.name]


def test_adapter_and_card_are_saved(trained):
    result, _, _ = trained
    adapter = Path(result.paths["adapter"])
    config = json.loads((adapter / "adapter_config.json").read_text())
    assert config["r"] == 8 and "gate_proj" in config["target_modules"] and config["layers_to_transform"] == [26, 27, 28, 29]
    card = (adapter / "README.md").read_text()
    assert "lighthouse" in card and "version 1" in card


def test_adapter_reloads_and_generates(trained, smollm2_gguf, model_cache):
    from threadsmith.train.chat import ChatModel, ChatTurn

    result, _, _ = trained
    chat = ChatModel(str(smollm2_gguf), result.paths["adapter"], cache_dir=str(model_cache))
    assert type(chat.model).__name__.startswith("Peft")
    reply = chat.reply([ChatTurn("user", "Who keeps the light?")], max_new_tokens=12)
    assert isinstance(reply, str) and reply.strip()


@pytest.mark.gpu
def test_cuda_run_picks_bf16_and_varlen_attention(smollm2_gguf, smollm2_folder, model_cache, tmp_path):
    import torch

    if not torch.cuda.is_available():
        pytest.skip("needs a CUDA GPU")
    from threadsmith.train import TrainConfig, train

    config = TrainConfig(model=str(smollm2_gguf), data=str(EXAMPLE), workspace=str(tmp_path / "none"), max_steps=4,
                         batch_size=4, logging_steps=1, validation=2, early_stopping=None, output=str(tmp_path / "out"))
    result = train(config, cache_dir=str(model_cache))
    assert result.plan.precision == "bf16" and result.plan.gradient_checkpointing is False
    assert result.plan.attention in ("flash_attention_2", "varlen")
    assert result.summary["peak_gpu_gib"] and result.summary["tokens_per_s"]


def test_chat_cli_answers_one_prompt(trained, smollm2_gguf, model_cache, monkeypatch):
    from click.testing import CliRunner

    from threadsmith.cli import cli

    result, _, _ = trained
    monkeypatch.setenv("THREADSMITH_CACHE", str(model_cache))
    out = CliRunner().invoke(cli, ["chat", "--model", str(smollm2_gguf), "--adapter", result.paths["adapter"],
                                   "--prompt", "Hello?", "--max-new-tokens", "6"])
    assert out.exit_code == 0, out.output
    assert out.output.strip()
