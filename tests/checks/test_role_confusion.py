"""Role-confusion checks (RC001-RC005): what the case files cannot say."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from threadsmith.checks import build_checks
from threadsmith.checks.profile import CheckContext
from threadsmith.checks.role_confusion import line_labels
from threadsmith.checks.role_tokens import strip_tokens, template_tokens
from threadsmith.checks.role_swap import swap_votes
from threadsmith.checks.role_voice import godmod_sentence, persona_names
from threadsmith.checks.text import fold
from threadsmith.formats import read_file
from threadsmith.model import Conversation, Message

EXAMPLES = Path(__file__).resolve().parents[2] / "src" / "threadsmith" / "examples"
NO_NAMES = {"user": frozenset(), "assistant": frozenset()}


def conv(*turns: tuple[str, str], **names: str) -> Conversation:
    return Conversation("c", tuple(Message(role, text, name=names.get(role)) for role, text in turns))


def codes(conversation: Conversation, code: str, kind: str = "assistant") -> list[int | None]:
    (check,) = build_checks(select=[code], context=CheckContext(kind=kind)).conversation
    return [hit.message_index for hit in check.check(conversation)]


# --- labels and persona names --------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "Note: this is fine.", "Step 1: mix.", "Ingredients:\n- flour", "Meet at 3:30.", "See https://example.com",
    "Usernames: alice, bob", "Users: 10", "**Warning:** hot", "Q: why?\nA: because.", "Example: User input",
])
def test_ordinary_colons_are_not_labels(text: str) -> None:
    assert line_labels(text, NO_NAMES) == []


@pytest.mark.parametrize(("text", "side"), [
    ("User: hi", "user"), ("  Human: hi", "user"), ("**User:** hi", "user"), ("**User**: hi", "user"),
    ("### Instruction:\nDo it", "user"), ("{{user}}: hi", "user"), ("> USER: hi", "user"),
    ("Assistant: hi", "assistant"), ("AI: hello", "assistant"), ("{{char}}: hi", "assistant"),
    ("### Response:\nok", "assistant"),
])
def test_speaker_labels_are_found(text: str, side: str) -> None:
    assert [label.side for label in line_labels(text, NO_NAMES)] == [side]


def test_labels_in_code_are_ignored() -> None:
    assert line_labels("```\nUser: hi\n```\nand `User: hi`", NO_NAMES) == []


def test_persona_names_come_from_system_prompts_and_message_names() -> None:
    names = persona_names(Conversation("c", (
        Message("system", "You are Maren Vos, a lighthouse keeper. The user plays Anna. {{user}} is Tom."),
        Message("user", "hi", name="Bea"),
        Message("assistant", "hello", name="Maren"),
    )))
    assert names == {"user": frozenset({"anna", "tom", "bea"}), "assistant": frozenset({"maren vos", "maren"})}


def test_generic_system_prompts_name_nobody() -> None:
    names = persona_names(conv(("system", "You are a helpful assistant. The user is a student."), ("user", "hi")))
    assert names == NO_NAMES


def test_a_name_on_both_sides_is_no_ones() -> None:
    names = persona_names(conv(("user", "hi"), ("assistant", "hello"), user="Sam", assistant="Sam"))
    assert names == NO_NAMES


def test_leak_of_the_persona_name_needs_the_name() -> None:
    turns = (("user", "Hello?"), ("assistant", "Hello, traveller.\nAnna: Who are you?"))
    assert codes(conv(*turns), "RC001") == []
    assert codes(conv(*turns, user="Anna"), "RC001") == [1]


def test_requested_dialogue_is_a_leak_only_in_roleplay() -> None:
    c = conv(("user", "Write a conversation between a user and a bot."), ("assistant", "User: hi\nBot: hello"))
    assert codes(c, "RC001", "assistant") == []
    assert codes(c, "RC001", "roleplay") == [1]


# --- template tokens -----------------------------------------------------------------------

TOKENS = ["<|im_start|>", "<|im_end|>", "<|eot_id|>", "<|endoftext|>", "<|start_header_id|>", "[INST]", "[/INST]",
          "<<SYS>>", "<</SYS>>", "<start_of_turn>", "<end_of_turn>", "</s>", "<s>", "<｜end▁of▁sentence｜>",
          "[TOOL_CALLS]", "<bos>", "<eos>", "<|user|>"]


@pytest.mark.parametrize("token", TOKENS)
def test_every_token_is_found_and_removed(token: str) -> None:
    text = f"Hello {token} world"
    assert template_tokens(text)
    assert strip_tokens(text) == "Hello world"


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(TOKENS + ["user", "assistant", "\n"]), st.text(max_size=8)), max_size=8))
def test_stripping_tokens_is_idempotent_and_complete(pieces: list[str]) -> None:
    text = " ".join(pieces)
    once = strip_tokens(text)
    assert strip_tokens(once) == once
    if "`" not in text and "<s>" not in text:
        assert not template_tokens(once)


# --- speaking for the user -----------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "*Maren turns.* You feel a shiver run down your spine.",
    "\"Come.\" You decide to follow her inside.",
    "*She smiles, and your cheeks flush red.*",
    "\"Fine,\" you say, and you take the cup.",
    "*A chill runs down your spine.*",
    "*She waits. You can't help but smile.*",
    "*You nod slowly and reach for the rope.*",
])
def test_god_modding_in_roleplay(text: str) -> None:
    assert godmod_sentence(text, fold(text), roleplay=True) is not None


@pytest.mark.parametrize("text", [
    "\"You look tired,\" she says. \"Do you want tea?\"",
    "*She hands you a towel.* \"You'll catch your death.\"",
    "*Maren watches as you walk in.*",
    "\"If you feel cold, say so.\" *She stokes the stove.*",
    "*She raises an eyebrow.* You nod? Or not?",
    "*She laughs.* 'You feel better now, don't you?'",
    "\"Your heart races when you lie,\" she teases.",
])
def test_no_god_modding_in_roleplay(text: str) -> None:
    assert godmod_sentence(text, fold(text), roleplay=True) is None


@pytest.mark.parametrize("text", [
    "You can install it with pip. If you feel unsure, ask.",
    "You feel tired after lunch because of your circadian rhythm; your heart rate drops too.",
    "Your heart races during exercise, which is normal.",
])
def test_assistant_advice_is_not_god_modding(text: str) -> None:
    assert godmod_sentence(text, fold(text), roleplay=False) is None


def test_the_greeting_before_the_user_speaks_may_set_the_scene() -> None:
    scene = "*You feel the cold stones under you.* \"Still breathing.\""
    assert codes(conv(("assistant", scene), ("user", "Where am I?")), "RC004", "roleplay") == []
    assert codes(conv(("user", "Hi"), ("assistant", scene)), "RC004", "roleplay") == [1]


# --- swapped roles -------------------------------------------------------------------------

def _swap(conversation: Conversation) -> Conversation:
    other = {"user": "assistant", "assistant": "user"}
    return conversation.with_messages([Message(other.get(m.role, m.role), m.text) for m in conversation.messages])


def test_a_normal_exchange_votes_for_its_labels() -> None:
    c = conv(("user", "How do I undo my last git commit but keep the changes?"),
             ("assistant", "Use a soft reset:\n\n```bash\ngit reset --soft HEAD~1\n```\n\nThe commit is removed "
                           "and its changes stay staged, ready to commit again. If you already pushed it, prefer "
                           "`git revert HEAD`, which adds a new commit that undoes it instead of rewriting history."))
    votes = swap_votes(c, roleplay=False)
    assert votes.swapped == [] and votes.normal >= 2
    assert codes(_swap(c), "RC005") != []


def test_first_person_roleplay_on_one_side_only_is_not_a_swap() -> None:
    # A chat-style bot that narrates itself in the first person, and a user who writes no actions.
    c = conv(("user", "\"Hi!\""), ("assistant", "*I smile and wave.* \"Hello!\""),
             ("user", "\"How are you?\""), ("assistant", "*I shrug.* \"Fine.\""))
    assert codes(c, "RC005", "roleplay") == []


@pytest.mark.parametrize(("name", "kind"), [("assistant-chat.jsonl", "assistant"),
                                            ("roleplay-lighthouse.jsonl", "roleplay")])
def test_example_datasets_audit_clean_and_their_swaps_are_found(name: str, kind: str) -> None:
    path = EXAMPLES / name
    if not path.exists():
        pytest.skip(f"{name} is not there")
    conversations = [c for c in read_file(path) if isinstance(c, Conversation)]
    for code in ("RC001", "RC002", "RC003", "RC004", "RC005"):
        flagged = sum(1 for c in conversations if codes(c, code, kind))
        assert flagged <= 0.05 * len(conversations), code
    found = sum(1 for c in conversations if codes(_swap(c), "RC005", kind))
    assert found >= 0.85 * len(conversations)

