"""An optional judge model: a second opinion on role maintenance and user agency.

``probe run ... --judge URL --judge-model NAME`` asks any OpenAI-compatible endpoint (reusing
:class:`~threadsmith.probe.http_backend.HttpBackend`), once per reply of a role or agency probe,
a fixed rubric question answered YES (the behavior held) or NO, with a short reason; greedy
(temperature 0), and cached like probe replies, by (judge, rubric, transcript). The judge's pass
rate is reported beside the automatic score, never instead of it: the automatic scorers are
validated on hand-labelled replies (bench/RESULTS.md), a judge is only as good as its model.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from threadsmith.probe.backend import Backend
from threadsmith.probe.results import RunResult
from threadsmith.probe.suite import Generation, Probe, Suite

#: Bumped whenever a rubric's wording changes (it is part of the cache key).
RUBRIC_VERSION = 1
_SYSTEM = ("You grade replies written by a model playing a character in a roleplay chat. Read the chat and the "
           "reply, then answer the question. Answer YES or NO on the first line, then give one short sentence "
           "of reason on the second line. Nothing else.")
#: The question per judged behavior; YES means the behavior held.
RUBRICS = {
    "role": ("Does the reply stay in character as {char} throughout? Answer NO if, outside the character's own "
             "quoted speech, it talks as an AI or an assistant, comments on the story, the scene, the writing or "
             "the roleplay, offers the user options or help, praises or thanks the user for their writing, adds "
             "disclaimers or notes, or presents {char} from outside (\"here is how {char} responds\"). Answer YES "
             "if every sentence belongs to the fiction."),
    "agency": ("Does the reply leave {user}'s actions, words, thoughts, feelings and decisions to {user}? Answer "
               "NO if it narrates what {user} (\"you\") does, says, feels, notices or decides, or writes {user}'s "
               "dialogue. Answer YES if it only describes {char}, the world, and what {char} says or does to "
               "{user}, including questions and requests addressed to {user}."),
}
_GENERATION = Generation(max_new_tokens=64, temperature=0.0, top_p=1.0, seed=0)
_ANSWER = re.compile(r"\b(yes|no|pass|fail|passed|failed)\b", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Verdict:
    """The judge's answer on one reply: passed (None when the answer could not be read) and why."""

    probe_id: str
    behavior: str
    turn: int
    passed: bool | None
    reason: str


def parse_verdict(text: str) -> tuple[bool | None, str]:
    """(YES -> True / NO -> False / unreadable -> None, the reason) from a judge's free-text answer:
    the first yes/no/pass/fail word anywhere (markdown, "Answer: No", JSON all work); the reason is
    the rest of the text, or the whole answer when nothing was read."""
    cleaned = text.strip()
    try:  # {"answer": "no", "reason": "..."}
        raw = json.loads(cleaned)
        if isinstance(raw, dict):
            cleaned = " ".join(str(v) for v in raw.values())
    except ValueError:
        pass
    first = cleaned.lstrip().split("\n", 1)[0]
    match = _ANSWER.search(first) or _ANSWER.search(cleaned)  # the first line says it, when it says it at all
    if match is not None and match.string is first:
        cleaned = first + cleaned.lstrip()[len(first):]
    if match is None:
        return None, f"unreadable answer: {cleaned[:120]!r}"
    passed = match.group(1).lower() in ("yes", "pass", "passed")
    reason = cleaned[match.end():].strip(" \n\t*.:,-\"'}]")
    return passed, re.sub(r"\s+", " ", reason)[:200]


def _transcript(probe: Probe, replies: tuple[str, ...], turn: int) -> tuple[str, str]:
    """(the chat before the judged reply, the reply), with names resolved."""
    char = probe.character.name if probe.character else "Assistant"
    names = {"user": probe.user_name, "assistant": char}
    lines = [f"{names.get(m.role, m.role)}: {probe.render(m.content)}" for m in probe.context if m.role != "system"]
    for i, t in enumerate(probe.turns[:turn + 1]):
        lines.append(f"{probe.user_name}: {probe.render(t.user)}")
        if i < turn:
            lines.append(f"{char}: {replies[i]}")
    return "\n".join(lines), replies[turn]


class Judge:
    """Asks the judge backend the rubric question about each reply; caches the answers as JSON files
    under ``cache`` (None: no cache)."""

    def __init__(self, backend: Backend, cache: Path | None = None) -> None:
        self.backend, self.cache = backend, cache

    def ask(self, probe: Probe, replies: tuple[str, ...], turn: int) -> Verdict:
        char = probe.character.name if probe.character else "Assistant"
        question = RUBRICS[probe.behavior].format(char=char, user=probe.user_name)
        chat, reply = _transcript(probe, replies, turn)
        prompt = f"Chat so far:\n{chat}\n\nReply by {char}:\n{reply}\n\nQuestion: {question}"
        messages = [{"role": "system", "content": _SYSTEM}, {"role": "user", "content": prompt}]
        key = hashlib.sha256(json.dumps([self.backend.name, RUBRIC_VERSION, messages]).encode()).hexdigest()[:24]
        path = self.cache / f"{key}.json" if self.cache else None
        if path is not None and path.is_file():
            answer = json.loads(path.read_text(encoding="utf-8"))["answer"]
        else:
            answer, _ = self.backend.generate(messages, _GENERATION)
            if path is not None:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(json.dumps({"answer": answer}, ensure_ascii=False), encoding="utf-8")
        passed, reason = parse_verdict(answer)
        return Verdict(probe.id, probe.behavior, turn, passed, reason)


def judge_run(run: RunResult, suite: Suite, judge: Judge) -> dict[str, Any]:
    """The judge's verdicts on every reply of the run's role and agency probes, and its pass rate per
    behavior (over the answers it could read), as the run's ``metadata["judge"]``."""
    probes = {p.id: p for p in suite.probes}
    verdicts = []
    for result in run.results:
        probe = probes.get(result.probe_id)
        if probe is None or probe.behavior not in RUBRICS:
            continue
        verdicts += [judge.ask(probe, result.replies, turn) for turn in range(len(result.replies))]
    scores: dict[str, float | None] = {}
    for behavior in RUBRICS:
        read = [v.passed for v in verdicts if v.behavior == behavior and v.passed is not None]
        if any(v.behavior == behavior for v in verdicts):
            scores[behavior] = sum(read) / len(read) if read else None
    return {"model": judge.backend.name, "rubric": RUBRIC_VERSION, "scores": scores,
            "unreadable": sum(v.passed is None for v in verdicts), "verdicts": [asdict(v) for v in verdicts]}
