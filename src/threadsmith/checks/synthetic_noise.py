"""Synthetic-noise checks (SN): AI self-talk and refusals, and what the family's modules share.

Truncated replies and loops are in :mod:`threadsmith.checks.generations`, placeholders and
scrape artifacts in :mod:`threadsmith.checks.artifacts`, stock phrases in
:mod:`threadsmith.checks.slop` (same family). Phrases are matched on the words of
:func:`~threadsmith.checks.text.view` through anchor words (:class:`WordPhrases`): one set
intersection per message (:func:`present`), cached for the conversation being checked, and a
check whose anchors occur nowhere in the conversation (:func:`anywhere`), or in no assistant
turn when it reads only those (:func:`in_replies`), stops there.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, ClassVar

from threadsmith.checks.base import Check, ConversationCheck, Hit
from threadsmith.checks.profile import CheckContext
from threadsmith.checks.registry import register
from threadsmith.checks.text import MessageView, WordPhrases, view
from threadsmith.model import Conversation, Family, Severity


class KindSeverity(Check):
    """Mixin: the severity depends on the dataset kind (``severity_by_kind``; else ``severity``)."""

    severity_by_kind: ClassVar[Mapping[str, Severity]] = {}

    def __init__(self, options: Mapping[str, Any] | None = None, context: CheckContext | None = None) -> None:
        super().__init__(options, context)
        self.severity = self.severity_by_kind.get(self.context.kind, type(self).severity)  # type: ignore[misc]


def quote(text: str, limit: int = 60) -> str:
    """A short one-line excerpt for a finding message."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# --- AI self-talk and refusals ----------------------------------------------------------------

#: The reply speaks as an AI model. Not reported when the prompt casts the assistant as an AI.
_AI_SELF = WordPhrases([
    "as an ai language model", "as a large| language model", "as an ai model|chatbot|assistant",
    "as an ^artificial intelligence", "as an ai i|i'm|it", "as an ai developed|created|trained",
    "i_am|i'm an ai", "i_am|i'm an ai language_model|model|chatbot|developed|created|trained",
    "i_am|i'm a large| language model", "i_am|i'm just|only|merely an ai|a_language_model|a_computer_program",
    "being an ai|a_language_model",
    "i don't|do_not have personal opinions|feelings|emotions|experiences|beliefs|preferences",
    "i don't|do_not have a physical body|form", "i don't|do_not have the ability to ^browse",
    "i don't|do_not have access to real_time|the_internet|current_events",
    "i can't|cannot|am_unable_to|am_not_able_to browse the internet|web",
    "my knowledge cutoff|cut_off", "as of my last|latest knowledge|training| ^update|cutoff", "my last training update",
    "my training data", "i was trained on data|a_large_dataset|large_amounts|vast_amounts",
])
#: Vendor boilerplate: always reported.
_AI_VENDOR = WordPhrases([
    "developed|created|trained|made|built by openai|anthropic", "i_am|i'm chatgpt|gpt_4|gpt_3",
    "as chatgpt i|i'm", "i_am|i'm a language model trained|developed|created",
])
_AI_ROLE = r"(?:[\w-]+\s+){0,3}?(?:ai|a\.i\.|artificial intelligence|language model|robot|android|chatbot|machine)\b"
#: "Pretend you are an AI ...", "Role play as a robot ..."; "You are a helpful AI assistant" casts nobody.
_CASTS_AI = re.compile(
    r"\b(?:role[ -]?play|play|playing|pretend|imagine|assume|suppose|act|become|be)(?: to be| as| you are| you're)?"
    rf"\s+(?:an?|the)\s+{_AI_ROLE}|\b(?:you are|you're|as)\s+(?:an?|the)\s+{_AI_ROLE}(?!\s+(?:[\w-]+\s+)?assistant\b)"
)
#: Refusal heads; what follows decides (see :func:`_refusal`).
_REFUSAL_HEADS = WordPhrases([
    "i can't|cannot", "i'm|i_am unable to", "i'm|i_am not able to", "i won't be able to", "i won't",
    "i must|have_to decline to", "i'm|i_am not comfortable", "i don't|do_not feel comfortable",
    "i'm|i_am not ^allowed|permitted to",
])
_REFUSAL_PHRASES = WordPhrases([
    "openai's content|usage policy|policies|guidelines",
    "violates|violate my|openai's|the content|usage policy|policies",
    "against my|openai's content|usage policy|policies|guidelines", "against my guidelines|programming",
    "my guidelines don't|do_not allow|permit", "it is|it's not appropriate for me to",
    "it would be inappropriate for me to", "it wouldn't be appropriate for me to", "i must respectfully decline",
    "i'm|i_am not programmed to",
    "i'd|i_would ^prefer|rather not to| continue|engage|write|generate|create|produce|participate|go|proceed",
])
_STRONG_VERBS = frozenset({"assist", "fulfill", "fulfil", "comply"})
_WEAK_VERBS = frozenset({"help", "provide", "generate", "create", "produce", "write", "engage", "continue",
                         "participate", "answer", "share", "discuss", "give", "offer", "complete", "support",
                         "describe", "depict", "portray", "roleplay", "take", "talk", "go"})
#: Verbs a model refuses with and a character seldom does ("Sorry, I can't produce that").
_MODEL_VERBS = frozenset({"help", "generate", "produce", "create", "write", "provide", "depict", "portray",
                          "describe", "roleplay", "engage", "participate"})
#: Objects that make "I can't <verb> ..." a model refusal even in a story ("... explicit content").
_AI_OBJECTS = frozenset({"request", "requests", "content", "explicit", "sexual", "nsfw", "graphic", "harmful",
                         "illegal", "unethical", "inappropriate", "offensive", "roleplay", "rp", "conversation",
                         "response", "prompt", "ethical", "guidelines", "policy", "policies"})
#: A model's way out after refusing: "Is there anything else I can help you with?"
_DEFLECTIONS = WordPhrases([
    "anything else i can help|do|assist", "anything else you'd|you_would like", "something else i can help|assist",
    "a different topic|subject|request", "another topic|subject|request", "talk|chat about something else",
    "help|assist with something|anything else",
])
#: Objects that do so outside roleplay (a character may refuse "information" in the story).
_WEAK_OBJECTS = frozenset({"violent", "information", "assistance", "real", "opinions", "personal", "scenario",
                           "topic", "type", "kind", "such", "discussion", "story"})
_POINTED = {"help": (("with", "that"), ("with", "this")), "assist": (("with", "that"), ("with", "this"))}
_DEMONSTRATIVES = (("that",), ("this",))
_SORRY = frozenset({"sorry", "apologize", "apologise", "apologies", "unfortunately", "afraid", "regret"})
_EMPTY: frozenset[str] = frozenset()
_anchor_sets: list[frozenset[str]] = []
_anchors: frozenset[str] = frozenset()

# --- The family's scan of a conversation --------------------------------------------------------
# Computed once per conversation (like view()), in one flat loop: the shared anchor words of each
# message (one set intersection per message), all of them together, and the assistant messages'
# indexes, views and anchor words together. A tuple: (conversation, found, union, indexes, views,
# union of the assistant messages).

_Scan = tuple[Conversation | None, tuple[frozenset[str], ...], frozenset[str], tuple[int, ...],
              tuple[MessageView, ...], frozenset[str]]
_NO_SCAN: _Scan = (None, (), _EMPTY, (), (), _EMPTY)
_last_scan = _NO_SCAN


def share_anchors(anchors: frozenset[str]) -> None:
    """Add words to the family's per-message scan (each module calls it once, at import)."""
    global _anchors, _last_scan
    _anchor_sets.append(anchors)
    _anchors = frozenset().union(*_anchor_sets)
    _last_scan = _NO_SCAN


def _scan(conversation: Conversation) -> _Scan:
    global _last_scan
    if _last_scan[0] is not conversation:
        found, indexes, replies, answered = [], [], [], []
        intersection = _anchors.intersection
        for i, v in enumerate(view(conversation)):
            words = intersection(v[3])
            found.append(words)
            if v[0] == "assistant":
                indexes.append(i)
                replies.append(v)
                answered.append(words)
        _last_scan = (conversation, tuple(found), _EMPTY.union(*found), tuple(indexes), tuple(replies),
                      _EMPTY.union(*answered))
    return _last_scan


def present(conversation: Conversation) -> tuple[frozenset[str], ...]:
    """The shared anchor words found in each message (every role): one set intersection per
    message serves every phrase check of the family (cached per conversation)."""
    scan = _last_scan
    return (scan if scan[0] is conversation else _scan(conversation))[1]


def anywhere(conversation: Conversation) -> frozenset[str]:
    """Every shared anchor word found in the conversation: a check whose words are not there
    has nothing to look for in any message."""
    scan = _last_scan
    return (scan if scan[0] is conversation else _scan(conversation))[2]


def in_replies(conversation: Conversation) -> frozenset[str]:
    """The shared anchor words found in the assistant messages: a check that reads only those
    has nothing to look for when its words are not there (a system prompt may well name an
    "assistant")."""
    scan = _last_scan
    return (scan if scan[0] is conversation else _scan(conversation))[5]


def replies(conversation: Conversation) -> tuple[tuple[int, ...], tuple[MessageView, ...]]:
    """The indexes and the views of the assistant messages (cached per conversation)."""
    scan = _last_scan
    if scan[0] is not conversation:
        scan = _scan(conversation)
    return scan[3], scan[4]


share_anchors(_AI_SELF.anchors | _AI_VENDOR.anchors | _REFUSAL_HEADS.anchors | _REFUSAL_PHRASES.anchors
              | _DEFLECTIONS.anchors)
_DISCLAIMER_ANCHORS = _AI_SELF.anchors | _AI_VENDOR.anchors
_REFUSAL_ANCHORS = _REFUSAL_HEADS.anchors | _REFUSAL_PHRASES.anchors


def _casts_ai(conversation: Conversation) -> bool:
    """True when a system or user turn casts the assistant as an AI, robot or machine character."""
    return any(_CASTS_AI.search(v.folded) for v in view(conversation) if v.role in ("system", "user"))


def _refusal(tokens: tuple[str, ...], found: frozenset[str], strict: bool) -> tuple[int, int] | None:
    """(start, end) of a refusal ("I can't assist with that"), or None. ``strict`` (roleplay)
    asks for a model-ish object ("explicit content", "this roleplay"), an apology or a
    deflection ("anything else I can help with?"), since characters refuse things in the story."""
    for _, start, end in _REFUSAL_PHRASES.find(tokens, found):
        return start, end
    heads = _REFUSAL_HEADS.find(tokens, found)
    if not heads:
        return None
    deflects = bool(_DEFLECTIONS.find(tokens, found))
    for _, start, end in heads:
        window = tokens[end:end + 10]
        sorry = not _SORRY.isdisjoint(tokens[max(0, start - 5):start])
        declining = tokens[end - 2] in ("decline", "allowed", "permitted")
        for j, word in enumerate(window[:3]):
            if word in _STRONG_VERBS:
                return start, end + j + 1
            if (word not in _WEAK_VERBS and word != "do") or window[j + 1:j + 2] == ("but",):
                continue  # "I can't help but smile"
            after = window[j + 1:j + 7]
            model_ish = not _AI_OBJECTS.isdisjoint(after) and word != "do"
            weak = not _WEAK_OBJECTS.isdisjoint(after)
            pointed = any(after[k:k + len(d)] == d for d in _POINTED.get(word, _DEMONSTRATIVES) for k in range(3))
            if model_ish or deflects or (declining and word != "do") or (weak and (sorry or not strict)) or (
                    pointed and (sorry or not strict) and (word in _MODEL_VERBS or not strict)):
                return start, end + j + 1 + min(len(after), 3)
    return None


@register
class AiDisclaimer(KindSeverity, ConversationCheck):
    """An assistant turn speaks as an AI model ("As an AI language model, I ...").

    What it does:
        Finds AI self-talk in assistant turns: "as an AI language model", "I don't have personal
        opinions", "my knowledge cutoff", "developed by OpenAI" and the like (about fifty
        variants, straight or curly apostrophes). When a system or user turn casts the assistant
        as an AI, robot or machine character ("Pretend you are an AI from 2100"), only vendor
        boilerplate ("trained by OpenAI", "I'm ChatGPT") is reported. Severity: warning; error
        in roleplay datasets, where a character never says this.
    Why it matters:
        Fine-tuning copies the habit: the model learns to break character and hedge with
        disclaimers, and vendor lines teach it another model's identity.
    Example:
        assistant: "As an AI language model, I don't have feelings, but the knight bows."
    Fix:
        None automatic: rewrite the reply without the disclaimer, or drop the example.
    """

    code = "SN001"
    name = "ai-disclaimer"
    family = Family.SYNTHETIC_NOISE
    severity = Severity.WARNING
    severity_by_kind = {"roleplay": Severity.ERROR}

    def check(self, conversation: Conversation) -> Iterable[Hit]:
        if _DISCLAIMER_ANCHORS.isdisjoint(in_replies(conversation)):
            return ()
        return list(self._hits(conversation))

    def _hits(self, conversation: Conversation) -> Iterator[Hit]:
        cast: bool | None = None
        views = view(conversation)
        for i, found in enumerate(present(conversation)):
            if found.isdisjoint(_DISCLAIMER_ANCHORS) or views[i].role != "assistant":
                continue
            tokens = views[i].words
            matches = _AI_VENDOR.find(tokens, found)
            if not matches and _AI_SELF.find(tokens, found):
                cast = _casts_ai(conversation) if cast is None else cast
                matches = [] if cast else _AI_SELF.find(tokens, found)
            if matches:
                _, start, end = matches[0]
                yield Hit(i, f"assistant message {i} speaks as an AI model: '{quote(' '.join(tokens[start:end]))}'")


@register
class Refusal(KindSeverity, ConversationCheck):
    """An assistant turn is a model refusal ("I'm sorry, but I can't assist with that").

    What it does:
        Finds refusal formulas in assistant turns: a refusal head ("I can't", "I'm unable to",
        "I won't be able to") followed by assist / fulfill / comply, or by a verb such as
        provide / create / continue with an AI-ish object ("that request", "explicit content") or
        with a deflection in the same turn ("Is there anything else I can help with?"); and
        policy talk ("against my guidelines", "OpenAI's content policy"). In roleplay data the
        weak forms need an apology, a model-ish object or a deflection, since characters refuse
        things in the story.
        Severity by dataset kind: error in roleplay (a character never refuses like a model),
        warning in instruction data, info in assistant data (a refusal can be the right answer).
    Why it matters:
        Refusals in the training targets teach the model to refuse; a few of them make it
        refuse harmless requests and break character in roleplay.
    Example:
        assistant: "I'm sorry, but I can't continue this roleplay."
    Fix:
        None automatic: replace the reply with a real answer, or drop the example.
    """

    code = "SN002"
    name = "refusal"
    family = Family.SYNTHETIC_NOISE
    severity = Severity.WARNING
    severity_by_kind = {"roleplay": Severity.ERROR, "assistant": Severity.INFO}

    def check(self, conversation: Conversation) -> Iterable[Hit]:
        if _REFUSAL_ANCHORS.isdisjoint(in_replies(conversation)):
            return ()
        return list(self._hits(conversation))

    def _hits(self, conversation: Conversation) -> Iterator[Hit]:
        strict = self.context.kind == "roleplay"
        views = view(conversation)
        for i, found in enumerate(present(conversation)):
            if found.isdisjoint(_REFUSAL_ANCHORS) or views[i].role != "assistant":
                continue
            tokens = views[i].words
            span = _refusal(tokens, found, strict)
            if span is not None:
                yield Hit(i, f"assistant message {i} is a refusal: '{quote(' '.join(tokens[span[0]:span[1]]))}'")
