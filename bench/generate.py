"""Generate a realistic synthetic chat dataset for benchmarks.

    python bench/generate.py N OUT.jsonl [--seed S] [--format openai|sharegpt]

The output is deterministic for a given N, seed, format and Python version. Conversations mix
assistant chat and roleplay, with log-normal turn counts (1-12 exchanges) and message lengths
(about 5-400 words), optional system prompts from a small pool, and a small rate (about 1.5%)
of realistic defects: padded whitespace, upper-case roles, exact duplicates and empty turns.

Speed comes from building a pool of sentences once and then sampling whole sentences with
``random.choices``; records are serialized with orjson and written in large batches.
"""

from __future__ import annotations

import argparse
import gc
import math
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import orjson

# -- word pools ----------------------------------------------------------------------------------

_FUNCTION = ("the the the a a an and and of of to to in on with for at from by as but or so "
             "that this it its is was are be not no all some more very just then when if").split()
_NOUNS = ("time day night morning year way place home house door window table kitchen garden road "
          "city town island harbour boat ship sea wind storm rain fog light lamp tower stair room "
          "book letter map question answer idea plan list step file branch commit function error "
          "recipe oven bread soup pan salt sugar water coffee tea train ticket station flight hotel "
          "bag friend sister brother mother father child teacher doctor captain keeper stranger "
          "voice hand eye face heart name story song reason problem result number value price "
          "minute hour week month money job team meeting email report chart sentence paragraph "
          "word page draft garden tomato cat dog bird gull rope bell radio engine key lock coat").split()
_VERBS = ("is was has had makes made takes took gives gave keeps kept finds found goes went comes "
          "came looks looked turns turned holds held opens opened closes closed starts started "
          "needs needed wants wanted knows knew thinks thought says said tells told asks asked "
          "works worked helps helped changes changed moves moved leaves left stays stayed reads "
          "writes wrote checks checked runs ran sets set puts put brings brought shows showed").split()
_ADJS = ("good new old small large long short quick slow quiet loud cold warm dark bright clean "
         "simple easy hard clear early late heavy light wet dry strong gentle careful sharp soft "
         "useful common different important possible whole last first next other same own").split()
_ADVS = "quietly slowly quickly carefully simply really usually often never always still already".split()
_SUBJECTS = ("She", "He", "Maren", "Tam", "The captain", "The keeper", "The old woman", "Bosun",
             "The stranger", "The boy", "The girl", "Iris", "Jonah", "The cat")

GENERAL = _FUNCTION * 3 + _NOUNS + _VERBS + _ADJS + _ADVS

SYSTEM_PROMPTS = (
    "You are a helpful assistant.",
    "You are a helpful, concise assistant. Answer accurately and use lists only when they help.",
    "You are a friendly cooking assistant. Suggest practical recipes and substitutions.",
    "You are a programming assistant. Prefer short, idiomatic examples with a brief explanation.",
    "You are Maren Vos, keeper of a lighthouse on a storm-bound island. Blunt, dry-humoured and kind. "
    "Write actions in *asterisks* and speech in double quotes. Never write the user's actions.",
    "You are Captain Ilse Brandt, the gruff skipper of the cargo airship Wren. Stay in character, "
    "narrate only Ilse, actions in *asterisks*, dialogue in quotes.",
    "You are Professor Okafor, a patient maths tutor. Explain step by step and check understanding.",
    "You are a travel assistant. Give practical, up-to-date advice and suggest checking official sources.",
)
ROLEPLAY_PROMPTS = (4, 5)
TAGS = ("chat", "roleplay", "cooking", "code", "travel", "maths", "writing", "support", "fiction")


#: Topic words: one per exchange, in the question and in its reply (not stop words).
TOPICS = tuple(
    "harbour island storm lantern tower kitchen garden recipe oven bread soup coffee train ticket "
    "station flight hotel sister teacher doctor captain keeper stranger letter chart branch commit "
    "function error report meeting email paragraph draft tomato gull rope bell radio engine "
    "lighthouse sourdough porridge rebase Lisbon Tokyo fraction derivative compost barometer tide "
    "puffin cribbage passport itinerary spreadsheet dashboard deadline interview landlord budget "
    "invoice python server database playlist guitar bicycle marathon vaccine telescope".split())


def _sentence(rng: random.Random, lo: int, hi: int, end: str = ".", slot: bool = False) -> str:
    """Words from the pool; with ``slot``, one ``%s`` where the exchange's topic word goes."""
    words = rng.choices(GENERAL, k=rng.randint(lo, hi))
    if slot:
        words.insert(rng.randint(1, len(words)), "the %s")
    words[0] = words[0].capitalize()
    if len(words) > 8 and rng.random() < 0.4:
        words[len(words) // 2] += ","
    return " ".join(words) + end


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


@dataclass(frozen=True, slots=True)
class Pools:
    """Pre-built sentences of each kind; messages are sampled from these."""

    plain: list[str]
    questions: list[str]
    actions: list[str]
    dialogue: list[str]
    user_actions: list[str]
    list_items: list[str]
    beats: list[str]
    #: The same kinds with a ``%s`` slot, so a reply shares a topic word with its question.
    asked: list[str]
    echo: list[str]
    spoken_ask: list[str]
    echo_beats: list[str]

    @classmethod
    def build(cls, rng: random.Random, size: int = 40_000) -> Pools:
        plain = [_sentence(rng, 5, 18) for _ in range(size)]
        questions = [_sentence(rng, 4, 14, "?") for _ in range(size // 2)]
        actions = [f"*{rng.choice(_SUBJECTS)} {_lower_first(_sentence(rng, 4, 14))}*" for _ in range(size // 2)]
        dialogue = [f"\"{_sentence(rng, 3, 14, rng.choice('.?!.'))}\"" for _ in range(size // 2)]
        user_actions = [f"*I {rng.choice(_VERBS)} {' '.join(rng.choices(GENERAL, k=rng.randint(2, 8)))}.*"
                        for _ in range(size // 4)]
        list_items = [f"- {_sentence(rng, 3, 10)}" for _ in range(size // 4)]
        beats = [f"{rng.choice(actions)} {rng.choice(dialogue)}" for _ in range(size)]
        asked = [_sentence(rng, 4, 14, "?", slot=True) for _ in range(size // 2)]
        echo = [_sentence(rng, 5, 18, slot=True) for _ in range(size // 2)]
        spoken_ask = [f"\"{_sentence(rng, 3, 12, '?', slot=True)}\"" for _ in range(size // 4)]
        echo_beats = [f"*{rng.choice(_SUBJECTS)} {_lower_first(_sentence(rng, 4, 14, slot=True))}* {rng.choice(dialogue)}"
                      for _ in range(size // 2)]
        return cls(plain, questions, actions, dialogue, user_actions, list_items, beats,
                   asked, echo, spoken_ask, echo_beats)


# -- messages ------------------------------------------------------------------------------------

def _length_table(rng: random.Random, median_words: float, sigma: float, size: int = 8192) -> list[int]:
    """Sentence counts for messages of about ``median_words`` (log-normal, clipped to 5-400 words).

    Drawn once; messages then sample counts from the table, which is much cheaper than a
    log-normal draw per message and keeps the same distribution.
    """
    out = []
    for _ in range(size):
        words = min(400.0, max(5.0, rng.lognormvariate(math.log(median_words), sigma)))
        out.append(max(1, round(words / 11)))
    return out


@dataclass(frozen=True, slots=True)
class Lengths:
    """Pre-drawn length tables: exchanges per conversation, sentences per message."""

    exchanges: list[int]
    user_chat: list[int]
    assistant_chat: list[int]
    user_roleplay: list[int]
    assistant_roleplay: list[int]

    @classmethod
    def build(cls, rng: random.Random) -> Lengths:
        exchanges = [min(12, max(1, round(rng.lognormvariate(1.0, 0.6)))) for _ in range(8192)]
        return cls(exchanges, _length_table(rng, 18, 0.7), _length_table(rng, 55, 0.7),
                   _length_table(rng, 20, 0.7), _length_table(rng, 80, 0.6))


def _assistant_chat(rng: random.Random, p: Pools, k: int, topic: str) -> str:
    parts = rng.choices(p.plain, k=k)
    parts[int(rng.random() * min(k, 3))] = rng.choice(p.echo) % topic
    text = " ".join(parts)
    r = rng.random()
    if r < 0.2:
        text += "\n\n" + "\n".join(rng.choices(p.list_items, k=2 + int(r * 20)))
    elif r < 0.25:
        text += "\n\n```python\nresult = " + rng.choice(_NOUNS) + "(" + rng.choice(_NOUNS) + ")\nprint(result)\n```"
    return text


def _user_chat(rng: random.Random, p: Pools, k: int, topic: str) -> str:
    parts = rng.choices(p.plain, k=k - 1)
    parts.append(rng.choice(p.asked) % topic)
    return " ".join(parts)


def _assistant_roleplay(rng: random.Random, p: Pools, k: int, topic: str) -> str:
    beats = rng.choices(p.beats, k=(k + 1) // 2)  # *action* "dialogue" beats
    beats[0] = rng.choice(p.echo_beats) % topic
    if rng.random() < 0.4:  # open with speech instead of an action
        beats.insert(0, rng.choice(p.dialogue))
    return " ".join(beats)


def _user_roleplay(rng: random.Random, p: Pools, k: int, topic: str) -> str:
    parts = rng.choices(p.dialogue, k=k)
    parts[-1] = rng.choice(p.spoken_ask) % topic
    if rng.random() < 0.5:
        parts.insert(0, rng.choice(p.user_actions))
    return " ".join(parts)


_CHAT_PROMPTS = [s for i, s in enumerate(SYSTEM_PROMPTS) if i not in ROLEPLAY_PROMPTS]


def _conversation(rng: random.Random, p: Pools, n: Lengths, index: int) -> dict:
    r = rng.random()
    roleplay = r < 0.45
    messages: list[dict] = []
    if roleplay:
        if r < 0.38:  # 85% of roleplay has a character prompt
            messages.append({"role": "system", "content": SYSTEM_PROMPTS[ROLEPLAY_PROMPTS[int(r * 100) % 2]]})
        user, assistant = _user_roleplay, _assistant_roleplay
        user_k, assistant_k = n.user_roleplay, n.assistant_roleplay
    else:
        if r < 0.725:  # half of assistant chat has a system prompt
            messages.append({"role": "system", "content": rng.choice(_CHAT_PROMPTS)})
        user, assistant = _user_chat, _assistant_chat
        user_k, assistant_k = n.user_chat, n.assistant_chat
    exchanges = rng.choice(n.exchanges)
    uks = rng.choices(user_k, k=exchanges)
    aks = rng.choices(assistant_k, k=exchanges + 1)
    topics = rng.choices(TOPICS, k=exchanges + 1)
    if roleplay and rng.random() < 0.2:  # the character speaks first
        messages.append({"role": "assistant", "content": assistant(rng, p, aks[-1], topics[-1])})
    for uk, ak, topic in zip(uks, aks, topics):
        messages.append({"role": "user", "content": user(rng, p, uk, topic)})
        messages.append({"role": "assistant", "content": assistant(rng, p, ak, topic)})
    record = {"id": f"conv-{index:07d}", "messages": messages}
    if rng.random() < 0.3:
        kind = "roleplay" if roleplay else "chat"
        record["tags"] = [kind, rng.choice([t for t in TAGS if t != kind])]
    return record


# -- defects -------------------------------------------------------------------------------------

DEFECT_RATE = 0.015


def _defect(rng: random.Random, record: dict, recent: list[dict], index: int) -> dict:
    """Apply one realistic defect to ``record`` (or return a copy of an earlier one)."""
    kind = rng.randrange(4)
    messages = record["messages"]
    if kind == 0:  # padded whitespace
        m = rng.choice(messages)
        m["content"] = rng.choice(("  ", "\n", " \n")) + m["content"] + rng.choice((" ", "\n\n", "  \n"))
    elif kind == 1:  # upper-case roles
        for m in messages:
            m["role"] = m["role"].upper()
    elif kind == 2 and recent:  # exact duplicate of an earlier conversation, new id
        return {**rng.choice(recent), "id": f"conv-{index:07d}"}
    else:  # an empty turn
        turns = [m for m in messages if m["role"] != "system"]
        rng.choice(turns)["content"] = rng.choice(("", " ", "\n"))
    return record


# -- output --------------------------------------------------------------------------------------

_SHAREGPT_ROLES = {"system": "system", "user": "human", "assistant": "gpt"}


def _to_sharegpt(record: dict) -> dict:
    turns = []
    for m in record["messages"]:
        role = m["role"]
        label = _SHAREGPT_ROLES.get(role.lower(), role)
        turns.append({"from": label.upper() if role.isupper() else label, "value": m["content"]})
    out = {"id": record["id"], "conversations": turns}
    if "tags" in record:
        out["tags"] = record["tags"]
    return out


def generate(n: int, out: str | Path, *, seed: int = 0, fmt: str = "openai", batch: int = 20_000) -> Path:
    """Write ``n`` conversations to ``out`` (JSONL); returns the path."""
    rng = random.Random(seed)
    pools = Pools.build(rng)
    lengths = Lengths.build(rng)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".part")
    gc.disable()  # millions of short-lived dicts; the cycle collector only slows this loop down
    try:
        _write(n, tmp, rng, pools, lengths, fmt, batch)
    finally:
        gc.enable()
    tmp.replace(out)
    return out


def _write(n: int, tmp: Path, rng: random.Random, pools: Pools, lengths: Lengths, fmt: str, batch: int) -> None:
    dumps = orjson.dumps
    recent: list[dict] = []
    with open(tmp, "wb", buffering=1 << 20) as f:
        lines: list[bytes] = []
        for i in range(n):
            record = _conversation(rng, pools, lengths, i)
            if rng.random() < DEFECT_RATE:
                record = _defect(rng, record, recent, i)
            elif i % 97 == 0:  # keep a small sample of earlier records to duplicate
                if len(recent) < 256:
                    recent.append(record)
                else:
                    recent[rng.randrange(256)] = record
            lines.append(dumps(_to_sharegpt(record) if fmt == "sharegpt" else record))
            if len(lines) >= batch:
                lines.append(b"")
                f.write(b"\n".join(lines))
                lines = []
        if lines:
            lines.append(b"")
            f.write(b"\n".join(lines))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("n", type=int, help="number of conversations")
    parser.add_argument("out", help="output JSONL file")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--format", dest="fmt", choices=("openai", "sharegpt"), default="openai")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    path = generate(args.n, args.out, seed=args.seed, fmt=args.fmt)
    seconds = time.perf_counter() - started
    size = path.stat().st_size
    print(f"wrote {args.n:,} conversations ({size / 1e6:,.1f} MB) to {path} in {seconds:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
