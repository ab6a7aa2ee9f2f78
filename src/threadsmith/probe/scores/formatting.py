"""Formatting preservation: does the reply keep the format contract the dataset teaches?

The contract (action markup, quote style, markdown or none, paragraphing, no speaker label) is
inferred from a dataset with the same convention detector the FM checks use
(:func:`threadsmith.checks.conventions.conventions`), and a reply is checked against it rule by
rule, IFEval-style: the value is the share of rules kept (instruction level), the pass means all
were kept (prompt level, strict). Unbalanced ``*`` and quotes (FM001's detector) always fail.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from threadsmith.checks import conventions as cv
from threadsmith.checks.formatting import unbalanced
from threadsmith.model import Conversation, Message
from threadsmith.probe.suite import FormatContract
from threadsmith.probe.scores.outcome import Outcome, ReplyContext

_ACTION_BITS = {"asterisk": cv.ACT_ASTERISK, "paren": cv.ACT_PAREN, "bracket": cv.ACT_BRACKET, "prose": cv.ACT_PROSE}
_QUOTE_BITS = {"double": cv.Q_STRAIGHT_DOUBLE, "curly": cv.Q_CURLY_DOUBLE, "single": cv.Q_STRAIGHT_SINGLE}
_ALL_QUOTES = cv.Q_STRAIGHT_DOUBLE | cv.Q_CURLY_DOUBLE | cv.Q_STRAIGHT_SINGLE | cv.Q_CURLY_SINGLE | cv.Q_OTHER
_MARKUP = cv.MARKDOWN | cv.LIST | cv.HTML | cv.FENCE
_BLANK_LINE = re.compile(r"\n\s*\n")


def paragraphs(text: str) -> int:
    """Paragraphs: blocks separated by blank lines (0 for an empty reply)."""
    return sum(1 for block in _BLANK_LINE.split(text.strip()) if block.strip())


def reply_mask(reply: str, name: str | None = None) -> int:
    """The conventions bitmask of one reply, read as roleplay."""
    return cv.conventions(Conversation("reply", (Message("assistant", reply, name=name),)), roleplay=True)


_SPAN = re.compile(r"\*[^*\n]+\*")


def _long_span(reply: str) -> bool:
    """A ``*span*`` of three words or more: an action even when its verb is not in the action list."""
    return any(len(span.split()) >= 3 for span in _SPAN.findall(reply))


def _rule_breaks(reply: str, mask: int, contract: FormatContract) -> Iterable[str]:
    actions = contract.actions
    if actions == "none" and mask & (cv.ACTIONS | cv.ACT_PROSE):
        yield "uses action markup where the dataset has none"
    elif actions in _ACTION_BITS:
        wanted = _ACTION_BITS[actions]
        if actions != "prose" and not mask & wanted and not (actions == "asterisk" and _long_span(reply)):
            yield f"has no action in {actions} markup"
        if mask & cv.ACTIONS & ~wanted:
            yield f"marks actions in another style than {actions}"
    if contract.quotes in _QUOTE_BITS and mask & _ALL_QUOTES & ~_QUOTE_BITS[contract.quotes]:
        yield f"quotes dialogue in another style than {contract.quotes}"
    if contract.markdown is False and mask & _MARKUP:
        yield "uses markdown, lists, HTML or code fences"
    if contract.name_prefix is False and mask & cv.PREFIXED:
        yield "starts with a speaker label"
    if contract.paragraphs is not None:
        low, high = contract.paragraphs
        count = paragraphs(reply)
        if not low <= count <= high:
            yield f"has {count} paragraphs, outside {low}-{high}"
    problems = unbalanced(reply)
    if problems:
        yield f"has {problems[0]}"


def _rule_count(contract: FormatContract) -> int:
    return 1 + sum(1 for value in (contract.actions, contract.quotes, contract.paragraphs) if value is not None) + (
        contract.markdown is False) + (contract.name_prefix is False)


def contract(reply: str, context: ReplyContext) -> Outcome:
    """The reply against the suite's format contract; an empty reply fails (IFEval strict)."""
    if not reply.strip():
        return Outcome(0.0, False, "empty reply")
    breaks = list(_rule_breaks(reply, reply_mask(reply, context.char_name), context.contract))
    rules = _rule_count(context.contract)
    kept = max(0, rules - len(breaks)) / rules
    return Outcome(round(kept, 4), not breaks, "; ".join(breaks))


def infer_contract(replies: Iterable[str], dominance: float = 0.9, rare: float = 0.05) -> FormatContract:
    """The contract a set of assistant replies follows: a rule where a convention is dominant
    (at least ``dominance`` of the replies) or absent (at most ``rare``)."""
    masks, counts = [], []
    for reply in replies:
        if reply.strip():
            masks.append(reply_mask(reply))
            counts.append(paragraphs(reply))
    if not masks:
        return FormatContract()
    n = len(masks)

    def share(bits: int, among: list[int] | None = None) -> float:
        pool = masks if among is None else among
        return sum(1 for m in pool if m & bits) / len(pool) if pool else 0.0

    actions = None
    if share(cv.ACTIONS | cv.ACT_PROSE) <= rare:
        actions = "none"
    else:
        actions = next((name for name, bit in _ACTION_BITS.items() if share(bit) >= dominance), None)
    quoted = [m for m in masks if m & _ALL_QUOTES]
    quotes = None
    if len(quoted) >= max(3, n // 10):
        quotes = next((name for name, bit in _QUOTE_BITS.items()
                       if share(bit, quoted) >= dominance and not share(_ALL_QUOTES & ~bit, quoted) > rare), None)
    counts.sort()
    band = (counts[int(0.05 * (n - 1))], counts[int(0.95 * (n - 1))])
    return FormatContract(actions=actions, quotes=quotes,
                          markdown=False if share(_MARKUP) <= rare else None,
                          paragraphs=band, name_prefix=False if share(cv.PREFIXED) <= rare else None)
