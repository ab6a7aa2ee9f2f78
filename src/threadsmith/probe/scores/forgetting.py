"""Forgetting: how far a tuned model moved from its base on general prompts.

Two label-free signals, computed between two runs of the same suite (base and tuned):

* :func:`mean_kl`: the forward KL(base || tuned) of next-token distributions, teacher-forced on
  each forgetting probe's fixed ``reference`` continuation, averaged over tokens. Each run stores
  the top-k tokens per position (the backend's ``token_distributions``); tokens outside one
  side's top-k get that side's smallest stored probability, and the mass outside the base's
  top-k is one more bucket. It is an approximation that is exact as k grows; 0 for the base.
* :func:`answer_changes`: the share of the suite's multiple-choice probes whose chosen answer
  (highest log-likelihood choice) differs from the base's, with each run's accuracy beside it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

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
