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
notices noticed sense senses sensed cling clings clung lose loses lost slip slips slipped stumble stumbles stumbled
fall falls fell trip trips tripped run runs ran flee flees fled rise rises rose obey obeys obeyed give gives gave
let lets allow allows allowed surrender surrenders surrendered collapse collapses collapsed faint faints fainted
cry cries cried weep weeps wept sob sobs sobbed""".split())
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


_HYPOTHETICAL = frozenset("imagine suppose picture pretend".split())
#: How a clause is read: narration (any verb after "you"); unmarked text beside *spans* (speech or
#: narration: every clause and lead-in, known verbs after "you"); unmarked prose with no spans at all
#: (almost always speech: the sentence must open with the user, known verbs only).
NARRATION, BESIDE_SPANS, PROSE = 0, 1, 2


def _sentences(text: str, mode: int, char_words: frozenset[str] = frozenset()) -> list[tuple[str, int]]:
    """Clauses to read, each with how to read it; unmarked sentences holding a first person or
    a hypothetical ("Imagine you ...") are speech and left out, and beside *spans* a sentence that
    names the character ("You grab Anselm's sleeve") is narration: the character would say "my"."""
    if mode == NARRATION:
        return [(clause, mode) for clause in _CLAUSES.split(text)]
    out = []
    for sentence in re.split(r"(?<=[.!?])\s+|\n+", text):
        words = {w.lower().replace("’", "'") for w in _WORD.findall(sentence)}
        if not words & _FIRST_PERSON and not words & _HYPOTHETICAL:
            clauses = _CLAUSES.split(sentence)
            named = mode == BESIDE_SPANS and bool({w.split("'")[0] for w in words} & char_words)
            out += [(clause, NARRATION if named else mode)
                    for clause in (clauses if mode == BESIDE_SPANS else clauses[:1])]
    return out


#: Words after a clause-opening "you" that are not its verb: skipped ("you both ...") or ending the
#: search ("you too", "you there").
_YOU_SKIP = frozenset("both all two yourself alone".split())
_NOT_VERBS = frozenset("""too there here again and or who that which whom of with to in at on for from by into
onto as than instead included though then""".split())
_ADVERBS = frozenset("""slowly then suddenly finally quickly still just also never always barely only almost
quietly carefully gently softly silently""".split())


def _verb_after_subject(words: list[str], name_subject: bool, open_class: bool) -> bool:
    """A verb right after the subject (skipping adverbs): one of the known action verbs, or, in
    narration (``open_class``), any word after "you" that is no function word, and after the user's
    name any word shaped like a third-person verb ("loses", "winced")."""
    rest = [w for w in words if w not in _ADVERBS and not w.endswith("ly")][:3]
    if rest and rest[0] in _YOU_SKIP and not name_subject:
        rest = rest[1:]
    if not rest or rest[0] in _MODALS:
        return False
    if rest[0] in VERBS or rest[0] in _EXTRA_VERBS:
        return True
    if rest[1:2] == ["and"] and len(rest) > 2 and rest[0] not in _NOT_VERBS and (rest[2] in VERBS
                                                                             or rest[2] in _EXTRA_VERBS):
        return True  # "you yelp and grab ...": two coordinated actions
    if not open_class or rest[0] in _NOT_VERBS or "'" in rest[0]:
        return False
    if name_subject:
        return rest[0].endswith(("s", "ed")) and not rest[0].endswith(("ss", "us", "is"))
    return True


def _openings(clause: str) -> list[list[str]]:
    """The clause's words, and the words after a short lead-in phrase and its comma ("Startled, ...",
    "After a long pause, ...")."""
    out = [[w.lower().replace("’", "'") for w in _WORD.findall(clause)]]
    head, comma, rest = clause.partition(",")
    if comma and len(_WORD.findall(head)) <= 4 and not {w.lower() for w in _WORD.findall(head)} & _LEADS_IF:
        out.append([w.lower().replace("’", "'") for w in _WORD.findall(rest)])
    return out


_LEADS_IF = frozenset("if unless when whenever once until".split())
_PREPOSITIONS = frozenset("""in at on with without under behind after before through from during inside outside
beneath across against among amid over""".split())


def _narrative_lead_in(clause: str) -> bool:
    """A lead-in the way narration opens a sentence: a participle ("Coughing, ...", "Heart pounding,
    ...", "Startled, ...") or a prepositional phrase of three words or more ("In the dark, ..."), not
    a spoken one ("Honestly, ...", "Well, ...", "After all, ...")."""
    head = [w.lower() for w in _WORD.findall(clause.partition(",")[0])]
    return any(w.endswith(("ing", "ed")) and len(w) > 4 for w in head) or (
        len(head) >= 3 and head[0] in _PREPOSITIONS)


def narrated_user(reply: str, user_name: str, char_name: str = "") -> str | None:
    """The first narration clause whose subject is the user ("you", "your body", or the persona
    name) followed by a verb, or None."""
    user = user_name.lower()
    narration, unmarked = _narration(reply)
    prose = PROSE if not _SPANS.search(reply) else BESIDE_SPANS
    char_words = frozenset(part.lower() for part in char_name.split() if len(part) > 2)
    for clause, mode in _sentences(narration, NARRATION) + _sentences(unmarked, prose, char_words):
        if clause.rstrip().endswith("?"):
            continue
        for lead_in, words in enumerate(_openings(clause) if mode != PROSE else _openings(clause)[:1]):
            if not words or words[0] in _LEADS:
                continue
            head = words[1:] if words[0] in _ADVERBS else words
            named = bool(head) and head[0] == user
            # A lead-in phrase before "you" ("Coughing, you ...", "In the dark, you ...") is how
            # narration opens a sentence, not how a character talks: any verb after it counts.
            open_class = named or mode == NARRATION or (mode == BESIDE_SPANS and lead_in == 1
                                                        and _narrative_lead_in(clause))
            if head and ((head[0] in ("you", user) and _verb_after_subject(head[1:], named, open_class))
                         or (mode != PROSE and _PASSIVE.match(" ".join(head)))):
                return clause.strip()
    return None


#: "You're thrown off your feet", "you are pulled into the water": the user as the patient of a
#: narrated event (a participle and a preposition of motion).
_PASSIVE = re.compile(r"you(?:'re| are| were) (?:\w+ed|thrown|knocked|swept|caught|torn|blown|flung|shaken|taken"
                      r"|driven|drawn|struck|hit|cast|sent)(?: \w+)? (?:off|into|onto|against|across|backwards?"
                      r"|forwards?|down|up|over|from|out|to)\b")


def user_agency(reply: str, context: ReplyContext) -> Outcome:
    """Fails when a role-confusion detector or the narration rule fires (value 1.0 = agency kept)."""
    conversation = context.conversation(reply, context=2)
    last = len(conversation.messages) - 1
    for detector in _DETECTORS:
        found = [h.message for h in detector.check(conversation) if h.message_index == last]
        if found:
            return outcome_of([f"{detector.code}: {found[0]}"])
    clause = narrated_user(reply, context.user_name, context.char_name)
    return outcome_of([f"narrates the user: '{clause[:60]}'"] if clause else [])
