"""Injections inside one conversation: structure, role-confusion, synthetic-noise, weak-turn.

Each function takes the context and a base slot and returns an :class:`Edit`, or None when
the conversation offers nothing to break that way (the injector then tries another).
"""

from __future__ import annotations

import re
from dataclasses import replace

from bench.quality import pools, textops
from bench.quality.edits import Context, Edit
from bench.quality.textops import message, replace_message

# --------------------------------------------------------------------------- structure


def role_case(ctx: Context, slot: int) -> Edit | None:
    conv = ctx.base[slot]
    rng = ctx.rng
    scope = rng.choice(["all", "one", "role"])
    target_role = rng.choice(["user", "assistant"])
    messages, first = [], None
    for i, m in enumerate(conv.messages):
        change = scope == "all" or (scope == "role" and m.role == target_role)
        if scope == "one" and first is None and m.role == target_role:
            change = True
        if change and m.role in pools.ROLE_SPELLINGS:
            m = replace(m, role=rng.choice(pools.ROLE_SPELLINGS[m.role]))
            first = i if first is None else first
        messages.append(m)
    if first is None:
        return None
    return Edit("role-spelling", {slot: conv.with_messages(messages)}, message_index=first,
                note=f"roles {[m.role for m in messages]}")


def empty_turn(ctx: Context, slot: int) -> Edit | None:
    conv = ctx.base[slot]
    options = textops.assistant_indices(conv)
    if not options:
        return None
    i = ctx.rng.choice(options)
    blank = ctx.rng.choice(["", "", " ", "\n", "  \n "])
    return Edit("empty-assistant", {slot: replace_message(conv, i, blank)}, message_index=i, note=repr(blank))


def trailing_user(ctx: Context, slot: int) -> Edit | None:
    conv = ctx.base[slot]
    if conv.messages[-1].role != "assistant":
        return None
    text = textops.vary_case(ctx.rng.choice(pools.TRAILING_USER), ctx.rng)
    return Edit("trailing-user", {slot: conv.with_messages([*conv.messages, message("user", text)])},
                message_index=len(conv.messages), note=text)


def consecutive_role(ctx: Context, slot: int) -> Edit | None:
    conv = ctx.base[slot]
    rng = ctx.rng
    candidates = [i for i, m in enumerate(conv.messages)
                  if m.role in ("user", "assistant") and len(textops.sentences(m.text)) >= 2]
    if not candidates:
        return None
    i = rng.choice(candidates)
    parts = textops.sentences(conv.messages[i].text)
    cut = rng.randint(1, len(parts) - 1)
    first, second = " ".join(parts[:cut]), " ".join(parts[cut:])
    role = conv.messages[i].role
    messages = list(conv.messages)
    messages[i:i + 1] = [message(role, first), message(role, second)]
    return Edit("consecutive-same-role", {slot: conv.with_messages(messages)}, message_index=i + 1,
                note=f"{role} turn {i} split in two")


def whitespace(ctx: Context, slot: int) -> Edit | None:
    conv = ctx.base[slot]
    rng = ctx.rng
    options = [i for i, m in enumerate(conv.messages) if m.text.strip()]
    i = rng.choice(options)
    text = conv.messages[i].text.strip()
    lead, trail = rng.choice([(True, False), (False, True), (True, True)])
    padded = (rng.choice(pools.PADDING) if lead else "") + text + (rng.choice(pools.PADDING) if trail else "")
    return Edit("whitespace-padding", {slot: replace_message(conv, i, padded)}, message_index=i,
                note=repr(padded[:12] + "..." + padded[-6:]))


# --------------------------------------------------------------------------- role-confusion


def leaked_turn(ctx: Context, slot: int) -> Edit | None:
    conv = ctx.base[slot]
    rng = ctx.rng
    options = textops.assistant_indices(conv)
    if not options:
        return None
    i = rng.choice(options)
    if rng.random() < 0.25:
        label = rng.choice(pools.FIRST_NAMES).capitalize()
    else:
        label = rng.choice(pools.USER_LABELS)
    style = rng.choices([s for s, _ in pools.LABEL_STYLES], [w for _, w in pools.LABEL_STYLES])[0]
    leak = style.format(label=label) + textops.vary_case(rng.choice(pools.FAKE_USER_LINES), rng)
    if rng.random() < 0.4:
        own = textops.persona_name(conv, rng) or rng.choice(pools.ASSISTANT_LABELS)
        leak += rng.choice(["\n", "\n\n", " "]) + style.format(label=own) + rng.choice(pools.FAKE_REPLY_LINES)
    sep = rng.choice(["\n\n", "\n\n", "\n", "\n", " "])
    text = conv.messages[i].text.rstrip() + sep + leak
    return Edit("leaked-user-turn", {slot: replace_message(conv, i, text)}, message_index=i, note=leak[:80])


def template_token(ctx: Context, slot: int) -> Edit | None:
    conv = ctx.base[slot]
    rng = ctx.rng
    options = textops.assistant_indices(conv) or [i for i, m in enumerate(conv.messages) if m.text.strip()]
    i = rng.choice(options)
    token = rng.choice(pools.TEMPLATE_TOKENS)
    text = conv.messages[i].text
    where = rng.choices(["end", "mid", "start", "continued"], [5, 2, 1, 2])[0]
    if where == "end":
        text = text.rstrip() + rng.choice(["", "", " ", "\n"]) + token
    elif where == "start":
        text = token + rng.choice(["", " ", "\n"]) + text
    elif where == "mid":
        text = textops.insert_at_boundary(text, token, rng)
    else:
        text = text.rstrip() + rng.choice(["", "\n"]) + token + "\n" + rng.choice(pools.FAKE_USER_LINES)
    return Edit("template-token", {slot: replace_message(conv, i, text)}, message_index=i, note=f"{token} at {where}")


def god_modding(ctx: Context, slot: int) -> Edit | None:
    if not ctx.profile.roleplay:
        return None
    conv = ctx.base[slot]
    rng = ctx.rng
    options = textops.assistant_indices(conv, answered=True)
    if not options:
        return None
    i = rng.choice(options)
    sentences = []
    for _ in range(rng.choice([1, 1, 2, 2, 3])):
        subject = rng.choice(pools.GOD_SUBJECTS)
        key = subject if subject in pools.GOD_PREDICATES else "You"  # "Slowly, you" takes You's predicates
        predicate = rng.choice(pools.GOD_PREDICATES[key]).format(pronoun=rng.choice(pools.PRONOUNS))
        sentences.append(f"{subject} {predicate}.")
    piece = " ".join(sentences)
    if ctx.profile.action_share >= 0.3:
        piece = f"*{piece}*"
    text = textops.insert_at_boundary(conv.messages[i].text, piece, rng, rng.choice(["any", "any", "end"]))
    return Edit("speaks-for-user", {slot: replace_message(conv, i, text)}, message_index=i, note=piece[:80])


def swapped_roles(ctx: Context, slot: int) -> Edit | None:
    conv = ctx.base[slot]
    msgs = list(conv.messages)
    first = None
    k = 0
    while k < len(msgs) - 1:
        if msgs[k].role == "user" and msgs[k + 1].role == "assistant" and msgs[k].text.strip():
            u, a = msgs[k].text, msgs[k + 1].text
            msgs[k], msgs[k + 1] = msgs[k].with_text(a), msgs[k + 1].with_text(u)
            first = k + 1 if first is None else first
            k += 2
        else:
            k += 1
    if first is None:
        return None
    return Edit("swapped-roles", {slot: conv.with_messages(msgs)}, message_index=first, note="user/assistant swapped")


# --------------------------------------------------------------------------- synthetic-noise


def ai_boilerplate(ctx: Context, slot: int) -> Edit | None:
    conv, rng = ctx.base[slot], ctx.rng
    options = textops.assistant_indices(conv, answered=True)
    if not options:
        return None
    i = rng.choice(options)
    line = rng.choice(pools.AI_BOILERPLATE).format(verb=rng.choice(pools.AI_VERBS))
    line = textops.maybe_curly(textops.vary_case(line, rng) if rng.random() < 0.2 else line, rng)
    text = conv.messages[i].text
    where = rng.choices(["start", "end", "replace-first"], [5, 2, 3])[0]
    if where == "start":
        text = line + rng.choice([" ", "\n\n"]) + text
    elif where == "end":
        text = text.rstrip() + rng.choice([" ", "\n\n"]) + line
    else:
        parts = textops.sentences(text)
        text = " ".join([line, *parts[1:]])
    return Edit("ai-boilerplate", {slot: replace_message(conv, i, text)}, message_index=i, note=line[:80])


def refusal(ctx: Context, slot: int) -> Edit | None:
    conv, rng = ctx.base[slot], ctx.rng
    options = textops.assistant_indices(conv, answered=True)
    if not options:
        return None
    i = rng.choice(options)
    if rng.random() < 0.3:
        text = rng.choice(pools.REFUSALS)
    else:
        lead, cannot, what, why, offer = (rng.choice(part) for part in pools.REFUSAL_PARTS)
        text = f"{lead} {cannot if lead else cannot[:1].upper() + cannot[1:]} {what}{why}.{offer}".strip()
    text = textops.maybe_curly(text, rng)
    return Edit("refusal", {slot: replace_message(conv, i, text)}, message_index=i, note=text[:80])


def truncation(ctx: Context, slot: int) -> Edit | None:
    conv, rng = ctx.base[slot], ctx.rng
    options = [i for i in textops.assistant_indices(conv) if len(conv.messages[i].text.split()) >= 25]
    if not options:
        return None
    i = rng.choice(options)
    text = conv.messages[i].text
    spans = [m for m in re.finditer(r"[A-Za-z]{2,}", text)
             if 0.3 * len(text) < m.start() < 0.9 * len(text)]
    if not spans:
        return None
    mode = rng.choice(["mid-word", "mid-word", "after-word", "after-comma", "after-function-word"])
    cut = None
    for _ in range(30):
        w = rng.choice(spans)
        nxt = text[w.end():w.end() + 1]
        if mode == "mid-word" and len(w.group()) >= 5:
            cut = text[:w.start() + rng.randint(2, len(w.group()) - 2)]
        elif mode == "after-word" and nxt == " ":
            cut = text[:w.end()]
        elif mode == "after-comma" and nxt == ",":
            cut = text[:w.end() + 1]
        elif mode == "after-function-word" and w.group().lower() in ("the", "and", "a", "of", "to", "with", "her", "his"):
            cut = text[:w.end()]
        if cut:
            break
    if not cut:
        return None
    return Edit("truncated", {slot: replace_message(conv, i, cut)}, message_index=i,
                note=f"{mode}: ...{cut[-40:]!r}")


def degenerate_loop(ctx: Context, slot: int) -> Edit | None:
    conv, rng = ctx.base[slot], ctx.rng
    options = [i for i in textops.assistant_indices(conv) if any(len(s.split()) >= 5 for s in textops.sentences(conv.messages[i].text))]
    if not options:
        return None
    i = rng.choice(options)
    text = conv.messages[i].text
    parts = textops.sentences(text)
    n = rng.randint(3, 6)
    joiner = rng.choice([" ", " ", "\n", "\n\n"])
    mode = rng.choice(["in-place", "tail", "clause"])
    long_ones = [k for k, s in enumerate(parts) if len(s.split()) >= 5]
    if mode == "in-place":
        k = rng.choice(long_ones)
        parts[k] = joiner.join([parts[k]] * n)
        new = " ".join(parts)
        note = parts[k][:60]
    elif mode == "tail":
        k = long_ones[-1]
        new = " ".join(parts[:k + 1]) + joiner + joiner.join([parts[k]] * (n - 1))
        note = parts[k][:60]
    else:
        ws = parts[rng.choice(long_ones)].rstrip(".!?").split()
        start = rng.randint(0, max(0, len(ws) - 4))
        phrase = " ".join(ws[start:start + rng.randint(4, 8)])
        new = text.rstrip() + " " + ", ".join([phrase] * n) + rng.choice(["", ".", "..."])
        note = phrase
    return Edit(f"loop-{mode}", {slot: replace_message(conv, i, new)}, message_index=i, note=f"x{n}: {note}")


def placeholder(ctx: Context, slot: int) -> Edit | None:
    conv, rng = ctx.base[slot], ctx.rng
    options = textops.assistant_indices(conv)
    if not options:
        return None
    i = rng.choice(options)
    text = conv.messages[i].text
    token = rng.choice(pools.PLACEHOLDERS)
    mode = rng.choice(["replace-name", "insert", "lorem"])
    names = [m for m in re.finditer(r"(?<=[a-z,] )[A-Z][a-z]{2,}", text)]
    if mode == "replace-name" and names:
        m = rng.choice(names)
        text = text[:m.start()] + token + text[m.end():]
    elif mode == "lorem":
        token = rng.choice(pools.LOREM)
        text = textops.insert_at_boundary(text, token, rng, rng.choice(["end", "any"]))
    else:
        piece = rng.choice(["Dear {t},", "Signed, {t}", "{t} smiles.", "Welcome to {t}!", "My name is {t}.",
                            "Thanks, {t}.", "({t})", "{t}"]).format(t=token)
        text = textops.insert_at_boundary(text, piece, rng)
    return Edit("placeholder", {slot: replace_message(conv, i, text)}, message_index=i, note=token[:60])


def scrape_artifact(ctx: Context, slot: int) -> Edit | None:
    conv, rng = ctx.base[slot], ctx.rng
    options = textops.assistant_indices(conv)
    if not options:
        return None
    i = rng.choice(options)
    text = conv.messages[i].text
    mode = rng.choice(["ui", "mojibake", "html"])
    if mode == "ui":
        bits = rng.sample(pools.UI_ARTIFACTS, rng.randint(1, 3))
        junk = rng.choice(["\n", "\n\n", " "]).join(bits)
        text = junk + "\n" + text if rng.random() < 0.25 else text.rstrip() + rng.choice(["\n", "\n\n", " "]) + junk
        note = junk
    elif mode == "mojibake":
        src = textops.curly(text)
        if not any(ch in src for ch in pools.MOJIBAKE):
            src = textops.insert_at_boundary(src, "\u2014", rng)
        text = "".join(pools.MOJIBAKE.get(ch, ch) for ch in src)
        note = "mojibake"
    else:
        targets = [ch for ch in ("'", "&", '"') if ch in text]
        if not targets:
            text = text.replace(" and ", " &amp; ", 1) if " and " in text else text + " &nbsp;"
        else:
            for ch in targets:
                text = text.replace(ch, rng.choice(pools.HTML_ENTITIES[ch]))
        note = "html entities"
    return Edit(f"scrape-{mode}", {slot: replace_message(conv, i, text)}, message_index=i, note=note[:60])


def stock_phrases(ctx: Context, slot: int) -> Edit | None:
    conv, rng = ctx.base[slot], ctx.rng
    options = textops.assistant_indices(conv)
    if not options:
        return None
    i = rng.choice(options)
    pronoun = rng.choice(["her", "his", "their"])
    burst = " ".join(s.format(pronoun=pronoun, Pronoun=pronoun.capitalize(), pronoun2=rng.choice(["she", "he", "they"]))
                     for s in rng.sample(pools.STOCK_SENTENCES, rng.randint(3, 6)))
    text = textops.insert_at_boundary(conv.messages[i].text, burst, rng, rng.choice(["any", "end"]))
    return Edit("stock-phrases", {slot: replace_message(conv, i, text)}, message_index=i, note=burst[:80])


# --------------------------------------------------------------------------- weak-turn


def minimal_reply(ctx: Context, slot: int) -> Edit | None:
    conv, rng = ctx.base[slot], ctx.rng
    options = textops.assistant_indices(conv, answered=True)
    if not options:
        return None
    i = rng.choice(options)
    text = textops.vary_case(rng.choice(pools.ACKS), rng)
    if rng.random() < 0.3:
        text = textops.vary_end(text, rng)
    if ctx.profile.action_share >= 0.3 and rng.random() < 0.4:
        text = f"{rng.choice(pools.ACK_ACTIONS)} {text}"
    return Edit("minimal-ack", {slot: replace_message(conv, i, text)}, message_index=i, note=text)


def echo_reply(ctx: Context, slot: int) -> Edit | None:
    conv, rng = ctx.base[slot], ctx.rng
    options = [i for i in textops.assistant_indices(conv, answered=True) if len(conv.messages[i - 1].text.split()) >= 4]
    if not options:
        return None
    i = rng.choice(options)
    user = conv.messages[i - 1].text.strip()
    mode = rng.choice(["exact", "prefixed", "quoted", "case"])
    if mode == "exact":
        text = user
    elif mode == "prefixed":
        text = rng.choice(pools.ECHO_PREFIXES[3:]) + user
    elif mode == "quoted":
        text = f'"{user}"' + rng.choice(["", "?", " Hmm."])
    else:
        text = user.lower() if rng.random() < 0.5 else user.rstrip(".!?") + rng.choice(["?", "!", "."])
    return Edit(f"echo-{mode}", {slot: replace_message(conv, i, text)}, message_index=i, note=text[:60])


def tiny_reply(ctx: Context, slot: int) -> Edit | None:
    conv, rng = ctx.base[slot], ctx.rng
    options = [i for i in textops.assistant_indices(conv, answered=True) if len(conv.messages[i].text.split()) >= 30]
    if not options:
        return None
    i = rng.choice(options)
    ws = conv.messages[i].text.split()
    keep = rng.randint(2, min(7, max(2, len(ws) // 10)))
    kept = ws[:keep]
    while len(kept) > 1 and kept[-1].lower().strip(",;:") in ("the", "a", "an", "and", "of", "to", "with", "in", "my"):
        kept.pop()
    text = " ".join(kept).rstrip(",;:.!?") + rng.choice([".", ".", "!", "..."])
    return Edit("cut-to-fraction", {slot: replace_message(conv, i, text)}, message_index=i,
                note=f"{keep}/{len(ws)} words: {text[:50]}")
