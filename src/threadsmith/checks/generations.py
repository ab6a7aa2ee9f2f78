"""Synthetic-noise checks (SN) about broken generations: replies cut off, replies stuck in a loop."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator

from threadsmith.checks.base import ConversationCheck, Hit
from threadsmith.checks.registry import register
from threadsmith.checks.synthetic_noise import quote
from threadsmith.checks.text import COMMON_WORDS, view, words
from threadsmith.model import Conversation, Family, FixSafety, Severity

# --- Truncated replies ------------------------------------------------------------------------

_CLOSERS = "\"'”’*)]_~»`"
_TERMINAL = ".!?…。！？"
_DANGLING = ",;:([{“‘«"
_FUNCTION_WORDS = frozenset({"a", "an", "the", "and", "or", "but", "nor", "of", "to", "with", "from", "into",
                             "onto", "than", "my", "your", "his", "their", "our", "its", "whose", "because",
                             "although", "whereas", "whether"})
_SENTENCE_END = re.compile(r"[.!?…][\"'”’*)\]]*(?=\s)")
_LAST_WORD = re.compile(r"([^\W_]+)[^\w]*$")
_STRUCTURED_LINE = re.compile(r"^(?:[-+•|#>]|\*\s|\d+[.)]\s|[A-Z][\w ]{0,24}:\s)")
_SIGNOFF = re.compile(r"(?:^[-–—~]\s*\S|,\s*(?:\S+\s*){1,5}$)")
_LAST_COMMA_PART = re.compile(r",\s*([^,]*)$")
_EMPTY_ITEM = re.compile(r"(?:[.!?:]\s+|\n\s*)(?:\d{1,2}[.)]|[-*•])$")  # searched in the last 16 characters
_LABEL = re.compile(r"[\w' ]{1,25}:\s")
_CLOSINGS = frozenset({"cheers", "thanks", "regards", "best", "love", "enjoy", "bye", "goodbye", "farewell", "with",
                       "sincerely", "yours", "warmly", "respectfully", "cordially", "godspeed", "onward", "peace",
                       "amen", "namaste", "ciao", "xoxo", "salut", "adieu"})


def _opens(text: str, mark: str) -> bool:
    """True when the last ``mark`` in ``text`` opens a span (after a space, before a word)."""
    k = text.rfind(mark)
    return (k == 0 or text[k - 1].isspace() or text[k - 1] == "(") and k + 1 < len(text) and not text[k + 1].isspace()


def _unclosed(text: str) -> str | None:
    """'an unclosed *action*' or 'an open quotation' opened in the last paragraph, or None."""
    last = text[text.rfind("\n\n") + 1:] if "\n" in text else text
    if "*" in last:
        stars = last.count("*") - last.count("\n* ") - last.startswith("* ")  # bullets
        if stars % 2 and _opens(last, "*"):
            return "ends inside an unclosed *action*"
    if '"' in last and last.count('"') % 2 and _opens(last, '"'):
        return "ends inside an open quotation"
    if "“" in last and last.count("“") > last.count("”") and last.rfind("“") > last.rfind("”"):
        return "ends inside an open quotation"
    return None


def _prose_fragment(text: str, min_words: int) -> str | None:
    """The unfinished last sentence of prose text, or None when the ending is structured (list,
    table, poem, signature, URL, hashtag, "Label: value"). A capitalized fragment on the line of
    a finished sentence counts from one word unless it reads as a name or a closing ("Jane
    Austen", "Cheers")."""
    lines = text.rsplit("\n", 2)
    last = lines[-1].strip()
    above = [line.strip() for line in lines[:-1]]
    if above and above[-1] and above[-1][-1] not in _TERMINAL + _CLOSERS:
        return None  # the same block as a line without an ending: a list, a poem, "Yours sincerely,"
    if above and (_STRUCTURED_LINE.match(last) or any(line.endswith(",") for line in above[-2:])):
        return None  # a list item, or a signature under "Yours sincerely," and a blank line
    ends = list(_SENTENCE_END.finditer(last))
    fragment = last[ends[-1].end():].strip() if ends else last
    fragment_words = fragment.split()
    if not fragment_words or fragment_words[-1].startswith(("#", "@", "http", "www.")) or "=" in fragment:
        return None  # a hashtag, a handle, a URL, an equation
    label = _LABEL.match(fragment)
    if label and (len(fragment_words) - len(label.group(0).split()) <= 4
                  or not any(c.isalpha() for c in fragment[label.end():])):
        return None  # "Day 2: Explore", "Our reply: 1011 0010"
    after_comma = _LAST_COMMA_PART.search(fragment)
    if _SIGNOFF.search(fragment) and (after_comma is None or _name_like(after_comma.group(1).split())
                                      or fragment_words[0].lower() in _CLOSINGS):
        return None  # "- Harry", "Yours truly, Jane Austen", "With respect and hope, your AI companion"
    if len(fragment_words) >= min_words:
        return fragment
    if ends and fragment[:1].isupper() and fragment_words[0].lower() not in _CLOSINGS and not (
            len(fragment_words) > 1 and _name_like(fragment_words)):
        return fragment  # "... the beam. It has th", "... to the key. Con" (lower case is chat style)
    return None


def _name_like(tokens: list[str]) -> bool:
    """True for capitalized words that are not common ones: "Jane Austen", "Your AI companion" is not."""
    return bool(tokens) and all(len(w) > 1 and w[:1].isupper() and w.lower() not in COMMON_WORDS for w in tokens)


def unfinished(text: str, min_words: int = 4) -> str | None:
    """Why an assistant reply looks cut off (a short phrase), or None when it looks complete."""
    text = text.rstrip()
    if not text or text.endswith(("...", "…", "```")):
        return None
    if "`" in text and text.count("```") % 2:
        return "ends inside an unclosed code block"
    unclosed = _unclosed(text)
    if text[-1] in ".)-*•" and not text[-2:-1].isalpha() and _EMPTY_ITEM.search(text[-16:]):
        return "ends with an empty list item"
    if unclosed or text[-1] in _TERMINAL or text[-1] in _CLOSERS:
        return unclosed
    if text[-1] in _DANGLING:
        return f"ends with '{text[-1]}'"
    if not text[-1].isalnum():
        return None  # emoji, symbols
    word = _LAST_WORD.search(text)
    if word and word.group(1).lower() in _FUNCTION_WORDS and " " in text:
        return f"ends mid-sentence with '{word.group(1)}'"
    if not any(mark in text for mark in ".!?") and (text[:1].islower() or len(text.split()) < 8):
        return None  # unpunctuated chat style: "haha same", "ok see you there"
    fragment = _prose_fragment(text, min_words)
    return None if fragment is None else f"ends mid-sentence: '…{quote(fragment[-40:], 40)}'"


def _trimmed(text: str, min_keep: float, min_words: int) -> str | None:
    """The text cut back to its last complete sentence, or None when that loses too much."""
    ends = list(_SENTENCE_END.finditer(text.rstrip() + " "))
    if not ends:
        return None
    cut = text[:ends[-1].end()].rstrip()
    if len(cut) < min_keep * len(text.rstrip()) or unfinished(cut, min_words):
        return None
    return cut


@register
class TruncatedReply(ConversationCheck):
    """An assistant turn stops mid-sentence, mid-action or inside a code block.

    What it does:
        Reports assistant turns that end with a dangling comma, colon or opening bracket, with a
        word such as "the" or "and", inside an unclosed code block, ``*action*`` or quotation,
        or with an unpunctuated last sentence in otherwise punctuated prose (of at least
        ``min_fragment_words`` words, or of any length after a finished sentence on the same
        line unless it reads as a name). Endings that are complete are left alone: "...", emoji, a
        closed ``*smiles*`` or quotation, lists, tables, poems, signatures ("Yours, Ada"), URLs,
        hashtags, and unpunctuated chat-style replies ("haha same", "ok see you there").
    Why it matters:
        Generations cut at a token limit teach the model to stop in the middle of a thought;
        it learns to end replies abruptly.
    Example:
        assistant: "The lighthouse keeper opened the door and saw the"
    Fix:
        Unsafe: cut the reply back to its last complete sentence, when that keeps at least
        ``min_keep`` of it (otherwise there is no fix: finish the reply or drop the example).
    """

    code = "SN003"
    name = "truncated-reply"
    family = Family.SYNTHETIC_NOISE
    severity = Severity.WARNING
    fix_safety = FixSafety.UNSAFE
    fix_description = "cut the reply back to its last complete sentence"
    defaults = {"min_fragment_words": 4, "min_keep": 0.5}

    def check(self, conversation: Conversation) -> Iterator[Hit]:
        min_words, keep = self.options["min_fragment_words"], self.options["min_keep"]
        for i, message in enumerate(conversation.messages):
            if message.role != "assistant":
                continue
            reason = unfinished(message.text, min_words)
            if reason:
                fixable = _trimmed(message.text, keep, min_words) is not None
                yield Hit(i, f"assistant message {i} looks cut off: it {reason}", fixable)

    def fix(self, conversation: Conversation) -> Conversation:
        min_words, keep = self.options["min_fragment_words"], self.options["min_keep"]
        messages = list(conversation.messages)
        for i, message in enumerate(messages):
            if message.role == "assistant" and unfinished(message.text, min_words):
                cut = _trimmed(message.text, keep, min_words)
                if cut is not None:
                    messages[i] = message.with_text(cut)
        return conversation.with_messages(messages)


# --- Degenerate loops -------------------------------------------------------------------------

_CODE = re.compile(r"```.*?(?:```|\Z)|`[^`\n]+`", re.S)
_URL = re.compile(r"(?:https?://|www\.)\S+")
_PIECE_STRIP = " .!?,;:\"'*()[]-—–…"
_LONG_CLAUSE = 200  # characters without a sentence end or line break: a loop may hide there


def _clauses(folded: str) -> list[str]:
    """The text cut at sentence ends, commas and line breaks (cheap: str methods only)."""
    if "\n" in folded:
        folded = folded.replace(".\n", ". ").replace("\n", ". ")
    if "!" in folded:
        folded = folded.replace("! ", ". ")
    if "?" in folded:
        folded = folded.replace("? ", ". ")
    return folded.replace(", ", ". ").rstrip(" .!?,").split(". ")


def _repeated_piece(parts: list[str], min_words: int, min_repeats: int) -> tuple[str, int] | None:
    """The longest clause of >= ``min_words`` words occurring >= ``min_repeats`` times."""
    counts = Counter(p.strip(_PIECE_STRIP) for p in parts)
    repeated = [(len(p), p, n) for p, n in counts.items()
                if n >= min_repeats and sum(not w.isdigit() for w in words(p)) >= min_words]
    return max(repeated)[1:] if repeated else None


def _runs_in_circles(sentence: str) -> bool:
    """True when a long unpunctuated sentence uses few distinct words (a loop may hide there)."""
    tokens = sentence.split()
    return len(set(tokens)) < 0.5 * len(tokens)


def _repeated_ngram(tokens: tuple[str, ...], size: int, min_repeats: int) -> tuple[str, int] | None:
    """The most repeated n-gram of ``size`` words, when it occurs >= ``min_repeats`` times."""
    if len(tokens) < size * min_repeats:
        return None
    for gram, count in Counter(zip(*(tokens[k:] for k in range(size)))).most_common(3):
        if count < min_repeats:
            break
        if any(len(w) > 1 and not w.isdigit() for w in gram):  # not a table of numbers
            return " ".join(gram), count
    return None


@register
class DegenerateLoop(ConversationCheck):
    """An assistant turn repeats the same sentence or long phrase over and over.

    What it does:
        Reports assistant turns where one sentence, clause or line of at least
        ``min_sentence_words`` words occurs ``min_repeats`` times or more, or where a run of
        ``ngram_words`` words occurs ``min_ngram_repeats`` times or more (code and URLs are ignored;
        the n-gram count runs when the sentence probe finds repeats or a sentence runs on for
        200 characters with few distinct words). The repeated piece is quoted.
    Why it matters:
        Looping text is the classic failure of a sampler stuck in a cycle; trained on, it
        teaches the model that repeating itself is a way to continue.
    Example:
        assistant: "I will never leave you. I will never leave you. I will never leave you."
    Fix:
        None automatic: cut the loop (keep one occurrence) or regenerate the reply.
    """

    code = "SN004"
    name = "degenerate-loop"
    family = Family.SYNTHETIC_NOISE
    severity = Severity.ERROR
    defaults = {"min_repeats": 3, "min_sentence_words": 4, "ngram_words": 8, "min_ngram_repeats": 4}

    def check(self, conversation: Conversation) -> Iterator[Hit]:
        o = self.options
        for i, v in enumerate(view(conversation)):
            if v.role != "assistant" or len(v.words) < o["min_sentence_words"] * o["min_repeats"]:
                continue
            folded, tokens = v.folded, v.words
            if "`" in folded:
                folded = _CODE.sub(" ", folded)
                tokens = tuple(words(folded))
            parts = _clauses(folded)
            probe = len(parts) - len(set(parts)) >= o["min_repeats"] - 1
            found = _repeated_piece(parts, o["min_sentence_words"], o["min_repeats"]) if probe else None
            if found is None and (probe or (max(map(len, parts)) > _LONG_CLAUSE
                                            and any(_runs_in_circles(p) for p in parts if len(p) > _LONG_CLAUSE))):
                plain = _URL.sub(" ", folded) if "://" in folded or "www." in folded else None
                tokens = tuple(words(plain)) if plain else tokens
                found = _repeated_ngram(tokens, o["ngram_words"], o["min_ngram_repeats"])
            if found:
                piece, count = found
                yield Hit(i, f"assistant message {i} repeats '{quote(piece)}' {count} times")
