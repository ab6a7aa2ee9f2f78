"""Validating scorers on hand-labelled replies: precision and recall of catching a failure.

A labelled file (tests/probe/labelled/*.yaml) names one check type, a default context and args,
and cases, each a reply (or ``replies`` for a sequence check) with ``bad: true`` when a careful
reader judges that the behavior failed. The scorer "flags" a case when its outcome does not
pass; precision and recall are of flagging the bad cases.

Beyond the suite's check types, a file may name:

* ``format.verifiable``: each case names its own ``check`` (and ``args``), one of the IFEval-style
  verifiable checks;
* ``overuse.distinct_n`` / ``overuse.introduced``: each case is ``base`` and ``tuned`` replies to
  the same prompts; flagged when the tuned distinct-n is below the base's by more than
  ``max_drop``, or when :func:`~threadsmith.probe.scores.overuse.introduced_phrases` finds any;
* ``forgetting.answer_changed``: ``base`` and ``tuned`` replies to one multiple-choice question
  (``args.choices``), flagged when their extracted choices differ (no answer is an answer too);
* ``forgetting.extract_choice``: ``reply`` and ``answer`` (the choice's index, or null): scored as
  retrieval, so precision = right extractions / extractions and recall = right extractions /
  cases with an answer (``bad`` counts those).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from threadsmith.probe.scores.forgetting import extract_choice
from threadsmith.probe.scores.outcome import ReplyContext
from threadsmith.probe.scores.overuse import distinct_n, introduced_phrases
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


#: (label, flagged, right when both, detail) of one case.
Judged = tuple[bool, bool, bool, str]


def _distinct(case: Mapping[str, Any], args: Mapping[str, Any]) -> Judged:
    n, budget = args.get("n", 2), args.get("budget", 30)
    tuned, base = distinct_n(case["tuned"], n, budget), distinct_n(case["base"], n, budget)
    flagged = base - tuned > args.get("max_drop", 0.1)
    return bool(case["bad"]), flagged, True, f"distinct-{n} {tuned:.2f} against the base's {base:.2f}"


def _introduced(case: Mapping[str, Any], args: Mapping[str, Any]) -> Judged:
    tuned, base = ([(str(i), text) for i, text in enumerate(case[side])] for side in ("tuned", "base"))
    found = introduced_phrases(tuned, base, **args)
    return bool(case["bad"]), bool(found), True, ", ".join(f"'{i.phrase}' {i.count}/{len(tuned)} vs {i.base_count}/{len(base)} p={i.p}" for i in found[:3]) or "none"


def _extracted(case: Mapping[str, Any], args: Mapping[str, Any]) -> Judged:
    got, want = extract_choice(case["reply"], args["choices"]), case["answer"]
    return want is not None, got is not None, got == want, f"extracted {got}, labelled {want}"


def _changed(case: Mapping[str, Any], args: Mapping[str, Any]) -> Judged:
    base, tuned = extract_choice(case["base"], args["choices"]), extract_choice(case["tuned"], args["choices"])
    return bool(case["bad"]), base != tuned, True, f"base picks {base}, tuned picks {tuned}"


#: Validation-only kinds over a case's own fields (see the module docstring).
CASE_CHECKS = {"overuse.distinct_n": _distinct, "overuse.introduced": _introduced,
               "forgetting.extract_choice": _extracted, "forgetting.answer_changed": _changed}


def _judge(check: str, case: Mapping[str, Any], context: ReplyContext, args: dict[str, Any]) -> Judged:
    if check in CASE_CHECKS:
        return CASE_CHECKS[check](case, args)
    check = case.get("check", check)
    if check in SEQUENCE_CHECKS:
        outcome = SEQUENCE_CHECKS[check](case["replies"], context, **args)
    else:
        outcome = REPLY_CHECKS[check](case["reply"], context, **args)
    return bool(case["bad"]), outcome.passed is False, True, outcome.detail


def validate(data: Mapping[str, Any], path: str = "<labelled>") -> Validation:
    """Run the file's check over its cases and count hits and misses."""
    check = data["check"]
    base = dict(data.get("context") or {})
    args = dict(data.get("args") or {})
    tp = fp = fn = bad = 0
    errors = []
    for i, case in enumerate(data["cases"]):
        context = _context({**base, **(case.get("context") or {})}, path)
        label, flagged, right, detail = _judge(check, case, context, {**args, **(case.get("args") or {})})
        hit = flagged and label and right
        bad += label
        tp += hit
        fp += flagged and not hit
        fn += label and not hit
        if (flagged or label) and not hit:
            errors.append((i, label, flagged, detail))
    return Validation(check, len(data["cases"]), bad, tp, fp, fn, tuple(errors))


def validate_file(path: str | Path) -> Validation:
    import yaml

    return validate(yaml.safe_load(Path(path).read_text(encoding="utf-8")), str(path))
