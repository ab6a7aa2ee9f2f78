"""Role-confusion checks (RC): turn leakage, leaked template tokens, speaking for the user, swapped roles.

This module holds the checks that read speaker labels (RC001, RC002). It imports, and so
registers, the others: :mod:`threadsmith.checks.role_tokens` (RC003, template tokens),
:mod:`threadsmith.checks.role_voice` (RC004, and the helpers the RC modules share) and
:mod:`threadsmith.checks.role_swap` (RC005). They read only the messages that
:func:`threadsmith.checks.turn_scan.scan` lists for them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import NamedTuple

from threadsmith.checks.base import ConversationCheck, Hit
from threadsmith.checks.registry import register
from threadsmith.checks.role_tokens import in_spans
from threadsmith.checks.role_voice import code_spans, excerpt, persona_names
from threadsmith.checks.turn_scan import scan
from threadsmith.model import Conversation, Family, FixSafety, Message, Severity

# --- speaker labels ------------------------------------------------------------------------

_NAME = r"[A-Za-z][\w'’.-]{0,24}(?:[ \t][A-Z][\w'’.-]{0,24}){0,2}"
_TAG = r"\{\{(?:user|char)\}\}|<(?:user|char|bot)>|\[(?:user|assistant)\]"
#: A speaker label: ``User:``, ``**Human:**``, ``### Instruction:``, ``{{user}}:``, ``Anna Lee:``, ``[Player]``,
#: ``<Me>``, ``Guest >>``, ``Keiko -`` (the dash only at a line start).
_LABEL_BODY = (
    r"(?P<marks>(?:[>*_#—–]+[ \t]*)?)"
    rf"(?:[\[<](?P<bracketed>{_NAME})[\]>](?=[ \t]+\S)|(?P<label>{_TAG}|{_NAME})[*_]*[ \t]*"
    r"(?P<sep>:(?![/\d])|[ \t]+(?:-|–|>>)(?=[ \t])))[*_]*"
)
#: A label at the start of the text or of a line (the ``\n`` prefix keeps the search fast).
_FIRST_LABEL = re.compile(r"[ \t]*" + _LABEL_BODY)
_LINE_LABEL = re.compile(r"\n[ \t]*" + _LABEL_BODY)
#: A label inside a line, after the end of a sentence ("... the end. Human: and then?").
_INLINE_LABEL = re.compile(r"[.!?*\"”’)\]][ \t]+" + _LABEL_BODY)
#: A placeholder label anywhere in a line ("... - Harry {{user}}: which way?").
_TAG_LABEL = re.compile(
    r"(?P<marks>)(?P<bracketed>)(?P<label>\{\{(?:user|char)\}\})[*_]*[ \t]*(?P<sep>:|[ \t]+(?:-|–|>>))")
#: How far from the end of a turn a label inside a line is looked for (leaks are appended).
_TAIL = 320
_SIDE_LABELS = {
    "user": frozenset({"user", "human", "{{user}}", "<user>", "[user]", "prompter"}),
    "assistant": frozenset({"assistant", "ai", "bot", "gpt", "chatgpt", "{{char}}", "<char>", "<bot>", "[assistant]"}),
}
#: Labels that count only after ``###`` (Alpaca/Vicuna headers): bare ``Instruction:`` is ordinary prose.
_HASH_LABELS = {"user": frozenset({"instruction", "input"}), "assistant": frozenset({"response"})}
#: Other names a user goes by in chat logs and role-play transcripts; a leak only in the shape of one
#: (a short trailing exchange), since scripts the turn was asked to write use them too.
_USER_ROLES = frozenset({
    "you", "me", "player", "guest", "customer", "visitor", "client", "anon", "anonymous", "q", "question", "reader",
    "traveler", "traveller", "stranger", "caller", "member", "asker", "viewer", "patron", "adventurer",
})
#: Words that head a section or a note, not a speaker ("Note:", "Summary:", "Check: 3 x 5 = 15").
_SECTIONS = frozenset("""
note notes nb n.b tip tips hint hints warning caution important summary conclusion answer answers solution result
results example examples moral lesson source sources reference references ps p.s update edit disclaimer bonus total
output step check verdict translation definition title subject date time location setting scene ingredients
instructions directions method serves yield pros cons fact remember reminder key takeaway overall tl;dr tldr
chorus verse bridge outro intro hook refrain epilogue prologue signed sincerely regards dear from to cc re fyi goal
objective purpose reason why how what where when who which score rating price cost status level day week phase
part chapter act option choice question answer breakfast lunch dinner snack dessert starter appetizer main
""".split())
_OTHER = {"user": "assistant", "assistant": "user"}
#: Speech: a pronoun, a greeting or a question or exclamation (what a leaked user line is made of).
_SPEECH = re.compile(r"[?!]|^\W*\*|\b(?:i|i'm|i'd|i'll|i've|me|my|you|your|you're|we|us|our|ok|okay|yes|no|yeah|hi"
                     r"|hey|hello|thanks|thank|please|lol|haha|wait|so)\b")

_CUE_WORDS = (r"(?:dialog(?:ue)?s?|conversations?|transcripts?|scripts?|chats?|chat ?logs?|exchanges?|interviews?"
              r"|examples?|samples?)")
#: A line that introduces a quoted dialogue ("Here's an example conversation:").
_INTRO = re.compile(rf"\b{_CUE_WORDS}\b[^\n]*:[ \t*]*$", re.IGNORECASE)
#: A request for a dialogue ("Write a short script where a user asks ...").
_ASKS_DIALOGUE = re.compile(
    r"\b(?:write|create|generate|give|show|draft|simulate|make|compose|provide|roleplay|role-play|act out)\b"
    rf"[^.?!\n]{{0,80}}\b{_CUE_WORDS}\b",
    re.IGNORECASE)


class Label(NamedTuple):
    """A speaker label found in a message."""

    start: int
    end: int
    side: str  # "user" or "assistant"; for :func:`turn_labels` also "role" (a user role word), "name", ""
    text: str
    inline: bool = False


def _side(match: re.Match[str], names: dict[str, frozenset[str]]) -> str:
    """Who a label names: "user", "assistant" (known labels and persona names), "role" (a user role
    word), "name" (a capitalized name nobody gave), or "" (a section heading, a lower-case word)."""
    raw = match.group("label") or match.group("bracketed")
    key = raw.lower()
    hashed = "#" in match.group("marks")
    for side in ("user", "assistant"):
        if key in _SIDE_LABELS[side] or key in names[side] or (hashed and key in _HASH_LABELS[side]):
            return side
    if key in _USER_ROLES:
        return "role"
    first = key.split()[0]
    if not raw[0].isupper() or first in _SECTIONS or first in ("your", "my", "the", "a", "an"):
        return ""
    return "name"


def _labels(text: str, names: dict[str, frozenset[str]], inline: bool) -> list[Label]:
    """Labels at line starts (and with ``inline``, inside lines near the end), outside code, by position."""
    found = []
    first = _FIRST_LABEL.match(text)
    matches = [first] if first else []
    if "\n" in text:
        matches += _LINE_LABEL.finditer(text)
    for match in matches:
        found.append((match, False))
    if inline:
        tail = max(0, len(text) - _TAIL)
        found += [(m, True) for m in _INLINE_LABEL.finditer(text, tail)]
        if "{{" in text:
            seen = {m.start("label") for m, _ in found}
            found += [(m, True) for m in _TAG_LABEL.finditer(text) if m.start() not in seen]
    labels = []
    spans: list[tuple[int, int]] | None = None
    for match, is_inline in found:
        side = _side(match, names)
        if spans is None:
            spans = code_spans(text)
        start = match.start("marks")
        if not in_spans(start, spans):
            labels.append(Label(start, match.end(), side, match.group(0).strip(), is_inline))
    if inline and len(labels) > 1:
        labels.sort()
    return labels


def line_labels(text: str, names: dict[str, frozenset[str]]) -> list[Label]:
    """Every user-side or assistant-side speaker label at the start of a line, outside code."""
    if ":" not in text:
        return []
    return [label for label in _labels(text, names, False) if label.side in _OTHER and not _dash(label)]


def _dash(label: Label) -> bool:
    return not label.text.rstrip("*_").endswith((":", "]", ">"))


def turn_labels(text: str, names: dict[str, frozenset[str]]) -> list[Label]:
    """Labels of every kind in a turn (side "" for headings): at line starts, and after a sentence near its end."""
    return _labels(text, names, True)


def _quotes_a_transcript(conversation: Conversation, index: int, labels: list[Label]) -> bool:
    """True when the labels belong to a dialogue the turn introduces or was asked for (not a leak).

    Introduced: the line before the first label ends with a colon and names a dialogue. Asked
    for: the previous turn asks for a dialogue, and the turn has labels of both sides.
    """
    before = conversation.messages[index].text[: labels[0].start].rstrip()
    if before and _INTRO.search(before[before.rfind("\n") + 1:]):
        return True
    both = len({label.side for label in labels}) == 2
    return both and index > 0 and bool(_ASKS_DIALOGUE.search(conversation.messages[index - 1].text))


def _trailing_exchange(text: str, labels: list[Label]) -> Label | None:
    """The first label of a short exchange appended to a reply that is otherwise unlabelled: one or
    two labelled lines at the end, the first naming a user role or an unknown name ("Sven: wait,
    what?"), a lone one holding speech. Scripts, menus and notes ("Dessert: ...") do not qualify."""
    first = labels[0]
    if first.side not in ("role", "name") or len(labels) > 2 or (first.inline and first.side == "name"):
        return None
    if first.inline and _dash(first) and len(labels) < 2:
        return None
    if first.start < len(text) - 2 * _TAIL or len(text[:first.start].split()) < 6:
        return None
    said = text[first.end:labels[1].start] if len(labels) == 2 else text[first.end:]
    if not 0 < len(said.split()) <= 40 or len(text[first.end:].split()) > 80:
        return None
    if len(labels) == 2:
        return first if labels[1].text.lower() != first.text.lower() else None
    return first if _SPEECH.search(said.lower()) else None


def _leak(conversation: Conversation, index: int, names: dict[str, frozenset[str]], kind: str) -> Label | None:
    """The first label of the other side in a user or assistant turn, when it is a leak."""
    message = conversation.messages[index]
    own = message.role
    labels = turn_labels(message.text, names)
    if not labels:
        return None
    other = next((label for label in labels if label.side == _OTHER[own]
                  and not (label.inline and label.text.strip("*_#>:- ").lower() == "ai")), None)
    if other is not None:
        if kind == "roleplay" or not _quotes_a_transcript(conversation, index, [x for x in labels if x.side in _OTHER]):
            return other
        return None
    return _trailing_exchange(message.text, labels) if own == "assistant" else None


def _leaks(conversation: Conversation, kind: str) -> Iterator[tuple[int, Label]]:
    """(message index, first label of the other side) for each user or assistant turn with a leak."""
    names = None
    for i in scan(conversation).labels:
        names = names or persona_names(conversation)
        label = _leak(conversation, i, names, kind)
        if label is not None:
            yield i, label


@register
class TurnLeakage(ConversationCheck):
    """A turn contains the other speaker's label, as if the next turn leaked into it.

    What it does:
        Looks for a speaker label of the other role inside a user or assistant turn, at the
        start of a line or after a sentence near the end (``User:``, ``**Human:**``, ``[User]``,
        ``<user>``, ``Human >>``, ``### Instruction:``): ``User``, ``Human``, ``{{user}}`` or the
        user's persona name (a user ``name``, or "the user plays Anna" in the system prompt)
        inside an assistant turn; ``Assistant``, ``AI``, ``{{char}}`` or the character's name
        inside a user turn. An assistant turn that ends with a short exchange in an otherwise
        unlabelled reply is reported too when the first label is another user word (``Player:``,
        ``Guest:``, ``Me:``) or an unknown name (``Sven: wait, what?``): two labelled lines, or
        one holding speech (a pronoun, a greeting, a question). Ordinary colons (``Note:``,
        ``Step 1:``, ``3:30``), headings, lists and scripts are not leaks, and labels in code are
        left alone; so are, outside roleplay data, labels in a dialogue the turn introduces
        ("Here's an example conversation:") or the previous turn asked for.
    Why it matters:
        The model learns to keep writing after its turn should end, inventing the user's next
        message (or the user side learns the assistant's voice): the classic runaway reply.
    Example:
        assistant: "The lighthouse is closed today.\\nUser: Why is it closed?\\nAssistant: Storms."
    Fix:
        Unsafe: cut the turn at the leaked label (a turn that starts with it is left for review).
    """

    code = "RC001"
    name = "turn-leakage"
    family = Family.ROLE_CONFUSION
    severity = Severity.ERROR
    fix_safety = FixSafety.UNSAFE
    fix_description = "cut the turn at the leaked speaker label"

    def check(self, conversation: Conversation) -> Iterable[Hit]:
        return self._hits(conversation) if scan(conversation).labels else ()

    def _hits(self, conversation: Conversation) -> Iterator[Hit]:
        for i, label in _leaks(conversation, self.context.kind):
            role = conversation.messages[i].role
            text = conversation.messages[i].text
            quoted = excerpt(text[label.start:])
            if label.side in _OTHER:
                where = "starts with" if label.start == 0 else "contains"
                said = f"{where} the {label.side}'s speaker label"
            else:
                said = "ends with what reads like a leaked user turn"
            yield Hit(i, f"{role} message {i} {said}: '{quoted}'", fixable=bool(text[: label.start].strip()))

    def fix(self, conversation: Conversation) -> Conversation:
        messages = list(conversation.messages)
        for i, label in list(_leaks(conversation, self.context.kind)):
            head = messages[i].text[: label.start].rstrip()
            if head.strip():
                messages[i] = messages[i].with_text(head)
        return conversation.with_messages(messages)


def _own_prefix(message: Message, names: dict[str, frozenset[str]]) -> Label | None:
    """The speaker label of the message's own role that starts it (with text after it), or None."""
    if message.role not in _OTHER:
        return None
    text = message.text
    match = _FIRST_LABEL.match(text)
    if match is None:
        return None
    labels = line_labels(text[: match.end()], names)
    if labels and labels[0].side == message.role and text[match.end():].strip():
        return labels[0]
    return None


@register
class OwnLabelPrefix(ConversationCheck):
    """A turn starts with its own speaker label (``Assistant: ...``, ``Mira: ...``).

    What it does:
        Reports user turns that start with ``User:``/``Human:``/the user's persona name and a
        colon, and assistant turns that start with ``Assistant:``/``AI:``/``{{char}}:``/the
        character's name and a colon. The chat template already marks who speaks.
    Why it matters:
        The label becomes part of what the model learns to say: replies start with
        "Assistant:" or the character's name, and the label doubles up in the rendered prompt.
    Example:
        assistant: "Assistant: While I understand your doubt, the tower works."
    Fix:
        Safe: remove the label at the start of the turn.
    """

    code = "RC002"
    name = "own-label-prefix"
    family = Family.ROLE_CONFUSION
    severity = Severity.WARNING
    fix_safety = FixSafety.SAFE
    fix_description = "remove the speaker label at the start of the turn"

    def check(self, conversation: Conversation) -> Iterable[Hit]:
        return self._hits(conversation) if scan(conversation).prefixes else ()

    def _hits(self, conversation: Conversation) -> Iterator[Hit]:
        names = None
        for i in scan(conversation).prefixes:
            message = conversation.messages[i]
            names = names or persona_names(conversation)
            label = _own_prefix(message, names)
            if label is not None:
                yield Hit(i, f"{message.role} message {i} starts with its own speaker label '{label.text}'")

    def fix(self, conversation: Conversation) -> Conversation:
        names = persona_names(conversation)
        messages = list(conversation.messages)
        for i, message in enumerate(messages):
            label = _own_prefix(message, names)
            while label is not None:  # "Assistant: Assistant: Hi"
                message = message.with_text(message.text[label.end:].lstrip())
                label = _own_prefix(message, names)
            messages[i] = message
        return conversation.with_messages(messages)
