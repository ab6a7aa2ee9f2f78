"""Breaking character, read by structure: cue classes over a reply's narration.

The narration is what the reply says outside quoted dialogue and outside ``*action*`` markup (and
inside parentheses, where writers put asides). A character may say "Let me know when it boils" or
"That's a tall story"; the writer of the reply, talking in the narration, may not. Five cue
classes describe what breaking character *is*, each a small grammar (a subject, a verb, an
object) rather than a list of phrases:

* ``artifact``: the fiction talked about as a piece of writing: a fiction noun (story, scene,
  roleplay, plot, chapter, the character ...) governed by a writing verb ("continue the story",
  "back to the scene", "for the scene") or owned by the writer ("my next message", "this reply",
  "the direction you ...", "where you're taking this"), the reply's own length or take ("I kept it
  short", "here's my attempt").
* ``service``: the writer offering service to the user: an offer ("I can describe ...", "I'm happy
  to rewrite ...", "want me to ..."), an invitation ("let me know", "feel free", "would you like",
  "tell me if", "if it helps", "if you'd prefer").
* ``collaborator``: the writer addressing the user as a co-author: thanks or apologies at the head
  of a sentence, praise of a contribution ("good catch", "great idea", "love where ..."), the user's
  contribution as an object ("your description", "your idea").
* ``disclaimer``: identity and policy ("I'm not a <profession>", "I don't actually have personal
  experience", "only fiction", "to keep things appropriate", "graphic content", "isn't something I
  can write") and the asides that announce them ("just a heads-up", "quick note", "I should mention").
* ``outside``: the character presented from outside ("Here's how the commander responds", "Iyer's
  reply:", "Iyer could/might/would ...", the writer acting on the character by name: "I've given
  Iyer ...", "I'll play her as ...", "do you want Pell to ...").

A reply breaks character on one strong cue or two weak ones (:func:`verdict`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

#: Fiction nouns: the story as an artifact.
_FICTION = r"(?:story|stories|scene|scenes|roleplay|role-play|rp|narrative|plot|chapter|storyline|backstory|prompt" \
           r"|scenario|worldbuilding|fic|fanfic|tale|mystery|adventure)"
#: Writer's units: one turn of the exchange.
_TURN = r"(?:message|reply|response|post|turn)"
#: Verbs a writer does to the fiction.
_RESUME = r"(?:continu\w*|rewrit\w*|keep going with|go on with|paus\w*|resum\w*|pick up|get back to|back to)"
_WRITE = r"(?:writ\w*|wrote|rewrit\w*|continu\w*|describ\w*|narrat\w*|portray\w*|depict\w*|expand\w*|revis\w*" \
         r"|adjust\w*|tweak\w*|elaborat\w*|add|keep going|go on|pick up|paus\w*|resum\w*|wrap\w* up|end|start" \
         r"|develop\w*|explor\w*|play|play out|set up|back to|return to|get back to)"
_DET = r"(?:the|this|that|our|your|my)"
_PRO = r"(?:her|him|them|it)"
_HEAD = r"(?:^|(?<=[.!?:;—\n(])\s*)"


@dataclass(frozen=True, slots=True)
class Cue:
    """One sign of breaking character: its class, strength and the words that show it."""

    kind: str
    strong: bool
    text: str


def _grammar(kind: str, strong: bool, pattern: str) -> tuple[str, bool, re.Pattern[str]]:
    return kind, strong, re.compile(pattern, re.IGNORECASE)


_PRAISE = r"(?:good|great|nice|fun|lovely|cool|interesting|excellent|brilliant|clever|fantastic|amazing|wonderful" \
          r"|vivid|perfect)"
_CONTRIBUTION = r"(?:description|idea|suggestion|writing|prompt|setup|premise|contribution|input|twist|detail|details)"
#: The grammars that need no names, strong and weak per class.
_FIXED = (
    # artifact: fiction nouns governed by a writing verb or owned by the writer.
    _grammar("artifact", True, r"\b(?:roleplay|role-play|rp)\b"
                               r"|\b(?:in|out of|break\w*|broke|stay\w*) (?:in |out of )?character\b"),
    _grammar("artifact", True, rf"\b{_RESUME}(?: with| on)? (?:the|this|our|your) (?:\w+ )?{_FICTION}\b"
                               rf"|\bfor (?:the|this|our) (?:scene|story|plot|narrative)[,:]|\bin our {_FICTION}\b"),
    _grammar("artifact", True, rf"\b(?:my|the|your) (?:next|last|previous) {_TURN}\b"
                               rf"|\b(?:this|my) (?:reply|continuation|post)\b"),
    _grammar("artifact", True, r"\b(?:where|how) you(?:'re| are) (?:taking|going with|steering) (?:this|it|things)"
                               r"|\b(?:the|this|that) direction you\b"),
    _grammar("artifact", True, r"\bhere(?:'s| is) my (?:\w+ )?(?:attempt|take|try|version|interpretation)\b"
                               r"|\bi(?:'ve| have)? (?:kept|made|written|left) (?:it|this) (?:\w+ )?"
                               r"(?:short|brief|shorter|longer|simple|open)\b"),
    _grammar("artifact", False, rf"\b(?:this|our|your) {_FICTION}\b|\bin (?:more|greater|full) detail\b"),
    # service: the writer offering to the user.
    _grammar("service", True, rf"\bi(?:'m| am|'d be| would be) (?:happy|glad|more than happy) to {_WRITE}\b"
                              rf"|\b(?:want|like) (?:me )?to (?:keep going|continue|go on)\b"),
    _grammar("service", False, rf"\b(?:i|we) (?:can|could)(?: also| always| gladly)? (?:{_WRITE}|help|assist"
                               rf"|change|make|try|skip|focus|show)\b"),
    _grammar("service", False, r"\blet me know\b|\bfeel free\b|\bwould you (?:like|prefer|rather)\b|\bshall i\b"
                               r"|\b(?:want|like) me to\b|\bif it helps\b|\bif you(?:'d| would) (?:like|prefer|rather)"
                               r"|\btell me (?:if|whether|what|how)\b|\bjust say the word\b|\bdid you want\b"),
    # collaborator: thanks, apologies and praise directed at the user's contribution.
    _grammar("collaborator", True, rf"\b{_PRAISE}\b[^.!?]{{0,20}}\b(?:catch|idea|twist|touch|call|question"
                                   rf"|suggestion|setup|premise|prompt|description|detail|choice)\b[^.!?]{{0,40}}!"),
    _grammar("collaborator", True, rf"\byour (?:\w+ )?{_CONTRIBUTION}\b[^.!?]{{0,40}}\b{_PRAISE}\b"),
    _grammar("collaborator", False, rf"{_HEAD}(?:thanks|thank you|sorry|apologies|oops|love (?:where|how|what"
                                    rf"|the way|this|that|it)|good catch|great idea|nice touch)\b"
                                    rf"|\byour (?:\w+ )?{_CONTRIBUTION}\b|\bby the way\b"),
    # disclaimers: identity, fiction status, content policy, and the asides that announce them.
    _grammar("disclaimer", True, r"\b(?:only|just|purely|merely|all) (?:a |an )?(?:fiction|fictional|made[- ]up"
                                 r"|make-believe|pretend|hypothetical)\b|\bi don't (?:actually|really) have\b"
                                 r"|\bmaking (?:this|it|things|all this) up\b|\bi don't have (?:any )?(?:personal"
                                 r"|real|first-?hand|lived) (?:experience|knowledge|feelings|opinions)\b"),
    _grammar("disclaimer", True, r"\bkeep (?:things|it|this|everything) (?:\w+ )?(?:appropriate|pg|family[- ]friendly"
                                 r"|tasteful)\b|\bkeep (?:things|everything) (?:\w+ )?(?:safe|mild)\b"
                                 r"|\b(?:graphic|explicit|mature|sensitive|inappropriate) (?:content|material|violence"
                                 r"|details)\b|\bcontent (?:policy|guidelines|warning)\b"
                                 r"|\bsomething i (?:can(?:no|')t |can |won't |am not able to )"
                                 r"(?:write|depict|describe|portray|do|help)\b"),
    _grammar("disclaimer", False, rf"\bi(?:'m| am) not (?:a|an|really a|actually a) \w+\b"
                                  rf"|{_HEAD}(?:just a heads[- ]up|heads[- ]up|a quick note|quick note|note"
                                  rf"|disclaimer|fyi|just so you know)\b|\bi should (?:mention|note|point out|say"
                                  rf"|clarify|add)\b|\bi(?:'d| would) rather not\b|\breal(?:[- ]world| life)?"
                                  rf" (?:crimes|people|events|persons?|world|life)\b|\bin reality\b"),
    # outside: the character presented from outside the fiction.
    _grammar("outside", True, r"\bhere(?:'s| is| are) (?:how|what) (?:\w+ ){1,3}(?:responds|reacts|replies|says"
                              r"|answers|does|might|would|could|thinks|feels|said)\b"),
    _grammar("outside", True, rf"\bi(?:'ll| will|'m going to| am going to|'ve| have)? (?:play|played|portray\w*"
                              rf"|write|written|characteri[sz]\w*) {_PRO} (?:as|like)\b"),
    _grammar("outside", False, r"\bso you can (?:decide|choose|respond|react)\b"),
)


@lru_cache(maxsize=64)
def _named(char: str, user: str) -> tuple[tuple[str, bool, re.Pattern[str]], ...]:
    """The ``outside`` grammars about the character (and the user's character) by name: presented
    ("Iyer's reply:", "Iyer is going to respond"), acted on by the writer ("I've given Iyer ..."),
    speculated about ("Iyer could ..."), directed ("do you want Pell to ...")."""
    names = rf"(?:{char}|the character|the narrator)" if char else r"(?:the character|the narrator)"
    people = rf"(?:{char}|{user}|{_PRO}|the character)" if char and user else rf"(?:{_PRO}|the character)"
    named = [
        _grammar("outside", True, rf"\b(?:{names}|he|she|they)(?:'s| is| are|'re|'ll| will)"
                                  rf" (?:going to |now |about to )?(?:respond|reply|answer|react)\b"),
        _grammar("outside", True, rf"\b(?:{names}|he|she|they)(?:'s|’s) (?:answer|reply|response|reaction|lines"
                                  rf"|dialogue)\s*:"),
        _grammar("outside", False, rf"\b{names}(?: \w+)? (?:could|might|would)(?: \w+ly)? (?:\w+)"),
        _grammar("outside", False, rf"\b(?:want|like|prefer|need) {people} to\b"
                                   rf"|\b{people}(?:'s|’s) next (?:move|action|step|line)\b"),
    ]
    if char:
        named.append(_grammar("outside", True, rf"\bi(?:'ve| have|'ll| will|'m going to| am going to)? (?:give|given"
                                               rf"|gave|make|made|keep|kept|let|have|write|wrote|written|play|played"
                                               rf"|portray\w*|characteri[sz]\w*) {char}\b"))
    return tuple(named)


#: The writer's first person (case-sensitive "I"): beside the character named in the third person it
#: is someone outside the fiction talking (a character narrating in the first person does not name itself).
_WRITER_I = re.compile(r"\bI(?:'m|'ve|'ll|'d)?\b|\b(?:me|my)\b")
_QUOTED = re.compile(r'"[^"\n]*"|“[^”]*”')
_ACTIONS = re.compile(r"\*[^*\n]+\*")


def narration(reply: str) -> str:
    """The reply without its quoted dialogue and ``*action*`` spans (parenthesised asides stay)."""
    return _ACTIONS.sub(" . ", _QUOTED.sub(" . ", reply))


def cues(reply: str, char_name: str = "", user_name: str = "") -> list[Cue]:
    """Every cue in the reply's narration, one per grammar at most, strong first."""
    text = narration(reply)
    char = "|".join(re.escape(p) for p in char_name.split() if len(p) > 2 and p.lower() != "assistant")
    user = "|".join(re.escape(p) for p in user_name.split() if len(p) > 2 and p.lower() != "user")
    found = []
    for kind, strong, pattern in _FIXED + _named(f"(?:{char})" if char else "", f"(?:{user})" if user else ""):
        match = pattern.search(text)
        if match:
            found.append(Cue(kind, strong, match.group(0).strip(" .,:!?")))
    if char and _WRITER_I.search(text) and re.search(rf"\b(?:{char})\b", text):
        found.append(Cue("outside", False, "a writer's 'I' beside the character in the third person"))
    return sorted(found, key=lambda c: not c.strong)


def verdict(found: list[Cue]) -> str | None:
    """A description of the break, on one strong cue or two weak ones (of any classes), or None."""
    strong = [c for c in found if c.strong]
    if strong:
        return f"{strong[0].kind} cue: '{strong[0].text}'"
    weak = [c for c in found if not c.strong]
    if len(weak) >= 2 and len({c.text.lower() for c in weak}) >= 2:
        return f"{weak[0].kind} + {weak[1].kind} cues: '{weak[0].text}', '{weak[1].text}'"
    return None
