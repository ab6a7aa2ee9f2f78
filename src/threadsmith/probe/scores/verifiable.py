"""IFEval-style verifiable instructions (Zhou et al. 2023, Apache-2.0 code; our own rewrite).

Each check reads only the reply and its arguments; an empty reply fails every check, as in
IFEval's strict mode. Asterisks are never stripped (in roleplay they are content).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from threadsmith.checks.text import sentences, words
from threadsmith.probe.scores.formatting import paragraphs
from threadsmith.probe.scores.outcome import Outcome, ReplyContext

_HIGHLIGHT = re.compile(r"\*[^\n*]+\*")  # IFEval's number_highlighted_sections
_MARKDOWN = re.compile(r"^\s{0,3}(?:#{1,6}\s|[-*+]\s|\d+\.\s|>\s|```)|\*\*[^*\n]+\*\*|^\|.*\|\s*$", re.MULTILINE)
_ENDS = re.compile(r"[.!?…\"”’*)\]~]\s*$")


def _between(value: int, low: int | None, high: int | None, what: str) -> Outcome:
    ok = (low is None or value >= low) and (high is None or value <= high)
    band = f"{low if low is not None else 0}-{high if high is not None else 'any'}"
    return Outcome(float(value), ok, "" if ok else f"{value} {what}, outside {band}")


def words_between(reply: str, context: ReplyContext, min: int | None = None, max: int | None = None) -> Outcome:
    return _between(len(words(reply)), min, max, "words")


#: Honorifics and the like whose period ends no sentence ("Mr. Penrose left").
_ABBREVIATION = re.compile(r"\b(Mr|Mrs|Ms|Mx|Dr|Prof|St|Sr|Jr|Capt|Col|Gen|Lt|Sgt|Rev|Fr|Mt)\.(?=\s)")


def sentences_between(reply: str, context: ReplyContext, min: int | None = None, max: int | None = None) -> Outcome:
    text = _ABBREVIATION.sub(r"\1", reply.strip())
    return _between(len(sentences(text)) if text else 0, min, max, "sentences")


def paragraphs_between(reply: str, context: ReplyContext, min: int | None = None, max: int | None = None) -> Outcome:
    return _between(paragraphs(reply), min, max, "paragraphs")


def _terms(any: Sequence[str] | str) -> list[str]:
    return [any] if isinstance(any, str) else list(any)


def _found(reply: str, any: Sequence[str] | str) -> list[str]:
    """The terms in the reply: case-insensitive whole words, a plural or possessive counting ("ships")."""
    low = reply.lower()
    return [t for t in _terms(any) if re.search(rf"(?<!\w){re.escape(t.lower())}(?:s|es|'s|’s)?(?!\w)", low)]


def must_include_any(reply: str, context: ReplyContext, any: Sequence[str] | str = ()) -> Outcome:
    """Passes when the reply contains one of the terms (case-insensitive, whole words or their plurals)."""
    found = _found(reply, any)
    return Outcome(1.0 if found else 0.0, bool(found), "" if found else f"none of {_terms(any)} in the reply")


def must_not_include(reply: str, context: ReplyContext, any: Sequence[str] | str = ()) -> Outcome:
    """Fails when the reply contains one of the terms (case-insensitive, whole words or their plurals)."""
    found = _found(reply, any)
    return Outcome(0.0 if found else 1.0, not found, f"contains {found[0]!r}" if found else "")


def no_asterisks(reply: str, context: ReplyContext) -> Outcome:
    spans = _HIGHLIGHT.findall(reply)
    return Outcome(float(len(spans)), not spans and "*" not in reply, f"uses *{spans[0][1:-1][:30]}*" if spans else "")


def actions_in_asterisks(reply: str, context: ReplyContext, min_spans: int = 1) -> Outcome:
    spans = _HIGHLIGHT.findall(reply)
    return Outcome(float(len(spans)), len(spans) >= min_spans, "" if len(spans) >= min_spans else "no *action* span")


def no_markdown(reply: str, context: ReplyContext) -> Outcome:
    match = _MARKDOWN.search(reply)
    return Outcome(0.0 if match else 1.0, match is None, f"markdown: {match.group(0).strip()[:30]!r}" if match else "")


def ends_cleanly(reply: str, context: ReplyContext) -> Outcome:
    """Passes when the reply ends on terminal punctuation or a closing mark and was not cut off."""
    cut = context.finish_reason == "length"
    ok = bool(reply.strip()) and bool(_ENDS.search(reply)) and not cut
    why = "cut off at max_new_tokens" if cut else "" if ok else f"ends mid-sentence: ...{reply.strip()[-30:]!r}"
    return Outcome(1.0 if ok else 0.0, ok, why)


def lowercase(reply: str, context: ReplyContext) -> Outcome:
    ok = bool(reply.strip()) and reply == reply.lower()
    return Outcome(1.0 if ok else 0.0, ok, "" if ok else "has capital letters")


def no_comma(reply: str, context: ReplyContext) -> Outcome:
    ok = bool(reply.strip()) and "," not in reply
    return Outcome(1.0 if ok else 0.0, ok, "" if ok else "has a comma")
