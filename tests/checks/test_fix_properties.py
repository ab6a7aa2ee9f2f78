"""Properties of every fix, over generated conversations (sqlfluff's two fix properties, plus the Runner).

For each check with a fix: (a) fixing is idempotent, (b) after fixing, the check reports none
of its own fixable findings. For the Runner in fix mode (every fix, unsafe ones too): it ends,
no check crashes, and no fixable finding is left. Conversations are built through the real
readers from generated records, so odd role spellings behave as they do in files.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from threadsmith.checks import ConversationCheck, DatasetCheck, EntryRef, Runner, all_checks, build_checks
from threadsmith.formats import RecordContext, decode_record
from threadsmith.model import Conversation

ROLE_LABELS = (
    "system", "user", "assistant", "tool", "USER", "Assistant", "SYSTEM", "human", "gpt", "GPT", "Bot",
    "model", "developer", "function", "observation", " user ", "assistnt", "Kai",
)
TEXTS = ("Hi", "Hello there", " Hi ", "Hello\n", "", "   ", "\t\n", "Grüß dich 👋", "\u00a0padded\u3000", "a\n\nb", "*waves*")
TAGS = ("", " ", "greeting", "short", "greeting", "Grüße")
CALL_IDS = ("c1", "c2", None)

FIXABLE = [cls for cls in all_checks() if cls.fix_safety is not None]
CONVERSATION_FIXES = [cls for cls in FIXABLE if issubclass(cls, ConversationCheck)]
DATASET_FIXES = [cls for cls in FIXABLE if issubclass(cls, DatasetCheck)]
PROPERTY = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])

texts = st.sampled_from(TEXTS)
#: Mostly plain user/assistant turns (so runs of one role and tool rounds are common), often odd labels.
roles = st.one_of(st.sampled_from(("user", "assistant", "assistant", "tool")), st.sampled_from(ROLE_LABELS))
parts = st.lists(
    st.one_of(
        texts.map(lambda t: {"type": "text", "text": t}),
        st.just({"type": "image_url", "image_url": {"url": "https://example.com/a.png"}}),
    ),
    max_size=3,
)
tool_calls = st.lists(
    st.builds(
        lambda call_id, name: {**({"id": call_id} if call_id else {}), "type": "function",
                               "function": {"name": name, "arguments": "{}"}},
        st.sampled_from(CALL_IDS), st.sampled_from(("weather", "search")),
    ),
    min_size=1, max_size=2,
)


@st.composite
def openai_messages(draw: st.DrawFn) -> dict[str, Any]:
    role = draw(roles)
    message: dict[str, Any] = {"role": role, "content": draw(st.one_of(texts, parts, st.none()))}
    if draw(st.integers(0, 2)) == 0:
        message["tool_calls"] = draw(tool_calls)
    if role in ("tool", "function", "observation") and draw(st.booleans()):
        message["tool_call_id"] = draw(st.sampled_from(CALL_IDS[:2]))
    if draw(st.integers(0, 5)) == 0:
        message["weight"] = draw(st.sampled_from((0, 1, 0.5)))
    return message


@st.composite
def records(draw: st.DrawFn) -> dict[str, Any]:
    tags = draw(st.lists(st.sampled_from(TAGS), max_size=4))
    if draw(st.booleans()):
        return {"messages": draw(st.lists(openai_messages(), max_size=7)), "tags": tags}
    turns = draw(st.lists(st.builds(lambda r, t: {"from": r, "value": t}, roles, texts), max_size=7))
    record: dict[str, Any] = {"conversations": turns, "tags": tags}
    if draw(st.booleans()):
        record["system"] = draw(texts)
    return record


def _read(record: dict[str, Any], index: int = 0) -> Conversation:
    conversation = decode_record(record, RecordContext(None, index, index + 1))
    assert isinstance(conversation, Conversation), conversation
    return conversation


conversations = records().map(_read)


@pytest.mark.parametrize("cls", CONVERSATION_FIXES, ids=lambda cls: cls.code)
@PROPERTY
@given(conversation=conversations)
def test_fix_is_idempotent_and_complete(cls: type[ConversationCheck], conversation: Conversation) -> None:
    """(a) fix(fix(x)) == fix(x); (b) fix(x) has no fixable finding of the check's own."""
    check = cls()
    fixed = check.fix(conversation)
    if fixed is None:
        return
    assert check.fix(fixed) == fixed, "(a) fixing twice changes the conversation again"
    left = [hit for hit in check.check(fixed) if hit.fixable]
    assert left == [], "(b) the fix leaves fixable findings of its own"


def _run_dataset(cls: type[DatasetCheck], entries: list[Conversation], fix: bool) -> tuple[list[Conversation], list]:
    """Feed entries through a Runner holding only ``cls``, as audit does; the kept entries and the findings."""
    runner = Runner(build_checks([cls.code]), fix=fix, unsafe_fixes=fix)
    kept = []
    for index, conversation in enumerate(entries):
        result = runner.process(conversation)
        if result.conversation is None or (fix and runner.drops(result.summaries)):
            continue
        runner.observe(result.summaries, EntryRef(None, index, conversation.id, None))
        kept.append(result.conversation)
    return kept, runner.finish()


@pytest.mark.parametrize("cls", DATASET_FIXES, ids=lambda cls: cls.code)
@PROPERTY
@given(entries=st.lists(records(), min_size=1, max_size=3).flatmap(lambda pool: st.lists(st.sampled_from(pool), max_size=8)))
def test_dataset_fix_is_idempotent_and_complete(cls: type[DatasetCheck], entries: list[dict[str, Any]]) -> None:
    kept, _ = _run_dataset(cls, [_read(record, i) for i, record in enumerate(entries)], fix=True)
    again, _ = _run_dataset(cls, kept, fix=True)
    assert [c.messages for c in again] == [c.messages for c in kept]
    _, findings = _run_dataset(cls, kept, fix=False)
    assert [f for f in findings if f.fix is not None] == []


@PROPERTY
@given(conversation=conversations)
def test_runner_fix_mode_ends_clean(conversation: Conversation) -> None:
    runner = Runner(build_checks(), fix=True, unsafe_fixes=True)
    result = runner.process(conversation)
    assert [f for f in result.findings if f.message.startswith("internal error")] == []
    if result.conversation is not None:
        assert [f for f in result.findings if f.fix is not None] == []
