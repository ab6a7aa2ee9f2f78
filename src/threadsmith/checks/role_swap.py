"""Role-confusion check RC005: user and assistant turns that read as if their roles were swapped.

Imported by :mod:`threadsmith.checks.role_confusion`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import NamedTuple

from threadsmith.checks.base import ConversationCheck, Hit
from threadsmith.checks.registry import register
from threadsmith.checks.role_voice import QUOTED, persona_names
from threadsmith.checks.text import MessageView, view
from threadsmith.model import Conversation, Family, Severity

#: How an assistant reply opens.
_ANSWER_OPENER = re.compile(
    r"(?:sure|certainly|of course|absolutely|great question|good question|excellent question)\b[!,.]"
    r"|(?:i'd|i would|i'm|i am) (?:be )?(?:happy|glad|delighted) to (?:help|assist|explain)"
    r"|as an ai\b"
)
#: "Here's a ...": a weaker sign of an answer (users paste things with "Here is my ...").
_PRESENTS = re.compile(r"here(?:'s| is| are) (?:a|an|the|some|how|what)\b")
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
    r"|(?:imagine|pretend) (?:you are|you're|to be)\b|(?:role-?play|act) as\b"
    r"|you are an? (?:\w+ ){0,4}?(?:who|with|from|in|at|tasked|specializ\w*|named|living|working|visiting)\b"
    r")"
)
#: A task verb opening a turn: a weaker sign of a request (answers open with imperatives too).
_TASK_OPENER = re.compile(
    r"(?:describe|write|compose|create|list|explain|summari[sz]e|provide|suggest|generate|give|tell|translate"
    r"|outline|name|discuss|share|offer|take on)\b"
)
#: The first person of someone telling their own situation (not "I'd suggest", "let me").
_OWN_WORDS = frozenset({"my", "i'm", "i've", "myself", "mine"})
_OWN_VERBS = frozenset({"was", "am", "have", "had", "want", "need", "got", "made", "tried", "can't", "don't"})
_YOU_WORDS = frozenset({"you", "your", "you're", "yourself"})


def _has_markdown(folded: str) -> bool:
    """Lists, headings, code or bold: the layout of an answer."""
    if "**" in folded or folded.startswith(("- ", "* ", "1. ", "#")):
        return True
    return "\n" in folded and ("\n- " in folded or "\n* " in folded or "\n1. " in folded or "\n2. " in folded
                               or "\n#" in folded or "```" in folded)


def _person_balance(words: tuple[str, ...]) -> int:
    """Above 0 when the first words talk about oneself ("my", "I'm", "I have") more than about "you"."""
    head = set(words[:40])
    own = len(head & _OWN_WORDS) + bool("i" in head and head & _OWN_VERBS)
    return own - len(head & _YOU_WORDS)


def _turn_kind(words: tuple[str, ...], folded: str, expected: str) -> tuple[str | None, int]:
    """("request" or "answer" when a user or assistant turn clearly reads like one, else None; the margin).

    A request must open like one or end with a question; an answer must open like one, be long
    or be laid out (lists, code). ``expected`` is what the turn's role should read like: when the
    cheap signs already settle that, the dearer ones (layout, person) are skipped.
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
    if expected == "request" and request >= 2 and request > answer + 1:
        return "request", 0
    layout = _has_markdown(folded)
    answer += layout
    balance = _person_balance(words)
    # A question about oneself reads like a request; one about "you" like an assistant asking back.
    request += (balance > 0) - (asks and balance < 0)
    if request >= 2 and request > answer and (opener or asks):
        return "request", request - answer
    if answer >= 2 and answer > request and (answer >= 3 or count >= 60 or layout or answers):
        return "answer", answer - request
    return None, 0


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


def swap_votes(conversation: Conversation, roleplay: bool) -> Votes:
    """Votes on whether the user and assistant roles are swapped.

    Roleplay conversations that mark neither narration nor dialogue (plain prose, as in
    instruction-style roleplay data) are judged like assistant data. There, user turns twice
    as long as the assistant's (in all) vote against the labels, and the opposite votes for them.
    """
    roleplay = roleplay and _narrated(view(conversation))
    names: frozenset[str] = frozenset()
    if roleplay:
        names = frozenset(word for name in persona_names(conversation)["assistant"] for word in name.split())
    swapped: list[int] = []
    normal = strong = named = 0
    words = {"user": 0, "assistant": 0}
    for i, message in enumerate(view(conversation)):
        role = message.role
        if role not in words:
            continue
        if roleplay:
            person, is_named = _narrative_person(message.folded, names)
            margin = 1
            named += is_named and role == "user" and person == "third"
            own, other = ("first", "third") if role == "user" else ("third", "first")
        else:
            words[role] += len(message.words)
            own, other = ("request", "answer") if role == "user" else ("answer", "request")
            person, margin = _turn_kind(message.words, message.folded, own)
        if person == other:
            swapped.append(i)
            strong = max(strong, margin)
        elif person == own:
            normal += 1
    against = len(swapped) + (strong >= 3)
    if not roleplay:
        user_words, reply_words = words["user"], words["assistant"]
        against += user_words >= 20 and user_words >= 2 * reply_words
        normal += reply_words >= 20 and reply_words >= 2 * user_words
    roles = {conversation.messages[i].role for i in swapped}
    return Votes(swapped, normal, against, not roleplay or len(roles) == 2 or named >= 2)


@register
class SwappedRoles(ConversationCheck):
    """User and assistant turns read as if their roles were swapped.

    What it does:
        Classifies each user and assistant turn by how it reads. In assistant and instruction
        data: a request (opens like "Can you help me...", "Write a...", "Imagine you are...";
        short; a question; first person) or an answer (opens like "Certainly! Here's..."; long;
        lists or code; no question); a user side twice as long as the assistant's also counts
        against the labels. In roleplay data that marks narration (``*actions*``, quoted
        dialogue): narration in the first person ("*I cough*", the user's usual voice) or the
        third person ("*Maren frowns*", the character's), and both roles must read like the
        other. The conversation is reported when the signs against the labels number at least
        ``min_votes`` and ``ratio`` times the signs for them.
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

    def check(self, conversation: Conversation) -> Iterator[Hit]:
        if len(conversation.messages) < 2:
            return
        votes = swap_votes(conversation, self.context.kind == "roleplay")
        if not votes.swapped or votes.against < self.options["min_votes"]:
            return
        if votes.against >= self.options["ratio"] * votes.normal and votes.sure:
            first = votes.swapped[0]
            role = conversation.messages[first].role
            yield Hit(first, f"{len(votes.swapped)} of the user and assistant turns read like the other role "
                             f"(first: {role} message {first}): roles may be swapped")
