"""Validating scorers on hand-labelled replies: precision and recall of catching a failure.

A labelled file (tests/probe/labelled/*.yaml) names one check type, a default context and args,
and cases, each a reply (or ``replies`` for a sequence check) with ``bad: true`` when a careful
reader judges that the behavior failed. The scorer "flags" a case when its outcome does not
pass; precision and recall are of flagging the bad cases.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from threadsmith.probe.scores.outcome import ReplyContext
from threadsmith.probe.scoring import REPLY_CHECKS, SEQUENCE_CHECKS
from threadsmith.probe.suite import ChatMessage
from threadsmith.probe.suite_file import _contract, _Where


@dataclass(frozen=True, slots=True)
class Validation:
    check: str
    cases: int
    bad: int
    true_positives: int
    false_positives: int
    false_negatives: int
    #: (case index, label, flagged, detail) of every case the scorer got wrong.
    errors: tuple[tuple[int, bool, bool, str], ...]

    @property
    def precision(self) -> float:
        flagged = self.true_positives + self.false_positives
        return self.true_positives / flagged if flagged else 1.0

    @property
    def recall(self) -> float:
        return self.true_positives / self.bad if self.bad else 1.0


def _context(raw: Mapping[str, Any], path: str) -> ReplyContext:
    history = tuple(ChatMessage(m["role"], m["content"]) for m in raw.get("history", ()))
    return ReplyContext(history=history, char_name=raw.get("char_name", "Assistant"),
                        user_name=raw.get("user_name", "User"),
                        contract=_contract(raw.get("contract"), _Where(path)),
                        length_band=tuple(raw["length_band"]) if raw.get("length_band") else None,
                        card=tuple(raw.get("card", ())),
                        distractors=tuple(tuple(d) for d in raw.get("distractors", ())))


def validate(data: Mapping[str, Any], path: str = "<labelled>") -> Validation:
    """Run the file's check over its cases and count hits and misses."""
    check = data["check"]
    base = dict(data.get("context") or {})
    args = dict(data.get("args") or {})
    tp = fp = fn = bad = 0
    errors = []
    for i, case in enumerate(data["cases"]):
        context = _context({**base, **(case.get("context") or {})}, path)
        case_args = {**args, **(case.get("args") or {})}
        if check in SEQUENCE_CHECKS:
            outcome = SEQUENCE_CHECKS[check](case["replies"], context, **case_args)
        else:
            outcome = REPLY_CHECKS[check](case["reply"], context, **case_args)
        flagged, label = outcome.passed is False, bool(case["bad"])
        bad += label
        tp += flagged and label
        fp += flagged and not label
        fn += label and not flagged
        if flagged != label:
            errors.append((i, label, flagged, outcome.detail))
    return Validation(check, len(data["cases"]), bad, tp, fp, fn, tuple(errors))


def validate_file(path: str | Path) -> Validation:
    import yaml

    return validate(yaml.safe_load(Path(path).read_text(encoding="utf-8")), str(path))
