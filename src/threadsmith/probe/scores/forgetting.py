"""Forgetting: how far a tuned model moved from its base on general prompts.

Two label-free signals, computed between two runs of the same suite (base and tuned):

* :func:`mean_kl`: the forward KL(base || tuned) of next-token distributions, teacher-forced on
  each forgetting probe's fixed ``reference`` continuation, averaged over tokens. Each run stores
  the top-k tokens per position (the backend's ``token_distributions``); tokens outside one
  side's top-k get that side's smallest stored probability, and the mass outside the base's
  top-k is one more bucket. It is an approximation that is exact as k grows; 0 for the base.
* :func:`answer_changes`: the share of the suite's multiple-choice probes whose chosen answer
  (highest log-likelihood choice) differs from the base's, with each run's accuracy beside it.
* :func:`extract_choice`: the choice a *generated* reply gives ("The answer is (B)", "I think
  it's Paris"), for when a backend cannot score choices by likelihood (an HTTP endpoint): the
  runner then asks :func:`choice_question` (choices lettered, "answer with the letter"), greedy.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence

from threadsmith.checks.text import COMMON_WORDS, words

#: Per position: (top-k token ids, their log-probabilities).
Distribution = tuple[Sequence[int], Sequence[float]]


def position_kl(base: Distribution, tuned: Distribution) -> float:
    """KL(base || tuned) at one position, from the two top-k lists (see the module docstring)."""
    base_ids, base_lp = base
    tuned_map = dict(zip(tuned[0], tuned[1]))
    floor = min(tuned[1]) if tuned[1] else -30.0
    kl, base_mass, tuned_mass = 0.0, 0.0, 0.0
    for token, lp in zip(base_ids, base_lp):
        p = math.exp(lp)
        q_lp = tuned_map.get(token, floor)
        kl += p * (lp - q_lp)
        base_mass += p
        tuned_mass += math.exp(q_lp)
    rest_p, rest_q = max(1e-12, 1 - base_mass), max(1e-12, 1 - min(tuned_mass, 1 - 1e-12))
    kl += rest_p * math.log(rest_p / rest_q)
    return max(0.0, kl)


def mean_kl(base: Sequence[Sequence[Distribution]], tuned: Sequence[Sequence[Distribution]]) -> float:
    """Mean per-token KL(base || tuned) over prompts (each a sequence of positions)."""
    values = [position_kl(b, t) for bp, tp in zip(base, tuned) for b, t in zip(bp, tp)]
    return sum(values) / len(values) if values else 0.0


def chosen(scores: Sequence[float]) -> int:
    """The index of the highest-scoring choice."""
    return max(range(len(scores)), key=scores.__getitem__)


def answer_changes(base: Mapping[str, int], tuned: Mapping[str, int]) -> tuple[float, list[str]]:
    """(share of shared probes whose chosen answer changed, their ids)."""
    shared = sorted(set(base) & set(tuned))
    changed = [pid for pid in shared if base[pid] != tuned[pid]]
    return (len(changed) / len(shared) if shared else 0.0), changed


def accuracy(picks: Mapping[str, int], answers: Mapping[str, int | None]) -> float | None:
    """Share of keyed probes answered right (None when none has an answer key)."""
    keyed = [pid for pid, answer in answers.items() if answer is not None and pid in picks]
    return sum(picks[pid] == answers[pid] for pid in keyed) / len(keyed) if keyed else None


_LETTERS = "ABCDEFGHIJ"
#: An explicit letter: the whole reply ("B", "**B**"), "(B)", "B) ..." / "b. ..." / "A - ..." at the
#: start, or after "answer", "option", "choice" ("The answer is B", "Option C: ...").
_LETTER = re.compile(
    r"^\W*([A-J])\W*$|\(([A-J])\)|^\W*([A-Ja-j])\s*[).:\]]|^\W*([A-J])\s+[-–—]\s"
    r"|\b(?i:answer|option|choice)(?:\s+(?i:is|would be|:))?\s*[:\-]?\s*\W{0,2}([A-J])\b(?!['’]\w)")
_NEGATED = re.compile(r"\b(?:not|isn't|is not|never|no|rather than|instead of)\W+$", re.IGNORECASE)
_HEDGE = re.compile(r"^\W*(?:or|and/or)\W*$", re.IGNORECASE)


def choice_question(question: str, choices: Sequence[str]) -> str:
    """The question with its choices listed as A), B), ... and an instruction to answer with the
    letter: how a backend without likelihoods is asked (its reply is read by :func:`extract_choice`)."""
    listed = "\n".join(f"{letter}) {choice}" for letter, choice in zip(_LETTERS, choices))
    return f"{question}\n\n{listed}\n\nAnswer with the letter of the right choice only."


def _terms(choices: Sequence[str]) -> list[list[str]]:
    """Each choice's full text plus its distinctive words (in no other choice): "100" of "100 degrees"."""
    split = [words(c) for c in choices]
    out = []
    for i, own in enumerate(split):
        others = {w for j, ws in enumerate(split) if j != i for w in ws}
        distinct = [w for w in own if w not in others and w not in COMMON_WORDS and (len(w) > 2 or w.isdigit())]
        out.append([choices[i].lower(), *distinct] if len(own) > 1 else [choices[i].lower()])
    return out


def _mentions(reply: str, choices: Sequence[str]) -> list[tuple[int, int, int]]:
    """(start, end, choice index) of every choice named in the reply and not negated, in order."""
    low = reply.lower()
    found = []
    for index, terms in enumerate(_terms(choices)):
        for term in terms:
            for m in re.finditer(rf"(?<![\w'’]){re.escape(term)}(?![\w'’])", low):
                if not _NEGATED.search(low[max(0, m.start() - 14):m.start()]):
                    found.append((m.start(), m.end(), index))
    return sorted(found)


def extract_choice(reply: str, choices: Sequence[str]) -> int | None:
    """The choice a generated reply gives to a question that listed ``choices`` as A), B), ...

    An explicit letter wins; otherwise the first choice named and not negated ("Paris, not Lyon");
    None for no choice, or a hedge between two ("Lyon or Paris").
    """
    letters = _LETTERS[:len(choices)]
    for match in _LETTER.finditer(reply.strip()):
        letter = next(g for g in match.groups() if g).upper()
        if letter in letters:
            return letters.index(letter)
    mentions = _mentions(reply, choices)
    for (_, end, a), (start, _, b) in zip(mentions, mentions[1:]):
        if a != b and _HEDGE.match(reply[end:start]):
            return None
    return mentions[0][2] if mentions else None
