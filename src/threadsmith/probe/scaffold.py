"""``threadsmith probe init``: a starter suite tailored to a dataset, for the user to edit.

From the dataset it takes the character (assistant names, or the system prompt), the user's
persona name, the most common system prompt, the format contract and length band its replies
follow, and a few real conversations cut before an assistant turn (replayed as probes, the
closest thing to real use). The forgetting probes come from :mod:`threadsmith.probe.general`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict
from typing import Any

from threadsmith.checks.role_voice import persona_names
from threadsmith.model import Conversation
from threadsmith.probe.general import CHOICES, REFERENCES
from threadsmith.probe.scores.formatting import infer_contract
from threadsmith.probe.scores.length import band_of

_BASELINE = ("Stay in character as {{char}} at all times. Follow the formatting of the conversation. "
             "Never write {{user}}'s actions, words or feelings.")


def _names(conversations: Sequence[Conversation]) -> tuple[str, str]:
    chars: Counter[str] = Counter()
    users: Counter[str] = Counter()
    for conversation in conversations[:500]:
        names = persona_names(conversation)
        chars.update(names["assistant"])
        users.update(names["user"])
    char = chars.most_common(1)[0][0].title() if chars else "Assistant"
    user = users.most_common(1)[0][0].title() if users else "User"
    return char, user


def _replays(conversations: Sequence[Conversation], count: int) -> list[dict[str, Any]]:
    """Contexts cut before the last assistant turn of a few multi-turn conversations."""
    out = []
    for conversation in conversations:
        messages = [m for m in conversation.messages if m.role in ("user", "assistant") and m.text.strip()]
        last_user = max((i for i, m in enumerate(messages) if m.role == "user"), default=None)
        if last_user is None or last_user < 1:
            continue
        context = [{"role": m.role, "content": m.text} for m in messages[max(0, last_user - 4):last_user]]
        out.append({"context": context, "user": messages[last_user].text})
        if len(out) == count:
            break
    return out


def _probe(pid: str, behavior: str, turns: list[Any], checks: list[Any], context: list[Any] | None = None,
           **extra: Any) -> dict[str, Any]:
    probe: dict[str, Any] = {"id": pid, "behavior": behavior, "character": "main"}
    if context:
        probe["context"] = context
    probe["turns"] = turns
    probe["checks"] = checks
    probe.update(extra)
    return probe


def _behavior_probes(replays: list[dict[str, Any]]) -> list[dict[str, Any]]:
    probes = [
        _probe("role.identity", "role", ["Be honest with me: are you an AI?"],
               ["role.no_assistant_speak", "role.identity"]),
        _probe("agency.bait", "agency", ["*I hesitate at the door, unsure what to do next.*"],
               ["agency.no_user_narration"]),
        _probe("correction.name", "correction",
               [{"user": "(OOC: my character's name is Robin from now on.) Do you remember my name?",
                 "checks": [{"type": "correction.follows", "args": {"include_any": ["Robin"]}}]},
                "Let's keep going.",
                {"user": "What did you call me again?",
                 "checks": [{"type": "correction.follows",
                             "args": {"include_any": ["Robin"], "label": "persistence"}}]}],
               [{"type": "role.no_assistant_speak"}]),
        _probe("emotion.neutral", "emotion", ["*I sit down.*", "What's the weather like today?", "*I look around.*",
                                               "Tell me about this place.", "*I wait quietly.*"],
               [{"type": "emotion.drift"}]),
        _probe("slop.open_scene", "slop", ["*I push open the door and step inside.*"], ["slop.rate"]),
        _probe("format.explicit", "format",
               ["(OOC: for this reply only, answer in under 40 words and use no asterisks.) What's for dinner?"],
               [{"type": "format.words_between", "args": {"max": 40}}, "format.no_asterisks",
                "role.no_assistant_speak"]),
    ]
    for i, replay in enumerate(replays):
        probes.append(_probe(f"format.replay.{i}", "format", [replay["user"]], ["format.contract"],
                             context=replay["context"]))
        probes.append(_probe(f"length.replay.{i}", "length", [replay["user"]],
                             ["length.in_band", {"type": "slop.rate", "severity": "soft"}], context=replay["context"]))
    return probes


def _forgetting_probes() -> list[dict[str, Any]]:
    probes = [{"id": f"forgetting.choice.{pid}", "behavior": "forgetting", "turns": [question],
               "choices": list(choices), "answer": answer} for pid, question, choices, answer in CHOICES]
    probes += [{"id": f"forgetting.kl.{pid}", "behavior": "forgetting", "turns": [prompt], "reference": reference}
               for pid, prompt, reference in REFERENCES]
    # RP bleed: a plain assistant question with no character must not get roleplay formatting.
    probes.append({"id": "forgetting.rp_bleed", "behavior": "forgetting", "turns": [REFERENCES[0][1]],
                   "checks": ["format.no_asterisks"]})
    return probes


def tailored_suite(conversations: Iterable[Conversation], name: str = "tailored", replays: int = 3) -> dict[str, Any]:
    """A suite (as YAML-ready data) tailored to the conversations of a dataset."""
    conversations = list(conversations)
    replies = [m.text for c in conversations for m in c.messages if m.role == "assistant"]
    systems = Counter(m.text for c in conversations for m in c.messages[:1] if m.role == "system")
    char, user = _names(conversations)
    contract = {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(infer_contract(replies)).items()}
    band = band_of(replies)
    character: dict[str, Any] = {"name": char, "description": "",
                                 "system_prompt": systems.most_common(1)[0][0] if systems else ""}
    examples = [r for r in replies[:200] if 10 < len(r.split()) < 120][:3]
    if examples:
        character["examples"] = examples
    return {"suite": name, "version": 1, "description": f"Starter suite tailored to {len(conversations)} conversations",
            "user": user, "baseline_prompt": _BASELINE, "length_band": list(band) if band else None,
            "format_contract": contract, "defaults": {"generation": {"max_new_tokens": 200}},
            "characters": {"main": character},
            "probes": _behavior_probes(_replays(conversations, replays)) + _forgetting_probes()}


def suite_yaml(data: dict[str, Any]) -> str:
    import yaml

    header = "# Probe suite written by `threadsmith probe init`; edit freely (docs/probe.md).\n"
    return header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=110)
