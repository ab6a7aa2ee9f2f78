"""Comparing runs of one suite: base vs base + system prompt vs fine-tuned.

Per behavior: each variant's mean probe score and, against the first run (the base), the mean
paired difference with a bootstrap 95% interval (probes resampled, paired by id). Per variant:
the probes that lost most against the base (worst examples, replies side by side), phrases it
introduced, distinct-2, and forgetting (KL from the base, answer changes). Each behavior that got
worse links to the dataset checks that feed it: :data:`DATASET_LINKS`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from threadsmith.probe.results import ProbeResult, RunResult
from threadsmith.probe.scores import forgetting
from threadsmith.probe.scores.overuse import Introduced, distinct_n, introduced_phrases

#: behavior -> (check codes to run on the dataset, what to look for there).
DATASET_LINKS: dict[str, tuple[tuple[str, ...], str]] = {
    "role": (("SN001", "SN002", "FL001", "FL002"),
             "assistant talk in the training replies (AI disclaimers, refusals, sign-offs, openers); also too few "
             "in-character replies to identity questions"),
    "format": (("FM001", "FM002", "FM003", "FM004", "FM005", "FM006"),
               "formatting findings: entries whose action markup, quotes, markdown or speaker labels differ"),
    "slop": (("SN009", "SN010", "RP003", "RP004", "LV001"),
             "overused phrases and openers in the data (the phrases the fine-tune introduced are listed above)"),
    "emotion": ((), "no dataset check feeds it yet: read replies to neutral user turns for unprompted mood swings"),
    "length": (("LN002", "WT001", "WT003", "LV004"),
               "the length distribution: too-short or too-long replies, and reply/prompt length ratios"),
    "correction": (("WT004",), "few examples where the user corrects a fact and the reply follows it; "
                                "non-responsive replies"),
    "agency": (("RC001", "RC003", "RC004"),
               "role-confusion findings: replies that narrate the user, or leak the user's turn"),
    "forgetting": ((), "a narrow dataset: mix in general assistant data, or train fewer steps / a lower LoRA rank"),
}


@dataclass(frozen=True, slots=True)
class BehaviorDelta:
    behavior: str
    variant: str
    score: float | None
    base: float | None
    #: Mean paired difference (variant - base) over probes scored in both, and its 95% interval.
    delta: float | None
    low: float | None
    high: float | None
    probes: int


@dataclass(frozen=True, slots=True)
class Example:
    probe_id: str
    behavior: str
    variant: str
    drop: float
    base_replies: tuple[str, ...]
    replies: tuple[str, ...]
    failures: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class VariantExtras:
    variant: str
    distinct_2: float
    introduced: tuple[Introduced, ...]
    kl: float | None
    answer_changes: float | None
    changed: tuple[str, ...]
    accuracy: float | None
    #: How the multiple-choice answers were chosen: "likelihood", "generated", or both.
    choice_method: str = ""
    #: Why ``kl`` is None when forgetting probes asked for it (e.g. an HTTP endpoint gives no logits).
    kl_note: str = ""


@dataclass(frozen=True, slots=True)
class Comparison:
    variants: tuple[str, ...]
    #: Per variant: the model, and the training run and dataset version it came from when known.
    sources: tuple[str, ...]
    deltas: tuple[BehaviorDelta, ...]
    worst: tuple[Example, ...]
    extras: tuple[VariantExtras, ...]
    #: Behaviors where a variant is worse than the base (or fails outright), for "what to fix next".
    to_fix: tuple[str, ...]


def paired_bootstrap(diffs: Sequence[float], resamples: int = 2000, seed: int = 0) -> tuple[float, float, float]:
    """(mean, 2.5th percentile, 97.5th percentile) of the mean of paired differences."""
    values = np.asarray(diffs, dtype=float)
    if len(values) == 0:
        return 0.0, 0.0, 0.0
    rng = np.random.default_rng(seed)
    means = values[rng.integers(0, len(values), size=(resamples, len(values)))].mean(axis=1)
    return float(values.mean()), float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5))


def _delta(behavior: str, base: RunResult, run: RunResult) -> BehaviorDelta:
    mine = {r.probe_id: r.score for r in run.results if r.behavior == behavior and r.score is not None}
    theirs = {r.probe_id: r.score for r in base.results if r.behavior == behavior and r.score is not None}
    shared = sorted(set(mine) & set(theirs))
    score = sum(mine.values()) / len(mine) if mine else None
    base_score = sum(theirs.values()) / len(theirs) if theirs else None
    if not shared or run is base:
        return BehaviorDelta(behavior, run.variant, score, base_score, None, None, None, len(shared))
    mean, low, high = paired_bootstrap([mine[p] - theirs[p] for p in shared])
    return BehaviorDelta(behavior, run.variant, score, base_score, mean, low, high, len(shared))


def _failures(result: ProbeResult) -> tuple[str, ...]:
    return tuple(f"{c.type}: {c.detail}" for c in result.checks if c.passed is False and c.severity == "hard")


def _worst(base: RunResult, run: RunResult, per_variant: int) -> list[Example]:
    theirs = base.by_id()
    found = []
    for r in run.results:
        b = theirs.get(r.probe_id)
        if r.score is None or b is None or b.score is None:
            continue
        drop = b.score - r.score if run is not base else 1 - r.score
        if drop > 0:
            found.append(Example(r.probe_id, r.behavior, run.variant, round(drop, 3), b.replies, r.replies,
                                 _failures(r)))
    found.sort(key=lambda e: (-e.drop, e.probe_id))
    return found[:per_variant]


def _extras(base: RunResult, run: RunResult) -> VariantExtras:
    pairs = [(r.probe_id, text) for r in run.results for text in r.replies]
    base_pairs = [(r.probe_id, text) for r in base.results for text in r.replies]
    introduced = tuple(introduced_phrases(pairs, base_pairs)) if run is not base else ()
    theirs = base.by_id()
    dists = [(theirs[r.probe_id].distributions, r.distributions) for r in run.results
             if r.distributions and r.probe_id in theirs and theirs[r.probe_id].distributions]
    kl = forgetting.mean_kl([d[0] for d in dists], [d[1] for d in dists]) if dists else None
    picks, methods = _picks(run)
    base_picks, base_methods = _picks(base)
    changes, changed = forgetting.answer_changes(base_picks, picks) if picks and base_picks else (None, [])
    return VariantExtras(run.variant, round(distinct_n([t for _, t in pairs], 2, 30), 4), introduced,
                         kl, changes, tuple(changed), None, ", ".join(sorted(methods | base_methods)),
                         _kl_note(base, run) if kl is None else "")


def _picks(run: RunResult) -> tuple[dict[str, int], set[str]]:
    """(probe id -> chosen index, the methods used): by likelihood, or read from a generated reply,
    where a reply that gave no choice counts as -1 ("no answer" differs from every answer)."""
    out: dict[str, int] = {}
    methods: set[str] = set()
    for r in run.results:
        if r.choice_scores:
            out[r.probe_id] = forgetting.chosen(r.choice_scores)
            methods.add("likelihood")
        elif r.choice_method == "generated":
            out[r.probe_id] = -1 if r.choice is None else r.choice
            methods.add("generated")
    return out, methods


def _kl_note(base: RunResult, run: RunResult) -> str:
    """Why KL has no value where a forgetting probe asked for it (never reported as 0 then)."""
    for r in (*run.results, *base.results):
        if "KL not measured" in r.note:
            return r.note[r.note.index("KL not measured"):]
    return ""


def compare_runs(runs: Sequence[RunResult], answers: dict[str, int | None] | None = None,
                 worst_per_variant: int = 5) -> Comparison:
    """Compare runs of one suite; the first is the base. ``answers`` keys the multiple-choice probes."""
    base = runs[0]
    behaviors = list(dict.fromkeys(r.behavior for run in runs for r in run.results))
    deltas = [_delta(b, base, run) for b in behaviors for run in runs]
    worst = [e for run in runs[1:] for e in _worst(base, run, worst_per_variant)]
    extras = []
    for run in runs:
        extra = _extras(base, run)
        if answers:
            accuracy = forgetting.accuracy(_picks(run)[0], answers)
            extra = VariantExtras(**{**_fields(extra), "accuracy": accuracy})
        extras.append(extra)
    to_fix = [b for b in behaviors if any(
        d.behavior == b and ((d.delta is not None and d.delta < 0) or (d.score is not None and d.score < 1))
        for d in deltas if d.variant != base.variant)]
    if any(e.kl for e in extras) or any(e.answer_changes for e in extras):
        to_fix.append("forgetting") if "forgetting" not in to_fix else None
    return Comparison(tuple(r.variant for r in runs), tuple(map(_source, runs)), tuple(deltas), tuple(worst),
                      tuple(extras), tuple(to_fix))


def _source(run: RunResult) -> str:
    meta = run.metadata
    if meta.get("run"):
        data = f", {meta['dataset']} version {meta['version']}" if meta.get("dataset") else ""
        return f"{run.variant}: {run.model} (training run {meta['run']}{data})"
    return f"{run.variant}: {run.model}"


def _fields(extra: VariantExtras) -> dict[str, object]:
    return {name: getattr(extra, name) for name in VariantExtras.__slots__}
