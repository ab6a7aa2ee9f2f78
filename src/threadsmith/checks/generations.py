"""Synthetic-noise checks (SN) about broken generations: replies cut off, replies stuck in a loop."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from itertools import compress, repeat
from operator import itemgetter

from threadsmith.checks.base import ConversationCheck, Hit
from threadsmith.checks.registry import register
from threadsmith.checks.synthetic_noise import quote, replies
from threadsmith.checks.text import COMMON_WORDS, view, words
from threadsmith.checks.turn_scan import scan
from threadsmith.model import Conversation, Family, FixSafety, Severity

# --- Truncated replies ------------------------------------------------------------------------

_CLOSERS = "\"'”’*)]_~»`"
_TERMINAL = ".!?…。！？"
_DANGLING = ",;:([{“‘«"
_ENDED = _TERMINAL + _CLOSERS
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
    """'an unclosed *action*' or 'an open quotation' opened in the last paragraph, or None
    (the parity of the marks is counted only when the last one opens a span)."""
    last = text[text.rfind("\n\n") + 1:] if "\n" in text else text
    if "*" in last and _opens(last, "*"):
        stars = last.count("*") - last.startswith("* ") - (last.count("\n* ") if "\n" in last else 0)  # bullets
        if stars % 2:
            return "ends inside an unclosed *action*"
    if '"' in last and _opens(last, '"') and last.count('"') % 2:
        return "ends inside an open quotation"
    if not last.isascii() and "“" in last and last.count("“") > last.count("”") \
            and last.rfind("“") > last.rfind("”"):
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
    if not text:
        return None
    end = text[-1]
    if end in ".…`" and text.endswith(("...", "…", "```")):
        return None
    if "`" in text and text.count("```") % 2:
        return "ends inside an unclosed code block"
    if end in ".)-*•" and (text[-2:-1].isspace() or text[-2:-1].isdigit()) and _EMPTY_ITEM.search(text[-16:]):
        return "ends with an empty list item"  # (a bullet after a space, or a number)
    unclosed = _unclosed(text) if "*" in text or '"' in text or "“" in text else None  # the marks it needs
    if unclosed or end in _ENDED:
        return unclosed
    if end in _DANGLING:
        return f"ends with '{end}'"
    if not end.isalnum():
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

    def check(self, conversation: Conversation) -> Iterable[Hit]:
        min_words, keep = self.options["min_fragment_words"], self.options["min_keep"]
        hits = []
        views = view(conversation)
        for i in scan(conversation).endings:  # the replies that may end cut off
            text = views[i].text
            reason = unfinished(text, min_words)
            if reason:
                fixable = _trimmed(text, keep, min_words) is not None
                hits.append(Hit(i, f"assistant message {i} looks cut off: it {reason}", fixable))
        return hits

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
_FOLDED, _WORDS = itemgetter(2), itemgetter(3)  # MessageView.folded, .words


def _clauses(folded: str) -> list[str]:
    """The text cut at sentence ends, commas and line breaks (cheap: str methods only); quotes and
    asterisks count as spaces, so '"X." "X."' and '*X.* *X.*' repeat the clause "x"."""
    if '"' in folded:
        folded = folded.replace('"', " ")
    if "*" in folded:
        folded = folded.replace("*", " ")
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


def _runs_in_circles(sentence: bytes) -> bool:
    """True when a long unpunctuated sentence uses few distinct words (a loop may hide there)."""
    tokens = sentence.split()
    return len(set(tokens)) < 0.5 * len(tokens)


#: The loop probe's clause ends (sentence ends, commas, line breaks) become NUL; quotes and
#: asterisks become spaces ('"X." "X."' and '*X.* *X.*' repeat the clause "x").
_CLAUSE_ENDS = bytes(0 if chr(b) in ".,!?\n" else 0x20 if chr(b) in '"*' else b for b in range(256))
_RUN_ON = 100  # bytes: a longer clause may hide a loop without punctuation
_ENDS = ' "*.!?,\t\n'  # what a reply's text may end with


def _may_loop(text: str, min_repeats: int) -> bool:
    """A cheap probe (bytes methods and one set, no Python loop): True when a clause (cut at every
    sentence end, comma and line break) repeats, or one runs on for ``_RUN_ON`` bytes and circles
    (its middle recurs, it uses few distinct words). A clause that :func:`_clauses` finds ``n``
    times is made of such clauses, whose copies differ at most by the spaces before them (one
    after ". ", none after a line break), so it makes ``(n + 1) // 2 - 1`` repeats or more (see
    :func:`_probe_repeats`). Empty clauses and lone spaces (between '."' and a line break) are not
    clauses: they are counted only when the repeats could be theirs."""
    parts = text.encode("utf-8", "ignore").translate(_CLAUSE_ENDS).split(b"\0")
    distinct = set(parts)
    least = _probe_repeats(min_repeats)
    if len(parts) - len(distinct) >= least:
        empty, space = parts.count(b""), parts.count(b" ")
        if len(parts) - len(distinct) - max(0, empty - 1) - max(0, space - 1) >= least:
            return True
    return max(map(len, distinct)) > _RUN_ON and any(
        map(_circles, compress(parts, map(_RUN_ON.__lt__, map(len, parts)))))


def _circles(clause: bytes) -> bool:
    """True when the clause's middle recurs three times and the clause uses few distinct words."""
    middle = len(clause) // 2
    return clause.count(clause[middle:middle + 8]) >= 3 and _runs_in_circles(clause)


def _probe_repeats(min_repeats: int) -> int:
    """The repeats :func:`_may_loop` must find for a clause to occur ``min_repeats`` times."""
    return max(0, (min_repeats + 1) // 2 - 1)


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
        the n-gram count runs when clauses repeat, or a clause runs on for 100 characters in
        circles: its middle recurs and it uses few distinct words). The repeated piece is quoted.
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

    def check(self, conversation: Conversation) -> Iterable[Hit]:
        o = self.options
        least = o["min_sentence_words"] * o["min_repeats"]
        indexes, views = replies(conversation)
        if not views:
            return ()
        if min(map(len, map(_WORDS, views))) < least:
            kept = [(i, v) for i, v in zip(indexes, views) if len(v.words) >= least]
            if not kept:
                return ()
            indexes, views = zip(*kept)
        if len(views) > 1:  # one probe for all the replies first (their ends stripped: no empty clauses)
            texts = list(map(str.rstrip, map(_FOLDED, views), repeat(_ENDS)))
            text = "\n".join(texts)
            if "`" in text:
                text = "\n".join([_CODE.sub(" ", t) if "`" in t else t for t in texts])
            if not _may_loop(text, o["min_repeats"]):
                return ()
        hits = []
        for i, v in zip(indexes, views):
            found = self._loop(v.folded, v.words)
            if found:
                piece, count = found
                hits.append(Hit(i, f"assistant message {i} repeats '{quote(piece)}' {count} times"))
        return hits

    def _loop(self, folded: str, tokens: tuple[str, ...]) -> tuple[str, int] | None:
        """The repeated piece of one reply and its count, or None (code and URLs are left out)."""
        o = self.options
        code = "`" in folded
        if code:
            folded = _CODE.sub(" ", folded)
        if not _may_loop(folded, o["min_repeats"]):
            return None
        found = _repeated_piece(_clauses(folded), o["min_sentence_words"], o["min_repeats"])
        if found is None:
            if code or "://" in folded or "www." in folded:
                tokens = tuple(words(_URL.sub(" ", folded) if "://" in folded or "www." in folded else folded))
            found = _repeated_ngram(tokens, o["ngram_words"], o["min_ngram_repeats"])
        return found
