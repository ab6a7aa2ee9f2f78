"""The injector: clean conversations + a seed -> a labelled set with one defect per defective entry.

Usage::

    labelled = inject(conversations, seed=7)
    labelled.write("set.jsonl")        # OpenAI messages JSONL, entry i = labelled.labels[i]

Every output entry is clean (unchanged) or carries exactly one injected defect of one
family; a few untouched entries are *anchors* (the original of a duplicate or of a
contradicting copy). A share of the input (the reserve) never reaches the output: it supplies
replies for contradictions, off-topic paragraphs and long filler, so those are not verbatim
copies of entries in the set. Defects go into a minority of entries (``rate``) so the
dataset's norms stay the clean ones.
"""

from __future__ import annotations

import json
import os
import random
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from functools import partial

from threadsmith.formats import write_jsonl
from threadsmith.model import Conversation

from bench.quality import dataset_defects as dd
from bench.quality import style_defects as sd
from bench.quality import turn_defects as td
from bench.quality.edits import Context, Edit, Profile, build_sentence_pool

Injection = Callable[[Context, int], "Edit | None"]

#: family -> [(kind, function, weight)]. Kinds are picked in proportion to their weight.
INJECTIONS: dict[str, list[tuple[str, Injection, int]]] = {
    "structure": [("role-spelling", td.role_case, 1), ("empty-assistant", td.empty_turn, 1),
                  ("trailing-user", td.trailing_user, 1), ("consecutive-same-role", td.consecutive_role, 1),
                  ("whitespace-padding", td.whitespace, 1)],
    "role-confusion": [("leaked-user-turn", td.leaked_turn, 1), ("template-token", td.template_token, 1),
                       ("speaks-for-user", td.god_modding, 1), ("swapped-roles", td.swapped_roles, 1)],
    "synthetic-noise": [("ai-boilerplate", td.ai_boilerplate, 1), ("refusal", td.refusal, 1),
                        ("truncated", td.truncation, 1), ("loop", td.degenerate_loop, 1),
                        ("placeholder", td.placeholder, 1), ("scrape", td.scrape_artifact, 1),
                        ("stock-phrases", td.stock_phrases, 1)],
    "weak-turn": [("minimal-ack", td.minimal_reply, 1), ("echo", td.echo_reply, 1),
                  ("cut-to-fraction", td.tiny_reply, 1)],
    "repetition": [("near-duplicate", dd.near_duplicate, 2), ("exact-duplicate", dd.exact_duplicate, 1),
                   ("reused-turn", dd.reused_turn, 2)],
    # Regenerated answers in other words are the common case; near-identical answers with the
    # claims reversed (negations, numbers) are the harder, rarer one.
    "contradiction": [("different-answer", dd.other_answer, 2), ("flipped-answer", dd.flipped_answer, 1)],
    "formatting": [("action-style", sd.action_style, 1), ("quote-style", sd.quote_style, 1),
                   ("markdown", sd.markdown, 1), ("name-prefix", sd.name_prefix, 1),
                   ("unbalanced", sd.unbalanced, 1), ("narration-first-person", sd.first_person, 1)],
    "filler": [("sign-off", sd.sign_off, 1), ("throat-clearing", sd.throat_clearing, 1),
               ("off-topic-paragraph", sd.off_topic, 1)],
    "privacy": [(f"pii-{k}", partial(sd.privacy, kind=k), 1) for k in ("email", "phone", "api-key", "card", "ipv4")],
    "length": [("over-budget", sd.over_budget, 1), ("extreme-ratio", sd.extreme_ratio, 1)],
}
FAMILIES = tuple(INJECTIONS)


@dataclass(frozen=True)
class Label:
    """What the injector did to one output entry."""

    #: ``clean`` (untouched), ``injected`` (carries the defect) or ``anchor`` (untouched original of a pair).
    role: str
    family: str | None = None
    kind: str | None = None
    #: The injection event; entries of one event (a pair, a catchphrase's carriers) share it.
    group: int | None = None
    message_index: int | None = None
    origin: str | None = None
    #: The finer variant the injection chose (``loop-tail``, ``scrape-mojibake`` ...).
    variant: str | None = None
    note: str = ""


@dataclass
class LabelledSet:
    entries: list[Conversation]
    labels: list[Label]
    profile: Profile
    #: family -> how many events could not be placed (nothing in the data to break that way).
    skipped: dict[str, int]

    def write(self, path: str | os.PathLike[str]) -> None:
        """The entries as OpenAI messages JSONL (line i = label i)."""
        write_jsonl(self.entries, path, fmt="openai")

    def write_labels(self, path: str | os.PathLike[str]) -> None:
        with open(path, "w", encoding="utf-8") as out:
            for i, label in enumerate(self.labels):
                out.write(json.dumps({"entry_index": i, **asdict(label)}, ensure_ascii=False) + "\n")


def inject(
    conversations: Sequence[Conversation],
    seed: int,
    *,
    rate: float = 0.14,
    families: Sequence[str] = FAMILIES,
    reserve_share: float = 0.08,
    catchphrase_share: tuple[float, float] | None = (0.03, 0.06),
    catchphrase_min_size: int = 200,
) -> LabelledSet:
    """Inject one defect into about ``rate`` of the entries, spread evenly over ``families``."""
    rng = random.Random(seed)
    convs = [c for c in conversations if any(m.role == "assistant" and m.text.strip() for m in c.messages)]
    order = list(range(len(convs)))
    rng.shuffle(order)
    n_reserve = max(2, round(len(convs) * reserve_share)) if len(convs) >= 10 else 0
    reserve = [convs[k] for k in order[:n_reserve]]
    base = [convs[k] for k in sorted(order[n_reserve:])]
    profile = Profile.of(base)
    ctx = Context(rng, base, set(range(len(base))), reserve, profile, build_sentence_pool(reserve, base))
    labels: dict[int, Label] = {}
    added: list[tuple[Conversation, Label]] = []
    skipped: dict[str, int] = {}
    group = 0

    def record(family: str, kind: str, edit: Edit) -> None:
        nonlocal group
        group += 1
        for s, conv in edit.changed.items():
            base[s] = conv
            labels[s] = Label("injected", family, kind, group, edit.message_index, conv.id, edit.kind, edit.note)
        for s in edit.anchors:
            labels[s] = Label("anchor", family, kind, group, None, base[s].id, edit.kind, edit.note)
        for conv in edit.added:
            added.append((conv, Label("injected", family, kind, group, edit.message_index, conv.id, edit.kind,
                                      edit.note)))
        ctx.free -= set(edit.changed) | set(edit.anchors)

    if "repetition" in families and catchphrase_share and len(base) >= catchphrase_min_size:
        edit = dd.catchphrase(ctx, rng.uniform(*catchphrase_share))
        if edit is not None:
            record("repetition", "catchphrase", edit)

    total = max(len(families), round(rate * len(base)))
    plan = [families[k % len(families)] for k in range(total)]
    rng.shuffle(plan)
    cycles: dict[str, list] = {}
    for family in plan:
        done = _one(ctx, family, cycles)
        if done is None:
            skipped[family] = skipped.get(family, 0) + 1
        else:
            record(family, *done)

    entries = list(base)
    out_labels = [labels.get(s, Label("clean", origin=base[s].id)) for s in range(len(base))]
    for conv, label in added:
        at = rng.randint(0, len(entries))
        entries.insert(at, conv)
        out_labels.insert(at, label)
    return LabelledSet(entries, out_labels, profile, skipped)


def _one(ctx: Context, family: str, cycles: dict[str, list]) -> tuple[str, Edit] | None:
    """One event of ``family``: the next kind of its shuffled cycle on a random free entry.

    Kinds take turns (in proportion to their weight) so every kind gets its share; a kind that
    does not apply to twelve random entries gives its turn to the next one.
    """
    if family not in cycles:
        cycle = [option for option in INJECTIONS[family] for _ in range(option[2])]
        ctx.rng.shuffle(cycle)
        cycles[family] = cycle
    cycle = cycles[family]
    for turn in range(len(cycle)):
        kind, fn, _ = cycle[turn]
        for _try in range(12):
            slot = ctx.pick_free()
            if slot is None:
                return None
            edit = fn(ctx, slot)
            if edit is not None:
                cycle.append(cycle.pop(turn))
                return kind, edit
    return None
