"""What a probe run produces: replies and check results per probe, saved as one JSON file."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from threadsmith.errors import InputNotFound, UserError
from threadsmith.probe.scoring import CheckResult


@dataclass(frozen=True, slots=True)
class ProbeResult:
    probe_id: str
    behavior: str
    replies: tuple[str, ...] = ()
    finish: tuple[str, ...] = ()
    checks: tuple[CheckResult, ...] = ()
    #: Share of hard checks passed (None: nothing counted, e.g. forgetting probes).
    score: float | None = None
    #: Forgetting: log-likelihood per choice, and top-k distributions along the reference.
    choice_scores: tuple[float, ...] = ()
    distributions: tuple[Any, ...] = ()
    note: str = ""
    #: Forgetting: the chosen answer's index (None: the generated reply gave none), how it was
    #: chosen ("likelihood" or "generated": asked with lettered choices, read from the reply),
    #: and that reply.
    choice: int | None = None
    choice_method: str = ""
    choice_reply: str = ""


@dataclass(frozen=True, slots=True)
class RunResult:
    suite: str
    model: str
    #: "base", "prompted" (base + the suite's baseline prompt), "tuned", or a user's label.
    variant: str
    system_prompt_baseline: bool
    results: tuple[ProbeResult, ...]
    created: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)

    def by_id(self) -> dict[str, ProbeResult]:
        return {r.probe_id: r for r in self.results}

    def behavior_scores(self) -> dict[str, float | None]:
        """Mean probe score per behavior (None when no probe of it has a score)."""
        out: dict[str, list[float]] = {}
        for r in self.results:
            out.setdefault(r.behavior, [])
            if r.score is not None:
                out[r.behavior].append(r.score)
        return {b: (sum(v) / len(v) if v else None) for b, v in out.items()}


def save_run(run: RunResult, path: str | Path) -> None:
    Path(path).write_text(json.dumps(asdict(run), ensure_ascii=False, indent=1), encoding="utf-8")


def probe_from_dict(raw: dict[str, Any]) -> ProbeResult:
    """A probe result from its JSON form (``asdict`` of one); raises KeyError/TypeError when malformed."""
    return ProbeResult(**{**raw, "replies": tuple(raw["replies"]), "finish": tuple(raw["finish"]),
                          "checks": tuple(CheckResult(**c) for c in raw["checks"]),
                          "choice_scores": tuple(raw["choice_scores"]), "distributions": tuple(raw["distributions"])})


def load_run(path: str | Path) -> RunResult:
    path = Path(path)
    if not path.is_file():
        raise InputNotFound(f"{path}: no such probe results file")
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        results = tuple(probe_from_dict(r) for r in raw["results"])
        return RunResult(**{**raw, "results": results})
    except (KeyError, TypeError, ValueError) as exc:
        raise UserError(f"{path}: not a probe results file ({exc})",
                        hint="Pass files written by `threadsmith probe run --output`.") from None
