"""What the weak-turn checks (WT) read in a turn: generic acknowledgements, requests for
something short, questions, and the content words a reply should take up. Our own word lists.
"""

from __future__ import annotations

import re

from threadsmith.checks.text import ACTION, WORD, MessageView, PhraseMatcher

# Generic acknowledgements: a reply made only of these (and at most a short *action*) says nothing.
# "Thank you", "you're welcome", "yes" and "no" are left out: they can be the right reply.
_ACKNOWLEDGEMENTS = (
    "ok", "okay", "okey", "okie", "k", "kk", "sure", "sure thing", "of course", "alright", "all right",
    "i see", "i see now", "got it", "gotcha", "understood", "noted", "cool", "nice", "great", "good", "fine",
    "very well", "sounds good", "sounds great", "sounds fine", "sounds like a plan", "that's nice",
    "that's great", "that's cool", "that's good", "that's fine", "that's interesting", "how interesting",
    "interesting", "very interesting", "hmm", "hm", "hmmm", "mhm", "mm", "mm hmm", "mmhmm", "uh huh",
    "yeah", "yep", "yup", "yes yes", "right", "true", "indeed", "makes sense", "that makes sense",
    "i understand", "i get it", "will do", "no problem", "no worries", "certainly", "absolutely",
    "definitely", "exactly", "agreed", "i agree", "fair enough", "if you say so", "as you wish",
    "whatever", "i guess", "i suppose", "good point", "i see what you mean", "tell me more", "go on",
    "and", "really", "oh really", "is that so", "i know", "me too", "same", "same here", "lol", "haha",
    "hehe", "wow", "oh", "ah", "aha", "ahh", "ohh", "well", "so", "nice one", "neat", "awesome",
    "alright then", "all right then", "okay then", "ok then", "fine then", "well then", "if you insist",
)
_ACK_ALTERNATION = "|".join(re.escape(p) for p in sorted(_ACKNOWLEDGEMENTS, key=len, reverse=True))
_ACK_ONLY = re.compile(rf"(?:{_ACK_ALTERNATION})(?: (?:{_ACK_ALTERNATION}))*")
# The user asked for a bare acknowledgement ("reply with OK if you understand").
_ASKED_FOR_ACK = re.compile(
    r"\b(?:(?:reply|respond|answer) (?:only )?with|just say|only say|say (?:ok|okay|yes|got it)|"
    r"one[- ]word|acknowledge)\b")
_WH_START = re.compile(r"\s*(?:\W\s*)?(?:what|why|how|when|where|who|whom|whose|which)\b")
# The user asked for something short by nature (a haiku, a riddle's answer, one sentence): a short
# reply is then what the data should hold. "Briefly" or "short" are not enough: a brief answer
# is still an answer. Single words are looked up in the turn's words; phrases are searched only
# after one of their lead words.
_SHORT_WORDS = frozenset("""haiku haikus riddle riddles limerick slogan slogans tagline motto headline tweet
acronym nickname""".split())
_SHORT_LEADS = frozenset("one single two three few word summarize summarise what yes true".split())
_SHORT_PHRASES = PhraseMatcher(
    [*(f"{n}{sep}{unit}{plural}" for n in ("one", "single", "two", "three", "a few") for sep in (" ", "-")
       for unit in ("word", "sentence", "line", "phrase") for plural in ("", "s")),
     "in a word", "summarize in", "summarise in", "what am i", "yes or no", "true or false"])


_SHORT_TRIGGERS = _SHORT_WORDS | _SHORT_LEADS
#: A literal part of every phrase of :data:`_SHORT_PHRASES`: a turn without any is not searched.
_SHORT_PARTS = ("word", "sentence", "line", "phrase", "summari", "what am i", "yes or no", "true or false")


def _asks_for_short(user: MessageView) -> bool:
    words = user.words
    if _SHORT_TRIGGERS.isdisjoint(words):  # one C-level pass: most user turns stop here
        return False
    if not _SHORT_WORDS.isdisjoint(words):
        return True
    folded = user.folded
    return any(part in folded for part in _SHORT_PARTS) and _SHORT_PHRASES.search(folded) is not None


# Words too common to show that a reply takes up the question (own list; compared on 5-letter stems).
_STOPWORDS = frozenset("""
a an the and or but if so of to in on at for with by from up out into over about as than then
is are was were be been being am do does did done have has had having can could would should
will shall may might must i me my mine myself you your yours yourself we us our they them their
he him his she her it its it's this that these those there here what why how when where who whom
whose which not no yes very just also too really more most much many some any all each every
one ones thing things way get got make made like tell know think want need please let let's
i'm you're don't doesn't can't isn't aren't what's how's there's that's would've could've
good well ok okay sure now still even only other another such own same something anything
everything nothing someone anyone everyone go going come give take say said see look use
""".split())


def _bare_words(v: MessageView) -> list[str] | tuple[str, ...]:
    """The reply's words outside *actions* (the words themselves when there is no action)."""
    if "*" not in v.folded:
        return v.words
    return WORD.findall(ACTION.sub(" ", v.folded))


def minimal_reply(v: MessageView, max_words: int) -> bool:
    """True when the whole reply is a generic acknowledgement ("Okay.", "*nods* Sure!", "I see.")."""
    if len(v.words) > max_words:
        return False
    bare = _bare_words(v)
    if not bare:
        return not v.words and len(v.text.strip()) <= 12
    return _ACK_ONLY.fullmatch(" ".join(bare)) is not None


def _shares_a_stem(question: tuple[str, ...], reply: str, min_stems: int) -> bool:
    """True when the reply's text contains the five-letter stem of a content word of the question,
    or when the question has fewer than ``min_stems`` content stems (too little to judge).

    A stem found anywhere in the reply counts: looser than matching words, so more conservative,
    and one fast substring search per stem that usually stops at the first stem.
    """
    stems = set()
    for word in question:
        if len(word) > 2 and word not in _STOPWORDS and not word.isdigit():
            stem = word[:5]
            if stem not in stems:
                if stem in reply:
                    return True
                stems.add(stem)
    return len(stems) < min_stems


#: Characters a question may end with after its "?" (closing quotes, brackets, white space).
_AFTER_QUESTION = "\"'”’)*]" + "".join(chr(c) for c in range(0x3001) if chr(c).isspace())


def _asks(user: MessageView) -> bool:
    text = user.folded
    return text.rstrip(_AFTER_QUESTION).endswith("?") or _WH_START.match(text) is not None


def _other_script(question: str, reply: str) -> bool:
    """True when the reply is mostly in another script than the question (a translation, say)."""
    if not question.isascii() or reply.isascii():
        return False
    letters = [c for c in reply if c.isalpha()]
    return sum(1 for c in letters if not c.isascii()) > 0.3 * len(letters)
