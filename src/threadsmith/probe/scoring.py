"""Check types -> scorers, and scoring a probe's replies into check results and a probe score.

A probe's score is the share of its hard check results that passed (soft ones are reported but
do not count); a behavior's score is the mean over its probes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from threadsmith.probe.scores import agency, correction, emotion, formatting, length, overuse, role, verifiable
from threadsmith.probe.scores.outcome import Outcome, ReplyContext
from threadsmith.probe.suite import CheckSpec, Probe, Suite

ReplyScorer = Callable[..., Outcome]


def _persona(reply: str, context: ReplyContext) -> Outcome:
    said = [m.content for m in context.history if m.role == "user"]
    return role.persona_margin(reply, context.card, context.distractors, said)


#: Per-reply check types (one result per reply in scope).
REPLY_CHECKS: dict[str, ReplyScorer] = {
    "role.no_assistant_speak": role.assistant_speak,
    "role.identity": role.identity,
    "role.persona": _persona,
    "format.contract": formatting.contract,
    "format.words_between": verifiable.words_between,
    "format.sentences_between": verifiable.sentences_between,
    "format.paragraphs_between": verifiable.paragraphs_between,
    "format.no_asterisks": verifiable.no_asterisks,
    "format.actions_in_asterisks": verifiable.actions_in_asterisks,
    "format.no_markdown": verifiable.no_markdown,
    "format.ends_cleanly": verifiable.ends_cleanly,
    "format.lowercase": verifiable.lowercase,
    "format.no_comma": verifiable.no_comma,
    "text.must_include_any": verifiable.must_include_any,
    "text.must_not_include": verifiable.must_not_include,
    "slop.rate": overuse.slop_rate,
    "length.in_band": length.in_band,
    "correction.follows": correction.follows,
    "agency.no_user_narration": agency.user_agency,
}
#: Check types over all the replies in scope at once (one result per probe).
SEQUENCE_CHECKS: dict[str, ReplyScorer] = {
    "emotion.drift": emotion.drift,
}


def is_check_type(name: str) -> bool:
    return name in REPLY_CHECKS or name in SEQUENCE_CHECKS


def check_types() -> list[str]:
    return sorted({*REPLY_CHECKS, *SEQUENCE_CHECKS})


@dataclass(frozen=True, slots=True)
class CheckResult:
    """One check on one reply (``turn``) or on a probe's replies (``turn`` None)."""

    type: str
    turn: int | None
    value: float
    passed: bool | None
    detail: str = ""
    severity: str = "hard"


def _turns_in(scope: str | tuple[int, ...], count: int) -> list[int]:
    if scope == "all":
        return list(range(count))
    if scope == "last":
        return [count - 1] if count else []
    return [i for i in scope if 0 <= i < count]


def contexts(probe: Probe, suite: Suite, replies: Sequence[str], finish: Sequence[str],
             system: str | None) -> list[ReplyContext]:
    """The context of each reply: the history before it, and what the suite expects."""
    history: list[Any] = []
    from threadsmith.probe.suite import ChatMessage

    if system:
        history.append(ChatMessage("system", system))
    history += [ChatMessage(m.role, probe.render(m.content)) for m in probe.context]
    char = probe.character
    card = (char.description, char.first_mes, *char.examples) if char else ()
    others = {p.character.key: p.character for p in suite.probes
              if p.character and (not char or p.character.key != char.key)}
    distractors = tuple((c.description, c.first_mes, *c.examples) for c in others.values())
    out = []
    for i, turn in enumerate(probe.turns[:len(replies)]):
        history.append(ChatMessage("user", probe.render(turn.user)))
        out.append(ReplyContext(tuple(history), char.name if char else "Assistant", probe.user_name,
                                suite.format_contract, suite.length_band, finish[i] if i < len(finish) else "stop",
                                card, distractors))
        history.append(ChatMessage("assistant", replies[i]))
    return out


def _run(spec: CheckSpec, turns: list[int], replies: Sequence[str], ctxs: list[ReplyContext]) -> list[CheckResult]:
    args = dict(spec.args)
    if spec.type in SEQUENCE_CHECKS:
        if not turns:
            return []
        outcome = SEQUENCE_CHECKS[spec.type]([replies[i] for i in turns], ctxs[turns[-1]], **args)
        return [CheckResult(spec.type, None, outcome.value, outcome.passed, outcome.detail, spec.severity)]
    scorer = REPLY_CHECKS[spec.type]
    results = []
    for i in turns:
        outcome = scorer(replies[i], ctxs[i], **args)
        results.append(CheckResult(spec.type, i, outcome.value, outcome.passed, outcome.detail, spec.severity))
    return results


def score_replies(probe: Probe, suite: Suite, replies: Sequence[str], finish: Sequence[str] = (),
                  system: str | None = None) -> tuple[list[CheckResult], float | None]:
    """Every check of the probe on its replies, and the probe score (None when nothing counted)."""
    ctxs = contexts(probe, suite, replies, finish, system)
    results: list[CheckResult] = []
    for spec in probe.checks:
        results += _run(spec, _turns_in(spec.scope, len(replies)), replies, ctxs)
    for i, turn in enumerate(probe.turns[:len(replies)]):
        for spec in turn.checks:
            results += _run(spec, [i], replies, ctxs)
    counted = [r.passed for r in results if r.severity == "hard" and r.passed is not None]
    return results, (sum(counted) / len(counted) if counted else None)
