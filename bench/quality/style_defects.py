"""Injections of style and content: formatting, filler, privacy, length."""

from __future__ import annotations

import re
import string

from bench.quality import pools, textops
from bench.quality.edits import Context, Edit
from bench.quality.textops import replace_message

#: The token budget the length injections exceed (threadsmith's default budget).
TOKEN_BUDGET = 4096
_ACTION = re.compile(r"\*([^*\n]{2,})\*")
_DIALOGUE = re.compile(r'"([^"\n]{2,})"')


def estimate_tokens(text: str) -> float:
    """A tokenizer-free estimate: the mean of characters/4 and words x 1.3."""
    return (len(text) / 4 + len(text.split()) * 1.3) / 2


def _map_assistant(ctx: Context, slot: int, fn, everywhere: bool) -> tuple[dict, int] | None:
    """Apply ``fn`` to every assistant turn (or one random turn it changes); None if nothing changed."""
    conv = ctx.base[slot]
    indices = textops.assistant_indices(conv)
    if not everywhere:
        indices = [i for i in indices if fn(conv.messages[i].text) != conv.messages[i].text]
        indices = [ctx.rng.choice(indices)] if indices else []
    msgs, first = list(conv.messages), None
    for i in indices:
        new = fn(msgs[i].text)
        if new != msgs[i].text:
            msgs[i] = msgs[i].with_text(new)
            first = i if first is None else first
    return None if first is None else ({slot: conv.with_messages(msgs)}, first)


# --------------------------------------------------------------------------- formatting


def action_style(ctx: Context, slot: int) -> Edit | None:
    left, right = ctx.rng.choice(pools.ACTION_STYLES)
    done = _map_assistant(ctx, slot, lambda t: _ACTION.sub(lambda m: f"{left}{m.group(1)}{right}", t),
                          ctx.rng.random() < 0.8)
    return done and Edit("action-style", done[0], message_index=done[1], note=f"*x* -> {left}x{right}")


def quote_style(ctx: Context, slot: int) -> Edit | None:
    rng = ctx.rng
    if ctx.profile.dialogue_share >= 0.2:
        left, right = rng.choice(pools.QUOTE_STYLES)
        done = _map_assistant(ctx, slot, lambda t: _DIALOGUE.sub(lambda m: f"{left}{m.group(1)}{right}", t), True)
        note = f'"x" -> {left}x{right}'
    elif ctx.profile.curly_share < 0.3:
        done = _map_assistant(ctx, slot, textops.curly, True)
        note = "straight -> curly apostrophes/quotes"
    else:
        done = _map_assistant(ctx, slot, lambda t: t.replace("\u2019", "'").replace("\u201c", '"').replace("\u201d", '"'), True)
        note = "curly -> straight"
    return done and Edit("quote-style", done[0], message_index=done[1], note=note)


def markdown(ctx: Context, slot: int) -> Edit | None:
    if ctx.profile.markdown_share >= 0.1:
        return None
    rng = ctx.rng
    mode = rng.choice(["header", "bullets", "bold", "fence", "numbered"])

    def apply(text: str) -> str:
        parts = textops.sentences(text)
        if mode == "header":
            title = rng.choice(pools.MD_TITLES)
            return rng.choice(pools.MD_HEADERS).format(title=title) + "\n\n" + text
        if mode in ("bullets", "numbered") and len(parts) >= 3:
            start = rng.randint(0, max(0, len(parts) - 3))
            span = parts[start:start + rng.randint(3, 6)]
            marker = rng.choice(["- ", "* ", "\u2022 "])
            lines = [(f"{k + 1}. " if mode == "numbered" else marker) + s for k, s in enumerate(span)]
            before, after = " ".join(parts[:start]), " ".join(parts[start + len(span):])
            return "\n\n".join(p for p in (before, "\n".join(lines), after) if p)
        if mode == "fence" and parts:
            k = rng.randrange(len(parts))
            parts[k] = "\n```\n" + parts[k] + "\n```\n"
            return " ".join(parts).strip()
        ws = text.split(" ")
        for _ in range(rng.randint(1, 3)):
            k = rng.randrange(max(1, len(ws) - 3))
            n = rng.randint(1, 3)
            ws[k] = "**" + ws[k]
            ws[min(k + n, len(ws) - 1)] += "**"
        return " ".join(ws)

    done = _map_assistant(ctx, slot, apply, False)
    return done and Edit(f"markdown-{mode}", done[0], message_index=done[1], note=mode)


def name_prefix(ctx: Context, slot: int) -> Edit | None:
    if ctx.profile.name_prefix_share >= 0.1:
        return None
    rng = ctx.rng
    name = textops.persona_name(ctx.base[slot], rng) or rng.choice(pools.NAME_POOL)
    prefix = rng.choice(pools.NAME_STYLES).format(name=name, NAME=name.upper())
    done = _map_assistant(ctx, slot, lambda t: prefix + t, rng.random() < 0.7)
    return done and Edit("name-prefix", done[0], message_index=done[1], note=prefix.strip())


def unbalanced(ctx: Context, slot: int) -> Edit | None:
    rng = ctx.rng
    mode = rng.choice(["drop-close-action", "drop-close-quote", "stray-open"])
    used = []

    def apply(text: str) -> str:
        rx = _ACTION if mode == "drop-close-action" else _DIALOGUE
        spans = list(rx.finditer(text)) if mode != "stray-open" else []
        # not the last span: an open quote at the very end reads as a truncated reply (a second defect)
        spans = [m for m in spans if text[m.end():].strip()]
        if spans:
            m = rng.choice(spans)
            used.append(mode)
            return text[:m.end() - 1] + text[m.end():]
        used.append("stray-open")
        mark = rng.choice(['"', "*", "**", "\u201c"])
        bounds = textops.sentence_bounds(text) or [0]
        at = rng.choice(bounds)
        return text[:at] + mark + text[at:]

    done = _map_assistant(ctx, slot, apply, False)
    return done and Edit(f"unbalanced-{used[-1]}", done[0], message_index=done[1], note=used[-1])


_FIRST_VERB = {"is": "am", "has": "have", "does": "do", "was": "was", "isn't": "am not", "hasn't": "haven't",
               "doesn't": "don't", "goes": "go"}


def _to_first_person(span: str, names: list[str]) -> str:
    subject = "|".join([re.escape(n) for n in names] + ["She", "He", "she", "he"])

    def verb(m: re.Match) -> str:
        v = m.group(2)
        if v in _FIRST_VERB:
            v = _FIRST_VERB[v]
        elif v.endswith("ies"):
            v = v[:-3] + "y"
        elif re.search(r"(sh|ch|x|ss|o)es$", v):
            v = v[:-2]
        elif v.endswith("s") and not v.endswith("ss"):
            v = v[:-1]
        return f"I {v}"

    span = re.sub(rf"\b({subject}) ([a-z']+)", verb, span)
    if names:
        span = re.sub(rf"\b(?:{'|'.join(re.escape(n) for n in names)})'s\b", "my", span)
    span = re.sub(r"\bHer\b|\bHis\b", "My", span)
    span = re.sub(r"\bher(?=\s+[a-z])|\bhis\b", "my", span)
    return re.sub(r"\bherself\b|\bhimself\b", "myself", span)


def first_person(ctx: Context, slot: int) -> Edit | None:
    if ctx.profile.action_share < 0.3:
        return None
    conv, rng = ctx.base[slot], ctx.rng
    full = textops.persona_name(conv, rng) or ""
    names = [n for n in {full, full.split()[0] if full else ""} if n]
    done = _map_assistant(ctx, slot, lambda t: _ACTION.sub(lambda m: "*" + _to_first_person(m.group(1), names) + "*", t),
                          True)
    return done and Edit("narration-first-person", done[0], message_index=done[1], note=f"names {names}")


# --------------------------------------------------------------------------- filler


def _answered(ctx: Context, slot: int) -> int | None:
    options = textops.assistant_indices(ctx.base[slot], answered=True)
    return ctx.rng.choice(options) if options else None


def sign_off(ctx: Context, slot: int) -> Edit | None:
    i, rng = _answered(ctx, slot), ctx.rng
    if i is None:
        return None
    line = " ".join(rng.sample(pools.SIGN_OFFS, rng.choice([1, 1, 1, 2])))
    line = textops.maybe_curly(textops.vary_case(line, rng) if rng.random() < 0.3 else line, rng)
    text = ctx.base[slot].messages[i].text.rstrip() + rng.choice([" ", "\n\n", "\n"]) + line
    return Edit("sign-off", {slot: replace_message(ctx.base[slot], i, text)}, message_index=i, note=line)


def throat_clearing(ctx: Context, slot: int) -> Edit | None:
    i, rng = _answered(ctx, slot), ctx.rng
    if i is None:
        return None
    line = rng.choice(pools.OPENERS).format(thing=rng.choice(pools.OPENER_THINGS))
    line = textops.maybe_curly(line, rng)
    text = line + rng.choice([" ", "\n\n", "\n"]) + ctx.base[slot].messages[i].text
    return Edit("throat-clearing", {slot: replace_message(ctx.base[slot], i, text)}, message_index=i, note=line)


def off_topic(ctx: Context, slot: int) -> Edit | None:
    i, rng = _answered(ctx, slot), ctx.rng
    if i is None:
        return None
    conv = ctx.base[slot]
    if rng.random() < 0.6 or not ctx.reserve:
        para = rng.choice(pools.OFF_TOPIC)
    else:
        mine = set(w.lower() for m in conv.messages for w in textops.words(m.text))
        candidates = rng.sample(ctx.reserve, min(30, len(ctx.reserve)))
        far = min(candidates, key=lambda c: len(mine & {w.lower() for w in textops.words(c.messages[-1].text)}))
        para = " ".join(textops.sentences(far.messages[-1].text)[:4])
    text = conv.messages[i].text
    paragraphs = text.split("\n\n")
    if len(paragraphs) > 1 and rng.random() < 0.6:
        paragraphs.insert(rng.randint(1, len(paragraphs)), para)
        text = "\n\n".join(paragraphs)
    else:
        text = text.rstrip() + "\n\n" + para if rng.random() < 0.7 else para + "\n\n" + text
    return Edit("off-topic-paragraph", {slot: replace_message(conv, i, text)}, message_index=i, note=para[:60])


# --------------------------------------------------------------------------- privacy


def _luhn(prefix: str, length: int, rng) -> str:
    digits = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    total = 0
    for k, d in enumerate(reversed(digits)):
        n = int(d)
        if k % 2 == 0:
            n = n * 2 - 9 if n * 2 > 9 else n * 2
        total += n
    return digits + str((10 - total % 10) % 10)


def private_value(kind: str, rng) -> str:
    """A made-up value of one kind of personal data or secret, in one of several real-world shapes."""
    d = lambda n: "".join(rng.choice(string.digits) for _ in range(n))  # noqa: E731
    an = lambda n, chars=string.ascii_letters + string.digits: "".join(rng.choice(chars) for _ in range(n))  # noqa: E731
    if kind == "email":
        first, last = rng.choice(pools.FIRST_NAMES), rng.choice(pools.LAST_NAMES)
        local = rng.choice([f"{first}.{last}", f"{first}{last}{d(2)}", f"{first[0]}{last}", f"{first}_{last}+news",
                            f"{last}.{first}{d(4)}"])
        value = f"{local}@{rng.choice(pools.EMAIL_DOMAINS)}"
        return value.upper() if rng.random() < 0.1 else value
    if kind == "phone":
        return rng.choice([f"({d(3)}) {d(3)}-{d(4)}", f"+1 {d(3)}-{d(3)}-{d(4)}", f"{d(3)}.{d(3)}.{d(4)}",
                           f"+44 20 {d(4)} {d(4)}", f"07{d(3)} {d(6)}", f"+49 30 {d(8)}", f"+33 6 {d(2)} {d(2)} {d(2)} {d(2)}",
                           f"+91 9{d(4)} {d(5)}", f"{d(3)}-{d(3)}-{d(4)}", f"+61 4{d(2)} {d(3)} {d(3)}"])
    if kind == "api-key":
        return rng.choice([f"sk-{an(48)}", f"sk-proj-{an(56, string.ascii_letters + string.digits + '_-')}",
                           f"AKIA{an(16, string.ascii_uppercase + string.digits)}", f"ghp_{an(36)}",
                           f"xoxb-{d(12)}-{d(13)}-{an(24)}", f"AIza{an(35, string.ascii_letters + string.digits + '_-')}",
                           f"glpat-{an(20)}", f"sk-ant-api03-{an(40)}"])
    if kind == "card":
        brand = rng.choice([("4", 16), ("51", 16), ("55", 16), ("6011", 16), ("34", 15), ("37", 15)])
        num = _luhn(brand[0], brand[1], rng)
        sep = rng.choice([" ", "-", ""])
        groups = [num[k:k + 4] for k in range(0, len(num), 4)] if brand[1] == 16 else [num[:4], num[4:10], num[10:]]
        return sep.join(groups)
    first = rng.choice([n for n in range(11, 224) if n not in (127, 10, 100, 172, 192)])
    return f"{first}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"


def privacy(ctx: Context, slot: int, kind: str) -> Edit | None:
    conv, rng = ctx.base[slot], ctx.rng
    options = [i for i, m in enumerate(conv.messages) if m.role in ("user", "assistant") and m.text.strip()]
    if not options:
        return None
    users = [i for i in options if conv.messages[i].role == "user"]
    i = rng.choice(users) if users and rng.random() < 0.5 else rng.choice(options)
    value = private_value(kind, rng)
    sentence = textops.vary_case(rng.choice(pools.PRIVACY_TEMPLATES[kind]).format(x=value), rng) \
        if kind == "email" else rng.choice(pools.PRIVACY_TEMPLATES[kind]).format(x=value)
    text = textops.insert_at_boundary(conv.messages[i].text, sentence, rng, rng.choice(["any", "start", "end"]))
    return Edit(f"pii-{kind}", {slot: replace_message(conv, i, text)}, message_index=i, note=value)


# --------------------------------------------------------------------------- length


def _paragraphs(sentences: list[str], rng) -> str:
    if sentences and sum(len(s.split()) for s in sentences) / len(sentences) > 40:  # units are paragraphs already
        return "\n\n".join(sentences)
    out, k = [], 0
    while k < len(sentences):
        n = rng.randint(3, 7)
        out.append(" ".join(sentences[k:k + n]))
        k += n
    return "\n\n".join(out)


def over_budget(ctx: Context, slot: int) -> Edit | None:
    conv, rng = ctx.base[slot], ctx.rng
    options = textops.assistant_indices(conv)
    if not options:
        return None
    i = rng.choice(options)
    total = sum(estimate_tokens(m.text) for m in conv.messages)
    target = TOKEN_BUDGET * rng.uniform(1.1, 2.5) - total
    extra = ctx.filler_units(int(target / 1.3) + 1)
    while estimate_tokens(" ".join(extra)) < target:
        extra += ctx.filler_units(200)
    text = conv.messages[i].text.rstrip() + "\n\n" + _paragraphs(extra, rng)
    new = replace_message(conv, i, text)
    est = sum(estimate_tokens(m.text) for m in new.messages)
    return Edit("over-budget", {slot: new}, message_index=i, note=f"~{est:.0f} est. tokens")


def extreme_ratio(ctx: Context, slot: int) -> Edit | None:
    conv, rng = ctx.base[slot], ctx.rng
    options = textops.assistant_indices(conv, answered=True)
    if not options:
        return None
    i = rng.choice(options)
    median = max(20.0, ctx.profile.median_words)
    target = min(2400, rng.randint(int(max(500, 6 * median)), int(max(900, 12 * median))))
    extra = ctx.filler_units(max(50, target - len(conv.messages[i].text.split())))
    asked = textops.words(conv.messages[i - 1].text)
    topic = [w for w in asked if len(w) >= 6 and w[0].isupper()] or [w for w in asked if len(w) >= 7]
    if topic and rng.random() < 0.6:
        word = rng.choice(topic).strip("'\u2019") + rng.choice(["?", "", ".", "!", "??"])
    else:
        word = textops.vary_case(rng.choice(["Continue", "more", "go on", "ok", "Yes", "Hi", "?", "and?", "Next",
                                             "Why", "Elaborate", "k", "Story", "Again"]), rng)
    msgs = list(conv.messages)
    msgs[i - 1] = msgs[i - 1].with_text(word)
    msgs[i] = msgs[i].with_text(msgs[i].text.rstrip() + "\n\n" + _paragraphs(extra, rng))
    return Edit("extreme-ratio", {slot: conv.with_messages(msgs)}, message_index=i,
                note=f"user {word!r} -> {len(msgs[i].text.split())} words")
