"""Train / validation / test splits: seeded, stratified, and leakage-free.

Leakage-free means no group straddles two splits, where a group joins entries that
(a) are near-duplicates (the MinHash clusters of the near-duplicate check RP002, at its
threshold, replies of at least ten words as RP002 compares them), (b) share a context that the contradiction check CT001 compares (same system
prompt and every earlier message, at least four words besides the system prompt: a
contradiction group is a subset of one), or (c) are exact duplicates. Groups are the
connected components of those links.

Assignment: groups are ordered by stratum (the entry's tags, or its character: the first named
assistant turn), shuffled within a stratum by the seed, then each group goes to the split that
is furthest below its target. Targets grow stratum by stratum (``ratio x entries seen``), so
every stratum is split in proportion and the totals land within one group of the targets.
Counts (``8000,1000,1000``) work the same, with what the counts leave over set aside.

Only small per-entry keys are held: a 128-byte signature, 8-byte context and duplicate keys,
a stratum number; never the conversations. Leakage is then measured on its own: the
near-duplicate pairs (LSH candidates verified at the threshold), shared contexts and exact
duplicates whose two entries sit in different splits. It must be 0.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass
from typing import Any

import numpy as np

from threadsmith.checks.contradictions import contexts as context_keys
from threadsmith.checks.features import features
from threadsmith.checks.near_duplicates import SignatureStore, _band_pairs, band_rows, cluster, components, similarity
from threadsmith.errors import UserError
from threadsmith.model import Conversation, fingerprint

SPLIT_NAMES = ("train", "validation", "test")
STRATA = ("tag", "character")
#: Contexts shorter than this many words (besides the system prompt) are CT002's, not grouped.
CONTEXT_WORDS = 4
NEAR_DUPLICATE_THRESHOLD = 0.6
#: Replies shorter than this (in words) are not compared for near-duplicates, as in RP002: "Sure!"
#: in a thousand unrelated conversations would otherwise glue them into one group.
MIN_REPLY_WORDS = 10
_UNUSED = "unused"


@dataclass(frozen=True, slots=True)
class SplitSpec:
    """How to split: ratios (summing to 1) or counts, a seed, an optional stratum."""

    ratios: tuple[float, ...] = ()
    counts: tuple[int, ...] = ()
    seed: int = 0
    stratify: str | None = None
    threshold: float = NEAR_DUPLICATE_THRESHOLD

    @property
    def names(self) -> tuple[str, ...]:
        """The split names, in order (``train``, ``validation``[, ``test``])."""
        return SPLIT_NAMES[: len(self.ratios or self.counts)]

    @classmethod
    def parse(cls, text: str, *, seed: int = 0, stratify: str | None = None) -> SplitSpec:
        """``0.9,0.05,0.05`` (ratios summing to 1) or ``8000,1000,1000`` (counts); two or three parts."""
        parts = [p.strip() for p in text.split(",")]
        hint = "Write ratios like 0.9,0.05,0.05 (train, validation, test) or counts like 8000,1000,1000."
        if len(parts) not in (2, 3):
            raise UserError(f"--split {text!r} needs two or three parts.", hint=hint)
        if stratify is not None and stratify not in STRATA:
            raise UserError(f"Cannot stratify by {stratify!r}.", hint=f"Choose one of: {', '.join(STRATA)}.")
        try:
            if all(p.isdigit() for p in parts) and any(int(p) > 1 for p in parts):
                return cls(counts=tuple(int(p) for p in parts), seed=seed, stratify=stratify)
            ratios = tuple(float(p) for p in parts)
        except ValueError:
            raise UserError(f"--split {text!r} is not a list of numbers.", hint=hint) from None
        if any(r < 0 for r in ratios) or abs(sum(ratios) - 1.0) > 1e-6:
            raise UserError(f"--split {text!r}: ratios must be at least 0 and sum to 1.", hint=hint)
        return cls(ratios=ratios, seed=seed, stratify=stratify)

    def to_dict(self) -> dict[str, Any]:
        """The spec as the manifest records it."""
        return {"names": list(self.names), "ratios": list(self.ratios) or None, "counts": list(self.counts) or None,
                "seed": self.seed, "stratify": self.stratify, "near_duplicate_threshold": self.threshold,
                "groups": "near-duplicate clusters, shared contexts (contradiction groups), exact duplicates"}


@dataclass(frozen=True, slots=True)
class SplitPlan:
    """The outcome: each kept entry's split, sizes, and the measured leakage."""

    names: tuple[str, ...]
    #: Split number per kept entry, in read order (``len(names)`` = left out by the counts).
    assignment: np.ndarray
    sizes: dict[str, int]
    groups: int
    largest_group: int
    leakage: dict[str, int]


#: ``(reply signature or None, context keys, exact-duplicate key, stratum)`` of one entry.
EntryKeys = tuple[bytes | None, list[int], int, str]


def entry_keys(conversation: Conversation, stratify: str | None) -> EntryKeys:
    """What the split needs to know about one entry (a few hundred bytes at most)."""
    f = features(conversation)
    signature = f.signature() if f.reply_words >= MIN_REPLY_WORDS else None
    contexts = [int.from_bytes(key, "little") for _, key, words in context_keys(conversation) if words >= CONTEXT_WORDS]
    return signature, contexts, int.from_bytes(fingerprint(conversation)[:8], "little"), stratum_of(conversation, stratify)


class SplitPlanner:
    """Collects the small keys of each kept entry (first pass), then assigns splits."""

    def __init__(self, spec: SplitSpec) -> None:
        self.spec = spec
        self._signatures = SignatureStore(keep_refs=False)
        self._signed = array("q")  # entry row of each signature
        self._context_keys, self._context_rows = array("Q"), array("q")
        self._duplicate_keys = array("Q")
        self._strata: dict[str, int] = {}
        self._stratum = array("l")

    @property
    def entries(self) -> int:
        """Entries observed so far."""
        return len(self._stratum)

    def observe(self, conversation: Conversation) -> None:
        """Keep one entry's keys (call in read order, for kept entries only)."""
        self.add(entry_keys(conversation, self.spec.stratify))

    def add(self, keys: EntryKeys) -> None:
        """Keep keys computed by :func:`entry_keys` (perhaps in a worker process)."""
        signature, contexts, duplicate, label = keys
        row = len(self._stratum)
        if signature is not None:
            self._signatures.add(signature, None)  # type: ignore[arg-type]
            self._signed.append(row)
        for key in contexts:
            self._context_keys.append(key)
            self._context_rows.append(row)
        self._duplicate_keys.append(duplicate)
        self._stratum.append(self._strata.setdefault(label, len(self._strata)))

    def plan(self) -> SplitPlan:
        """Group, assign, and measure leakage."""
        n = self.entries
        sigs = self._signatures.matrix()
        signed = np.frombuffer(self._signed, dtype=np.int64)
        links = [_near_duplicate_links(sigs, signed, self.spec.threshold),
                 _shared_key_links(np.frombuffer(self._context_keys, dtype=np.uint64),
                                   np.frombuffer(self._context_rows, dtype=np.int64)),
                 _shared_key_links(np.frombuffer(self._duplicate_keys, dtype=np.uint64), np.arange(n))]
        a = np.concatenate([x[0] for x in links]) if n else np.empty(0, np.int64)
        b = np.concatenate([x[1] for x in links]) if n else np.empty(0, np.int64)
        groups = components(n, a, b) if n else np.empty(0, np.int64)
        strata = np.frombuffer(self._stratum, dtype=np.int32 if self._stratum.itemsize == 4 else np.int64)
        names = list(self._strata)
        assignment = assign(groups, strata, names, self.spec)
        sizes = np.bincount(assignment, minlength=len(self.spec.names) + 1)
        split_names = self.spec.names
        leakage = measure_leakage(assignment, sigs, signed, self.spec.threshold, links[1], links[2])
        sized = {name: int(sizes[i]) for i, name in enumerate(split_names)}
        if sizes[len(split_names)]:
            sized[_UNUSED] = int(sizes[len(split_names)])
        counts = np.bincount(groups) if n else np.zeros(1, np.int64)
        return SplitPlan(split_names, assignment, sized, int(np.count_nonzero(counts)), int(counts.max(initial=0)),
                         leakage)


def stratum_of(conversation: Conversation, stratify: str | None) -> str:
    """The stratum of an entry: its sorted tags, or its character (first named assistant turn)."""
    if stratify == "tag":
        return ",".join(sorted(conversation.tags))
    if stratify == "character":
        return next((m.name for m in conversation.messages if m.role == "assistant" and m.name), "")
    return ""


def _near_duplicate_links(sigs: np.ndarray, signed: np.ndarray, threshold: float) -> tuple[np.ndarray, np.ndarray]:
    if len(signed) < 2:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    labels, _ = cluster(sigs, threshold)
    return signed, signed[labels]


def _shared_key_links(keys: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Links from each row to the first row holding the same key."""
    if len(keys) < 2:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    order = np.argsort(keys, kind="stable")
    ordered = keys[order]
    new_run = np.r_[True, ordered[1:] != ordered[:-1]]
    firsts = order[np.flatnonzero(new_run)][np.cumsum(new_run) - 1]
    return rows[order].astype(np.int64), rows[firsts].astype(np.int64)


def assign(groups: np.ndarray, strata: np.ndarray, strata_names: list[str], spec: SplitSpec) -> np.ndarray:
    """Split number per entry: groups whole, stratum by stratum, to the split furthest below target."""
    n = len(groups)
    shares = _shares(spec, n)
    out = np.full(n, len(shares) - 1, dtype=np.int8)
    if n == 0:
        return out
    rng = np.random.default_rng(spec.seed)
    roots, first, sizes = np.unique(groups, return_index=True, return_counts=True)
    group_stratum = strata[first]
    split_of_group = np.empty(len(roots), dtype=np.int8)
    filled = np.zeros(len(shares))
    seen = 0
    for stratum in sorted(range(len(strata_names)), key=lambda s: strata_names[s]):
        members = np.flatnonzero(group_stratum == stratum)
        members = members[rng.permutation(len(members))]
        seen += int(sizes[members].sum())
        target = shares * seen
        for g in members.tolist():
            s = int(np.argmax(target - filled))
            split_of_group[g] = s
            filled[s] += sizes[g]
    out[:] = split_of_group[np.searchsorted(roots, groups)]
    return out


def _shares(spec: SplitSpec, n: int) -> np.ndarray:
    """Fraction of the entries each split (and, for counts, the unused rest) should get."""
    if spec.ratios:
        return np.array([*spec.ratios, 0.0])
    wanted = np.array(spec.counts, dtype=float)
    if wanted.sum() > n and n:
        wanted *= n / wanted.sum()  # fewer entries than asked: scale down in proportion
    rest = max(0.0, n - wanted.sum())
    return np.append(wanted, rest) / max(n, 1)


def measure_leakage(assignment: np.ndarray, sigs: np.ndarray, signed: np.ndarray, threshold: float,
                    contexts: tuple[np.ndarray, np.ndarray], duplicates: tuple[np.ndarray, np.ndarray]) -> dict[str, int]:
    """Pairs of linked entries that ended up in different splits (all must be 0)."""
    near = 0
    if len(signed) >= 2:
        a, b = _band_pairs(sigs, band_rows(threshold))
        keep = similarity(sigs, a, b) >= threshold
        near = int(np.count_nonzero(assignment[signed[a[keep]]] != assignment[signed[b[keep]]]))
    return {"near_duplicate_pairs": near,
            "shared_context_pairs": int(np.count_nonzero(assignment[contexts[0]] != assignment[contexts[1]])),
            "exact_duplicate_pairs": int(np.count_nonzero(assignment[duplicates[0]] != assignment[duplicates[1]]))}
