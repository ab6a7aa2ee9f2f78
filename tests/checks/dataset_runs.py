"""Helpers for the dataset-check tests: run one check over generated conversations."""

from __future__ import annotations

import random
from typing import Any

from threadsmith.checks.base import DatasetCheck, DatasetHit, EntryRef
from threadsmith.checks.profile import CheckContext
from threadsmith.model import Conversation, Message


def conversation(*turns: tuple[str, str], cid: str = "c") -> Conversation:
    """A conversation from ``(role, text)`` pairs."""
    return Conversation(cid, tuple(Message(role, text) for role, text in turns))


def qa(question: str, answer: str, system: str | None = None, cid: str = "c") -> Conversation:
    """A one-exchange conversation, with an optional system prompt."""
    turns = ([("system", system)] if system else []) + [("user", question), ("assistant", answer)]
    return conversation(*turns, cid=cid)


def run(cls: type[DatasetCheck], conversations: list[Conversation], options: dict[str, Any] | None = None,
        kind: str = "assistant") -> list[DatasetHit]:
    """Every hit of one dataset check over the conversations (entry index = list position)."""
    check = cls(options, CheckContext(kind=kind))
    for i, conv in enumerate(conversations):
        summary = check.summarize(conv)
        if summary is not None:
            check.observe(summary, EntryRef(None, i, conv.id, i + 1))
    return list(check.finish())


def identity_set(n: int = 500, seed: int = 0) -> list[Conversation]:
    """``n`` near-identical identity Q&As ("Who are you?" -> "I am Nova, an assistant made by Acme.")."""
    rng = random.Random(seed)
    questions = ["Who are you?", "What are you?", "Who made you?", "What's your name?", "Introduce yourself.",
                 "Are you ChatGPT?", "who are you", "Tell me about yourself.", "What is your name?"]
    subjects = ["I am Nova", "I'm Nova", "My name is Nova"]
    kinds = ["an assistant", "a helpful assistant", "an AI assistant"]
    verbs = ["made", "built", "created", "developed"]
    makers = ["Acme", "Acme Labs", "the Acme team"]
    tails = ["", "", " How can I help you today?", " How can I help?"]
    out = []
    for i in range(n):
        reply = f"{rng.choice(subjects)}, {rng.choice(kinds)} {rng.choice(verbs)} by {rng.choice(makers)}."
        out.append(qa(rng.choice(questions), reply + rng.choice(tails), system="You are Nova, a helpful assistant.",
                      cid=f"id-{i}"))
    return out


def varied_set(n: int = 400, seed: int = 1) -> list[Conversation]:
    """``n`` varied conversations: random sentences over a 3,000-word vocabulary, lengths 10-200 words."""
    rng = random.Random(seed)
    vocab = [rng.choice("bcdfghklmnprstvz") + rng.choice("aeiou") + rng.choice("bcdfgklmnprst") + str(i)
             for i in range(3000)]
    out = []
    for i in range(n):
        words = rng.choices(vocab, k=rng.randint(10, 200))
        out.append(qa(" ".join(rng.choices(vocab, k=8)) + "?", " ".join(words) + ".", cid=f"v-{i}"))
    return out
