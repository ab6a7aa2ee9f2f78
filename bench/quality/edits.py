"""What an injection returns (``Edit``) and what it can see (``Context``, ``Profile``)."""

from __future__ import annotations

import random
import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field

from threadsmith.model import Conversation

from bench.quality import textops

_MARKDOWN = re.compile(r"^\s*(#{1,6} |[-*] |\d+\. |```|>)|\*\*[^*\n]+\*\*", re.M)
_ACTION = re.compile(r"\*[^*\n]{2,}\*")
_DIALOGUE = re.compile(r'"[^"\n]{2,}"')
_NAME_PREFIX = re.compile(r"^\**[A-Z][\w .'-]{0,30}:\**\s")


@dataclass
class Edit:
    """One injected defect: the slots it changed, the entries it added and the entries it involves."""

    kind: str
    #: base slot -> the defective conversation that replaces it.
    changed: dict[int, Conversation] = field(default_factory=dict)
    #: new entries (near-duplicate or contradicting copies), all defective.
    added: list[Conversation] = field(default_factory=list)
    #: untouched base slots that take part in the defect (the original of a duplicate).
    anchors: list[int] = field(default_factory=list)
    message_index: int | None = None
    note: str = ""


@dataclass(frozen=True)
class Profile:
    """Dataset norms measured on the clean base; injections only break a norm the data keeps."""

    size: int
    roleplay: bool
    markdown_share: float
    action_share: float
    dialogue_share: float
    curly_share: float
    name_prefix_share: float
    median_words: float

    @classmethod
    def of(cls, conversations: Sequence[Conversation]) -> Profile:
        replies = [m.text for c in conversations for m in c.messages if m.role == "assistant" and m.text.strip()]
        n = max(1, len(replies))
        cues = 0
        for c in conversations:
            head = " ".join(m.text for m in c.messages[:2] if m.role in ("system", "user")).lower()
            if re.search(r"role-?play|in character|you are |imagine you|pretend|persona|scene", head):
                cues += 1
        action_share = sum(bool(_ACTION.search(r)) for r in replies) / n
        apostrophes = [r for r in replies if "'" in r or "\u2019" in r]
        return cls(
            size=len(conversations),
            roleplay=action_share >= 0.3 or cues / max(1, len(conversations)) >= 0.3,
            markdown_share=sum(bool(_MARKDOWN.search(r)) for r in replies) / n,
            action_share=action_share,
            dialogue_share=sum(bool(_DIALOGUE.search(r)) for r in replies) / n,
            curly_share=sum("\u2019" in r for r in apostrophes) / max(1, len(apostrophes)),
            name_prefix_share=sum(bool(_NAME_PREFIX.match(r)) for r in replies) / n,
            median_words=statistics.median([len(r.split()) for r in replies]) if replies else 0.0,
        )


@dataclass
class Context:
    """Everything an injection may use: the random source, the base, the reserve and the norms."""

    rng: random.Random
    base: list[Conversation]
    free: set[int]
    reserve: list[Conversation]
    profile: Profile
    #: Sentences from reserve replies (falls back to the base), for long varied filler text.
    sentence_pool: list[str] = field(default_factory=list)
    next_id: int = 0
    #: Reserve conversations whose reply already answers a contradicting copy.
    used_donors: set[str] = field(default_factory=set)

    def pick_free(self, exclude: set[int] | None = None) -> int | None:
        options = sorted(self.free - (exclude or set()))
        return self.rng.choice(options) if options else None

    def new_id(self, origin: Conversation) -> str:
        self.next_id += 1
        return f"{origin.id}~q{self.next_id}"

    def filler_units(self, words: int) -> list[str]:
        """Distinct pool units (sentences or paragraphs) adding up to ``words`` words.

        Units repeat only when the pool runs out, which would turn length filler into a loop.
        """
        pool = self.sentence_pool or ["The sea was calm that morning and the light was grey."]
        out: list[str] = []
        total = 0
        while total < words:
            for unit in self.rng.sample(pool, len(pool)):
                out.append(unit)
                total += len(unit.split())
                if total >= words:
                    break
        return out


def build_sentence_pool(reserve: Sequence[Conversation], base: Sequence[Conversation],
                        min_words: int = 15000) -> list[str]:
    """Varied text for length filler: distinct plain sentences from the reserve (then the base).

    Small datasets do not have enough plain sentences; they get whole reply paragraphs with
    balanced markup instead (paragraphs hold the sentences, so the two are never mixed).
    """
    seen: dict[str, None] = {}
    for source in (reserve, base):
        for c in source:
            for m in c.messages:
                if m.role == "assistant":
                    for s in textops.sentences(m.text.replace("\n", " ")):
                        if len(s.split()) >= 6 and "*" not in s and '"' not in s:
                            seen.setdefault(s, None)
        if sum(len(s.split()) for s in seen) >= min_words:
            return list(seen)
    paragraphs: dict[str, None] = {}
    for c in (*reserve, *base):
        for m in c.messages:
            if m.role == "assistant":
                for para in m.text.split("\n\n"):
                    para = para.strip()
                    if len(para.split()) >= 8 and para.count("*") % 2 == 0 and para.count('"') % 2 == 0:
                        paragraphs.setdefault(para, None)
    return list(paragraphs) if sum(len(p.split()) for p in paragraphs) > sum(len(s.split()) for s in seen) else list(seen)
