"""The template checks and LN001 give the same findings with a prepared batch (one render_many)
as one conversation at a time, and render each conversation once."""

from __future__ import annotations

import pytest

from threadsmith.checks import Runner, build_checks
from threadsmith.checks.profile import CheckContext
from threadsmith.model import Conversation, Message

pytest.importorskip("tokenizers", reason="needs the export extra")
from threadsmith.rendering import byte_tokenizer  # noqa: E402


def _conversation(key: str, *turns: tuple[str, str], weight: float | None = None) -> Conversation:
    messages = tuple(Message(role, text) for role, text in turns)
    if weight is not None:
        messages = tuple(Message(m.role, m.text, weight=weight) if m.role == "assistant" else m for m in messages)
    return Conversation(key, messages)


BATCH = [
    _conversation("ok", ("system", "Be brief."), ("user", "Hi"), ("assistant", "Hello."), ("user", "More?"),
                  ("assistant", "No.")),
    _conversation("two-users", ("user", "Hi"), ("user", "Hello?"), ("assistant", "Yes?")),
    _conversation("no-reply", ("system", "Be brief."), ("user", "Hi")),
    _conversation("weight-0", ("user", "Hi"), ("assistant", "Hello."), weight=0),
    _conversation("long", ("system", "S" * 40), ("user", "Tell me. " * 20), ("assistant", "Well. " * 30)),
    _conversation("tool", ("user", "Weather?"), ("tool", "sunny"), ("assistant", "Sunny.")),
]


@pytest.mark.parametrize("template", ["chatml", "gemma", "mistral", "llama3", "phi3"])
@pytest.mark.parametrize("train_on", ["all", "last"])
def test_batch_and_single_give_the_same_findings(template: str, train_on: str) -> None:
    context = CheckContext(tokenizer=byte_tokenizer(template), train_on=train_on, max_tokens=120)
    found = []
    for batch in (False, True):
        runner = Runner(build_checks(["TM", "LN001"], context=context))
        if batch:
            runner.prepare(BATCH)
        found.append([(f.code, f.message, f.message_index, f.entry_id)
                      for c in BATCH for f in runner.process(c).findings])
    assert found[0] == found[1]
    assert {"LN001", "TM002"} <= {code for code, *_ in found[1]}


def test_a_prepared_batch_is_rendered_once(monkeypatch) -> None:
    tok = byte_tokenizer()
    calls = []
    render_many, render = tok.render_many, tok.render
    monkeypatch.setattr(tok, "render_many", lambda cs, **kw: calls.append(len(cs)) or render_many(cs, **kw))
    monkeypatch.setattr(tok, "render", lambda c, **kw: calls.append("single") or render(c, **kw))
    runner = Runner(build_checks(["TM", "LN001"], context=CheckContext(tokenizer=tok, max_tokens=120)))
    runner.prepare(BATCH)
    for conversation in BATCH:
        runner.process(conversation)
    assert calls == [len(BATCH)]
