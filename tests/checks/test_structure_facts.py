"""Structure checks (ST): the shared facts that let a check stop early never hide a finding.

Each check is compared with its plain definition (the message-by-message loop it had before the
facts were shared) on random conversations of every shape: odd roles, blank and padded content,
multi-part content, tool calls, weights, role spellings, tags.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from threadsmith.checks.roles import NoncanonicalRole, UnknownRole
from threadsmith.checks.turn_fields import BlankTag, InvalidWeight, ToolCallWithoutResult
from threadsmith.checks.turns import (
    ConsecutiveSameRole,
    EmptyContent,
    MisplacedSystem,
    MultipleSystem,
    NoAssistantTurn,
    NoFinalAssistant,
    SurroundingWhitespace,
    _is_blank,
    _same_role_pairs,
    _strip_content,
    facts,
)
from threadsmith.model import CANONICAL_ROLES, ContentPart, Conversation, Message, Source, ToolCall

_contents = st.one_of(
    st.sampled_from(["", " ", "Hi", " Hi", "Hi\n", "\u00a0", "Hello there"]),
    st.lists(st.sampled_from([ContentPart("text", " "), ContentPart("text", "Hi"), ContentPart("image_url", None)]),
             max_size=2).map(tuple),
)
_messages = st.builds(
    Message,
    role=st.sampled_from(["system", "user", "assistant", "tool", "Kai", "assistnt"]),
    content=_contents,
    tool_calls=st.sampled_from([(), (ToolCall("c1", "f"),), (ToolCall(None, "g"),)]),
    tool_call_id=st.sampled_from([None, "c1"]),
    weight=st.sampled_from([None, 0, 1, 0.5]),
    raw_role=st.sampled_from([None, "USER", "gpt", ""]),
)
_conversations = st.builds(
    Conversation,
    id=st.just("c"),
    messages=st.lists(_messages, max_size=6).map(tuple),
    tags=st.lists(st.sampled_from(["", " ", "a", "b"]), max_size=3).map(tuple),
    source=st.sampled_from([Source(format="openai"), Source(format="sharegpt"), Source()]),
)


def _plain(conversation: Conversation) -> dict[str, list[tuple[int | None, str]]]:
    """Every structure finding, computed message by message (the checks' plain definitions)."""
    messages, roles = conversation.messages, [m.role for m in conversation.messages]
    out: dict[str, list[tuple[int | None, str]]] = {code: [] for code in
                                                     ("ST004", "ST008", "ST009", "ST010", "ST011", "ST012", "ST013")}
    out["ST004"] = [(i, "") for i, m in enumerate(messages) if _is_blank(m)]
    out["ST008"] = [(i, "") for i, m in enumerate(messages) if _strip_content(m.content) != m.content and not _is_blank(m)]
    first = next((i for i, role in enumerate(roles) if role != "system"), None)
    if first is not None:
        out["ST009"] = [(i, "") for i in range(first + 1, len(roles)) if roles[i] == "system"]
    systems = [i for i, role in enumerate(roles) if role == "system"]
    out["ST010"] = [(i, f"message {i} is system message {systems.index(i) + 1} of {len(systems)}") for i in systems[1:]]
    out["ST011"] = [(i, "") for i in _same_role_pairs(messages)]
    if roles and roles[-1] != "assistant" and "assistant" in roles:
        out["ST012"] = [(len(roles) - 1, "")]
    if not roles or "assistant" not in roles:
        out["ST013"] = [(None, "")]
    return out


@settings(max_examples=400, deadline=None)
@given(_conversations)
def test_structure_checks_report_what_their_plain_definitions_report(conversation: Conversation) -> None:
    expected = _plain(conversation)
    for check in (EmptyContent(), SurroundingWhitespace(), MisplacedSystem(), MultipleSystem(), ConsecutiveSameRole(),
                  NoFinalAssistant(), NoAssistantTurn()):
        found = [(hit.message_index, hit.message) for hit in check.check(conversation)]
        assert [index for index, _ in found] == [index for index, _ in expected[check.code]], check.code
        for (_, message), (_, wanted) in zip(found, expected[check.code]):
            assert wanted in message, check.code


@settings(max_examples=400, deadline=None)
@given(_conversations)
def test_facts_are_true_whenever_a_check_may_report(conversation: Conversation) -> None:
    found = facts(conversation)
    messages = conversation.messages
    assert found.roles == tuple(m.role for m in messages)
    assert found.respelled or not list(NoncanonicalRole().check(conversation))
    assert found.calls or "tool" in found.roles or not list(ToolCallWithoutResult().check(conversation))
    assert found.weighted or not list(InvalidWeight().check(conversation))
    unknown = [i for i, m in enumerate(messages) if m.role not in CANONICAL_ROLES]
    assert [hit.message_index for hit in UnknownRole().check(conversation)] == unknown
    assert bool(list(BlankTag().check(conversation))) == any(
        not tag.strip() or tag in conversation.tags[:k] for k, tag in enumerate(conversation.tags))
