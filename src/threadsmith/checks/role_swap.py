"""Role-confusion check RC005: user and assistant turns that read as if their roles were swapped.

Imported by :mod:`threadsmith.checks.role_confusion`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import NamedTuple

from threadsmith.checks.base import ConversationCheck, Hit
from threadsmith.checks.registry import register
from threadsmith.checks.role_voice import QUOTED, persona_names
from threadsmith.checks.text import MessageView, view
from threadsmith.checks.turn_scan import ANSWER_OPENS, REQUEST_OPENS, may_open, scan
from threadsmith.model import Conversation, Family, Severity

#: How an assistant reply opens.
_ANSWER_OPENER = re.compile(
    r"(?:sure|certainly|of course|absolutely|great question|good question|excellent question)\b[!,.]"
    r"|(?:i'd|i would|i'm|i am) (?:be )?(?:happy|glad|delighted) to (?:help|assist|explain)"
    r"|as an ai\b"
)
#: "Here's a ...": a weaker sign of an answer (users paste things with "Here is my ...").
_PRESENTS = re.compile(r"here(?:'s| is| are) (?:a|an|the|some|how|what)\b")
#: What a role-play instruction asks for after assigning the role ("You are a guide. Describe ...").
_TASK = (r"(?:(?:briefly|please|now|first|then|in detail) )?"
         r"(?:analy[sz]e|provide|describe|explain|tell|share|write|give|discuss|evaluate|assess|suggest|recommend"
         r"|create|compose|list|outline|offer|present|identify|detail|draft|compare|summari[sz]e|answer|respond"
         r"|reply|help|convince|persuade|introduce|narrate|teach|advise|how|what|why|which|please|imagine"
         r"|(?:can|could|would|will|do) you)")
#: How a user request opens.
_REQUEST_OPENER = re.compile(
    r"(?:(?:hi|hey|hello)[,!. ]+)?(?:"
    r"(?:can|could|would|will) you(?: please)? (?:help me|write|explain|tell me|give me|show me|recommend|suggest"
    r"|summari[sz]e|translate|create|generate|make me|list|describe|find|fix|check|review|rewrite|convert)\b"
    r"|please (?:help|write|explain|tell me|give me|show me|summari[sz]e|translate|create|generate|list|describe"
    r"|fix|rewrite)\b"
    r"|(?:help me|write (?:me )?(?:a|an|the|some)|explain (?:how|why|what|the)|summari[sz]e (?:this|the)"
    r"|translate (?:this|the)|give me|tell me (?:about|how|why|what)|describe (?:the|a|an|how)"
    r"|how (?:do|can|should) i (?!help|assist|be of)|what(?:'s| is) the best way to|i need (?:help|you to)"
    r"|i want you to|i'd like you to|i'm looking for)\b"
    r"|(?:imagine|pretend) (?:you are|you're|to be|yourself)\b|(?:role-?play|role play)\b|act as\b"
    r"|(?:take on|take|assume|play|step into) the (?:role|persona|part|shoes|perspective) of\b"
    r"|you are an? (?:\w+ ){0,4}?(?:who|with|from|in|at|tasked|specializ\w*|named|living|working|visiting)\b"
    r"|you(?: are|'re) [^.?!\n]{1,100}?[.,;:]\s+(?:[^.?!\n]{0,120}?[.,]\s+)?" + _TASK + r"\b"
    r"|as (?:a|an|the) [^?!\n]{1,80}?, " + _TASK + r"\b"
    r")"
)

#: A task verb opening a turn: a weaker sign of a request (answers open with imperatives too).
_TASK_OPENER = re.compile(
    r"(?:describe|write|compose|create|list|explain|summari[sz]e|provide|suggest|generate|give|tell|translate"
    r"|outline|name|discuss|share|offer|take on|you(?: are|'re) (?:a|an|the))\b"
)
#: The first person of someone telling their own situation (not "I'd suggest", "let me").
_OWN_WORDS = frozenset({"my", "i'm", "i've", "myself", "mine"})
_OWN_VERBS = frozenset({"was", "am", "have", "had", "want", "need", "got", "made", "tried", "can't", "don't"})
_YOU_WORDS = frozenset({"you", "your", "you're", "yourself"})


def has_markdown(folded: str) -> bool:
    """Lists, headings, code or bold: the layout of an answer."""
    if folded.startswith(("- ", "* ", "1. ", "#")) or ("*" in folded and "**" in folded):
        return True
    return "\n" in folded and ("\n- " in folded or "\n* " in folded or "\n1. " in folded or "\n2. " in folded
                               or "\n#" in folded or "```" in folded)


#: What may follow a closing question mark ("...?*", '...?"').
TRAILING = " \t\n*\"')"


def _person_balance(words: tuple[str, ...]) -> int:
    """Above 0 when the first words talk about oneself ("my", "I'm", "I have") more than about "you"."""
    head = set(words[:40])
    own = len(head & _OWN_WORDS) + bool("i" in head and head & _OWN_VERBS)
    return own - len(head & _YOU_WORDS)


def _turn_kind(words: tuple[str, ...], folded: str, expected: str, voice: bool = False) -> tuple[str | None, int]:
    """("request" or "answer" when a user or assistant turn clearly reads like one, else None; the margin).

    A request must open like one or end with a question; an answer must open like one, be long
    or be laid out (lists, code). ``expected`` is what the turn's role should read like: when the
    cheap signs already settle that, the dearer ones (layout, person) are skipped. ``voice``: the
    answers speak in a character's first person and the requests address "you" (role-play
    instructions), so the person votes the other way round.
    """
    head = folded[:200].lstrip(" \t\n*\"'#>-")
    count = len(words)
    opener = 2 if _REQUEST_OPENER.match(head) else 1 if _TASK_OPENER.match(head) else 0
    asks = "?" in folded and folded.rstrip(" \t\n*\"')").endswith("?")
    request = opener + (count <= 40) + asks
    answers = bool(_ANSWER_OPENER.match(head))
    answer = 2 if answers else 1 if _PRESENTS.match(head) else 0
    answer += (count >= 60) + ("?" not in folded)
    if expected == "answer" and answer >= 2 and answer > request + 1 and (answer >= 3 or count >= 60 or answers):
        return "answer", 0
    if expected == "request" and request >= 2 and request > answer + 1 + voice:
        return "request", 0
    layout = has_markdown(folded)
    answer += layout
    balance = _person_balance(words)
    if voice:
        answer += balance > 0
        request += balance < 0
    else:  # a question about oneself reads like a request; one about "you" like an assistant asking back
        request += (balance > 0) - (asks and balance < 0)
    # a question closing a long reply asks for details: it does not make the reply a request
    if request >= 2 and request > answer and (opener or (asks and (count <= 40 or expected == "request"))) \
            and not answers:
        return "request", request - answer
    # a turn that asks, with neither the opener nor the layout of an answer, is not one
    if answer >= 2 and answer > request and (answer >= 3 or count >= 60 or layout or answers) and opener < 2 \
            and (answers or layout or not asks):
        return "answer", answer - request
    return None, 0


def _other_margin(role: str, folded: str, words: tuple[str, ...], voice: bool) -> int:
    """The margin by which a user or assistant turn reads like the other role (:func:`_turn_kind`),
    or -1 when it does not; most turns are ruled out first from their first word, length, question
    marks and layout, at little cost."""
    if not words:
        return -1
    if role == "assistant":  # a request opens like one, or is short and asks
        if not may_open(words, REQUEST_OPENS):
            if len(words) > 40 or "?" not in folded or not folded.rstrip(TRAILING).endswith("?"):
                return -1
        kind, margin = _turn_kind(words, folded, "answer", voice)
        return margin if kind == "request" else -1
    # an answer needs two signs, and a short one without an answer's opener needs a layout
    opens = may_open(words, ANSWER_OPENS)
    if len(words) < 60 and not ("\n" in folded or folded.startswith(("- ", "* ", "1. ", "#"))):
        if not opens:
            return -1
        head = folded[:200].lstrip(" \t\n*\"'#>-")
        if not (_ANSWER_OPENER.match(head) or _PRESENTS.match(head)):
            return -1
    elif not opens and "?" in folded and folded.rstrip(TRAILING).endswith("?") and not has_markdown(folded):
        return -1  # it asks, with neither the opener nor the layout of an answer
    kind, margin = _turn_kind(words, folded, "request", voice)
    return margin if kind == "answer" else -1


#: The first word of each *action*, or of each sentence of narration (its subject, most of the time).
_ACTION_SUBJECT = re.compile(r"\*([a-z][\w']*)")
_SUBJECT = re.compile(r"[*.!?\n]\s*([a-z][\w']*)")
_FIRST_SUBJECTS = frozenset({"i", "my", "i'm", "i've", "i'd", "i'll"})
_THIRD_SUBJECTS = frozenset({"she", "he", "her", "his", "they", "their"})


def _narrative_person(folded: str, names: frozenset[str]) -> tuple[str | None, bool]:
    """("first" or "third" when a turn's narration (in *actions*, or outside quotes) is told in one
    person, else None; whether the character is named as a subject)."""
    if "*" in folded:
        subjects = _ACTION_SUBJECT.findall(folded)
    elif '"' in folded:
        subjects = _SUBJECT.findall("." + QUOTED.sub(".", folded))
    else:
        return None, False
    first = third = named = 0
    for subject in subjects:
        if subject in _FIRST_SUBJECTS:
            first += 1
        elif subject in names:
            named += 1
        elif subject in _THIRD_SUBJECTS:
            third += 1
    third += named
    return ("first" if first > third else "third" if third > first else None), named > 0


class Votes(NamedTuple):
    """How the turns of a conversation read, for and against the roles they are labelled with."""

    swapped: list[int]  # turns that read like the other role
    normal: int  # votes for the labels
    against: int  # votes against them
    #: Outside roleplay always; in roleplay, when both roles read like the other, or the user narrates
    #: the character by name.
    sure: bool


def _narrated(views: tuple[MessageView, ...]) -> bool:
    """True when some user or assistant turn marks narration or dialogue (``*actions*``, quotes)."""
    return any("*" in v.folded or '"' in v.folded for v in views if v.role in ("user", "assistant"))


#: A side this many times longer (in words, in all) than the other votes for reading as the answers.
_LONGER = 1.5


def swap_votes(conversation: Conversation, roleplay: bool) -> Votes:
    """Votes on whether the user and assistant roles are swapped.

    Roleplay conversations that mark neither narration nor dialogue (plain prose, as in
    instruction-style roleplay data) are judged like assistant data, with the person reversed
    (the character answers in the first person). There, a user side 1.5 times as long as the
    assistant's (in all) votes against the labels, and the opposite votes for them.
    """
    views = view(conversation)
    narrated = roleplay and _narrated(views)
    names: frozenset[str] = frozenset()
    if narrated:
        names = frozenset(word for name in persona_names(conversation)["assistant"] for word in name.split())
    swapped: list[int] = []
    normal = strong = named = 0
    words = {"user": 0, "assistant": 0}
    for i, message in enumerate(views):
        role = message.role
        if role not in words:
            continue
        if narrated:
            person, is_named = _narrative_person(message.folded, names)
            margin = 1
            named += is_named and role == "user" and person == "third"
            own, other = ("first", "third") if role == "user" else ("third", "first")
        else:
            words[role] += len(message.words)
            own, other = ("request", "answer") if role == "user" else ("answer", "request")
            person, margin = _turn_kind(message.words, message.folded, own, roleplay)
        if person == other:
            swapped.append(i)
            strong = max(strong, margin)
        elif person == own:
            normal += 1
    against = len(swapped) + (strong >= 3)
    if not narrated:
        user_words, reply_words = words["user"], words["assistant"]
        against += user_words >= 20 and user_words >= _LONGER * reply_words
        normal += reply_words >= 20 and reply_words >= _LONGER * user_words
    roles = {conversation.messages[i].role for i in swapped}
    return Votes(swapped, normal, against, not narrated or len(roles) == 2 or named >= 2)


def may_be_swapped(conversation: Conversation, roleplay: bool, min_votes: int = 1) -> bool:
    """False when :func:`swap_votes` could not count ``min_votes`` against the labels.

    In narrated role-play a swap needs a user turn narrated in the third person. Elsewhere only
    the turns :func:`~threadsmith.checks.turn_scan.scan` lists can read like the other role: their
    votes, and the length vote, are counted first, without classifying every turn.
    """
    found = scan(conversation)
    if roleplay and found.narrated:
        return bool(found.acted) and _third_person_user(conversation, found.acted)
    views = view(conversation)
    swapped = strong = 0
    for i in found.swap:
        margin = _other_margin(views[i].role, views[i].folded, views[i].words, roleplay)
        if margin >= 0:
            swapped += 1
            strong = max(strong, margin)
    if not swapped:
        return False
    against = swapped + (strong >= 3)
    if against < min_votes:
        user_words = sum(len(v.words) for v in views if v.role == "user")
        reply_words = sum(len(v.words) for v in views if v.role == "assistant")
        against += user_words >= 20 and user_words >= _LONGER * reply_words
    return against >= min_votes


def _first_person_actions(folded: str) -> bool:
    """True when a folded turn has ``*actions*`` and every one opens in the first person ("*I nod*")."""
    stars = folded.count("*")
    if not stars:
        return False
    if stars == 2:
        return folded.startswith(("*i ", "*i'", "*my "))
    return 2 * (folded.count("*i ") + folded.count("*i'") + folded.count("*my ")) >= stars


_NOT_NARRATION = " \t\n.,;:!?-–—()'"


def _third_person_user(conversation: Conversation, acted: tuple[int, ...]) -> bool:
    """True when one of the user turns ``acted`` (which mark narration or dialogue) narrates in the third person."""
    views = view(conversation)
    names = None
    for i in acted:
        text = views[i].folded
        if _first_person_actions(text):
            continue
        if "*" not in text and not "".join(text.split('"')[::2]).strip(_NOT_NARRATION):
            continue  # all quoted speech, no narration
        if names is None:
            names = frozenset(word for name in persona_names(conversation)["assistant"] for word in name.split())
        if _narrative_person(text, names)[0] == "third":
            return True
    return False


@register
class SwappedRoles(ConversationCheck):
    """User and assistant turns read as if their roles were swapped.

    What it does:
        Classifies each user and assistant turn by how it reads. In assistant and instruction
        data: a request (opens like "Can you help me...", "Write a...", "Imagine you are...",
        "You are a tour guide. Describe..."; short; a question; first person) or an answer
        (opens like "Certainly! Here's..."; long; lists or code; no question). A turn that opens
        like one never reads like the other, a question closing a long reply does not make it a
        request, and a turn that asks is not an answer unless it opens or is laid out like one.
        A user side 1.5 times as long as the assistant's (in all) counts against the labels,
        and the opposite for them. Roleplay data in plain prose (instruction-style, like
        GPTeacher) is judged the same way, with the person reversed: the character answers in
        the first person, the instruction addresses "you". In roleplay data that marks
        narration (``*actions*``, quoted dialogue): narration in the first person ("*I
        cough*", the user's usual voice) or the third person ("*Maren frowns*", the
        character's), and both roles must read like the other. The conversation is reported
        when the signs against the labels number at least ``min_votes`` and ``ratio`` times the
        signs for them.
    Why it matters:
        Swapped roles teach the model to ask the questions and the user to answer them; a
        reader or role-mapping bug usually swaps a whole file at once.
    Example:
        user: "Certainly! Here is a haiku about the sea: ..." / assistant: "Write a haiku about the sea."
    Fix:
        None automatic: check the role mapping of the source (``[roles]`` in the configuration),
        or swap the roles by hand.
    """

    code = "RC005"
    name = "swapped-roles"
    family = Family.ROLE_CONFUSION
    severity = Severity.WARNING
    defaults = {"min_votes": 2, "ratio": 2.0}

    def check(self, conversation: Conversation) -> Iterable[Hit]:
        roleplay = self.context.kind == "roleplay"
        if len(conversation.messages) < 2 or not may_be_swapped(conversation, roleplay, self.options["min_votes"]):
            return ()
        return self._hits(conversation, roleplay)

    def _hits(self, conversation: Conversation, roleplay: bool) -> Iterator[Hit]:
        votes = swap_votes(conversation, roleplay)
        if not votes.swapped or votes.against < self.options["min_votes"]:
            return
        if votes.against >= self.options["ratio"] * votes.normal and votes.sure:
            first = votes.swapped[0]
            role = conversation.messages[first].role
            yield Hit(first, f"{len(votes.swapped)} of the user and assistant turns read like the other role "
                             f"(first: {role} message {first}): roles may be swapped")
