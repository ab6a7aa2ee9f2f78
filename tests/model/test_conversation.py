"""The model's quick constructors behave exactly like the dataclass ones they replace."""

from __future__ import annotations

import dataclasses
import inspect
import pickle

import pytest

from threadsmith.model import ContentPart, Conversation, Message, Source, ToolCall


@pytest.mark.parametrize("cls", [ContentPart, ToolCall, Message, Source, Conversation])
def test_signature_lists_every_field_with_its_default(cls: type) -> None:
    parameters = list(inspect.signature(cls).parameters.values())
    fields = dataclasses.fields(cls)
    assert [p.name for p in parameters] == [f.name for f in fields]
    for parameter, f in zip(parameters, fields):
        if f.default is not dataclasses.MISSING:
            assert parameter.default == f.default
        elif f.default_factory is dataclasses.MISSING:
            assert parameter.default is inspect.Parameter.empty
        else:
            assert repr(parameter.default) == "<factory>"


def test_defaults_and_a_fresh_mapping_per_instance() -> None:
    first, second = Message("user"), Message("user")
    assert (first.content, first.name, first.tool_calls, first.weight, first.raw_role) == ("", None, (), None, None)
    assert first.extra == {} and first.extra is not second.extra
    assert Conversation("c", ()).source == Source() and Conversation("c", ()).metadata == {}


def test_positional_and_keyword_arguments_and_errors() -> None:
    message = Message("assistant", "Hi", "Mira", (), None, 1, "GPT", {"x": 1})
    assert message == Message(role="assistant", content="Hi", name="Mira", weight=1, raw_role="GPT", extra={"x": 1})
    with pytest.raises(TypeError):
        Message()  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        Message("user", nonsense=1)  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        Message("a", "b", None, (), None, None, None, {}, "one too many")  # type: ignore[call-arg]


def test_instances_stay_frozen_replaceable_and_picklable() -> None:
    message = Message("user", "Hi")
    with pytest.raises(dataclasses.FrozenInstanceError):
        message.role = "assistant"  # type: ignore[misc]
    assert dataclasses.replace(message, role="assistant") == Message("assistant", "Hi")
    conversation = Conversation("c", (message,), ("t",), {"k": 1}, Source("p", 0, 1, "openai"))
    assert pickle.loads(pickle.dumps(conversation)) == conversation
    assert Message.__init__.__qualname__ == "Message.__init__"
