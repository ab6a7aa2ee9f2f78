"""Any JSON value reads as a conversation or a problem, never an exception; what reads, writes
back (or says cleanly why it cannot). Records are drawn from the keys every reader looks at."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from threadsmith.errors import UserError
from threadsmith.formats import RecordContext, decode_record, to_record
from threadsmith.model import Conversation, RecordProblem

KEYS = ["messages", "conversations", "conversation", "system", "tools", "input", "preferred_output",
        "non_preferred_output", "instruction", "context", "response", "output", "history", "prompt", "completion",
        "chosen", "rejected", "text", "role", "content", "from", "value", "tool_calls", "tool_call_id", "function",
        "name", "arguments", "weight", "id", "tags", "type", "parts", "contents", "systemInstruction",
        "functionCall", "functionResponse", "args", "functionDeclarations"]
TEXTS = ["", "Hi", "user", "assistant", "gpt", "human", "function_call", "observation", "tool", "system",
         '{"name": "f", "arguments": {"a": 1}}', "[1, 2]", "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nYo<|im_end|>",
         "<s>[INST] Hi [/INST] Yo </s>", "### Instruction:\nHi\n\n### Input:\nx\n\n### Response:\nYo</s>", "\n\nHuman: Hi\n\nAssistant: Yo", "[/INST]", "{{char}}"]
scalars = st.one_of(st.sampled_from(TEXTS), st.text(max_size=8), st.integers(-2, 3), st.booleans(), st.none(),
                    st.floats(allow_nan=False, allow_infinity=False, width=16))
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.sampled_from(KEYS), inner, max_size=5)), max_leaves=25)
records = st.dictionaries(st.sampled_from(KEYS), values, max_size=6)


@settings(max_examples=1500, deadline=None, database=None, derandomize=True)
@given(records)
def test_any_record_reads_and_writes_without_a_traceback(record: dict) -> None:
    item = decode_record(record, RecordContext("fuzz.jsonl", 0, 1))
    assert isinstance(item, (Conversation, RecordProblem))
    if isinstance(item, Conversation):
        for fmt in (None, "openai", "sharegpt", "rendered"):
            try:
                to_record(item, fmt)
            except UserError:
                pass  # a clean refusal (a shape the format cannot hold), said with a hint
