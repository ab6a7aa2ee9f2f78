"""Injections across entries: repetition and contradiction.

These add entries (a near-duplicate copy, a contradicting copy) or tie two entries together
(a reply reused verbatim, a catchphrase in many replies). The untouched original of a pair is
an *anchor*: it is legitimately flagged with the pair, so it is neither clean nor a miss.
"""

from __future__ import annotations

import re
from dataclasses import replace

from threadsmith.model import Conversation

from bench.quality import pools, textops
from bench.quality.edits import Context, Edit
from bench.quality.textops import message, replace_message


def _copy(ctx: Context, conv: Conversation, messages) -> Conversation:
    return replace(conv, id=ctx.new_id(conv), messages=tuple(messages), id_assigned=False)


# --------------------------------------------------------------------------- repetition


def _small_edits(text: str, rng, count: int) -> str:
    text, done = textops.swap_words(text, pools.SYNONYMS, rng, count)
    for _ in range(count - done):
        ws = text.split(" ")
        if len(ws) < 6:
            break
        k = rng.randrange(1, len(ws) - 1)
        op = rng.choice(["drop", "punct", "dup-space", "case"])
        if op == "drop" and ws[k].isalpha():
            del ws[k]
        elif op == "punct":
            ws[k] = ws[k].rstrip(",") + ","
        elif op == "case":
            ws[k] = ws[k].lower() if ws[k][:1].isupper() else ws[k].capitalize()
        else:
            ws[k] = ws[k] + " really"
        text = " ".join(ws)
    return text


def near_duplicate(ctx: Context, slot: int) -> Edit | None:
    conv, rng = ctx.base[slot], ctx.rng
    replies = textops.assistant_indices(conv)
    if not replies or sum(len(conv.messages[i].text.split()) for i in replies) < 15:
        return None
    msgs = list(conv.messages)
    for i in rng.sample(replies, max(1, len(replies) // rng.choice([1, 2]))):
        msgs[i] = msgs[i].with_text(_small_edits(msgs[i].text, rng, rng.randint(1, 4)))
    users = [i for i, m in enumerate(msgs) if m.role == "user" and len(m.text.split()) > 4]
    if users and rng.random() < 0.3:
        u = rng.choice(users)
        msgs[u] = msgs[u].with_text(_small_edits(msgs[u].text, rng, 1))
    if msgs == list(conv.messages):
        return None
    return Edit("near-duplicate", added=[_copy(ctx, conv, msgs)], anchors=[slot], note=f"copy of {conv.id}")


def exact_duplicate(ctx: Context, slot: int) -> Edit | None:
    conv = ctx.base[slot]
    return Edit("exact-duplicate", added=[_copy(ctx, conv, conv.messages)], anchors=[slot], note=f"copy of {conv.id}")


def reused_turn(ctx: Context, slot: int) -> Edit | None:
    conv, rng = ctx.base[slot], ctx.rng
    targets = textops.assistant_indices(conv)
    donor = ctx.pick_free({slot})
    if not targets or donor is None:
        return None
    donor_replies = [i for i in textops.assistant_indices(ctx.base[donor]) if len(ctx.base[donor].messages[i].text.split()) >= 8]
    if not donor_replies:
        return None
    d = rng.choice(donor_replies)
    i = rng.choice(targets)
    text = ctx.base[donor].messages[d].text
    return Edit("reused-turn", {slot: replace_message(conv, i, text)}, anchors=[donor], message_index=i,
                note=f"turn {d} of {ctx.base[donor].id}")


def catchphrase(ctx: Context, share: float) -> Edit | None:
    """One over-used catchphrase put into ``share`` of the free entries, at one position style."""
    rng = ctx.rng
    where = rng.choices(["opener", "closer", "middle"], [5, 3, 2])[0]
    phrase = rng.choice(pools.CATCHPHRASE_CLOSERS if where == "closer" else pools.CATCHPHRASES)
    carriers = [s for s in sorted(ctx.free) if textops.assistant_indices(ctx.base[s], answered=True)]
    count = min(len(carriers), max(4, round(share * ctx.profile.size)))
    if count < 4:
        return None
    changed: dict[int, Conversation] = {}
    for s in rng.sample(carriers, count):
        conv = ctx.base[s]
        i = rng.choice(textops.assistant_indices(conv, answered=True))
        text = conv.messages[i].text
        if where == "opener":
            text = phrase + text[:1].lower() + text[1:] if rng.random() < 0.5 else phrase + text
        elif where == "closer":
            text = text.rstrip() + phrase
        else:
            text = textops.insert_at_boundary(text, phrase.strip(), rng)
        changed[s] = replace_message(conv, i, text)
    return Edit(f"catchphrase-{where}", changed, note=f"{phrase.strip()!r} in {count} entries")


# --------------------------------------------------------------------------- contradiction


def _context_prefix(conv: Conversation, rng) -> tuple[list, int] | None:
    answered = textops.assistant_indices(conv, answered=True)
    if not answered:
        return None
    # the last answered turn most of the time: the full context, as a paired record would have it
    i = answered[-1] if rng.random() < 0.7 else rng.choice(answered)
    return list(conv.messages[:i]), i


def other_answer(ctx: Context, slot: int) -> Edit | None:
    """The same context answered with a different, plausible reply (from the reserve, never in the set)."""
    conv, rng = ctx.base[slot], ctx.rng
    found = _context_prefix(conv, rng)
    if found is None or not ctx.reserve:
        return None
    context, i = found
    question = {w.lower() for w in textops.words(context[-1].text)}
    unused = [c for c in ctx.reserve if c.id not in ctx.used_donors] or list(ctx.reserve)
    pool = rng.sample(unused, min(60, len(unused)))
    donor = max(pool, key=lambda c: len(question & {w.lower() for m in c.messages if m.role == "user" for w in textops.words(m.text)}))
    replies = textops.assistant_indices(donor, answered=True) or textops.assistant_indices(donor)
    if not replies:
        return None
    answer = donor.messages[rng.choice(replies)].text
    if answer.strip() == conv.messages[i].text.strip():
        return None
    ctx.used_donors.add(donor.id)  # two copies answering with one donor reply would share a verbatim turn
    copy = _copy(ctx, conv, [*context, message("assistant", answer)])
    return Edit("different-answer", added=[copy], anchors=[slot], message_index=i, note=f"answer from {donor.id}")


def flipped_answer(ctx: Context, slot: int) -> Edit | None:
    """The same context answered with the original reply's claims reversed (negations, numbers, antonyms)."""
    conv, rng = ctx.base[slot], ctx.rng
    found = _context_prefix(conv, rng)
    if found is None:
        return None
    context, i = found
    text = " " + conv.messages[i].text
    flips = rng.sample(pools.FLIPS, len(pools.FLIPS))
    made = 0
    for src, dst in flips:
        if made >= 4:
            break
        if src in text:
            text = text.replace(src, dst)
            made += 1
    numbers = list(re.finditer(r"\b\d+\b", text))
    for m in rng.sample(numbers, min(2, len(numbers)))[::-1]:
        n = int(m.group())
        changed = n + rng.randint(3, 40) if n >= 100 else n * rng.choice([2, 3]) + rng.randint(1, 5)
        text = text[:m.start()] + str(changed) + text[m.end():]
        made += 1
    if made < 2:
        return None
    text = text.strip()
    if rng.random() < 0.35:
        text = rng.choice(pools.VERDICT_OPENERS) + " " + text
    copy = _copy(ctx, conv, [*context, message("assistant", text)])
    return Edit("flipped-answer", added=[copy], anchors=[slot], message_index=i, note=f"{made} flips")
