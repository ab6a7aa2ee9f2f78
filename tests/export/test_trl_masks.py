"""TRL's own SFT dataset preparation on threadsmith's TRL exports: its masks equal threadsmith's.

``SFTTrainer._prepare_dataset`` (trl 1.x) is what SFTTrainer runs on a dataset: it applies the
chat template with ``return_assistant_tokens_mask`` (``assistant_only_loss=True``) or builds a
completion mask (prompt-completion) and turns the mask into ``labels``. The trained tokens
(labels != -100) must be exactly those threadsmith's renderer marks, with a real Qwen2
tokenizer and the ChatML template (which has generation markers). For prompt-completion rows TRL
also trains the template's whitespace after the end-of-turn token; docs/export.md says so.
"""

from __future__ import annotations

import types
from pathlib import Path

import pytest

from tests.conftest import SHARED_DATA
from tests.export.conftest import RECORDS, synthetic, write_records
from threadsmith.export import ExportOptions, export, file_source
from threadsmith.formats import read_file

QWEN2 = SHARED_DATA / "tokenizers" / "qwen2.json.gz"
pytest.importorskip("trl", reason="the train extra (trl) is not installed")
pytest.importorskip("datasets", reason="the export extra (datasets) is not installed")
pytestmark = [pytest.mark.skipif(not QWEN2.is_file(), reason=f"{QWEN2} is absent"), pytest.mark.slow]


@pytest.fixture(scope="module")
def tokenizers():
    from transformers import PreTrainedTokenizerFast

    from threadsmith.rendering import load_tokenizer

    ours = load_tokenizer(str(QWEN2), template="chatml")
    theirs = PreTrainedTokenizerFast(tokenizer_object=ours.tokenizer, eos_token=ours.eos_token)
    theirs.chat_template = ours.template.source
    return ours, theirs


def _trl_prepare(path: Path, tokenizer, tmp_path: Path, *, prompt_completion: bool):
    import datasets
    from trl import SFTConfig, SFTTrainer

    datasets.disable_progress_bars()
    data = datasets.load_dataset("json", data_files=str(path), split="train", cache_dir=str(tmp_path / "cache"))
    args = SFTConfig(output_dir=str(tmp_path / "run"), assistant_only_loss=not prompt_completion, max_length=None,
                     dataset_num_proc=None, report_to=[], use_cpu=True, bf16=False)
    trainer = types.SimpleNamespace(chat_template=None, completion_only_loss=prompt_completion)
    return SFTTrainer._prepare_dataset(trainer, data, tokenizer, args, False, None, "train")


@pytest.mark.parametrize("target", ["trl", "trl-prompt-completion"])
def test_trl_masks_equal_threadsmith_masks(target: str, tokenizers, tmp_path: Path) -> None:
    ours, theirs = tokenizers
    out = tmp_path / target
    export(file_source(write_records(tmp_path / "c.jsonl", [*RECORDS, *synthetic(5)])), out,
           ExportOptions(target=target))
    prepared = _trl_prepare(out / "train.jsonl", theirs, tmp_path, prompt_completion=target != "trl")
    exported = [c for c in read_file(out / "train.jsonl")]
    assert len(prepared) == len(exported) == 8
    for row, conversation in zip(prepared, exported):
        rendered = ours.render(conversation, train_on="all" if target == "trl" else "last")
        assert row["input_ids"] == rendered.input_ids
        trl_mask = [int(label != -100) for label in row["labels"]]
        assert sum(trl_mask) > 0
        if target == "trl":
            assert trl_mask == rendered.assistant_mask, conversation.id
            continue
        # Prompt-completion: TRL trains everything after the prompt, so also the template's text after
        # the end-of-turn token (ChatML's final newline); up to that token the masks are equal.
        last = max(i for i, m in enumerate(rendered.assistant_mask) if m)
        assert trl_mask[: last + 1] == rendered.assistant_mask[: last + 1], conversation.id
        assert theirs.decode(row["input_ids"][last + 1:]).strip() == ""
