"""Named templates, user templates, generation spans and template errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from threadsmith.errors import UserError
from threadsmith.rendering import NAMED, RenderError, byte_tokenizer, named_template
from threadsmith.rendering.chat_template import file_template, guess_end_of_turn

from .conftest import conversation

MESSAGES = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello."}]


@pytest.mark.parametrize("name", sorted(NAMED))
def test_every_named_template_marks_the_reply_and_its_end_of_turn(name: str) -> None:
    template = named_template(name)
    assert template.has_generation_markers
    text, spans = template.render(MESSAGES)
    assert [text[a:b] for a, b in spans] == ["Hello." + NAMED[name].end_of_turn]
    assert "Hi" in text


def test_chatml_renders_exactly_and_adds_the_generation_prompt_on_request() -> None:
    text, _ = named_template("chatml").render(MESSAGES, add_generation_prompt=True)
    assert text == ("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello.<|im_end|>\n"
                    "<|im_start|>assistant\n")


@pytest.mark.parametrize("name", ["mistral", "gemma"])
def test_alternating_templates_refuse_two_user_turns(name: str) -> None:
    with pytest.raises(RenderError, match="must alternate"):
        named_template(name).render([{"role": "user", "content": "a"}, {"role": "user", "content": "b"}])


@pytest.mark.parametrize("name", ["mistral", "gemma"])
def test_system_prompt_is_folded_into_the_first_user_turn(name: str) -> None:
    text, _ = named_template(name).render([{"role": "system", "content": "Be brief."}, *MESSAGES])
    assert "Be brief.\n\nHi" in text


def test_phi3_refuses_a_tool_turn() -> None:
    with pytest.raises(RenderError, match="Only system, user and assistant"):
        named_template("phi3").render([{"role": "tool", "content": "x"}])


def test_a_user_file_template(tmp_path: Path) -> None:
    path = tmp_path / "t.jinja"
    path.write_text("{% for m in messages %}{{ m.role }}: {{ m.content }}</s>\n{% endfor %}")
    template = file_template(path)
    assert template.end_of_turn == "</s>"
    assert not template.has_generation_markers
    assert template.render(MESSAGES)[0] == "user: Hi</s>\nassistant: Hello.</s>\n"


def test_broken_jinja_is_a_clear_user_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.jinja"
    path.write_text("{% for m in messages %}")
    with pytest.raises(UserError, match="not valid Jinja"):
        file_template(path).render(MESSAGES)


def test_unknown_named_template_lists_the_names() -> None:
    with pytest.raises(UserError) as info:
        named_template("vicuna")
    assert "chatml" in (info.value.hint or "")


def test_guess_end_of_turn() -> None:
    assert guess_end_of_turn("... <|eot_id|> ...") == "<|eot_id|>"
    assert guess_end_of_turn("{{ eos_token }}", "</s>") == "</s>"
    assert guess_end_of_turn("{{ m.content }}") == ""


def test_template_variables_reach_the_template() -> None:
    tok = byte_tokenizer("{{ bos_token }}{% for m in messages %}{{ m.content }}{{ eos_token }}{% endfor %}")
    assert tok.render(conversation(("user", "a"), ("assistant", "b"))).text == "<s>a</s>b</s>"
