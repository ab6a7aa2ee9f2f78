"""Loading tokenizers from files, folders and hub ids, and choosing templates."""

from __future__ import annotations

import gzip
import json
import time
from pathlib import Path

import pytest

from threadsmith.errors import InputNotFound, UserError
from threadsmith.rendering import load_tokenizer

from .conftest import QWEN2


@pytest.fixture(scope="module")
def qwen2_json() -> str:
    if not QWEN2.is_file():
        pytest.skip(f"{QWEN2} is absent")
    return gzip.open(QWEN2).read().decode()


def test_gz_file_guesses_chatml_from_the_vocabulary(qwen2) -> None:
    tok = load_tokenizer(str(QWEN2))
    assert tok.template_name == "chatml" and tok.end_of_turn_id == tok.tokenizer.token_to_id("<|im_end|>")


def test_folder_with_tokenizer_config_uses_its_template(tmp_path: Path, qwen2_json: str) -> None:
    (tmp_path / "tokenizer.json").write_text(qwen2_json)
    own = "{% for m in messages %}{{ '<|im_start|>' + m.role + '\n' + m.content + '<|im_end|>\n' }}{% endfor %}"
    (tmp_path / "tokenizer_config.json").write_text(json.dumps(
        {"chat_template": own, "eos_token": {"content": "<|im_end|>"}, "bos_token": None}))
    tok = load_tokenizer(str(tmp_path))
    assert tok.template_name == "tokenizer" and tok.eos_token == "<|im_end|>"
    assert tok.template.source == own
    assert load_tokenizer(str(tmp_path), template="llama3").template_name == "llama3"


def test_plain_json_file_and_a_jinja_file(tmp_path: Path, qwen2_json: str) -> None:
    path = tmp_path / "tok.json"
    path.write_text(qwen2_json)
    jinja = tmp_path / "mine.jinja"
    jinja.write_text("{% for m in messages %}{{ m.content }}<|im_end|>{% endfor %}")
    tok = load_tokenizer(str(path), template=str(jinja))
    assert tok.template_name == str(jinja) and tok.end_of_turn == "<|im_end|>"


def test_missing_path_is_a_clear_error() -> None:
    with pytest.raises(InputNotFound, match="neither a file"):
        load_tokenizer("./no/such/tokenizer.json")


def test_not_a_tokenizer(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text("{}")
    with pytest.raises(UserError, match="not a Hugging Face tokenizer.json"):
        load_tokenizer(str(path))


def test_unknown_template_name(qwen2) -> None:
    with pytest.raises(UserError, match="neither a named template nor a file"):
        load_tokenizer(str(QWEN2), template="vicuna")


def test_template_tokenizer_without_one_is_refused(qwen2) -> None:
    with pytest.raises(UserError, match="no chat template of its own"):
        load_tokenizer(str(QWEN2), template="tokenizer")


def test_hub_id_offline_fails_fast(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("transformers")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    started = time.monotonic()
    with pytest.raises(UserError, match="offline"):
        load_tokenizer("threadsmith-test/no-such-model")
    assert time.monotonic() - started < 30  # importing transformers is most of it; no network wait
