"""Persona consistency: does a reply read more like another character's card than its own?

Reference-free and contrastive: the reply's content words are matched against the character's
card (description, first message, example replies) and each other character's card in the suite.

* Each card word is weighted by its rarity across the cards (inverse document frequency: a word
  on every card says nothing about which one the reply is like), and a general-English word
  ("night", "good", "tell") weighs a fraction of a rare one.
* Words the user said are left out: a reply that echoes the user ("A hover-bike? What is that?")
  shows nothing of the persona.
* The reply fails only when another card leads its own by at least :data:`MARGIN`: one word
  found on that card only, or several general words; a general word or a word shared by several
  cards alone does not flag.
* A reply that shares no weighted word with any card passes, marked "not enough evidence": the
  check measures drift toward another persona, not blandness.

Words are compared by a light stem ("bees"/"bee", "logged"/"log", "hives"/"hive").
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from threadsmith.checks.text import COMMON_WORDS, words
from threadsmith.probe.scores.outcome import Outcome

#: How far the best other card must lead the character's own to fail, in words found on one card
#: only (each weighs 1.0; a general word a quarter of that, a word on several cards less).
MARGIN = 0.75
#: The weight of a general-English word, relative to its rarity weight.
GENERAL_WEIGHT = 0.25
#: Frequent English words beyond the shared stop list: they appear on any card and in any reply.
GENERAL_WORDS = frozenset("""
again against ago ahead almost alone along already always another anyone anything anyway around
asked away back bad because become before began begin behind believe below best better between big
bit both bring brought call came can't care case cause certain change child close cold come coming
course day days dear didn't different does doesn't done door down during early easy eat else end
enough ever every everyone everything eye eyes face fact far few find fine first five found four
friend full gave getting give given glad going gone good got great half hand hands happy hard head
hear heard heart held hello high hold home hope hour hours house i'll i've idea instead isn't keep
kept kind knew known last late later least leave left less let life light little live long look
looked looking lost lot love made man many matter maybe mean men mind minute moment morning move
name near need never next nice night nothing number off often oh okay old once open order others
ours part past people perhaps person place play point put quite rather ready real really reason
right room run saw say says second seem seen set several shall short show side since sit small
someone something sometimes soon sorry start still stop story sure take taken talk tell ten thank
thanks thing things think thought three today together told tomorrow tonight took toward try trying
turn two until upon use used usual wait want wanted wasn't watch water week went whatever whole
won't word words work year years yes yet yourself young
""".split())


def stem(word: str) -> str:
    """A light stem: possessives, plurals and -ed/-ing endings off ("hives" -> "hive", "logged" -> "log")."""
    word = word.removesuffix("'s").removesuffix("’s")
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    for suffix in ("ing", "ed"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            word = word[:-len(suffix)]
            return word[:-1] if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "lsz" else word
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _terms(texts: Iterable[str]) -> set[str]:
    return {stem(w) for text in texts for w in words(text)
            if w not in COMMON_WORDS and (len(w) > 2 or w.isdigit())}


def _weights(cards: Sequence[set[str]]) -> dict[str, float]:
    """Rarity of each card term across the cards: log(cards / cards with it) / log(cards), so a word
    on one card only weighs 1.0 and a word on every card 0; general words scaled down."""
    count = len(cards)
    df: dict[str, int] = {}
    for card in cards:
        for term in card:
            df[term] = df.get(term, 0) + 1
    return {term: math.log(count / n) / math.log(count) * (GENERAL_WEIGHT if term in _GENERAL_STEMS else 1.0)
            for term, n in df.items()}


_GENERAL_STEMS = frozenset(stem(w) for w in GENERAL_WORDS)


def persona_margin(reply: str, card: Sequence[str], distractors: Sequence[Sequence[str]],
                   user: Sequence[str] = ()) -> Outcome:
    """Weighted evidence for the character's own card minus the best other card's (see the module
    docstring); ``user`` is what the user said, left out of the evidence."""
    if not distractors:
        return Outcome(0.0, True, "not enough evidence: no other character in the suite to compare with")
    cards = [_terms(card), *(_terms(d) for d in distractors)]
    weights = _weights(cards)
    said = _terms([reply]) - _terms(user)
    scores = [sum(weights[t] for t in said & c) for c in cards]
    own, other = scores[0], max(scores[1:], default=0.0)
    if own == 0 and other == 0:  # no word of the reply is on one card more than another
        return Outcome(0.0, True, "not enough evidence: no word of the reply tells one card from another")
    margin = own - other
    rival = cards[1 + scores[1:].index(other)]
    shared = sorted(t for t in said & rival if weights[t] > 0) if other > own else []
    detail = f"own card {own:.2f}, best other {other:.2f}" + (f" (shares {', '.join(shared[:5])})" if shared else "")
    return Outcome(round(margin, 4), margin > -MARGIN, detail)
