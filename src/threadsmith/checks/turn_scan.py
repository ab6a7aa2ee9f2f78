"""One cheap pass over a conversation's messages, shared by the role-confusion (RC) and filler (FL) checks
and the truncated-reply check (SN003).

Most conversations give most of these checks nothing to read: no speaker label, no template
token, no opener or sign-off word. :func:`scan` finds, once per conversation, the few messages
each check must read, with character tests (``":" in text``) and lookups of a turn's first and
last words in small tables; the checks then look only at those messages. The word tables live
here, next to the pass that reads them; each names the check it serves.
"""

from __future__ import annotations

from threadsmith.checks.text import joined, view
from threadsmith.model import Conversation


def openings(spec: str) -> dict[str, frozenset[str] | None]:
    """First word -> the second words an opener may go on with (None: any), from "first:second,second" items."""
    table: dict[str, frozenset[str] | None] = {}
    for item in spec.split():
        first, _, seconds = item.partition(":")
        table[first] = frozenset(seconds.split(",")) if seconds else None
    return table


def may_open(words: tuple[str, ...], table: dict[str, frozenset[str] | None]) -> bool:
    """True when the first words of a turn may start one of the openers of ``table``."""
    seconds = table.get(words[0], False) if words else False
    return seconds is None or bool(seconds and len(words) > 1 and words[1] in seconds)


# --- RC005: how requests and answers open --------------------------------------------------

#: The first words (and second words) of the request openers of :mod:`threadsmith.checks.role_swap`: a
#: turn that starts otherwise cannot open like a request.
REQUEST_OPENS = openings("""
hi hey hello can:you could:you would:you will:you please help write explain summarize summarise translate give tell
describe how:do,can,should what:is what's:the i:need,want i'd:like i'm:looking imagine pretend roleplay role:play
act:as take:on,the assume:the play:the step:into you:are you're as:a,an,the compose create list provide suggest
generate outline name discuss share offer
""")
#: The same for the answer openers (``_ANSWER_OPENER``, ``_PRESENTS`` in :mod:`threadsmith.checks.role_swap`).
ANSWER_OPENS = openings("""
sure certainly absolutely of:course great:question good:question excellent:question i'd:be i'm:happy,glad,delighted
i:would,am as:an here:is,are here's
""")

# --- FL002: how throat-clearing opens -------------------------------------------------------

_PRAISED = "question questions request requests prompt prompts scenario premise topic task challenge query " \
           "exercise writing idea ideas"
_ADJECTIVES = "great good excellent fantastic wonderful interesting awesome brilliant fascinating intriguing " \
              "delightful lovely fun creative thoughtful cool neat amazing exciting unique clever beautiful splendid " \
              "superb important"
_ANY_ADJECTIVE = _ADJECTIVES.replace(" ", ",")
#: First words of every opener of :mod:`threadsmith.checks.filler_openers` and the second words they
#: may go on with: a reply starting otherwise is not read further.
OPENER_WORDS = openings(
    " ".join(f"{adjective}:{_PRAISED.replace(' ', ',')}" for adjective in _ADJECTIVES.split())
    + "".join(f" {word}:{_ANY_ADJECTIVE},happy,glad,delighted" for word in "really very truly particularly".split())
    + f" what:a,an that's:a,an,really,very,such,{_ANY_ADJECTIVE} that:is this:is such:a,an ah oh ooh wow well"
    " i:love,adore,really,would,am,can,could,will i'd:be,love i'm:happy,glad,delighted,so,very,more"
    " i'll:do,help,try,manage,handle thought thank:you thanks:for,so happy:to glad:to delighted:to"
    " so:happy,glad,delighted more:than certainly sure absolutely of:course definitely gladly okay ok alright"
    " all:right here:you,is,are,it,we here's below:is,are let's:get,dive,begin,do,go let:me,us without:further"
)

# --- FL001: how sign-offs end ---------------------------------------------------------------

#: Key words of the sign-offs of :mod:`threadsmith.checks.filler`: one is among a sign-off's last words.
SIGN_OFF_KEYS = frozenset("""hope know free hesitate else questions help here luck enjoy thanks thank expand
elaborate continue details think asking reach clears coding cooking baking reading writing learning gardening
travels""".split())
DAY_WORDS = frozenset({"day", "one", "evening", "weekend", "night"})
#: What comes before a day word in a wish ("have a great day", "good night").
PLEASANT = frozenset({"great", "good", "nice", "wonderful", "lovely", "fantastic", "fun", "beautiful", "relaxing",
                      "safe", "happy", "blessed", "productive", "awesome", "brilliant", "amazing", "restful"})


def may_sign_off(words: tuple[str, ...], window: int = 2) -> bool:
    """Cheap test on a turn's words before the search for a sign-off: a key word among the last three
    words per sentence of the window (sign-offs are short, and end a reply), or a wish for the day."""
    tail = words[-3 * window:]
    if not SIGN_OFF_KEYS.isdisjoint(tail):
        return True
    return len(tail) > 1 and tail[-1] in DAY_WORDS and tail[-2] in PLEASANT


# --- SN003: how replies end -----------------------------------------------------------------

#: What a complete reply ends with: a sentence end or a closer (``generations._ENDED``, a test keeps them equal).
REPLY_ENDS = ".!?…。！？" + "\"'”’*)]_~»`"


def may_be_cut(text: str) -> bool:
    """False when :func:`threadsmith.checks.generations.unfinished` finds nothing for sure: the
    text ends with a sentence end or a closer that no empty list item ("2.") can be, holds no code
    and no curly quote, and its last ``*`` and ``"`` close a span (or come last) rather than open
    one. True: the check must look (most replies of chat data are False)."""
    end = text[-1:]
    if not end or end not in REPLY_ENDS or "`" in text or "“" in text or (
            end in ".)-*•" and not text[-2:-1].isalpha()):
        return True
    for mark in "*\"":
        if mark != end and mark in text:  # (a mark that ends the text closes)
            k = text.rfind(mark)
            if (k == 0 or text[k - 1].isspace() or text[k - 1] == "(") and k + 1 < len(text) \
                    and not text[k + 1].isspace():
                return True  # it may open a span: unfinished() counts the marks
    return False


# --- the pass ---------------------------------------------------------------------------------

#: A reply's first word -> (REQUEST_OPENS's seconds, OPENER_WORDS's seconds; False: not in that table).
_REPLY_OPENS = {word: (REQUEST_OPENS.get(word, False), OPENER_WORDS.get(word, False))
                for word in REQUEST_OPENS.keys() | OPENER_WORDS.keys()}


class Scan:
    """The messages each check needs to read (indices into the conversation's messages).

    A slotted class: its fields are read by every check, and slot reads are the cheapest
    attribute reads there are.
    """

    __slots__ = ("labels", "prefixes", "tokens", "you", "swap", "narrated", "acted", "sign_offs", "openers",
                 "paragraphs", "endings")

    def __init__(self, labels: tuple[int, ...], prefixes: tuple[int, ...], tokens: tuple[int, ...],
                 you: tuple[int, ...], swap: tuple[int, ...], narrated: bool, acted: tuple[int, ...],
                 sign_offs: tuple[int, ...], openers: tuple[int, ...], paragraphs: tuple[int, ...],
                 endings: tuple[int, ...]) -> None:
        self.labels = labels  # RC001: user and assistant turns with a label separator (":", "]", ">", " - ")
        self.prefixes = prefixes  # RC002: ... with one within the first 80 characters
        self.tokens = tokens  # RC003: any message with "<", "[" or "#"
        self.you = you  # RC004: assistant turns after the first user turn that say "you"
        self.swap = swap  # RC005: user turns that may read like an answer, assistant turns like a request
        self.narrated = narrated  # RC005: some user or assistant turn marks narration or dialogue ("*", '"')
        self.acted = acted  # RC005: the user turns that do
        self.sign_offs = sign_offs  # FL001: assistant turns with a sign-off's key word among the last words
        self.openers = openers  # FL002: assistant turns whose first words may open throat-clearing
        self.paragraphs = paragraphs  # FL003: assistant turns with two paragraphs that may be prose
        self.endings = endings  # SN003: assistant turns that may end cut off (see may_be_cut)


_last: tuple[Conversation | None, Scan | None] = (None, None)


def scan(conversation: Conversation) -> Scan:
    """:class:`Scan` of a conversation; cached for the conversation being checked.

    The characters labels and tokens need are first looked for in all the text at once (most
    conversations have none); the messages are then read once, field by field. Most fields stay
    empty, so they grow as tuples (``+= (i,)``) without allocating a list per field. The loop is
    long and flat on purpose: it runs for every conversation, and a call per test would cost more
    than the tests (``seconds is None or ...`` is :func:`may_open`, inline).
    """
    global _last
    if _last[0] is conversation and _last[1] is not None:
        return _last[1]
    any_token, any_label = _characters(joined(conversation))
    labels = prefixes = tokens = you = swap = acted = sign_offs = openers = paragraphs = endings = ()
    narrated = seen_user = False
    for i, (role, text, folded, words) in enumerate(view(conversation)):
        if any_token and ("<" in text or "[" in text or "#" in text):
            tokens += (i,)
        if role == "assistant":
            if may_be_cut(text):
                endings += (i,)
            if "\n" in text and prose_starts(text) >= 2:
                paragraphs += (i,)
            if seen_user and "you" in folded:
                you += (i,)
            if not narrated and ("*" in folded or '"' in folded):
                narrated = True
            if words:
                opens = _REPLY_OPENS.get(words[0])  # most replies open with a word of neither table
                if opens is None:
                    if len(words) <= 40 and folded.find("?", -6) >= 0:
                        swap += (i,)
                else:
                    seconds, opener = opens  # may read like a request (a superset: see role_swap), may clear its throat
                    if seconds is None or (seconds and len(words) > 1 and words[1] in seconds) or (
                            len(words) <= 40 and folded.find("?", -6) >= 0):
                        swap += (i,)
                    if opener is None or (opener and len(words) > 1 and words[1] in opener):
                        openers += (i,)
                if not SIGN_OFF_KEYS.isdisjoint(words[-6:]) or (words[-1] in DAY_WORDS and may_sign_off(words)):
                    sign_offs += (i,)  # may_sign_off(words), its common case inline
        elif role != "user":
            continue
        else:
            seen_user = True
            if "*" in folded or '"' in folded:
                narrated = True
                acted += (i,)
            if words:  # may read like an answer: long, an answer's opening words, laid out on several lines
                seconds = ANSWER_OPENS.get(words[0], False)
                if (len(words) >= 60 or seconds is None or (seconds and len(words) > 1 and words[1] in seconds)
                        or "\n" in folded or folded.startswith(("- ", "* ", "1. ", "#"))):
                    swap += (i,)
        if any_label and _may_label(text):
            labels += (i,)
            head = text[:80]
            if ":" in head or "]" in head or ">" in head:
                prefixes += (i,)
    found = Scan(labels, prefixes, tokens, you, swap, narrated, acted, sign_offs, openers, paragraphs, endings)
    _last = (conversation, found)
    return found


_BULLETS = frozenset({"- ", "* ", "• ", "+ "})


def prose_starts(text: str) -> int:
    """How many paragraphs (after blank lines, outside code fences) start otherwise than with a bullet:
    a quick upper bound of the prose paragraphs :mod:`threadsmith.checks.filler_paragraphs` judges."""
    count = 0
    blank = True
    fenced = False
    for line in text.split("\n"):
        stripped = line.strip()
        if stripped.startswith("```"):
            fenced = not fenced
            blank = True
        elif fenced:
            continue
        elif not stripped:
            blank = True
        elif blank:
            blank = False
            count += stripped[:2] not in _BULLETS
    return count


def _characters(everything: str) -> tuple[bool, bool]:
    """(whether a template token may be in the text, whether a speaker label may): the characters they need."""
    brackets = "[" in everything
    angles = ">" in everything  # every template token has "[", ">" or "#"
    any_token = brackets or angles or "#" in everything
    return any_token, brackets or angles or ":" in everything or "–" in everything or _spaced_dash(everything)


def _spaced_dash(text: str) -> bool:
    """True when a hyphen stands between spaces (``Name - text``); found from the hyphens, which are few."""
    at = text.find("-")
    while at >= 0:
        if text[at - 1:at] == " " and text[at + 1:at + 2] == " ":
            return True
        at = text.find("-", at + 1)
    return False


def _may_label(text: str) -> bool:
    """True when a text has a character a speaker label needs: ``:``, ``]``, ``>``, a dash between spaces."""
    return ":" in text or "]" in text or ">" in text or "–" in text or ("-" in text and " - " in text)
