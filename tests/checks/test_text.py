"""Shared text primitives: view() and PhraseMatcher.search give what their plain definitions give."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from threadsmith.checks.text import PhraseMatcher, fold, folded_words, joined, view
from threadsmith.model import ContentPart, Conversation, Message

#: Characters that exercise the fast paths' edges: apostrophes and quotes (straight and curly),
#: separators, non-ASCII letters and spaces, a NUL, upper case.
_ALPHABET = "ab Xé'’“”\"-_.,\n\t\x00\u00a0…0"
_texts = st.text(alphabet=_ALPHABET, max_size=24)


def _plain_view(conversation: Conversation) -> tuple[tuple, ...]:
    return tuple((m.role, m.text, fold(m.text), tuple(folded_words(fold(m.text)))) for m in conversation.messages)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["user", "assistant", "system", "Kai"]), _texts), max_size=5))
def test_view_is_fold_and_words_of_every_message(turns: list[tuple[str, str]]) -> None:
    conversation = Conversation("c", tuple(Message(role, text) for role, text in turns))
    views = view(conversation)
    assert tuple(map(tuple, views)) == _plain_view(conversation)
    assert all(v.words is v[3] for v in views)  # named fields
    assert joined(conversation) == "\n".join(m.text for m in conversation.messages)


def test_view_of_multi_part_content_uses_the_text_parts() -> None:
    parts = (ContentPart("text", "Hello THERE"), ContentPart("image_url", None, {"url": "x"}), ContentPart("text", "Bye"))
    conversation = Conversation("c", (Message("user", parts), Message("assistant", "Don't 'quote' me")))
    first, second = view(conversation)
    assert (first.text, first.folded, first.words) == ("Hello THERE\nBye", "hello there\nbye", ("hello", "there", "bye"))
    assert second.words == ("don't", "quote", "me")


_PHRASES = PhraseMatcher(["great", "one word", "a few words", "word", "don't", "x", "as an ai"])


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet="aegrtnowdx sé_'-.1", max_size=30), st.sampled_from(["", "one word ", "great", " as an ai"]))
def test_phrase_search_finds_what_the_bounded_pattern_finds_first(text: str, planted: str) -> None:
    text = text[: len(text) // 2] + planted + text[len(text) // 2:]
    expected = next(_PHRASES.finditer(text), None)
    found = _PHRASES.search(text)
    assert (found is None) == (expected is None)
    if found is not None and expected is not None:
        assert (found.span(), found.group(0)) == (expected.span(), expected.group(0))


def test_phrase_search_skips_matches_inside_words() -> None:
    phrases = PhraseMatcher(["one word", "great"])
    assert phrases.search("someone word") is None
    assert phrases.search("someone word, one word").span() == (14, 22)
    assert phrases.search("_great") is None and phrases.search("égreat") is None
    assert phrases.search("greatest great").span() == (9, 14)
    assert PhraseMatcher([]).search("anything") is None


def test_a_sharegpt_function_call_is_no_prose(tmp_path) -> None:
    """LLaMA-Factory's ShareGPT tool format: a ``function_call`` turn holds the call's JSON. Like an
    OpenAI tool call it has no text for the checks, so its JSON is never an opener, a phrase, a
    reused reply or a contradicting answer; ST015 pairs it with the observation after it."""
    import orjson

    from threadsmith.audit import audit
    from threadsmith.formats import read_file

    rows = []
    for i in range(120):
        city = ("Oslo", "Rome", "Lima", "Cairo")[i % 4]
        rows.append({"conversations": [
            {"from": "human", "value": f"Is it warm in {city} at {i % 12 + 1} o'clock, number {i}?"},
            {"from": "function_call", "value": orjson.dumps({"name": "get_weather", "arguments": {"city": city}}).decode()},
            {"from": "observation", "value": orjson.dumps({"temp_c": i % 30}).decode()},
            {"from": "gpt", "value": f"Around {i % 30} degrees in {city}, reply {i} of a varied {i * 7 % 13} kind."}]})
    path = tmp_path / "tools.jsonl"
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows))
    first = next(iter(read_file(path)))
    views = view(first)
    assert first.messages[1].role == "assistant" and first.messages[1].raw_role == "function_call"
    assert views[1].text == "" and views[1].words == () and views[3].words  # the reply keeps its words
    found = audit([path]).findings
    assert not [f for f in found if "get weather" in f.message or "get_weather" in f.message], found[:3]
    assert not [f for f in found if f.code == "ST015"]
