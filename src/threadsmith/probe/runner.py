"""Running a suite against a backend: roll out each probe's scripted turns, score the replies.

Replies are cached by (model, adapter, probe, system prompt, generation settings) under the
threadsmith cache, so a re-run (or a re-score after a scorer changed) costs no generation.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from threadsmith.probe.backend import Backend, NotSupported
from threadsmith.probe.results import ProbeResult, RunResult
from threadsmith.probe.scores import forgetting
from threadsmith.probe.scoring import score_replies
from threadsmith.probe.suite import Generation, Probe, Suite

#: New tokens for a generated multiple-choice answer ("B", or "The answer is (B) Paris.").
CHOICE_TOKENS = 24


class ReplyCache:
    """One small JSON file per (model, probe, prompt) key; ``None`` folder disables caching."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder

    def key(self, backend: Backend, probe: Probe, system: str | None) -> str:
        raw = json.dumps([backend.name, probe.fingerprint(), system], ensure_ascii=False)
        return hashlib.sha256(raw.encode()).hexdigest()[:24]

    def get(self, key: str) -> dict[str, Any] | None:
        if self.folder is None:
            return None
        path = self.folder / f"{key}.json"
        return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None

    def put(self, key: str, value: dict[str, Any]) -> None:
        if self.folder is not None:
            self.folder.mkdir(parents=True, exist_ok=True)
            (self.folder / f"{key}.json").write_text(json.dumps(value, ensure_ascii=False), encoding="utf-8")


def _messages(probe: Probe, system: str | None) -> list[dict[str, str]]:
    messages = [{"role": "system", "content": system}] if system else []
    return messages + [{"role": m.role, "content": probe.render(m.content)} for m in probe.context]


def _generated_choice(probe: Probe, backend: Backend, system: str | None) -> dict[str, Any]:
    """The question asked with its choices lettered and "answer with the letter", greedy; the
    choice read from the reply (None when it gives none)."""
    question = forgetting.choice_question(probe.render(probe.turns[0].user), probe.choices)
    messages = _messages(probe, system) + [{"role": "user", "content": question}]
    greedy = Generation(max_new_tokens=CHOICE_TOKENS, temperature=0.0, top_p=1.0, seed=probe.generation.seed)
    text, _ = backend.generate(messages, greedy)
    return {"choice": forgetting.extract_choice(text, probe.choices), "choice_method": "generated",
            "choice_reply": text}


def _forgetting(probe: Probe, backend: Backend, system: str | None) -> dict[str, Any]:
    """Choices by likelihood, or generated and read from the reply where the backend has no
    likelihoods; reference distributions for KL, or a note saying why there are none."""
    messages = _messages(probe, system) + [{"role": "user", "content": probe.render(probe.turns[0].user)}]
    out: dict[str, Any] = {"replies": [], "finish": [], "choice_scores": [], "distributions": [], "note": ""}
    notes = []
    if probe.choices:
        try:
            out["choice_scores"] = backend.choice_logprobs(messages, probe.choices)
            out.update(choice=forgetting.chosen(out["choice_scores"]), choice_method="likelihood")
        except NotSupported as exc:
            out.update(_generated_choice(probe, backend, system))
            notes.append(f"choice generated and read from the reply ({exc})")
    if probe.reference:
        try:
            out["distributions"] = backend.token_distributions(messages, probe.reference)
        except NotSupported as exc:
            notes.append(f"KL not measured: {exc}")
    out["note"] = "; ".join(notes)
    return out


def _rollout(probe: Probe, backend: Backend, system: str | None) -> dict[str, Any]:
    messages = _messages(probe, system)
    replies, finish = [], []
    for turn in probe.turns:
        messages.append({"role": "user", "content": probe.render(turn.user)})
        text, reason = backend.generate(messages, probe.generation)
        messages.append({"role": "assistant", "content": text})
        replies.append(text)
        finish.append(reason)
    return {"replies": replies, "finish": finish, "choice_scores": [], "distributions": [], "note": ""}


def _generate(probe: Probe, backend: Backend, system: str | None) -> dict[str, Any]:
    """Forgetting probes with choices or a reference are scored on logits; every probe with
    checks (an RP-bleed probe of behavior forgetting too) is rolled out."""
    checked = bool(probe.checks) or any(turn.checks for turn in probe.turns)
    if probe.behavior != "forgetting":
        return _rollout(probe, backend, system)
    raw = _forgetting(probe, backend, system)
    if checked or not (probe.choices or probe.reference):
        rolled = _rollout(probe, backend, system)
        raw["replies"], raw["finish"] = rolled["replies"], rolled["finish"]
    return raw


def _stale(probe: Probe, raw: dict[str, Any]) -> bool:
    """A cached multiple-choice result from before choices were recorded (no answer then over HTTP)."""
    return probe.behavior == "forgetting" and bool(probe.choices) and "choice_method" not in raw


def run_suite(suite: Suite, backend: Backend, *, variant: str, system_prompt_baseline: bool = False,
              cache: ReplyCache | None = None, progress: Callable[[Probe], None] | None = None) -> RunResult:
    """Every probe of the suite against the backend, scored."""
    cache = cache or ReplyCache(None)
    results = []
    for probe in suite.probes:
        if progress is not None:
            progress(probe)
        system = probe.system_prompt(suite.baseline_prompt if system_prompt_baseline else None)
        key = cache.key(backend, probe, system)
        raw = cache.get(key)
        if raw is None or _stale(probe, raw):
            raw = _generate(probe, backend, system)
            raw = json.loads(json.dumps(raw))  # the same shapes whether fresh, cached or reloaded
            cache.put(key, raw)
        checks, score = score_replies(probe, suite, raw["replies"], raw["finish"], system)
        results.append(ProbeResult(probe.id, probe.behavior, tuple(raw["replies"]), tuple(raw["finish"]),
                                   tuple(checks), score, tuple(raw["choice_scores"]), tuple(raw["distributions"]),
                                   raw["note"], raw.get("choice"), raw.get("choice_method", ""),
                                   raw.get("choice_reply", "")))
    return RunResult(suite.name, backend.name, variant, system_prompt_baseline, tuple(results),
                     created=datetime.now(timezone.utc).isoformat(timespec="seconds"))
