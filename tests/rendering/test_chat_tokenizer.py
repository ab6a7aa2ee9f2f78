"""Rendering, masks, spans and counts with the byte tokenizer (one token per byte: easy to reason about)."""

from __future__ import annotations

import pickle

import pytest

from threadsmith.rendering import RenderError, Rendered, byte_tokenizer

from .conftest import SAMPLES, conversation

TWO_EXCHANGES = conversation(("system", "Be brief."), ("user", "Hi"), ("assistant", "Hello."), ("user", "More?"),
                             ("assistant", "No."))


def _trained_text(tok, rendered: Rendered) -> str:
    return tok.tokenizer.decode([i for i, m in zip(rendered.input_ids, rendered.assistant_mask) if m],
                                skip_special_tokens=False)


def test_every_reply_and_its_end_of_turn_is_trained() -> None:
    tok = byte_tokenizer()
    rendered = tok.render(TWO_EXCHANGES)
    assert rendered.mask_source == "generation"
    assert _trained_text(tok, rendered) == "Hello.<|im_end|>No.<|im_end|>"
    assert len(rendered.assistant_mask) == len(rendered.input_ids)


def test_train_on_last_keeps_only_the_last_reply() -> None:
    tok = byte_tokenizer()
    assert _trained_text(tok, tok.render(TWO_EXCHANGES, train_on="last")) == "No.<|im_end|>"


def test_weight_zero_is_never_trained() -> None:
    tok = byte_tokenizer()
    weighted = conversation(("user", "Hi"), ("assistant", "Hello."), ("user", "More?"), ("assistant", "No."),
                            weights={3: 0})
    assert _trained_text(tok, tok.render(weighted)) == "Hello.<|im_end|>"
    assert _trained_text(tok, tok.render(weighted, train_on="last")) == "Hello.<|im_end|>"


def test_fallback_mask_without_markers_trains_content_and_end_of_turn() -> None:
    source = "{% for m in messages %}{{ '<|im_start|>' + m.role + '\n' + m.content + '<|im_end|>\n' }}{% endfor %}"
    tok = byte_tokenizer(source)
    rendered = tok.render(TWO_EXCHANGES)
    assert rendered.mask_source == "fallback"
    assert _trained_text(tok, rendered) == "Hello.<|im_end|>No.<|im_end|>"
    # same mask as the named chatml template, whose markers say the same thing
    assert rendered.assistant_mask == byte_tokenizer().render(TWO_EXCHANGES).assistant_mask


def test_spans_cover_the_text_and_counts_add_up() -> None:
    tok = byte_tokenizer()
    for sample in [TWO_EXCHANGES, *SAMPLES]:
        rendered = tok.render(sample)
        spans = rendered.spans
        assert spans[0].start == 0 and spans[-1].end == len(rendered.text)
        assert all(a.end == b.start and a.token_end == b.token_start for a, b in zip(spans, spans[1:]))
        for span, message in zip(spans, sample.messages):
            assert span.content is not None
            assert rendered.text[span.content[0]:span.content[1]] == message.text
        counts = tok.count([sample])[0]
        assert counts.per_message == tuple(s.tokens for s in spans)
        assert counts.total == len(rendered.input_ids) == sum(counts.per_message)


def test_chatml_turn_boundaries_are_after_the_end_of_turn() -> None:
    rendered = byte_tokenizer().render(TWO_EXCHANGES)
    turns = [rendered.text[s.start:s.end] for s in rendered.spans]
    assert turns[0] == "<|im_start|>system\nBe brief.<|im_end|>"
    assert turns[1] == "\n<|im_start|>user\nHi<|im_end|>"
    assert turns[-1] == "\n<|im_start|>assistant\nNo.<|im_end|>\n"


def test_trimming_templates_still_locate_content() -> None:
    tok = byte_tokenizer("llama3")
    rendered = tok.render(conversation(("user", "  padded  "), ("assistant", " reply ")))
    assert [rendered.text[a:b] for a, b in (s.content for s in rendered.spans)] == ["padded", "reply"]
    assert _trained_text(tok, rendered) == "reply<|eot_id|>"


def test_a_dropped_system_prompt_has_no_content_span() -> None:
    tok = byte_tokenizer("{% for m in messages %}{% if m.role != 'system' %}{{ m.role }}: {{ m.content }}\n"
                         "{% endif %}{% endfor %}")
    rendered = tok.render(TWO_EXCHANGES)
    assert rendered.spans[0].content is None and rendered.spans[0].tokens == 0
    assert sum(s.tokens for s in rendered.spans) == len(rendered.input_ids)


def test_render_many_puts_errors_in_place() -> None:
    tok = byte_tokenizer("mistral")
    bad = conversation(("user", "a"), ("user", "b"))
    good = conversation(("user", "a"), ("assistant", "b"))
    results = tok.render_many([good, bad, good])
    assert isinstance(results[1], RenderError) and "alternate" in str(results[1])
    assert isinstance(results[0], Rendered) and results[0] == results[2]
    with pytest.raises(RenderError):
        tok.render(bad)


def test_count_falls_back_to_bare_contents_when_the_template_refuses() -> None:
    tok = byte_tokenizer("mistral")
    counts = tok.count([conversation(("user", "abc"), ("user", "de"))])[0]
    assert not counts.templated and counts.per_message == (3, 2) and counts.total == 5


def test_pickles_and_renders_the_same() -> None:
    tok = byte_tokenizer("gemma")
    copy = pickle.loads(pickle.dumps(tok))
    assert copy.render(TWO_EXCHANGES) == tok.render(TWO_EXCHANGES)
    assert copy.template_name == "gemma" and copy.end_of_turn == "<end_of_turn>"


def test_tool_calls_reach_the_template() -> None:
    from threadsmith.model import Conversation, Message, ToolCall

    tok = byte_tokenizer("{% for m in messages %}{% for c in m.tool_calls or [] %}{{ c.function.name }}({{ "
                         "c.function.arguments }}){% endfor %}{{ m.content }}|{% endfor %}")
    call = Conversation("t", (Message("user", "w?"), Message("assistant", "", tool_calls=(ToolCall("1", "weather", "{}"),))))
    assert tok.render(call).text == "w?|weather({})|"


def test_a_sharegpt_function_call_reaches_the_template_as_a_call() -> None:
    from threadsmith.model import FUNCTION_CALL, Conversation, Message

    tok = byte_tokenizer("{% for m in messages %}{% for c in m.tool_calls or [] %}{{ c.function.name }}({{ "
                         "c.function.arguments.city }}){% endfor %}{{ m.content }}|{% endfor %}")
    value = '{"name": "weather", "arguments": {"city": "Paris"}}'
    call = Conversation("t", (Message("user", "w?"), Message("assistant", value, raw_role=FUNCTION_CALL)))
    assert tok.render(call).text == "w?|weather(Paris)|"  # arguments an object, the JSON not written as a reply


def test_the_entry_tools_reach_the_template() -> None:
    from threadsmith.model import Conversation, Message

    tok = byte_tokenizer("{% if tools %}[{% for t in tools %}{{ t.function.name }};{% endfor %}]{% endif %}"
                         "{% for m in messages %}{{ m.content }}|{% endfor %}")
    plain = Conversation("p", (Message("user", "w?"), Message("assistant", "sun")))
    defined = Conversation("t", plain.messages, metadata={"tools": '[{"name": "weather", "parameters": {}}]'})
    assert tok.render(plain).text == "w?|sun|"
    rendered = tok.render(defined)
    assert rendered.text == "[weather;]w?|sun|"  # LLaMA-Factory's JSON string, given as OpenAI's list
    assert "weather" not in _trained_text(tok, rendered) and "sun" in _trained_text(tok, rendered)


TOOL_TEMPLATE = ("{% for m in messages %}<|im_start|>{{ m.role }}\n{% if m.role == 'assistant' %}{% generation %}"
                 "{{ m.content }}{% for c in m.tool_calls or [] %}<tool_call>{\"name\": \"{{ c.function.name }}\", "
                 "\"arguments\": {{ c.function.arguments | tojson }}}</tool_call>{% endfor %}<|im_end|>"
                 "{% endgeneration %}{% else %}{{ m.content }}<|im_end|>{% endif %}\n{% endfor %}")


@pytest.mark.parametrize("dialect", ["openai", "sharegpt"])
def test_a_call_turn_owns_its_call_tokens(dialect: str) -> None:
    from threadsmith.model import FUNCTION_CALL, Conversation, Message, ToolCall

    tok = byte_tokenizer(TOOL_TEMPLATE)
    call = (Message("assistant", "", tool_calls=(ToolCall("c1", "weather", '{"city": "Oslo"}'),)) if dialect == "openai"
            else Message("assistant", '{"name": "weather", "arguments": {"city": "Oslo"}}', raw_role=FUNCTION_CALL))
    conv = Conversation("t", (Message("user", "Weather?"), call, Message("tool", "rain"), Message("assistant", "Rain.")))
    rendered = tok.render(conv)
    span = rendered.spans[1]
    assert span.content is not None  # not "left out by the template" (TM007 used to say so)
    turn = rendered.text[span.start:span.end]
    assert turn.startswith("<|im_start|>assistant\n") and '"arguments": {"city": "Oslo"}}</tool_call><|im_end|>' in turn
    assert span.trained is not None and "tool_call" in rendered.text[span.trained[0]:span.trained[1]]
    assert rendered.text[rendered.spans[2].start:rendered.spans[2].end].strip() == "<|im_start|>tool\nrain<|im_end|>"
