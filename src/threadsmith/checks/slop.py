"""Synthetic-noise checks (SN) about stock phrases of synthetic generators ("slop").

The list below is this project's own: clichés that text generators overuse, written as
:func:`~threadsmith.checks.text.phrase_variants` patterns. A rate is hits per 1,000 words of
assistant text; an entry is flagged far above the threshold, and the dataset gets one finding
with its overall rate and most frequent phrases.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from operator import itemgetter
from typing import Any

from threadsmith.checks.base import ConversationCheck, DatasetCheck, DatasetHit, EntryRef, Hit
from threadsmith.checks.profile import CheckContext
from threadsmith.checks.registry import register
from threadsmith.checks.synthetic_noise import in_replies, present, replies, share_anchors
from threadsmith.checks.text import COMMON_WORDS, WordPhrases, phrase_variants
from threadsmith.model import Conversation, Family, Severity

_PRONOUN = "her|his|my|your|their|our"
STOCK_PHRASES = WordPhrases([
    # Narration and roleplay clichés.
    "time seemed to stand still|slow|freeze", "time stood still", "the silence was deafening", "deafening silence",
    "hearts beat|beating|beats as one", "shiver|shivers|chill|chills ran|run|running|went|crept|raced down|up",
    "the stakes had_never_been|were_never|couldn't_be|could_not_be higher", "fate had other plans",
    f"smile|smirk|grin played|playing|tugged|tugging|danced on|at {_PRONOUN}| lips|corners",
    "world seemed to| hold|held its breath", "the possibilities were|are endless", "only the beginning",
    "as old as time", "bittersweet", "something shifted between|inside|within", "bloomed|blossomed within|inside",
    "swirled|swirling within|inside", "unbreakable bond", "against all odds", "felt like an eternity",
    "unshed tears", "hung|hangs|hanging heavy in the air", "the calm before the storm", "skipped a beat",
    f"knot formed|tightened in {_PRONOUN} stomach|chest", "one thing was|is certain", "in the blink of an eye",
    "a force to be reckoned with", "tears streaming|streamed down", "rooted to the spot", "the rest is history",
    "eyes widened in surprise|shock|disbelief|realization", "a glimmer of hope", "journey had just|only_just begun",
    "the journey began|begins", "would never be the same", "heart swelled", "a pregnant pause",
    f"every fiber of {_PRONOUN} being", "unbeknownst to",
    "testament to", "send|sends|sent|sending a| shiver|shivers|chill|chills down|up",
    f"shiver|shivers|chill|chills down|up {_PRONOUN} spine", "barely above a whisper", "voice barely a whisper",
    "a mischievous glint|grin|twinkle", f"glint|twinkle in {_PRONOUN} eye|eyes",
    "eyes sparkling|glinting|twinkling|gleaming with", "a sly grin|smile|smirk", "a knowing smile|look|glance|smirk",
    f"the weight of {_PRONOUN} words|gaze|decision|choices", "weight of the world", "a flicker of",
    "jolt of electricity", f"heart ^pounding|racing|hammering in|against {_PRONOUN} chest",
    f"breath hitches|hitched|catches|caught in {_PRONOUN} throat", "breath hitching|hitches|hitched",
    "couldn't help but", "little did he|she|they|i know", "maybe just maybe",
    "the air was|is|grew thick|heavy|charged with", "an unspoken understanding|promise|bond",
    "the ball is in your court", "a reassuring|comforting squeeze|smile", "with a newfound",
    "newfound sense|determination|appreciation|resolve|confidence", "steely determination|resolve",
    "a ^rollercoaster|roller_coaster of emotions", "a ^mix|mixture of emotions|excitement|fear|curiosity|awe",
    "ministrations", "dipped|dipping|sinks|sank below the horizon", "painting|painted the sky", "an air of mystery",
    "a symphony of", "a dance of", "an intricate dance", "a kaleidoscope of", "a cacophony of", "a tapestry of",
    "rich|vibrant tapestry", "tapestry", "palpable", "whimsical", "enigmatic", "ethereal", "indomitable",
    "unwavering", "unyielding", "boundless", "mesmerizing|mesmerising", "awe inspiring", "breathtaking",
    "captivating", "bustling", "nestled", "a stark reminder|contrast",
    "serves|served as a reminder|testament", "a beacon of", "a treasure trove of", "a plethora of", "a myriad of",
    "a ^harmonious blend|balance", "a perfect blend of", "^delicate balance", "only time will tell",
    "embark|embarks|embarked|embarking on", "embrace the unknown|journey|challenge|future",
    "pave|paves|paved|paving the way", "resonate|resonates|resonated with", "indelible mark",
    "a ^profound impact|sense|connection|understanding", "forge|forged|forging a path|bond", "the realm of",
    "realm of possibility|possibilities", "ever evolving|changing landscape|world",
    # Explainer and assistant clichés.
    "delve|delves|delved|delving into|deeper", "let's dive in|into|deeper", "dive deep|deeper into",
    "it's|it_is important to note|remember|consider", "it's|it_is worth noting", "it's|it_is crucial to",
    "in conclusion", "^navigate|navigating the complexities|intricacies|challenges", "the intricacies of",
    "an ^intricate web|balance|interplay", "multifaceted", "holistic approach", "a crucial|pivotal|vital role",
    "foster|fosters|fostering a sense of", "camaraderie", "harness|harnessing the power of",
    "^unlock|unlocking the|your full| potential", "elevate|elevates your", "game changer", "seamless|seamlessly",
    "in today's fast paced|digital world|landscape|age", "in this day and age", "at the end of the day",
    "without further ^ado", "buckle up", "^strike|striking a balance", "finds you well", "hope this helps",
    "feel free to ask|reach_out|let_me_know", "don't|do_not hesitate to ask|reach_out", "happy to help",
    "great question", "certainly here's|here_is", "tirelessly", "meticulously|meticulous",
])

#: anchor -> the word sets one of which a message must hold besides it (None: none needed)
_Requirements = dict[str, tuple[frozenset[str], ...] | None]


def _needs(variant: tuple[str, ...], anchor: str) -> frozenset[str]:
    """The words besides the anchor that a variant cannot match without: its uncommon ones, or
    failing those its words of four letters or more."""
    others = [w for w in variant if w != anchor]
    return frozenset([w for w in others if w not in COMMON_WORDS] or [w for w in others if len(w) >= 4])


def _requirements(table: WordPhrases) -> _Requirements:
    """For each anchor, the word sets one of which a message must hold for any of its variants to
    match (None: the anchor alone may match). The shared scan finds these words too, so a common
    anchor ("old" of "as old as time") costs nothing in a message without its partners."""
    out: _Requirements = {}
    for anchor, variants in table.variants_by_anchor().items():
        needs = {_needs(variant, anchor) for variant in variants}
        out[anchor] = None if frozenset() in needs else tuple(n for n in needs if not any(m < n for m in needs))
    return out


_REQUIREMENTS = _requirements(STOCK_PHRASES)


def _by_pivot(requirements: _Requirements) -> dict[str, list[tuple[str, frozenset[str]]]]:
    """(anchor, every word it needs) pairs indexed by a pivot: the rarest-looking of those words."""
    out: dict[str, list[tuple[str, frozenset[str]]]] = {}
    for anchor, needs in requirements.items():
        for need in needs or ():
            words = need | {anchor}
            pivot = max(sorted(words), key=lambda w: (w not in COMMON_WORDS, len(w)))
            out.setdefault(pivot, []).append((anchor, words))
    return out


#: Anchors that may match alone, and the others' word sets by pivot.
_LONE = frozenset(anchor for anchor, needs in _REQUIREMENTS.items() if needs is None)
_PIVOTS = _by_pivot(_REQUIREMENTS)
_PIVOT_WORDS = frozenset(_PIVOTS)
share_anchors(STOCK_PHRASES.anchors.union(*(need for needs in _REQUIREMENTS.values() for need in needs or ())))


def _candidates(found: frozenset[str]) -> frozenset[str]:
    """The stock-phrase anchors among scanned words (of a message, or of a whole conversation)
    whose partner words are there too: only their variants can match."""
    lone = _LONE & found
    pivots = _PIVOT_WORDS & found
    if pivots:
        paired = [anchor for pivot in pivots for anchor, words in _PIVOTS[pivot] if words <= found]
        if paired:
            return lone.union(paired)
    return lone


def _partnered(possible: frozenset[str], found: frozenset[str]) -> list[str]:
    """The anchors of ``possible`` (candidates of the whole conversation) that one message's scanned
    words hold with their partner words: :func:`_candidates` of the message, from fewer anchors."""
    out = []
    for anchor in possible.intersection(found):
        needs = _REQUIREMENTS[anchor]
        if needs is None or any(need <= found for need in needs):
            out.append(anchor)
    return out


#: A single word ("tapestry") is weaker evidence than a stock phrase ("time seemed to stand still").
WEIGHTS = tuple(0.5 if all(len(v) == 1 for v in phrase_variants(p)) else 1.0 for p in STOCK_PHRASES.patterns)


def phrase_label(pattern_id: int) -> str:
    """A readable form of a stock-phrase pattern: the first alternative of each slot."""
    pattern = STOCK_PHRASES.patterns[pattern_id]
    slots = (next((alt for alt in slot.lstrip("^").split("|") if alt), "") for slot in pattern.split())
    return " ".join(s.replace("_", " ") for s in slots if s)


_WORDS = itemgetter(3)  # MessageView.words
_last: tuple[Conversation | None, tuple[int, tuple[int, ...], int | None]] = (None, (0, (), None))


def _without_overlaps(matches: list[tuple[int, int, int]]) -> list[int]:
    """Pattern ids of the matches, counting text that several patterns cover once (longest wins)."""
    kept, reach = [], -1
    for pattern_id, start, end in sorted(matches, key=lambda m: (m[1], -m[2])):
        if start >= reach:
            kept.append(pattern_id)
            reach = end
    return kept


def stock_phrase_hits(conversation: Conversation) -> tuple[int, tuple[int, ...], int | None]:
    """(assistant words, stock-phrase pattern ids hit, index of the message with most hits),
    cached for the conversation being checked."""
    global _last
    if _last[0] is conversation:
        return _last[1]
    indexes, views = replies(conversation)
    total = sum(map(len, map(_WORDS, views)))
    hits: list[int] = []
    busiest, most = None, 0
    possible = _candidates(in_replies(conversation))  # what one reply may match, it needs in all the replies
    if possible:
        found_in = present(conversation)
        for i, v in zip(indexes, views):
            if not possible.isdisjoint(found_in[i]):
                candidates = _partnered(possible, found_in[i])  # the partners may be in other replies
                if not candidates:
                    continue
                matched = _without_overlaps(STOCK_PHRASES.find(v.words, candidates))
                hits += matched
                if len(matched) > most:
                    busiest, most = i, len(matched)
    result = (total, tuple(hits), busiest)
    _last = (conversation, result)
    return result


def _top(counts: Counter[int], n: int) -> str:
    return ", ".join(f"'{phrase_label(p)}' ({c})" for p, c in counts.most_common(n))


@register
class StockPhrases(ConversationCheck):
    """An entry's assistant turns are dense with stock phrases of synthetic text ("slop").

    What it does:
        Counts about 150 stock phrases that text generators overuse ("a testament to",
        "sends shivers down", "barely above a whisper", "time seemed to stand still", "delve
        into", "it's important to note" ...) in the assistant turns, as whole words, and reports
        entries that score at least ``min_hits`` and at least ``max_rate`` per 1,000 words: a
        phrase scores 1, a single word ("tapestry", "palpable") 0.5, since single words also
        turn up in plain writing. The list is this project's own; see the dataset-level rate in
        SN010.
    Why it matters:
        Fine-tuning amplifies what it sees most: a dataset of purple, formulaic prose makes a
        model that writes every reply with the same handful of clichés.
    Example:
        assistant: "Her voice, barely above a whisper, sent shivers down his spine; the
        tapestry of the night was a testament to their unspoken bond."
    Fix:
        None automatic: rewrite the reply in plainer words, or lower the share of such entries.
    """

    code = "SN009"
    name = "stock-phrases"
    family = Family.SYNTHETIC_NOISE
    severity = Severity.INFO
    defaults = {"min_hits": 3, "max_rate": 8.0}

    def check(self, conversation: Conversation) -> Iterable[Hit]:
        total, hits, busiest = stock_phrase_hits(conversation)
        if not hits:
            return ()
        score = sum(WEIGHTS[p] for p in hits)
        if score < self.options["min_hits"] or not total:
            return ()
        rate = 1000 * score / total
        if rate < self.options["max_rate"]:
            return ()
        where = f"assistant message {busiest} (and the other replies) use"
        if len(replies(conversation)[0]) == 1:
            where = f"assistant message {busiest} uses"
        top = _top(Counter(hits), 4)
        return [Hit(busiest, f"{where} {len(hits)} stock phrases ({rate:.0f} per 1,000 words): {top}")]


@register
class DatasetStockPhrases(DatasetCheck):
    """The dataset's assistant turns use stock phrases of synthetic text at a high rate.

    What it does:
        Adds up the stock phrases of SN009 over every assistant turn of the dataset and,
        when there are at least ``min_words`` assistant words and the rate is at least
        ``max_rate`` per 1,000 words, reports the rate, the share of entries that use any, and
        the most frequent phrases (one dataset-level finding).
    Why it matters:
        One cliché per reply is invisible in a single example and dominant across ten thousand:
        the model learns it as the house style. The rate compares datasets and shows whether a
        cleanup worked.
    Example:
        Every reply in a GPT-generated roleplay set "delves into" a "tapestry" of emotions.
    Fix:
        None automatic: rewrite or filter the worst entries (SN009 lists them), or mix in
        human-written data.
    """

    code = "SN010"
    name = "dataset-stock-phrases"
    family = Family.SYNTHETIC_NOISE
    severity = Severity.WARNING
    defaults = {"max_rate": 2.0, "min_words": 2000, "top": 8}

    def __init__(self, options: Mapping[str, Any] | None = None, context: CheckContext | None = None) -> None:
        super().__init__(options, context)
        self._words = self._entries = self._with_hits = 0
        self._counts: Counter[int] = Counter()

    def summarize(self, conversation: Conversation) -> int | tuple[int, tuple[int, ...]]:
        """The entry's assistant words, with the stock-phrase ids it uses when there are any."""
        total, hits, _ = stock_phrase_hits(conversation)
        return (total, hits) if hits else total

    def observe(self, summary: int | tuple[int, tuple[int, ...]], ref: EntryRef) -> None:
        self._entries += 1
        if summary.__class__ is int:
            self._words += summary
            return
        total, hits = summary
        self._words += total
        self._with_hits += 1
        self._counts.update(hits)

    def finish(self) -> Iterator[DatasetHit]:
        hits = sum(self._counts.values())
        if self._words < self.options["min_words"] or not hits:
            return
        rate = 1000 * hits / self._words
        if rate >= self.options["max_rate"]:
            share = 100 * self._with_hits / self._entries
            yield DatasetHit(None, f"assistant turns use stock phrases of synthetic text at {rate:.1f} per 1,000 words "
                                   f"({share:.0f}% of entries use at least one); most frequent: "
                                   f"{_top(self._counts, self.options['top'])}")
