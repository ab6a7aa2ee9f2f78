"""Conversations longer than max-length: windows that keep the system prompt and a correct loss mask,
truncation, dropping (byte tokenizer: one token per byte; and the real Qwen2 tokenizer when present)."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("tokenizers")

from threadsmith.errors import ConfigError  # noqa: E402
from threadsmith.model import Conversation, Message  # noqa: E402
from threadsmith.rendering import byte_tokenizer, load_tokenizer  # noqa: E402
from threadsmith.train.config import TrainConfig, from_mapping, validate  # noqa: E402
from threadsmith.train.data import encode  # noqa: E402
from threadsmith.train.windowing import fit_to_length  # noqa: E402

QWEN = Path("/work/shared/data/tokenizers/qwen2.json.gz")
SYSTEM = "You are Maren, the lighthouse keeper."


def long_conversation(turns: int = 6, key: str = "long") -> Conversation:
    messages = [Message("system", SYSTEM)]
    for i in range(turns):
        messages += [Message("user", f"Question {i}: what does the light say tonight?"),
                     Message("assistant", f"Answer {i}: it sweeps the bay twice a minute, steady and slow.")]
    return Conversation(key, tuple(messages))


SHORT = Conversation("short", (Message("user", "Hi?"), Message("assistant", "Hello.")))


def trained_text(chat, ids, mask) -> str:
    return chat.tokenizer.decode([t for t, m in zip(ids, mask) if m], skip_special_tokens=False)


@pytest.mark.parametrize("which", ["bytes", "qwen2"])
def test_windows_keep_the_system_prompt_fit_and_train_only_their_own_replies(which):
    if which == "qwen2" and not QWEN.is_file():
        pytest.skip(f"{QWEN} is absent")
    chat = byte_tokenizer("chatml") if which == "bytes" else load_tokenizer(str(QWEN), template="chatml")
    conversations = [SHORT, long_conversation()]
    examples = encode(chat, conversations)
    full = examples.lengths[1]
    max_length = full // 2 + 8
    fitted = fit_to_length(examples, conversations, max_length, mode="window", chat=chat)
    rows = fitted.examples
    assert fitted.windowed == 1 and fitted.windows >= 2 and fitted.truncated == 0 and fitted.dropped == 0
    assert rows.input_ids[0] == examples.input_ids[0] and rows.origins == (0,) + (1,) * fitted.windows
    answers = []
    for ids, mask in zip(rows.input_ids[1:], rows.masks[1:]):
        assert len(ids) <= max_length
        text = chat.tokenizer.decode(list(ids), skip_special_tokens=False)
        assert text.startswith("<|im_start|>system\n" + SYSTEM)  # every window keeps the system prompt
        trained = trained_text(chat, ids, mask)
        assert "Question" not in trained and SYSTEM not in trained  # only assistant tokens are trained ...
        window_answers = [a for a in (f"Answer {i}:" for i in range(6)) if a in text]
        assert all(a in trained for a in window_answers)  # ... all of this window's replies
        assert trained.count("<|im_end|>") == len(window_answers)  # each with its end-of-turn token
        answers += window_answers
    assert answers == [f"Answer {i}:" for i in range(6)]  # every reply trained exactly once


def test_truncate_and_drop_modes():
    chat = byte_tokenizer("chatml")
    conversations = [SHORT, long_conversation()]
    examples = encode(chat, conversations)
    max_length = examples.lengths[1] // 2
    cut = fit_to_length(examples, conversations, max_length, mode="truncate", chat=chat)
    assert cut.truncated == 1 and cut.dropped == 0 and cut.examples.lengths == [examples.lengths[0], max_length]
    assert cut.examples.input_ids[1] == examples.input_ids[1][:max_length]
    assert "Answer 5" not in chat.tokenizer.decode(list(cut.examples.input_ids[1]), skip_special_tokens=False)  # the end is lost
    dropped = fit_to_length(examples, conversations, max_length, mode="drop", chat=chat)
    assert dropped.dropped == 1 and dropped.examples.input_ids == examples.input_ids[:1]
    assert "left out (long = drop)" in dropped.notes(max_length)[0]
    same = fit_to_length(examples, conversations, 10_000, mode="window", chat=chat)
    assert same.examples == examples and same.notes(10_000) == []


def test_an_exchange_longer_than_max_length_alone_is_cut_at_the_end():
    chat = byte_tokenizer("chatml")
    huge = Conversation("huge", (Message("system", SYSTEM), Message("user", "Tell me everything."),
                                 Message("assistant", "word " * 200), Message("user", "More?"),
                                 Message("assistant", "No.")))
    examples = encode(chat, [huge])
    fitted = fit_to_length(examples, [huge], 300, mode="window", chat=chat)
    assert fitted.windowed == 1 and fitted.truncated == 1
    assert all(n <= 300 for n in fitted.examples.lengths)
    assert any(trained_text(chat, i, m) == "No.<|im_end|>" for i, m in zip(fitted.examples.input_ids,
                                                                          fitted.examples.masks))


def test_long_setting_is_validated_and_defaults_to_window():
    assert TrainConfig().long == "window"
    assert from_mapping({"model": "m", "long": "drop"}).long == "drop"
    with pytest.raises(ConfigError, match="long = 'split' is not one of window, truncate, drop"):
        validate(TrainConfig(long="split"))


@pytest.mark.slow
def test_plan_windows_the_real_roleplay_data_with_smollm2(smollm2_folder):
    """make_plan on SmolLM2's own tokenizer and template: long lighthouse conversations become windows that
    fit, each opening with the system prompt, and every assistant reply is trained in some window."""
    from tests.train.conftest import EXAMPLE
    from threadsmith.formats import read_file
    from threadsmith.train.trainer import make_plan

    conversations = [c for c in read_file(EXAMPLE) if isinstance(c, Conversation)][:6]
    config = TrainConfig(model=smollm2_folder, max_length=448, validation=0, long="window")
    plan = make_plan(config, smollm2_folder, conversations, None)
    chat = load_tokenizer(smollm2_folder)
    assert plan.train.lengths and max(plan.train.lengths) <= 448
    assert any("split into" in note for note in plan.warnings)
    replies = [m.text for c in conversations for m in c.messages if m.role == "assistant"]
    trained = [trained_text(chat, i, m) for i, m in zip(plan.train.input_ids, plan.train.masks)]
    for ids, origin in zip(plan.train.input_ids, plan.train.origins):
        system = next(m.text for m in conversations[origin].messages if m.role == "system")
        assert system[:60] in chat.tokenizer.decode(list(ids[:200]), skip_special_tokens=False)
    found = sum(any(reply[:40] in text for text in trained) for reply in replies)
    assert found >= len(replies) - 1, (found, len(replies))  # one over-long reply alone may be cut
