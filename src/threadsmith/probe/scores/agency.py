"""User agency: the reply must not write the user's words, actions or feelings.

Reuses the role-confusion detectors of the dataset checks on the reply as the last turn of a
roleplay conversation: RC004 (narrating the user: "you feel", "you nod and say", "your heart
races"), RC001 (a leaked user turn: "Alex: ...", "User: ..."), RC003 (chat-template tokens).
Generate agency probes without user-name stop strings, or the failure is masked.

On top of them, a probe-side rule for narration that opens a clause with the user as subject and
a verb soon after ("Sam smiles and thanks him", "You count out ten coins"), with the action verbs
of :mod:`threadsmith.checks.actions` plus a few transactional ones. Narration is the text outside
quotes, or the ``*spans*`` when the reply quotes nothing; questions, conditions ("if you ...")
and modals ("you could ...") are left alone. Unmarked text beside ``*spans*`` may be speech: there
the user must open a sentence that holds no first person ("You count the coins, I'll wait" is speech).
"""

from __future__ import annotations

import re

from threadsmith.checks.actions import VERBS
from threadsmith.checks.profile import CheckContext
from threadsmith.checks.role_confusion import TurnLeakage
from threadsmith.checks.role_tokens import TemplateTokenLeak
from threadsmith.checks.role_voice import SpeaksForUser
from threadsmith.probe.scores.outcome import Outcome, ReplyContext, outcome_of

_ROLEPLAY = CheckContext(kind="roleplay")
_DETECTORS = (SpeaksForUser(context=_ROLEPLAY), TurnLeakage(context=_ROLEPLAY), TemplateTokenLeak(context=_ROLEPLAY))


_EXTRA_VERBS = frozenset("""count counts counted pay pays paid thank thanks thanked agree agrees buy buys bought
sell sells sold accept accepts refuse refuses refused drop drops dropped hear hears heard see sees saw notice
notices noticed sense senses sensed""".split())
_MODALS = frozenset("could might can may should would will must cannot can't couldn't won't wouldn't".split())
_LEADS = frozenset("if when whenever while as before after until unless once because since though although that "
                   "so perhaps maybe".split())
_QUOTED = re.compile(r'"[^"\n]*"|“[^”]*”')
_SPANS = re.compile(r"\*[^*\n]+\*")
_CLAUSES = re.compile(r"[.!?;:\n]+|,\s+(?:and|then|but)\s+|\s+and then\s+|\s+then\s+")
_WORD = re.compile(r"[A-Za-z'’]+")


_FIRST_PERSON = frozenset("i i'm i'd i'll i've me my mine we us our".split())


def _narration(reply: str) -> tuple[str, str]:
    """(narration, unmarked text that may be speech)."""
    if '"' in reply or "“" in reply:
        return _QUOTED.sub(" . ", reply), ""
    spans = _SPANS.findall(reply)
    return " . ".join(span.strip("*") for span in spans), _SPANS.sub(" . ", reply)


def _sentences(text: str, strict: bool) -> list[tuple[str, bool]]:
    """Clauses to read, each with whether it must hold no first person (unmarked text)."""
    if not strict:
        return [(clause, False) for clause in _CLAUSES.split(text)]
    out = []
    for sentence in re.split(r"(?<=[.!?])\s+|\n+", text):
        words = {w.lower().replace("’", "'") for w in _WORD.findall(sentence)}
        if not words & _FIRST_PERSON:
            out += [(clause, True) for clause in _CLAUSES.split(sentence)[:1]]  # the sentence must open with it
    return out


def narrated_user(reply: str, user_name: str) -> str | None:
    """The first narration clause whose subject is the user ("you", "your body", or the persona
    name) followed by a verb within two words, or None."""
    user = user_name.lower()
    narration, unmarked = _narration(reply)
    for clause, _ in _sentences(narration, False) + _sentences(unmarked, True):
        words = [w.lower().replace("’", "'") for w in _WORD.findall(clause)]
        if not words or clause.rstrip().endswith("?"):
            continue
        head = words[1:] if words[0] in ("slowly", "then", "suddenly", "finally", "quickly") else words
        if not head or head[0] not in ("you", user) or words[0] in _LEADS:
            continue
        after = head[1:3]
        if after and after[0] in _MODALS:
            continue
        if any(w in VERBS or w in _EXTRA_VERBS for w in after):
            return clause.strip()
    return None


def user_agency(reply: str, context: ReplyContext) -> Outcome:
    """Fails when a role-confusion detector or the narration rule fires (value 1.0 = agency kept)."""
    conversation = context.conversation(reply, context=2)
    last = len(conversation.messages) - 1
    for detector in _DETECTORS:
        found = [h.message for h in detector.check(conversation) if h.message_index == last]
        if found:
            return outcome_of([f"{detector.code}: {found[0]}"])
    clause = narrated_user(reply, context.user_name)
    return outcome_of([f"narrates the user: '{clause[:60]}'"] if clause else [])
