"""The Liger kernel option: config and flag names, when it turns on, and what reaches TRL's SFTConfig (CPU)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from click.testing import CliRunner

from threadsmith.errors import UserError
from threadsmith.train.config import TrainConfig, from_mapping
from threadsmith.train.data import Examples
from threadsmith.train.trainer import Plan, choose_liger, sft_arguments


def plan(*, liger: bool, device: str = "cuda:NVIDIA H100 x1") -> Plan:
    return Plan("m", device, "bf16", "sdpa", False, 512, Examples(((1, 2),), ((0, 1),), 0), None, (), liger)


def test_config_keys_and_default():
    assert TrainConfig().use_liger_kernel is False
    assert from_mapping({"model": "m", "use-liger-kernel": True}).use_liger_kernel is True
    assert from_mapping({"model": "m", "liger": True}).use_liger_kernel is True
    assert TrainConfig().overridden(use_liger_kernel=True).to_dict()["use_liger_kernel"] is True


def test_liger_turns_on_only_on_cuda_with_the_package(monkeypatch):
    assert choose_liger(False, cuda=True) == (False, None)
    on_cpu, note = choose_liger(True, cuda=False)
    assert on_cpu is False and "no CUDA GPU" in note and "without them" in note
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "liger_kernel" else real(name, *a))
    with pytest.raises(UserError) as caught:
        choose_liger(True, cuda=True)
    assert "liger-kernel package is not installed" in str(caught.value) and "pip install liger-kernel" in caught.value.hint
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: object() if name == "liger_kernel" else real(name, *a))
    assert choose_liger(True, cuda=True) == (True, None)


def test_sft_config_receives_use_liger_kernel(tmp_path: Path):
    assert sft_arguments(TrainConfig(model="m"), plan(liger=True), tmp_path)["use_liger_kernel"] is True
    assert sft_arguments(TrainConfig(model="m"), plan(liger=False), tmp_path)["use_liger_kernel"] is False
    trl = pytest.importorskip("trl")
    args = sft_arguments(TrainConfig(model="m", early_stopping=None), plan(liger=False, device="cpu (2 cores)"),
                         tmp_path)
    assert trl.SFTConfig(**args).use_liger_kernel is False  # the keyword is one TRL's SFTConfig knows
    assert "use_liger_kernel" in {f.name for f in __import__("dataclasses").fields(trl.SFTConfig)}


def test_cli_flag_reaches_the_config(monkeypatch, tmp_path: Path):
    from threadsmith import train as train_package
    from threadsmith.cli import cli

    seen: dict = {}

    def fake_train(config, **kwargs):
        seen["config"] = config
        raise UserError("stop here")

    monkeypatch.setattr(train_package.trainer, "train", fake_train)
    result = CliRunner().invoke(cli, ["train", "--model", "m", "--data", str(tmp_path / "x.jsonl"), "--liger",
                                      "--long", "drop"])
    assert result.exit_code == 2 and "stop here" in result.output
    assert seen["config"].use_liger_kernel is True and seen["config"].long == "drop"
