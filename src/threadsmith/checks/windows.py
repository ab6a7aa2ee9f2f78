"""Fitting a conversation into a token budget at turn boundaries: LN001's fixes (truncate, split
into windows that keep the system prompt) and the windows training uses for long conversations
(threadsmith.train.windowing)."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from threadsmith.model import Conversation

if TYPE_CHECKING:
    from threadsmith.rendering import ChatTokenizer

#: LN001's ``fix_strategy`` values.
FIX_STRATEGIES = ("truncate", "split", "drop", "none")


def truncate_at_turn(conversation: Conversation, tokenizer: ChatTokenizer, budget: int) -> Conversation | None:
    """The longest prefix of whole messages that ends with an assistant turn and fits ``budget``
    tokens as the tokenizer's template renders it; None when not even the first reply fits."""
    messages = conversation.messages
    per = tokenizer.count([conversation])[0].per_message
    ends = [k + 1 for k, m in enumerate(messages) if m.role == "assistant"]
    for end in reversed(ends):
        if sum(per[:end]) > budget:
            continue
        candidate = conversation.with_messages(messages[:end])
        if tokenizer.count([candidate])[0].total <= budget:
            return candidate
    return None


def split_windows(conversation: Conversation, tokenizer: ChatTokenizer, budget: int) -> list[Conversation]:
    """The conversation cut into windows of whole exchanges that each fit ``budget`` tokens and
    each start with the conversation's leading system messages. An exchange is the turns up to
    and including an assistant reply. An exchange too long for a window on its own gets a window
    of its own (still over the budget: LN001 reports it). Window ids are ``<id>#w<k>``."""
    messages = conversation.messages
    per = tokenizer.count([conversation])[0].per_message
    head = 0
    while head < len(messages) and messages[head].role == "system":
        head += 1
    exchanges_: list[tuple[int, int]] = []
    start = head
    for k in range(head, len(messages)):
        if messages[k].role == "assistant":
            exchanges_.append((start, k + 1))
            start = k + 1
    if not exchanges_:
        return [conversation]
    system_tokens = sum(per[:head])
    windows: list[list[tuple[int, int]]] = [[]]
    used = system_tokens
    for a, b in exchanges_:
        size = sum(per[a:b])
        if windows[-1] and used + size > budget:
            windows.append([])
            used = system_tokens
        windows[-1].append((a, b))
        used += size
    if len(windows) == 1:
        return [conversation]
    out = []
    for k, window in enumerate(windows):
        body = tuple(m for a, b in window for m in messages[a:b])
        out.append(replace(conversation.with_messages(messages[:head] + body), id=f"{conversation.id}#w{k}",
                           id_assigned=True))
    return out


def fitting_windows(conversation: Conversation, tokenizer: ChatTokenizer,
                    budget: int) -> Conversation | tuple[Conversation, ...] | None:
    """LN001's "split" fix: the :func:`split_windows` that fit ``budget`` (a window of one
    exchange too long on its own is left out); one conversation when one window is left, None
    when none is."""
    windows = split_windows(conversation, tokenizer, budget)
    totals = tokenizer.count(windows)
    kept = tuple(w for w, counts in zip(windows, totals) if counts.total <= budget)
    if len(kept) > 1:
        return kept
    return kept[0] if kept else None
