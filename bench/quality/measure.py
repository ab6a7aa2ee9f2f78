"""Scoring: audit findings against the injector's labels, per family and per kind.

Counting rules (README.md explains why):

* recall counts *injection events*. A single-entry defect is one event; a pair (near-duplicate,
  exact duplicate, reused turn, contradicting copy) is one event detected when any entry of the
  pair gets a finding of the family; a catchphrase event (one phrase in many entries) is one
  event detected when at least half its carriers are flagged (the per-kind table also gives
  the carrier-level rate).
* precision counts *entries* flagged with the family: true when the entry was injected with
  that family or is the anchor of such a pair, false otherwise (clean or another family).
* the clean flag rate is the share of untouched entries (no injection, no anchor) that get a
  finding of the family: the main false-positive figure, since real data has genuine defects.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from threadsmith.model import Conversation, Finding

from bench.quality.injector import Label

TARGET_RECALL = 0.85
TARGET_CLEAN_RATE = 0.05


@dataclass
class Example:
    source: str
    entry_index: int
    kind: str
    text: str
    #: The source conversation's id: the same clean entry recurs across episodes.
    origin: str | None = None


@dataclass
class FamilyTally:
    events: int = 0
    detected: int = 0
    located: int = 0
    flagged: int = 0
    true_flags: int = 0
    fp_clean: int = 0
    fp_other: int = 0
    clean_flagged: int = 0
    by_kind: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    carriers: list[int] = field(default_factory=lambda: [0, 0])
    misses: list[Example] = field(default_factory=list)
    false_positives: list[Example] = field(default_factory=list)
    other_codes_on_misses: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    clean_codes: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    #: injected family -> entries of that family flagged with this one (side effects or misattribution).
    other_flags: dict[str, int] = field(default_factory=lambda: defaultdict(int))


class Tally:
    """Accumulates figures over several audited labelled sets."""

    def __init__(self, families: Sequence[str]) -> None:
        self.families = list(families)
        self.fam: dict[str, FamilyTally] = {f: FamilyTally() for f in families}
        self.clean_entries = 0
        self.by_source: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0, 0, 0]))
        self.dataset_findings: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        #: code -> entries on which the check crashed (reported, never scored as a detection).
        self.crashes: dict[str, int] = defaultdict(int)

    def add(self, source: str, entries: Sequence[Conversation], labels: Sequence[Label],
            findings: Sequence[Finding]) -> None:
        per_entry: dict[int, list[Finding]] = defaultdict(list)
        for f in findings:
            if f.message.startswith("internal error"):
                self.crashes[f.code] += 1
            elif f.entry_index is None:
                self.dataset_findings[source][f.code] += 1
            else:
                per_entry[f.entry_index].append(f)
        fams = {i: {f.family.value for f in fs} for i, fs in per_entry.items()}
        clean = [i for i, lab in enumerate(labels) if lab.role == "clean"]
        self.clean_entries += len(clean)
        for family in self.families:
            t = self.fam[family]
            src = self.by_source[source][family]
            src[3] += len(clean)
            for i in clean:
                if family in fams.get(i, ()):
                    t.clean_flagged += 1
                    src[2] += 1
                    for code in {f.code for f in per_entry[i] if f.family.value == family}:
                        t.clean_codes[code] += 1
                    t.false_positives.append(self._fp_example(source, i, family, per_entry[i], labels[i].origin))
            for i, fs in fams.items():
                if family not in fs:
                    continue
                t.flagged += 1
                lab = labels[i]
                if lab.family == family and lab.role in ("injected", "anchor"):
                    t.true_flags += 1
                elif lab.role == "clean":
                    t.fp_clean += 1
                else:
                    t.fp_other += 1
                    t.other_flags[lab.family or "anchor"] += 1
        groups: dict[int, list[int]] = defaultdict(list)
        for i, lab in enumerate(labels):
            if lab.group is not None:
                groups[lab.group].append(i)
        for members in groups.values():
            self._score_event(source, entries, labels, members, per_entry, fams)

    def _score_event(self, source, entries, labels, members, per_entry, fams) -> None:
        injected = [i for i in members if labels[i].role == "injected"]
        lab = labels[injected[0]]
        family = lab.family
        if family not in self.fam:
            return
        t = self.fam[family]
        hit = [i for i in members if family in fams.get(i, ())]
        if lab.kind == "catchphrase":
            carriers_hit = [i for i in injected if family in fams.get(i, ())]
            t.carriers[0] += len(injected)
            t.carriers[1] += len(carriers_hit)
            detected = len(carriers_hit) * 2 >= len(injected)
        else:
            detected = bool(hit)
        t.events += 1
        t.by_kind[lab.kind][0] += 1
        self.by_source[source][family][0] += 1
        if detected:
            t.detected += 1
            t.by_kind[lab.kind][1] += 1
            self.by_source[source][family][1] += 1
            mi = lab.message_index
            if any(f.family.value == family and (mi is None or f.message_index in (None, mi))
                   for i in hit for f in per_entry[i]):
                t.located += 1
            return
        i = injected[0]
        others = sorted({f.code for f in per_entry.get(i, [])})
        for code in others:
            t.other_codes_on_misses[code] += 1
        t.misses.append(Example(source, i, f"{lab.kind}/{lab.variant}",
                                _excerpt(entries[i], lab) + (f"  [flagged only: {', '.join(others)}]" if others else "")))

    @staticmethod
    def _fp_example(source: str, i: int, family: str, fs: list[Finding], origin: str | None) -> Example:
        f = next(f for f in fs if f.family.value == family)
        return Example(source, i, f.code, f.message, origin)

    # ------------------------------------------------------------------ figures
    def figures(self) -> dict:
        out = {}
        for family, t in self.fam.items():
            recall = t.detected / t.events if t.events else None
            precision = t.true_flags / t.flagged if t.flagged else None
            clean_rate = t.clean_flagged / self.clean_entries if self.clean_entries else None
            out[family] = {
                "events": t.events, "detected": t.detected, "recall": recall,
                "located": t.located / t.detected if t.detected else None,
                "flagged_entries": t.flagged, "precision": precision,
                "fp_on_clean": t.fp_clean, "fp_on_other_injected": t.fp_other,
                "clean_flagged": t.clean_flagged, "clean_entries": self.clean_entries, "clean_flag_rate": clean_rate,
                "by_kind": {k: {"events": v[0], "detected": v[1]} for k, v in sorted(t.by_kind.items())},
                "catchphrase_carriers": {"entries": t.carriers[0], "flagged": t.carriers[1]} if t.carriers[0] else None,
                "clean_flags_by_code": dict(sorted(t.clean_codes.items(), key=lambda kv: -kv[1])),
                "flags_on_other_families": dict(sorted(t.other_flags.items(), key=lambda kv: -kv[1])),
                "codes_on_missed": dict(sorted(t.other_codes_on_misses.items(), key=lambda kv: -kv[1])),
                "pass": verdict(recall, clean_rate),
                "by_source": {s: {"events": v[family][0], "detected": v[family][1], "clean_flagged": v[family][2],
                                  "clean_entries": v[family][3]} for s, v in self.by_source.items()},
            }
        return out

    def examples(self, family: str, n: int, seed: int) -> tuple[list[Example], list[Example]]:
        rng = random.Random(seed)
        t = self.fam[family]
        unique = list({(ex.source, ex.origin, ex.kind): ex for ex in t.false_positives}.values())
        return _spread(t.misses, n, rng), _spread(unique, n, rng)


def _spread(examples: list[Example], n: int, rng: random.Random) -> list[Example]:
    """Up to ``n`` examples, taking kinds (or codes) in turn so one kind does not fill the list."""
    by_kind: dict[str, list[Example]] = defaultdict(list)
    for ex in examples:
        by_kind[ex.kind.split("/")[0]].append(ex)
    queues = [rng.sample(v, len(v)) for _, v in sorted(by_kind.items())]
    rng.shuffle(queues)
    out: list[Example] = []
    while len(out) < n and any(queues):
        for q in queues:
            if q and len(out) < n:
                out.append(q.pop())
    return out


def verdict(recall: float | None, clean_rate: float | None) -> str:
    if recall is None:
        return "n/a"
    ok = recall >= TARGET_RECALL and (clean_rate is None or clean_rate <= TARGET_CLEAN_RATE)
    return "PASS" if ok else "FAIL"


def _excerpt(conv: Conversation, lab: Label, width: int = 90) -> str:
    note = " ".join(lab.note.split())[:70]
    mi = lab.message_index
    if mi is None or mi >= len(conv.messages):
        mi = max((k for k, m in enumerate(conv.messages) if m.role == "assistant"), default=len(conv.messages) - 1)
    text = " ".join(conv.messages[mi].text.split())
    body = text if len(text) <= 2 * width else f"{text[:width]} ... {text[-width // 2:]}"
    return f"msg {mi}: {body!r}  <{note}>"
