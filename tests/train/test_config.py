"""Training settings: files, flags, validation, learning-rate guidance, max length from token counts."""

from __future__ import annotations

import subprocess
import sys

import pytest

from threadsmith.errors import ConfigError
from threadsmith.train.config import (
    DEFAULT_LEARNING_RATE,
    TrainConfig,
    choose_max_length,
    load_train_config,
    target_modules_for,
)


def test_toml_file_with_lora_table(tmp_path):
    path = tmp_path / "train.toml"
    path.write_text('model = "m.gguf"\ndataset = "chats"\nversion = "v2"\nlearning-rate = 2e-4\n'
                    '[lora]\nr = 8\ntarget-modules = ["q_proj", "v_proj"]\n', encoding="utf-8")
    config = load_train_config(path)
    assert (config.model, config.dataset, config.version, config.lr) == ("m.gguf", "chats", "v2", 2e-4)
    assert config.lora.r == 8 and config.lora.scale_alpha == 16
    assert config.lora.target_modules == ("q_proj", "v_proj")
    assert config.path == str(path)


def test_yaml_file_and_train_table(tmp_path):
    path = tmp_path / "train.yaml"
    path.write_text("train:\n  model: org/model\n  data: chats.jsonl\n  method: full\n  epochs: 1\n", encoding="utf-8")
    config = load_train_config(path)
    assert (config.model, config.data, config.method, config.epochs) == ("org/model", "chats.jsonl", "full", 1)
    assert config.lr == DEFAULT_LEARNING_RATE["full"] == 1e-5


def test_flags_override_the_file(tmp_path):
    path = tmp_path / "train.toml"
    path.write_text('model = "a"\nmethod = "lora"\n[lora]\nr = 8\n', encoding="utf-8")
    config = load_train_config(path).overridden(model="b", lora_r=32, epochs=None, learning_rate=None)
    assert (config.model, config.lora.r, config.epochs) == ("b", 32, 2.0)


@pytest.mark.parametrize(("text", "words"), [
    ('method = "sgd"', "method"),
    ("learning-rate = 3", "learning-rate"),
    ("[lora]\nr = 0", "lora.r"),
    ("unknown-key = 1", "unknown-key"),
    ("[lora]\nrank = 4", "lora.rank"),
    ('dataset = "a"\ndata = "b.jsonl"', "not both"),
])
def test_bad_settings_name_the_key_and_file(tmp_path, text, words):
    path = tmp_path / "train.toml"
    path.write_text(text + "\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_train_config(path)
    assert words in str(caught.value)


def test_unparsable_file_is_a_config_error(tmp_path):
    path = tmp_path / "train.toml"
    path.write_text("model = \n", encoding="utf-8")
    with pytest.raises(ConfigError, match="Cannot parse"):
        load_train_config(path)


def test_learning_rate_warnings_follow_the_guidance():
    assert TrainConfig(model="m").warnings() == []
    risky = TrainConfig(model="m", method="full", learning_rate=2e-4).warnings()
    assert len(risky) == 1 and "catastrophic forgetting" in risky[0]
    assert "catastrophic forgetting" in TrainConfig(model="m", learning_rate=1e-3).warnings()[0]
    assert "barely" in TrainConfig(model="m", learning_rate=1e-7).warnings()[0]
    assert TrainConfig(model="m", method="full").lr < TrainConfig(model="m", method="lora").lr


def test_target_modules_per_architecture():
    assert "gate_proj" in target_modules_for("llama", TrainConfig().lora)
    assert target_modules_for("phi3", TrainConfig().lora)[0] == "qkv_proj"
    assert target_modules_for("some-new-arch", TrainConfig().lora) == "all-linear"
    assert target_modules_for("llama", TrainConfig(lora=TrainConfig().lora.__class__(target_modules=("q_proj",))).lora) \
        == ["q_proj"]


def test_max_length_covers_most_conversations_not_outliers():
    counts = [300] * 97 + [350, 5000, 9000]
    assert choose_max_length(counts) == 384
    assert choose_max_length(counts, context=256) == 256
    assert choose_max_length([10, 20]) == 256
    assert choose_max_length([]) == 1024


def test_importing_train_stays_light():
    code = "import sys, threadsmith.train, threadsmith.cli; print(sorted({'torch', 'transformers', 'trl'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
