"""Probe suites: what a probe is (frozen dataclasses) and how a suite is written.

A suite is authored in YAML (docs/probe.md has the reference) and compiled to JSONL, one fully
resolved probe per line, for running and hashing. Each probe has a behavior, a context (system
prompt, character, prior turns), scripted user turns, and checks::

    suite: lighthouse
    version: 1
    user: Alex
    baseline_prompt: "Stay in character. Write actions in *asterisks*. Never act for {{user}}."
    length_band: [20, 120]                # words; probe init takes it from the dataset
    format_contract: {actions: asterisk, quotes: double, markdown: false, paragraphs: [1, 4]}
    characters:
      mira: {name: Mira, description: "A lighthouse keeper ...", system_prompt: "You are Mira ..."}
    probes:
      - id: role.identity
        behavior: role
        character: mira
        context: [{role: assistant, content: "*Mira trims the lamp.* Evening."}]
        turns:
          - user: "Be honest. Are you an AI?"
        checks: [{type: role.no_assistant_speak}]

A check runs on the reply after every turn (``scope: all``, the default), the last one
(``scope: last``), or listed turns (``scope: [1, 3]``, 0-based); a turn may carry its own checks.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from threadsmith.errors import UserError

#: The behavior families a probe may test.
BEHAVIORS = ("role", "format", "slop", "emotion", "length", "correction", "agency", "forgetting")
ROLES = ("system", "user", "assistant")


class SuiteError(UserError):
    """Raised when a probe suite file cannot be read: the message names the file, line and field."""

    hint = "Fix the suite file (docs/probe.md describes every field), or regenerate it with `threadsmith probe init`."


@dataclass(frozen=True, slots=True)
class Generation:
    """How replies are generated: greedy when ``temperature`` is 0, else seeded sampling."""

    max_new_tokens: int = 160
    temperature: float = 0.0
    top_p: float = 1.0
    seed: int = 0


@dataclass(frozen=True, slots=True)
class CheckSpec:
    """One check of a probe: a registered ``type``, its ``args``, and the replies it reads."""

    type: str
    args: Mapping[str, Any] = field(default_factory=dict)
    #: "all" (every reply), "last", or a tuple of 0-based turn indexes.
    scope: str | tuple[int, ...] = "all"
    #: "hard" checks make the probe's pass/fail score; "soft" ones are reported beside it.
    severity: str = "hard"


@dataclass(frozen=True, slots=True)
class Turn:
    """One scripted user turn, and checks that read the reply to it."""

    user: str
    checks: tuple[CheckSpec, ...] = ()


@dataclass(frozen=True, slots=True)
class Character:
    """The character a probe talks to (as a card gives it)."""

    key: str
    name: str
    description: str = ""
    system_prompt: str = ""
    first_mes: str = ""
    #: Replies in the character's voice (example dialogue, or dataset replies).
    examples: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ChatMessage:
    role: str
    content: str


@dataclass(frozen=True, slots=True)
class FormatContract:
    """The formatting a dataset teaches (None: no rule on that point)."""

    #: "asterisk", "paren", "bracket", "prose" or "none" (no action markup at all).
    actions: str | None = None
    #: "double" (straight), "curly", "single" or None.
    quotes: str | None = None
    markdown: bool | None = None
    #: (min, max) paragraphs per reply.
    paragraphs: tuple[int, int] | None = None
    #: False: replies never start with a speaker label ("Mira:").
    name_prefix: bool | None = False


@dataclass(frozen=True, slots=True)
class Probe:
    """One fully resolved probe (a line of the compiled JSONL)."""

    id: str
    behavior: str
    turns: tuple[Turn, ...]
    context: tuple[ChatMessage, ...] = ()
    character: Character | None = None
    user_name: str = "User"
    checks: tuple[CheckSpec, ...] = ()
    generation: Generation = Generation()
    #: Forgetting: answer options scored by likelihood, and the index of the right one.
    choices: tuple[str, ...] = ()
    answer: int | None = None
    #: Forgetting: a fixed continuation on which next-token distributions are compared (KL).
    reference: str | None = None
    tags: tuple[str, ...] = ()
    #: Line of the probe in the suite file (for messages).
    line: int | None = None

    def system_prompt(self, baseline: str | None = None) -> str | None:
        """The system prompt: the character's, plus the suite's prompting baseline when given (only
        for probes with a character: a forgetting probe asks the plain model in every variant)."""
        if self.character is None:
            return None
        parts = [self.character.system_prompt, baseline or ""]
        text = "\n\n".join(p for p in parts if p.strip())
        return self.render(text) if text else None

    def render(self, text: str) -> str:
        """``{{char}}`` and ``{{user}}`` resolved."""
        name = self.character.name if self.character else "Assistant"
        return text.replace("{{char}}", name).replace("{{user}}", self.user_name)

    def fingerprint(self) -> str:
        """A stable hash of everything that changes the probe's replies (for the result cache)."""
        payload = {k: v for k, v in asdict(self).items() if k not in ("line", "checks", "tags")}
        payload["turns"] = [t["user"] for t in payload["turns"]]
        return hashlib.sha256(repr(sorted(payload.items())).encode()).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class Suite:
    name: str
    probes: tuple[Probe, ...]
    version: int = 1
    description: str = ""
    baseline_prompt: str = ""
    length_band: tuple[int, int] | None = None
    format_contract: FormatContract = FormatContract()
    path: str | None = None

    def behaviors(self) -> tuple[str, ...]:
        return tuple(b for b in BEHAVIORS if any(p.behavior == b for p in self.probes))
