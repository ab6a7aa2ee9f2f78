"""Cross-check: our masks equal transformers' return_assistant_tokens_mask, on real tokenizers."""

from __future__ import annotations

import pytest

from threadsmith.rendering import NAMED, ChatTokenizer, named_template, template_message

from .conftest import SAMPLES, conversation

transformers = pytest.importorskip("transformers", reason="the cross-check needs transformers")


def _hf(tokenizer):
    return transformers.PreTrainedTokenizerFast(tokenizer_object=tokenizer)


def _expected(hf, source: str, sample):
    out = hf.apply_chat_template([template_message(m) for m in sample.messages], chat_template=source,
                                 tokenize=True, return_dict=True, return_assistant_tokens_mask=True)
    return out["input_ids"], out["assistant_masks"]


@pytest.mark.parametrize("name", sorted(NAMED))
def test_named_templates_on_qwen2_match_transformers(qwen2, name: str) -> None:
    tok = ChatTokenizer(qwen2.tokenizer, named_template(name), name="qwen2")
    hf = _hf(tok.tokenizer)
    for sample in SAMPLES:
        rendered = tok.render(sample)
        ids, mask = _expected(hf, tok.template.source, sample)
        assert rendered.input_ids == ids
        assert rendered.assistant_mask == mask
        assert rendered.trained_tokens > 0


def test_smollm2_gguf_loads_offline_with_its_own_template(smollm2) -> None:
    assert smollm2.template_name == "tokenizer"
    assert not smollm2.template.has_generation_markers  # SmolLM2's own template: the fallback mask
    assert smollm2.end_of_turn == "<|im_end|>" and smollm2.end_of_turn_id is not None
    rendered = smollm2.render(conversation(("user", "Hi"), ("assistant", "Hello!")))
    assert rendered.mask_source == "fallback"
    # SmolLM2's template adds its own system prompt when the conversation has none
    assert rendered.text.startswith("<|im_start|>system\nYou are a helpful AI assistant named SmolLM")


def test_smollm2_fallback_mask_equals_the_marked_chatml_mask_in_transformers(smollm2) -> None:
    hf = _hf(smollm2.tokenizer)
    chatml = NAMED and load_chatml_source()
    for sample in SAMPLES[1:2] + [conversation(("system", "Be brief."), ("user", "Hi"), ("assistant", "Hello!"))]:
        rendered = smollm2.render(sample)  # own template, no markers: the fallback
        ids, mask = _expected(hf, chatml, sample)  # same text (a system prompt is given), markers
        assert rendered.input_ids == ids
        assert rendered.assistant_mask == mask


def test_smollm2_with_a_named_template_matches_transformers(smollm2) -> None:
    tok = ChatTokenizer(smollm2.tokenizer, named_template("chatml"), name="smollm2")
    hf = _hf(tok.tokenizer)
    for sample in SAMPLES:
        rendered = tok.render(sample)
        assert (rendered.input_ids, rendered.assistant_mask) == _expected(hf, tok.template.source, sample)


def load_chatml_source() -> str:
    from threadsmith.rendering.chat_template import named_source

    return named_source("chatml")
