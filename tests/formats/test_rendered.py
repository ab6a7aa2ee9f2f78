"""Conversations rendered with a chat template into one text field, read back by the template's markers."""

from __future__ import annotations

from dataclasses import replace

import pytest

from threadsmith.formats import to_record
from threadsmith.model import Conversation, Message, RecordProblem

HELLO = (Message("system", "Be kind."), Message("user", "Hi"), Message("assistant", "Hello!\n\nHow are you?"))
RENDERED = {
    "chatml": "<|im_start|>system\nBe kind.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
              "<|im_start|>assistant\nHello!\n\nHow are you?<|im_end|>\n",
    "llama3": "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe kind.<|eot_id|>"
              "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
              "<|start_header_id|>assistant<|end_header_id|>\n\nHello!\n\nHow are you?<|eot_id|>",
    "phi3": "<|system|>\nBe kind.<|end|>\n<|user|>\nHi<|end|>\n<|assistant|>\nHello!\n\nHow are you?<|end|>\n<|endoftext|>",
}
GEMMA = "<bos><start_of_turn>user\nHi<end_of_turn>\n<start_of_turn>model\nHello!\n\nHow are you?<end_of_turn>\n"


@pytest.mark.parametrize("template", sorted(RENDERED))
def test_each_template_is_read_and_written_back_byte_for_byte(read_one, template: str) -> None:
    record = {"id": "r1", "text": RENDERED[template], "source": "hub"}
    conv = read_one(record)
    assert isinstance(conv, Conversation) and conv.source.format == "rendered"
    assert conv.messages == HELLO and conv.source.hints["template"] == template
    assert to_record(conv) == record


def test_gemma_model_turns_are_the_assistant_and_keep_their_label(read_one) -> None:
    conv = read_one({"text": GEMMA})
    assert conv.roles() == ("user", "assistant") and conv.messages[1].raw_role == "model"
    assert to_record(conv)["text"] == GEMMA


def test_irregular_separators_and_an_open_last_turn_are_kept(read_one) -> None:
    text = ("<|im_start|>user\nHi<|im_end|>\n\n<|im_start|>assistant\nHello!<|im_end|><|im_start|>user\nMore?"
            "<|im_end|>\n<|im_start|>assistant\nSure, here")
    conv = read_one({"text": text})
    assert [m.text for m in conv.messages] == ["Hi", "Hello!", "More?", "Sure, here"]
    assert to_record(conv)["text"] == text
    edited = replace(conv, messages=conv.messages[:2])  # a changed conversation: the template's own separators
    assert to_record(edited)["text"] == "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello!<|im_end|>\n"


def test_other_formats_convert_to_chatml_and_back(read_one) -> None:
    conv = read_one({"messages": [{"role": "system", "content": "Be kind."}, {"role": "user", "content": "Hi"},
                                  {"role": "GPT", "content": "Hello!\n\nHow are you?"}]})
    text = to_record(conv, "rendered")["text"]
    assert text == RENDERED["chatml"]  # the role written canonically, not as the data spelled it
    assert to_record(read_one({"text": text}), "openai")["messages"][2]["role"] == "assistant"


def test_speaker_labels_map_like_other_formats(read_one) -> None:
    text = "<|im_start|>user\nHi<|im_end|>\n<|im_start|>Kai\n*waves*<|im_end|>\n<|im_start|>assistant\nOk<|im_end|>\n"
    conv = read_one({"text": text}, role_map={"Kai": "assistant"})
    assert (conv.messages[1].role, conv.messages[1].name, conv.messages[1].raw_role) == ("assistant", "Kai", "Kai")
    assert to_record(conv)["text"] == text


@pytest.mark.parametrize("text", [
    "<|im_start|>user\nHi<|im_end|>\n",  # one turn
    "<|im_start|>user\nHi<|im_end|>\n<|im_start|>system\nNo reply here<|im_end|>\n",  # no assistant turn
    "Plain prose that mentions <|im_start|> once.",
])
def test_text_that_is_not_a_rendered_conversation_is_not_read_as_one(read_one, text: str) -> None:
    item = read_one({"text": text})
    assert isinstance(item, RecordProblem) and "rendered with a chat template" in item.detail


def test_a_turn_without_its_end_marker_before_the_next_is_a_problem_with_its_place(read_one) -> None:
    item = read_one({"text": "<|im_start|>user\nHi\n<|im_start|>assistant\nHello<|im_end|>\n"})
    assert isinstance(item, RecordProblem) and "turn 0 (user) has no <|im_end|>" in item.detail


def test_transcripts_are_still_transcripts(read_one) -> None:
    assert read_one({"text": "\n\nHuman: Hi\n\nAssistant: Hello"}).source.format == "transcript"


GUANACO = ("<s>[INST] Me gradué hace poco, ¿me aconsejas? [/INST] Claro: descansa. </s>"
           "<s>[INST] Gracias [/INST] De nada. </s>")


def test_inst_text_is_read_by_position_and_written_back_byte_for_byte(read_one) -> None:
    conv = read_one({"text": GUANACO})
    assert conv.source.format == "rendered" and conv.source.hints["template"] == "llama2"
    assert [(m.role, m.text) for m in conv.messages] == [
        ("user", "Me gradué hace poco, ¿me aconsejas?"), ("assistant", "Claro: descansa."),
        ("user", "Gracias"), ("assistant", "De nada.")]  # the spaces around contents are the layout's
    assert to_record(conv)["text"] == GUANACO
    edited = replace(conv, messages=(conv.messages[0], replace(conv.messages[1], content="Sí."), *conv.messages[2:]))
    assert to_record(edited)["text"] == GUANACO.replace("Claro: descansa.", "Sí.")  # same roles: same layout


def test_inst_system_prompt_and_mistral_layout(read_one) -> None:
    llama2 = "<s>[INST] <<SYS>>\nYou are terse.\n<</SYS>>\n\nHi there [/INST] Hello. </s>"
    conv = read_one({"text": llama2})
    assert [(m.role, m.text) for m in conv.messages] == [("system", "You are terse."), ("user", "Hi there"),
                                                         ("assistant", "Hello.")]
    assert to_record(conv)["text"] == llama2
    mistral = "<s>[INST] 2+2? [/INST] 4</s>[INST] 3+3? [/INST] 6</s>"
    conv = read_one({"text": mistral})
    assert [m.text for m in conv.messages] == ["2+2?", "4", "3+3?", "6"] and to_record(conv)["text"] == mistral
    shorter = replace(conv, messages=conv.messages[:2])  # turns removed: Llama 2's own layout
    assert to_record(shorter)["text"] == "<s>[INST] 2+2? [/INST] 4 </s>"


def test_inst_text_that_breaks_says_where(read_one) -> None:
    item = read_one({"text": "[INST] one [INST] two [/INST] reply"})
    assert isinstance(item, RecordProblem) and "[INST] where [/INST] was expected (character 11)" in item.detail
    assert isinstance(read_one({"text": "<s>[INST] An open prompt [/INST]"}), RecordProblem)  # no reply: no turn


def test_inst_layout_refuses_turns_out_of_order(read_one) -> None:
    from threadsmith.errors import UnsupportedConversion

    conv = read_one({"text": GUANACO})
    swapped = replace(conv, messages=(conv.messages[1], conv.messages[0]))
    with pytest.raises(UnsupportedConversion, match=r"message 0 \(assistant\) is out of that order"):
        to_record(swapped)



_LAYOUTS = {
    "chatml": lambda role, text: f"<|im_start|>{role}\n{text}<|im_end|>",
    "llama3": lambda role, text: f"<|start_header_id|>{role}<|end_header_id|>\n\n{text}<|eot_id|>",
    "gemma": lambda role, text: f"<start_of_turn>{'model' if role == 'assistant' else role}\n{text}<end_of_turn>",
    "phi3": lambda role, text: f"<|{role}|>\n{text}<|end|>",
}
_WORDS = ["Hi", "ok.", " ", "\n", "é", "<", "|", "[", "]", "*waves*", '"q"', "two words"]


def test_rendered_texts_read_back_exactly_whatever_their_spacing() -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from threadsmith.formats import RecordContext, decode_record

    turn = st.tuples(st.sampled_from(["user", "assistant", "system"]), st.lists(st.sampled_from(_WORDS), max_size=5))

    @settings(max_examples=400, deadline=None, database=None, derandomize=True)
    @given(st.sampled_from(sorted(_LAYOUTS)), st.lists(turn, min_size=2, max_size=6),
           st.sampled_from(["", "<bos>", "<|begin_of_text|>"]), st.sampled_from(["", "\n", "\n\n", " "]),
           st.sampled_from(["", "\n", "<|endoftext|>"]))
    def check(layout: str, turns: list, prefix: str, separator: str, suffix: str) -> None:
        turns[-1] = ("assistant", turns[-1][1])
        text = prefix + separator.join(_LAYOUTS[layout](role, "".join(words)) for role, words in turns) + suffix
        item = decode_record({"text": text}, RecordContext("x.jsonl", 0, 1))
        assert isinstance(item, Conversation) and [m.role for m in item.messages] == [r for r, _ in turns]
        assert to_record(item)["text"] == text

    check()


ALPACA_TEXT = ("Below is an instruction that describes a task, paired with an input that provides further context. "
               "Write a response that appropriately completes the request.\n\n### Instruction:\nSummarize the text."
               "\n\n### Input:\nThe cat sat on the mat all day.\n\n### Response:\nA cat spent the day on a mat.</s>")


def test_alpaca_prompt_text_is_one_exchange_written_back_in_its_layout(read_one) -> None:
    conv = read_one({"text": ALPACA_TEXT})
    assert conv.source.hints["template"] == "alpaca-text"
    assert [(m.role, m.text) for m in conv.messages] == [
        ("user", "Summarize the text.\n\nThe cat sat on the mat all day."), ("assistant", "A cat spent the day on a mat.")]
    assert to_record(conv)["text"] == ALPACA_TEXT
    edited = replace(conv, messages=(conv.messages[0], replace(conv.messages[1], content="A cat napped.")))
    assert to_record(edited)["text"] == ALPACA_TEXT.replace("A cat spent the day on a mat.", "A cat napped.")
    assert to_record(conv, "alpaca") == {"instruction": "Summarize the text.\n\nThe cat sat on the mat all day.",
                                         "input": "", "output": "A cat spent the day on a mat."}


def test_alpaca_prompt_text_without_a_response_or_with_more_turns(read_one) -> None:
    from threadsmith.errors import UnsupportedConversion

    assert isinstance(read_one({"text": "### Instruction:\nWrite a haiku\n\n### Response:\n"}), RecordProblem)
    conv = read_one({"text": "### Instruction:\nName a colour.\n\n### Response:\nTeal."})
    longer = replace(conv, messages=(*conv.messages, Message("user", "Another?"), Message("assistant", "Ochre.")))
    with pytest.raises(UnsupportedConversion, match="one user turn and one assistant turn"):
        to_record(longer)
