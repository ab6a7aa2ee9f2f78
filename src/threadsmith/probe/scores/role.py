"""Role maintenance: does the reply stay in character?

* :func:`assistant_speak`: out-of-character or assistant talk, found by the dataset checks that
  look for it in training data (SN001 AI disclaimers, SN002 refusals, FL001 sign-offs, FL002
  throat-clearing openers) plus a few out-of-character patterns of our own ("how can I assist
  you", "(OOC: ...)", "this is a fictional ...").
* :func:`identity`: the reply claims another name or identity than the character's.
* :func:`persona_margin`: word overlap with the character's card and examples, minus the best
  overlap with other characters' cards (a contrastive persona-consistency signal; weak per
  reply, useful in aggregate).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence

from threadsmith.checks.filler import SignOff
from threadsmith.checks.filler_openers import ThroatClearingOpener
from threadsmith.checks.profile import CheckContext
from threadsmith.checks.synthetic_noise import AiDisclaimer, Refusal
from threadsmith.checks.text import COMMON_WORDS, words
from threadsmith.probe.scores.outcome import Outcome, ReplyContext, outcome_of

_ROLEPLAY = CheckContext(kind="roleplay")
_DATASET_CHECKS = (AiDisclaimer(context=_ROLEPLAY), Refusal(context=_ROLEPLAY), SignOff(context=_ROLEPLAY),
                   ThroatClearingOpener(context=_ROLEPLAY))
_OOC = re.compile(
    r"\bas an? (?:helpful |friendly |virtual |responsible )?"
    r"(?:ai|artificial intelligence|language model|assistant|virtual assistant|chatbot)\b"
    r"|\bi(?:'m| am) (?:just |only |merely )?(?:an? )?(?:ai|artificial intelligence|language model|chatbot"
    r"|virtual assistant|helpful assistant|assistant)\b"
    r"|\b(?:large )?language model\b|\bhow (?:can|may) i (?:assist you|help you today)\b|\bis there anything else\b"
    r"|\bi(?:'m| am) here to (?:help|assist)\b|\bi apologi[sz]e for (?:any|the) confusion\b"
    r"|\bthis is (?:a|just a|purely) fictional\b|\bin this (?:role-?play|story|scenario),? i\b"
    r"|\bi (?:can(?:no|')t|am (?:not )?able to|won't) (?:help|assist|continue|engage|roleplay|role-play)\b"
    r"|\bi don't have (?:personal )?(?:feelings|emotions|a body|opinions)\b"
    r"|\bmy (?:training|knowledge) (?:data|cutoff)\b"
    r"|\b(?:computer|software) program\b|\byour (?:ai|virtual) (?:companion|assistant|friend)\b"
    r"|\bwould you like me to (?:continue|go on|keep going|write)\b|\bi hope you (?:enjoyed|liked) (?:this|the)\b"
    r"|\bi(?:'m| am)? (?:sorry,? )?(?:but )?i? ?can(?:no|')t help with\b"
    r"|\bhere(?:'s| is) (?:a|the|my) (?:response|reply|continuation)\b"
    r"|^\s*[(\[]\s*out of character\b",
    re.IGNORECASE)
_OOC_OPEN = re.compile(r"^\s*[(\[]\s*ooc\b", re.IGNORECASE)
_QUOTED = re.compile(r'"[^"\n]*"|“[^”]*”')


def assistant_speak(reply: str, context: ReplyContext) -> Outcome:
    """Fails when the reply breaks character with assistant or AI talk (value 1.0 = in character)."""
    hits = [m.group(0) for m in _OOC.finditer(reply)][:1]
    asked_ooc = any(m.role == "user" and "ooc" in m.content.lower() for m in context.history[-1:])
    if _OOC_OPEN.match(reply) and not asked_ooc:
        hits.append("an out-of-character aside: " + reply.strip()[:40])
    if not hits:
        # A sign-off or opener inside quoted dialogue is the character speaking ("Anything else?").
        narration = _QUOTED.sub(" ", reply) if '"' in reply or "“" in reply else reply
        conversation = context.conversation(narration)
        for check in _DATASET_CHECKS:
            found = [h.message for h in check.check(conversation) if h.message_index == len(conversation.messages) - 1]
            if found:
                hits.append(f"{check.code}: {found[0]}")
                break
    return outcome_of([f"assistant talk: '{h}'" if not h.startswith(("SN", "FL", "an ")) else h for h in hits])


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


def _profile(texts: Sequence[str]) -> Counter[str]:
    return Counter(w for text in texts for w in words(text) if w not in COMMON_WORDS and len(w) > 2)


def _cosine(a: Counter[str], b: Counter[str]) -> float:
    if not a or not b:
        return 0.0
    dot = sum(v * b[k] for k, v in a.items() if k in b)
    return dot / (math.sqrt(sum(v * v for v in a.values())) * math.sqrt(sum(v * v for v in b.values())))


def persona_margin(reply: str, card: Sequence[str], distractors: Sequence[Sequence[str]]) -> Outcome:
    """Similarity to the character's card minus the best similarity to another card (passes when >= 0)."""
    mine = _profile([reply])
    own = _cosine(mine, _profile(card))
    others = [_cosine(mine, _profile(d)) for d in distractors] or [0.0]
    margin = own - max(others)
    return Outcome(round(margin, 4), margin >= 0, f"card similarity {own:.2f}, best other {max(others):.2f}")
