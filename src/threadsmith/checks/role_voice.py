"""Role-confusion check RC004 (the assistant speaking for the user), and the helpers the RC modules share.

Imported by :mod:`threadsmith.checks.role_confusion` (RC001-RC003), which also imports
:mod:`threadsmith.checks.role_swap` (RC005).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from functools import lru_cache

from threadsmith.checks.base import ConversationCheck, Hit
from threadsmith.checks.registry import register
from threadsmith.checks.text import ACTION, view
from threadsmith.checks.turn_scan import scan
from threadsmith.model import Conversation, Family, Severity

# --- shared helpers ------------------------------------------------------------------------

#: Where a system prompt names the user's persona or the assistant's character.
_NAME = r"([A-Z][\w'’-]+(?: [A-Z][\w'’-]+)?)"
_USER_NAME = re.compile(
    r"(?:\b(?i:the user)|\{\{user\}\})"
    r"(?:'s (?:name|character|persona) is| plays(?: the role of)?| is playing| is (?:named|called)"
    r"| will play| is roleplaying as| is)\s+" + _NAME
    + r"|\byou are (?:talking|speaking|chatting) (?:to|with)\s+" + _NAME
    + r"|\b(?i:user persona):\s*" + _NAME
)
_ASSISTANT_NAME = re.compile(
    r"(?:\b(?i:you are|you're|you play|you will play|your name is|play the role of|role-?play as)|\{\{char\}\} is)\s+"
    + _NAME
)
_NOT_NAMES = frozenset({"a", "an", "the", "now", "not", "playing", "going", "here", "my", "your", "in", "to", "i"})
_CODE = re.compile(r"```.*?(?:```|\Z)|`[^`\n]+`", re.DOTALL)


def _names(found: Iterator[re.Match[str]]) -> set[str]:
    names = set()
    for match in found:
        name = next(g for g in match.groups() if g)
        if name.split()[0].lower() not in _NOT_NAMES:
            names.add(name.lower())
    return names


@lru_cache(maxsize=256)
def _system_names(system: str) -> tuple[frozenset[str], frozenset[str]]:
    """(user persona names, assistant character names) a system prompt gives; many entries share one prompt."""
    return frozenset(_names(_USER_NAME.finditer(system))), frozenset(_names(_ASSISTANT_NAME.finditer(system)))


_last_names: tuple[Conversation | None, dict[str, frozenset[str]]] = (None, {})


def persona_names(conversation: Conversation) -> dict[str, frozenset[str]]:
    """Lower-case names of the user's persona and the assistant's character (message names, system prompt).

    Cached for the conversation being checked (several checks ask).
    """
    global _last_names
    if _last_names[0] is conversation:
        return _last_names[1]
    users = {m.name.lower() for m in conversation.messages if m.role == "user" and m.name}
    bots = {m.name.lower() for m in conversation.messages if m.role == "assistant" and m.name}
    for message in conversation.messages:
        if message.role == "system":
            system_users, system_bots = _system_names(message.text)
            users |= system_users
            bots |= system_bots
    shared = users & bots
    names = {"user": frozenset(users - shared), "assistant": frozenset(bots - shared)}
    _last_names = (conversation, names)
    return names


def code_spans(text: str) -> list[tuple[int, int]]:
    """Fenced and inline code spans of a text (where labels and tokens are quoted, not leaked)."""
    return [m.span() for m in _CODE.finditer(text)] if "`" in text else []


def excerpt(text: str, limit: int = 60) -> str:
    """The text on one line, cut to ``limit`` characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3].rstrip() + "..."


# --- speaking for the user (god-modding) ---------------------------------------------------


_ADVERB = r"(?:(?:slowly|quickly|suddenly|finally|just|simply|immediately|instinctively|nervously|silently|quietly" \
          r"|softly|gently|reluctantly|eagerly|hesitantly|shyly|timidly|involuntarily|then|also)\s+)?"
#: Verbs that decide the user's feelings, reactions, words or actions when "you" is their subject.
_YOU_VERBS = (
    r"feel|feels|felt|shiver|shivered|shudder|shuddered|blush|blushed|gasp|gasped|flinch|flinched|tremble|trembled"
    r"|freeze|froze|sigh|sighed|smile|smiled|grin|grinned|laugh|laughed|giggle|giggled|chuckle|chuckled|nod|nodded"
    r"|shrug|shrugged|swallow|swallowed|gulp|gulped|wince|winced|moan|moaned|groan|groaned|whimper|whimpered"
    r"|sob|sobbed|blink|blinked|stammer|stammered|stutter|stuttered|realize|realized|realise|realised|decide|decided"
    r"|agree|agreed|hesitate|hesitated|relax|relaxed|melt|melted|lean|leaned|leant|say|said|reply|replied"
    r"|answer|answered|whisper|whispered|mutter|muttered|murmur|murmured|shout|shouted|exclaim|exclaimed"
    r"|respond|responded|yell|yelled|scream|screamed|follow|followed|grab|grabbed|kiss|kissed|hug|hugged"
    r"|obey|obeyed|accept|accepted|let out|bite your lip|bit your lip|take a deep breath|took a deep breath"
    r"|hold your breath|held your breath|close your eyes|closed your eyes|can't help but|cannot help but"
    r"|couldn't help but|find yourself|found yourself|wrap your arms|wrapped your arms"
    r"|think|thought|wonder|wondered|remember|remembered|want|wanted|take|took|walk|walked|step|stepped"
    r"|reach|reached|turn|turned|open|opened|pull|pulled|sit|sat|stand|stood|look|looked|stare|stared"
    r"|tell|told|hand|handed|give|gave|pick|picked|hold|held|run|ran|push|pushed|touch|touched|climb|climbed"
    r"|kneel|knelt|jump|jumped|cry|cried|wipe|wiped|clutch|clutched|squeeze|squeezed|glance|glanced"
)
_BODY = (r"heart|pulse|breath|breathing|cheeks|face|eyes|hands|fingers|knees|legs|mind|stomach|skin|body|throat"
         r"|voice|lips")
_BODY_VERBS = (
    r"races|raced|pounds|pounded|flutters|fluttered|skips|skipped|quickens|quickened|catches|caught|hitches|hitched"
    r"|flush|flushes|flushed|burn|burns|burned|widen|widens|widened|tremble|trembles|trembled|shake|shakes|shook"
    r"|buckle|buckles|buckled|betray|betrays|betrayed|tighten|tightens|tightened|clench|clenches|clenched"
    r"|sinks|sank|tingle|tingles|tingled|ache|aches|ached|heat|heats|heated|go weak|goes weak|went weak"
    r"|turn red|turns red|turned red|grow warm|grows warm|grew warm|water|waters|watered|cracks|cracked"
    r"|break|breaks|broke|falter|falters|faltered|drop|drops|dropped|stiffen|stiffens|stiffened"
    r"|comes out|came out|fails|failed|rises|rose|quivers|quivered|wavers|wavered"
)
#: "you" deciding or feeling (checked to open a clause), or the user's body reacting ("your heart
#: races"). The pattern starts with the literal "you", which the regex engine finds fast.
_GODMOD = re.compile(
    rf"you(?<![\w']you)(?:\s+{_ADVERB}(?P<does>{_YOU_VERBS})\b|r\s+(?:{_BODY})\s+(?:\w+\s+)?(?:{_BODY_VERBS})\b"
    r"|(?:'re| are| were)\s+(?:suddenly\s+|completely\s+)?(?P<state>overcome|overwhelmed|filled with|struck by"
    r"|flooded with|consumed by|taken aback|stunned|speechless|mesmeri[sz]ed|captivated|spellbound)\b)"
)
#: A sensation running through the user's body ("a chill runs down your spine", "a chill in your chest").
_SPINE = re.compile(r"(?:shiver|chill|tingle|jolt|warmth|wave of \w+)s?\s+(?:\w+\s+){0,2}?"
                    r"(?:up|down|in|through|across)\s+your (?:spine|chest|veins|stomach|body)\b")
_SENSATIONS = ("spine", "chest", "veins", "stomach", "body")
#: Words that make "you" the subject of a condition, a question or a guess, not of narration.
_NOT_NARRATION = frozenset({"when", "whenever", "if", "as", "while", "once", "before", "after", "until", "because",
                            "since", "unless", "perhaps", "maybe", "how", "what", "why", "where", "do", "did", "can",
                            "could", "would", "will", "should", "that", "so", "though", "although", "let", "i"})
_FIRST_PERSON = re.compile(r"\b(?:i|i'm|i'd|i'll|i've|me|my|mine|we|us|our)\b")
_CLAUSE_WORDS = ("and", "then", "but", "so")
#: Dialogue in double quotes.
QUOTED = re.compile(r'"[^"\n]*"')
#: Dialogue in single quotes; an apostrophe inside a word ("you're") does not close it.
_SINGLE_QUOTED = re.compile(r"'(?<!\w')(?:[^'\n]|'(?=\w))+'(?!\w)")
_BOUNDARY = re.compile(r"[.!?…\n]")


def _narration(folded: str, roleplay: bool) -> tuple[str | None, str | None]:
    """(narration: the folded text with dialogue masked out, same length; unmarked text that may be speech).

    Roleplay turns write dialogue in quotes, or narration in ``*asterisks*`` with speech around
    it, or neither. Unmarked text is judged strictly (only the user's body reacting counts).
    Outside roleplay only ``*asterisks*`` are narration, and nothing else is judged.
    """
    if roleplay and ('"' in folded or "'" in folded):
        quoted = QUOTED if '"' in folded else _SINGLE_QUOTED
        masked = quoted.sub(lambda m: "." * len(m.group(0)), folded)
        if masked != folded:
            if "*" in folded:  # an *action* inside quoted speech is narration all the same
                for m in ACTION.finditer(folded):
                    if masked[m.start()] == ".":
                        masked = masked[:m.start()] + m.group(0) + masked[m.end():]
            return masked, None
    unmarked = folded if roleplay else None
    spans = [m.span() for m in ACTION.finditer(folded)] if "*" in folded else []
    if not spans:
        return None, unmarked
    chars, last = [], 0
    for start, end in spans:
        chars += ["." * (start - last), folded[start:end]]
        last = end
    chars.append("." * (len(folded) - last))
    return "".join(chars), unmarked


def _opens_clause(narration: str, position: int) -> bool:
    """True when "you" at ``position`` opens a sentence or clause ("You nod", "... and you nod", ", you nod")."""
    before = narration[max(0, position - 6):position].rstrip(" \t")
    if not before:
        return True
    return before[-1] in ".!?;:*\n(,\"" or before.split()[-1] in _CLAUSE_WORDS


def _opens_sentence(text: str, position: int) -> bool:
    """True when "you" at ``position`` is the subject of a sentence's main clause: it opens the
    sentence, or follows a short lead-in ("Slowly, you", "For a moment you"), not a condition
    ("When you ...") or a question."""
    start = max(text.rfind(mark, 0, position) for mark in ".!?\n*")
    lead = text[start + 1:position].strip(" \t\"'(").replace(",", " ").split()
    return len(lead) <= 4 and not _NOT_NARRATION.intersection(lead)


def _sentence(text: str, position: int) -> str:
    start = max((m.end() for m in _BOUNDARY.finditer(text, 0, position)), default=0)
    end = _BOUNDARY.search(text, position)
    return text[start:(end.end() if end else len(text))].strip(" *\t\n\"'")


def godmod_sentence(text: str, folded: str, roleplay: bool) -> str | None:
    """The first narrated sentence that decides the user's feelings, words or actions, or None."""
    if "you" not in folded:
        return None
    narration, unmarked = _narration(folded, roleplay)
    source = text if len(text) == len(folded) else folded
    for judged, strict in ((narration, False), (unmarked, True)):
        if judged is None:
            continue
        for match in _GODMOD.finditer(judged):
            at = match.start()
            if match.group("does") is not None or match.group("state") is not None:
                if not (_opens_sentence(judged, at) if strict else _opens_clause(judged, at)
                        or _opens_sentence(judged, at)):
                    continue
            sentence = _sentence(source, at)
            if sentence.endswith("?") or (strict and _FIRST_PERSON.search(_sentence(judged, at))):
                continue
            return sentence
        if any(word in judged for word in _SENSATIONS):
            match = _SPINE.search(judged)
            if match is not None:
                return _sentence(source, match.start())
    return None


@register
class SpeaksForUser(ConversationCheck):
    """The assistant narrates the user's feelings, decisions, words or actions ("god-modding").

    What it does:
        In assistant turns, looks at narration for sentences where "you" opens a clause and
        feels, decides, says or does something ("You feel a chill", "...and you decide to
        follow her", "You nod and say...") or where the user's body reacts ("your heart
        races", "a shiver runs down your spine", "you are overcome with relief"). In roleplay
        data narration is the text outside quoted dialogue (and ``*actions*`` inside it), or
        the ``*action*`` spans when dialogue is not quoted. Roleplay text that marks neither
        may be speech: there "you" must open a sentence (alone, or after a short lead-in such
        as "Slowly, you") that holds no first person ("You feel cornered, I know" is speech),
        and not follow a condition or a guess ("When you...", "Perhaps you..."). In other data
        only ``*action*`` spans are judged ("you can install it with pip" is advice). Dialogue
        addressed to the user ("\\"You look tired,\\" she says"), questions, and scene-setting
        turns before the user's first turn are not reported.
    Why it matters:
        A model trained on it takes control of the user's character, which breaks user agency,
        the first complaint about roleplay models.
    Example:
        assistant: "*Mira opens the door.* You feel a chill and decide to follow her inside."
    Fix:
        None automatic: rewrite the sentence to describe only the assistant's character, or
        leave the reaction to the user.
    """

    code = "RC004"
    name = "speaks-for-user"
    family = Family.ROLE_CONFUSION
    severity = Severity.WARNING

    def check(self, conversation: Conversation) -> Iterable[Hit]:
        found = scan(conversation).you
        if not found:
            return ()
        if self.context.kind != "roleplay":  # outside roleplay data only *actions* are narration
            views = view(conversation)
            found = tuple(i for i in found if "*" in views[i].folded)
        return self._hits(conversation, found) if found else ()

    def _hits(self, conversation: Conversation, found: tuple[int, ...]) -> Iterator[Hit]:
        roleplay = self.context.kind == "roleplay"
        views = view(conversation)
        for i in found:
            sentence = godmod_sentence(views[i].text, views[i].folded, roleplay)
            if sentence is not None:
                yield Hit(i, f"assistant message {i} speaks for the user: '{excerpt(sentence)}'")
