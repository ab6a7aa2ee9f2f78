"""Role maintenance: does the reply stay in character?

* :func:`assistant_speak`: out-of-character or assistant talk, found by the dataset checks that
  look for it in training data (SN001 AI disclaimers, SN002 refusals, FL001 sign-offs, FL002
  throat-clearing openers) plus a few out-of-character patterns of our own ("how can I assist
  you", "(OOC: ...)", "this is a fictional ...").
  Then the cue classes of :mod:`~threadsmith.probe.scores.character_breaks`: the reply's narration
  read for talk about the fiction as an artifact, service offers, collaborator address,
  disclaimers, and the character presented from outside (one strong cue or two weak ones).
* :func:`identity`: the reply claims another name or identity than the character's.
* :func:`persona_margin` (from :mod:`~threadsmith.probe.scores.persona`): rarity-weighted word
  evidence for the character's card against other characters' cards (a contrastive
  persona-consistency signal; weak per reply, useful in aggregate).
"""

from __future__ import annotations

import re

from threadsmith.checks.filler import SignOff
from threadsmith.checks.filler_openers import ThroatClearingOpener
from threadsmith.checks.profile import CheckContext
from threadsmith.checks.synthetic_noise import AiDisclaimer, Refusal
from threadsmith.probe.scores.character_breaks import cues, verdict
from threadsmith.probe.scores.outcome import Outcome, ReplyContext, outcome_of
from threadsmith.probe.scores.persona import persona_margin

__all__ = ["assistant_speak", "identity", "persona_margin"]

_ROLEPLAY = CheckContext(kind="roleplay")
_DATASET_CHECKS = (AiDisclaimer(context=_ROLEPLAY), Refusal(context=_ROLEPLAY), SignOff(context=_ROLEPLAY),
                   ThroatClearingOpener(context=_ROLEPLAY))
#: AI identity talk: wrong even inside quotes (a character does not call itself a language model).
_OOC = re.compile(
    r"\bas an? (?:helpful |friendly |virtual |responsible )?"
    r"(?:ai|artificial intelligence|language model|assistant|virtual assistant|chatbot)\b"
    r"|\bi(?:'m| am) (?:just |only |merely )?(?:an? )?(?:ai|artificial intelligence|language model|chatbot"
    r"|virtual assistant|helpful assistant|assistant)\b"
    r"|\b(?:large )?language model\b"
    r"|\bthis is (?:a|just a|purely) fictional\b"
    r"|\bi don't have (?:personal )?(?:feelings|emotions|a body|opinions)\b"
    r"|\bmy (?:training|knowledge) (?:data|cutoff)\b"
    r"|\b(?:computer|software) program\b|\byour (?:ai|virtual) (?:companion|assistant|friend)\b"
    r"|^\s*[(\[]\s*out of character\b",
    re.IGNORECASE)
#: Assistant service talk: wrong in narration, but a character may say it ("How can I help you, stranger?").
_SERVICE = (
    r"|\bhow (?:can|may) i (?:assist you|help you today)\b|\bis there anything else\b"
    r"|\bi(?:'m| am) here to (?:help|assist)\b|\bi apologi[sz]e for (?:any|the) confusion\b"
    r"|\bi (?:can(?:no|')t|am (?:not )?able to|won't) (?:help|assist|continue|engage|roleplay|role-play)\b(?! but)"
    r"|\bwould you like me to (?:continue|go on|keep going|write)\b|\bi hope you (?:enjoyed|liked) (?:this|the)\b"
    r"|\bi(?:'m| am)? (?:sorry,? )?(?:but )?i? ?can(?:no|')t help with\b")
_OOC_OPEN = re.compile(r"^\s*[(\[]\s*ooc\b", re.IGNORECASE)
_QUOTED = re.compile(r'"[^"\n]*"|“[^”]*”')

#: Talk about the reply as a piece of writing, outside the character's quoted speech: the assistant
#: refusing or offering to write ("I'm unable to write ...", "I must decline to continue ..."),
#: presenting it ("Below is the continuation ...", "Here is Elara's reply:"), stepping out of the
#: fiction ("in the story, ...", "this roleplay", "Elara would say ..."), asides ("Note: ...",
#: "OOC - ..."), and customer-service closers ("Feel free to ask ...", "Let me know if you need ...").
#: Quoted speech is left out: a character may say "I can't help you" or "Let me know when it boils".
_WRITING = r"(?:write|writing|generate|produce|create|depict|portray|narrate|describe|engage|fulfil|fulfill|comply" \
           r"|assist|provide|continue|go on|roleplay|role-play)"
_EDITING = r"(?:make|write|continue|change|adjust|rewrite|revise|expand|shorten|add|try|suggest|keep|go on|focus" \
           r"|tweak|tone down)"
_FICTION = r"(?:story|roleplay|role-play|rp|scene|scenario|narrative|fiction|conversation|chat|request)"
_META = re.compile(
    rf"\bi(?:'m| am)? (?:(?:really |truly )?(?:unable|not able|not comfortable|not permitted)|must decline|have to"
    rf" decline|(?:can(?:no|')t|won't|will not|refuse to|must refuse to)) (?:to )?{_WRITING}\b"
    rf"|\b(?:decline|refuse) to (?:{_WRITING})\b"
    rf"|\b(?:here(?:'s| is| are)|below (?:is|are)|what follows is|following is)\s+(?:\w+(?:'s|’s|s') |a |an |the |my )?"
    rf"(?:[\w'’]+ ){{0,3}}(?:response|reply|replies|continuation|version|rewrite|answer|dialogue|lines|take)\b"
    rf"|\bcontinu(?:e|es|ing|ation) (?:of |with )?(?:the|this|our|your) {_FICTION}\b"
    rf"|(?:^|[.!?]\s+)in (?:the|this|our|your) (?:story|roleplay|role-play|rp|scenario|narrative),"
    rf"|\b(?:with|for) your (?:story|scenario|scene)\b"
    rf"|\b(?:roleplay|role-play)\b|\bin(?:-| )character\b|\bout of character\b"
    rf"|\bas your (?:\w+ )?(?:narrator|storyteller|storytelling partner|writing partner|co-?writer|game master)\b"
    rf"|\bfeel free to (?:ask|let me know|reach out|tell me)\b|\blet me know (?:if|whether|how|what)\b"
    rf"|\bif you (?:have|need|want) (?:any )?(?:more|other|further|additional)\b"
    rf"|\b(?:hope|hoping) (?:this|that|it) (?:helps|was helpful)\b"
    rf"|\bas (?:you )?(?:asked|requested)\b"
    rf"|^\s*(?:great|good|excellent|interesting) question\b|^\s*(?:certainly|sure thing|absolutely|of course)!"
    rf"|\b(?:would you like|do you want|want|shall) (?:me|i) to (?:\w+ )?{_EDITING}\b"
    rf"|\bi (?:can|could) (?:also )?(?:adjust|change|rewrite|revise|expand|shorten|tweak|tone down) (?:it|this|that|the|his"
    rf"|her|their|him|them)\b"
    rf"|\bi(?:'ve| have) (?:continued|written|rewritten|revised|adjusted|tweaked)\b"
    rf"|\bi(?:'ve| have) kept (?:[\w'’]+ ){{0,2}}(?:tone|voice|personality|style)\b"
    rf"|\b(?:continued|written|included|is|are|see|find) (?:[\w'’]+ )?(?:below|above)(?=\s*[.:!]|\s*$)"
    rf"|\bsomething like (?:this|that):|\bto answer your question\b"
    rf"|\b(?:that's|what) an? (?:fun|great|good|interesting|lovely|nice|fascinating) (?:idea|question|detail|twist"
    rf"|prompt|direction|scenario|setup|premise)\b|\b(?:detail|idea|direction|twist|thread) to explore\b"
    rf"|\bplot (?:direction|thread|idea)s?\b|\b(?:in|for) (?:the|this|our) (?:\w+ )?setting\b"
    rf"|\b(?:longer|shorter|different) (?:reply|response|answer)\b"
    rf"|\bi(?:'ll| will) (?:now )?(?:write|continue|describe|narrate) (?:the|this|her|his|their|a|an|our) (?:next |new )?"
    rf"(?:scene|story|reply|response|line|part|continuation|roleplay)\b"
    rf"|\b(?:the|her|his|their) next (?:part|line|scene|reply|response|chapter|message)\b"
    + _SERVICE,
    re.IGNORECASE)
_ASIDE = re.compile(r"(?:^|\n)\s*[(\[{]?\s*(?:ooc|out of character|note|author'?s note|a/n)\s*(?:[:\-–—)\]]|\s-)",
                    re.IGNORECASE)


def _about_character(name: str) -> re.Pattern[str] | None:
    """Narration that talks about the character from outside: "Elara would say ...", "As Elara, I ..."."""
    first = re.escape(name.split()[0]) if name.split() else ""
    if not first:
        return None
    names = "|".join(re.escape(part) for part in name.split() if len(part) > 2) or first
    return re.compile(rf"\b(?:{names})(?: \w+)? (?:would|might) (?:likely |probably )?(?:say|respond|reply|answer)\b"
                      rf"|\b(?:{names})(?:'s|’s) (?:answer|reply|response|lines|dialogue) (?:might|would|could|will)"
                      rf" (?:go|be|read|look|sound)\b|\bmake (?:{names}) (?:more|less|sound|seem)\b"
                      rf"|(?:^|[.!?]\s+)as (?:{names})\b[^,.]{{0,30}}, i\b"
                      rf"|\b(?:want|like|prefer|need) (?:{names}) to\b|\b(?:should|shall) (?:{names})\b", re.IGNORECASE)



def _meta_talk(narration: str, asked_ooc: bool, char_name: str) -> str | None:
    """The first piece of writing-about-the-writing outside quotes, or None."""
    about = _about_character(char_name)
    found = _META.search(narration) or (about.search(narration) if about else None)
    if found:
        return found.group(0).strip(" .!?")
    aside = _ASIDE.search(narration)
    if aside and not asked_ooc:
        return "an aside: " + narration[aside.start():].strip()[:40]
    return None


def assistant_speak(reply: str, context: ReplyContext) -> Outcome:
    """Fails when the reply breaks character with assistant or AI talk (value 1.0 = in character)."""
    hits = [m.group(0) for m in _OOC.finditer(reply)][:1]
    asked_ooc = any(m.role == "user" and "ooc" in m.content.lower() for m in context.history[-1:])
    if _OOC_OPEN.match(reply) and not asked_ooc:
        hits.append("an out-of-character aside: " + reply.strip()[:40])
    # A sign-off or opener inside quoted dialogue is the character speaking ("Anything else?").
    narration = _QUOTED.sub(" ", reply) if '"' in reply or "“" in reply else reply
    if not hits:
        meta = _meta_talk(narration, asked_ooc, context.char_name)
        hits += [meta] if meta else []
    if not hits:
        broken = verdict(cues(reply, context.char_name, context.user_name))
        hits += [broken] if broken else []
    if not hits:
        conversation = context.conversation(narration)
        for check in _DATASET_CHECKS:
            found = [h.message for h in check.check(conversation) if h.message_index == len(conversation.messages) - 1]
            if found:
                hits.append(f"{check.code}: {found[0]}")
                break
    return outcome_of([h if h.startswith(_DESCRIBED) else f"assistant talk: '{h}'" for h in hits])


#: Hits that already say what they are (dataset check codes, asides, cue classes).
_DESCRIBED = ("SN", "FL", "an ", "artifact", "service", "collaborator", "disclaimer", "outside")


_NAME_CLAIM = re.compile(r"\b(?i:my name is|my name's|i am called|i'm called|call me|i am|i'm)\s+([A-Z][\w'-]{2,})")
_NOT_A_NAME = frozenset("""sorry glad happy afraid not here just so very sure fine okay ok still really going trying
afraid certain tired busy ready hungry alone new only always never also back done home just the""".split())


def identity(reply: str, context: ReplyContext) -> Outcome:
    """Fails when the reply claims a name other than the character's ("I'm Claude", "My name is Sam")."""
    own = {part.lower() for part in context.char_name.split()}
    for match in _NAME_CLAIM.finditer(reply):
        name = match.group(1)
        if name.lower() not in own and name.lower() not in _NOT_A_NAME and name.lower() != context.user_name.lower():
            return Outcome(0.0, False, f"claims another identity: '{match.group(0)}'")
    return outcome_of([])
