"""Synthetic-noise checks (SN) about leftovers: placeholders and chat-UI scrape text (encoding damage
is in :mod:`threadsmith.checks.encoding`)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from functools import partial
from operator import itemgetter

from threadsmith.checks.base import ConversationCheck, Hit
from threadsmith.checks.registry import register
from threadsmith.checks.synthetic_noise import KindSeverity, anywhere, present, quote, share_anchors
from threadsmith.checks.text import joined, view
from threadsmith.model import Conversation, Family, FixSafety, Message, Severity

#: Code spans and fences (text inside them is code, not prose).
CODE = re.compile(r"```.*?(?:```|\Z)|`[^`\n]+`", re.S)


def _prose(text: str) -> str:
    """The text with code blocks and inline code blanked out (placeholders in code are code)."""
    return CODE.sub(" ", text) if "`" in text else text


# --- Placeholders -----------------------------------------------------------------------------

_MUSTACHE = re.compile(r"\{\{[^{}\n]{1,40}\}\}")
_FORMAT_FIELD = re.compile(
    r"(?<![\w\\}${])\{(?:[a-z]+(?:_[a-z]+)+|user|char|name|username|bot|input|query|question|context|topic)\}(?!\})")
_ANGLE = re.compile(r"<(?:placeholder|insert[^<>\n]{0,40}|user|bot|char|character|your[ _][^<>\n]{1,30})>", re.I)
_MACRO_ANGLE = re.compile(r"<(?:user|bot|char|character)>", re.I)
_CONSTANTS = "NAME|USER|CHAR|CHARACTER|PLACEHOLDER|DATE|CITY|COMPANY|TITLE|LOCATION|X{3,}"
#: A SCREAMING_SNAKE word of a template variable (not an error code such as ERR_ASSERTION).
_VARIABLE_WORDS = (r"(?:NAME|USER|CHAR|CHARACTER|PLACEHOLDER|INSERT|YOUR|HERE|DATE|CITY|COMPANY|TITLE|EMAIL|PHONE"
                   r"|ADDRESS)")
_TODO = re.compile(r"(?<![\w/])(?:TODO|FIXME)(?![\w/])")
_SCREAMING = tuple(re.compile(rf"\{open_}(?:(?:[A-Z]+_)*{_VARIABLE_WORDS}(?:_[A-Z]+)*|{_CONSTANTS})\{close}")
                   for open_, close in ("[]", "{}", "<>"))
#: Bare placeholders: "My name is XXXX", "INSERT_NAME_HERE", <<user_name>>.
_BARE = re.compile(r"(?<![\w\[{<-])(?:X{3,}|[A-Z]+(?:_[A-Z]+)*_(?:HERE|NAME|PLACEHOLDER)|INSERT_[A-Z_]+|PLACEHOLDER)"
                   r"(?![\w\]}>-])"
                   r"|<<[A-Za-z_]{2,30}>>")
_LOREM = re.compile(r"\blorem ipsum\b", re.I)


_PLACEHOLDER_WORDS = frozenset({"todo", "fixme", "lorem", "placeholder"})
share_anchors(_PLACEHOLDER_WORDS)


def template_variables(text: str, system: bool = False, found: frozenset[str] | None = None) -> list[str]:
    """Unresolved template variables and filler in prose. ``system``: SillyTavern-style macros
    (``{{char}}``, ``<USER>``) are legitimate there and are not returned. ``found``: the family
    scan's words of this text, when known."""
    if "{" not in text and "<" not in text and "[" not in text and "_" not in text and "XXX" not in text:
        if found is not None and found.isdisjoint(_PLACEHOLDER_WORDS):
            return []
        if found is None and not ("TODO" in text or "FIXME" in text or "orem ipsum" in text or "OREM IPSUM" in text):
            return []
    prose = _prose(text)
    found: list[str] = []
    if "{" in prose and not system:
        found += _MUSTACHE.findall(prose)
    if "{" in prose:
        found += _FORMAT_FIELD.findall(prose)
    if "<" in prose:
        found += [m for m in _ANGLE.findall(prose) if not (system and _MACRO_ANGLE.fullmatch(m))]
    if "TODO" in prose or "FIXME" in prose:
        found += _TODO.findall(prose)
    if "XXX" in prose or "_" in prose or "<<" in prose or "PLACEHOLDER" in prose:
        found += _BARE.findall(prose)
    for pattern, mark in zip(_SCREAMING, "[{<"):
        if mark in prose:
            found += pattern.findall(prose)
    return found + _LOREM.findall(prose)


@register
class TemplateVariable(ConversationCheck):
    """A turn holds an unresolved template variable or filler text (``{{char}}``, lorem ipsum).

    What it does:
        Reports ``{{...}}`` variables, ``{first_name}``-style format fields, ``<PLACEHOLDER>``,
        ``[CHARACTER_NAME]`` / ``[NAME]``-style constants in brackets, bare ones
        (``INSERT_NAME_HERE``, ``XXXX``, ``<<user_name>>``), ``<USER>`` / ``<BOT>``, the words
        ``TODO`` / ``FIXME`` (upper case) and "lorem ipsum" in the prose of user,
        assistant and system turns (code blocks and inline code are skipped; words match whole,
        so "todos" is not TODO). In system prompts ``{{char}}``, ``{{user}}`` and the other
        ``{{...}}`` macros, and ``<USER>`` / ``<BOT>``, are legitimate (SillyTavern and
        Pygmalion character cards fill them at chat time) and are not reported; in the turns of
        a conversation they were never filled in.
    Why it matters:
        The model learns to write the literal variable: a reply that says "{{user}} smiles"
        teaches it to emit template syntax instead of a name.
    Example:
        assistant: "*{{char}} waves at {{user}}* Welcome back!"
    Fix:
        None automatic: fill in the name (or the intended text), or drop the example.
    """

    code = "SN005"
    name = "template-variable"
    family = Family.SYNTHETIC_NOISE
    severity = Severity.WARNING

    def check(self, conversation: Conversation) -> Iterable[Hit]:
        text = joined(conversation)
        if ("{" not in text and "<" not in text and "[" not in text and "_" not in text
                and ("X" not in text or "XXX" not in text) and _PLACEHOLDER_WORDS.isdisjoint(anywhere(conversation))):
            return ()
        hits = []
        for i, (v, scanned) in enumerate(zip(view(conversation), present(conversation))):
            if v.role in ("system", "user", "assistant"):
                found = template_variables(v.text, v.role == "system", scanned)
                if found:
                    listing = ", ".join(f"'{quote(f, 30)}'" for f in dict.fromkeys(found))
                    hits.append(Hit(i, f"{v.role} message {i} has unresolved template text: {listing}"))
        return hits


_BRACKET = re.compile(r"\[([^\[\]\n]{2,40})\](?![(:])")
_FILL_START = re.compile(r"(?:insert|enter|add|your|placeholder|fill in)\b|name(?: of [\w' ]+)?$", re.I)
_FILL_TEXT = re.compile(r"[A-Za-z][\w'’ .-]*")
_FILL_NOUN = re.compile(
    r"(?:[\w'’.-]+\s+){0,2}(?:name|names|date|address|company|city|country|location|number|email|phone|title|"
    r"position|recipient|figure|organi[sz]ation|person|amount|here)", re.I)


def fill_ins(text: str) -> list[str]:
    """Bracketed fill-in placeholders in prose: ``[Your Name]``, ``[insert date]``, ``[City]``."""
    if "[" not in text:
        return []
    return [f"[{inner}]" for inner in _BRACKET.findall(_prose(text))
            if _FILL_TEXT.fullmatch(inner.strip()) and (
                _FILL_START.match(inner.strip()) or _FILL_NOUN.fullmatch(inner.strip().replace("_", " ")))]


_DRAFT_REQUEST = re.compile(
    r"\b(?:drafts?|templates?|letters?|e-?mails?|messages?|notes?|invitations?|announcements?|speech|"
    r"resumes?|cvs?|forms?|samples?|examples?|posts?|memos?|scripts?)\b", re.I)


def _asked_for_draft(conversation: Conversation, index: int) -> bool:
    """True when a user turn before ``index`` asks for a document the user will fill in."""
    return any(m.role == "user" and _DRAFT_REQUEST.search(m.text) for m in conversation.messages[:index])


@register
class FillInPlaceholder(KindSeverity, ConversationCheck):
    """An assistant turn leaves a bracketed fill-in such as ``[Your Name]`` or ``[insert date]``.

    What it does:
        Reports bracketed fill-ins in assistant prose: brackets that start with insert / enter /
        add / your / name / placeholder, or that hold up to three words ending in a noun such
        as name, date, city, company, figure ("[Recipient's Name]", "[historical figure]").
        Markdown links and ``[label]:`` references are not fill-ins. In assistant datasets,
        with ``allow_requested_drafts``, a reply is not reported when an earlier user turn asks
        for a letter, email, template or the like: a draft with ``[Your Name]`` is then the
        right answer. Severity: warning in roleplay (a character signs with its own name),
        info elsewhere.
    Why it matters:
        Generators leave fill-ins where they did not know a detail; the model learns to
        answer with blanks instead of committing to a name, a date or a place.
    Example:
        assistant: "I look forward to meeting you. Yours sincerely, [Your Name]"
    Fix:
        None automatic: write the detail in, or drop the example.
    """

    code = "SN006"
    name = "fill-in-placeholder"
    family = Family.SYNTHETIC_NOISE
    severity = Severity.INFO
    severity_by_kind = {"roleplay": Severity.WARNING}
    defaults = {"allow_requested_drafts": True}

    def check(self, conversation: Conversation) -> Iterable[Hit]:
        return list(self._hits(conversation)) if "[" in joined(conversation) else ()

    def _hits(self, conversation: Conversation) -> Iterator[Hit]:
        drafts = self.context.kind == "assistant" and self.options["allow_requested_drafts"]
        for i, message in enumerate(conversation.messages):
            if drafts and message.role == "assistant" and "[" in message.text and _asked_for_draft(conversation, i):
                continue
            if message.role == "assistant":
                found = fill_ins(message.text)
                if found:
                    listing = ", ".join(f"'{quote(f, 30)}'" for f in dict.fromkeys(found))
                    yield Hit(i, f"assistant message {i} leaves a fill-in placeholder: {listing}")


def mapped(message: Message, change: Callable[[str], str]) -> Message:
    text = message.text
    new = change(text)
    return message if new == text else message.with_text(new)


# --- Chat-UI scrape text ----------------------------------------------------------------------

_UI_LINE = re.compile(
    r"(?im)^[ \t]*(?:regenerate(?: response| draft)?|[a-z+#-]{0,15}copy code|copy to clipboard|continue generating|"
    r"stop generating|send a message\.{0,3}|message chatgpt\.{0,3}|(?:chatgpt|claude) can make mistakes\..*|"
    r"was this response better or worse\??|is this conversation helpful so far\??|you said:|chatgpt said:|"
    r"edit message|show drafts|read aloud|good response|bad response|new chat|sources?:?(?:[ \t]*\[\d+\])+|"
    r"\d{1,2} / \d{1,2})[ \t]*(?:\n|\Z)")
#: UI labels that mean nothing else wherever they are.
_UI_INLINE = re.compile(
    r"Regenerate response|Continue generating|Stop generating|Copy to clipboard|Message ChatGPT(?:\.{3}|…)?|"
    r"Edit message|Show drafts|ChatGPT can make mistakes\. Check important info\.|"
    r"Was this response better or worse\?|Is this conversation helpful so far\?|"
    r"Claude can make mistakes\. Please double-check responses\.|"
    r"\b(?:content_copy|thumb_up|thumb_down|volume_up|more_vert|expand_more)\b|"
    r"(?<=[a-z+#])Copy code|Copy code(?=[ \t]*(?:\n|\Z))")
#: Buttons and citation pagers left at the very end of a reply ("... networks. Share").
_UI_TAIL = re.compile(
    r"(?:(?<=[.!?])[ \t]+|\n[ \t]*)"
    r"(?:(?:Share|Copy|Edit|Retry|Like|Dislike|Regenerate|Read aloud)(?:[ \t]*\n[ \t]*|[ \t]*$))+$"
    r"|(?:^|\s)Sources?:?(?:[ \t]*\[\d+\])+[ \t]*$")
#: The buttons _UI_TAIL finds, as a text that ends with a letter ends with them (literally: "... Share").
_BUTTON_LABELS = ("Share", "Copy", "Edit", "Retry", "Like", "Dislike", "Regenerate", "Read aloud")
#: Words of UI text, found by the family's shared scan of every turn.
_UI_WORDS = frozenset({"regenerate", "generating", "chatgpt", "claude", "clipboard", "worse", "drafts", "aloud",
                       "thumb", "vert", "sources"})
#: Literal UI text the scan's words miss ("pythonCopy code" is one word).
_UI_LITERALS = ("Copy code", "said:", "/", "content_copy", "volume_up", "Edit message", "Message ChatGPT")
_UI_ALL_LITERALS = (*_UI_LITERALS, "Regenerate", "ChatGPT", "Claude", "generating", "drafts", "aloud", "thumb_",
                    "Sources", "better or worse")
#: The last word of a turn that ends with buttons ("Read aloud"), and the word before a citation pager.
_BUTTON_WORDS = frozenset({"share", "copy", "edit", "retry", "like", "dislike", "regenerate", "aloud"})
_PAGER_WORDS = frozenset({"source", "sources"})
_TAIL_WORDS = _BUTTON_WORDS | _PAGER_WORDS
_WORDS, _LAST = itemgetter(3), itemgetter(-1)  # MessageView.words, a tuple's last item


def _last_words(views: tuple) -> Iterator[str]:
    """The last word of every turn that has words (C-level loops only)."""
    return map(_LAST, filter(None, map(_WORDS, views)))
#: With "/", ":", "_" and "Copy code", what can make :func:`ui_artifacts` look past the tail.
_UI_GATE_WORDS = _UI_WORDS | {"edit"}
share_anchors(_UI_GATE_WORDS | _TAIL_WORDS)


def ui_artifacts(text: str, found: frozenset[str] | None = None, literals: bool = True) -> list[tuple[int, int]]:
    """Spans of chat-interface text pasted with a reply: whole lines ("1 / 2", "You said:"), the
    unmistakable labels wherever they are ("Regenerate response", "pythonCopy code"), and buttons
    at the very end ("... Share"). ``found``: the scan's words of this text, when known;
    ``literals``: False when the caller knows the text holds none of the literal UI texts."""
    spans = []
    end = text[-1:]
    if (end == "]" and "Source" in text) or (end.isalpha() and text.endswith(_BUTTON_LABELS)):  # _UI_TAIL's ends
        tail = _UI_TAIL.search(text, max(0, len(text) - 80))
        if tail and tail.start() > 0:
            spans.append(tail.span())
    if found is None:
        if not any(u in text for u in _UI_ALL_LITERALS):
            return spans
    elif found.isdisjoint(_UI_WORDS) and not (literals and any(u in text for u in _UI_LITERALS)):
        return spans
    lines = [m.span() for m in _UI_LINE.finditer(text) if m.group(0).strip() != text.strip()]
    spans = [s for s in spans if not any(a <= s[0] < b for a, b in lines)] + lines
    spans += [m.span() for m in _UI_INLINE.finditer(text) if not any(a <= m.start() < b for a, b in spans)]
    return sorted(spans)


def drop_ui_artifacts(text: str, found: frozenset[str] | None = None) -> str:
    """``text`` without its chat-interface text (``found``: as for :func:`ui_artifacts`)."""
    spans = ui_artifacts(text, found)
    for start, end in reversed(spans):
        text = text[:start] + text[end:]
    return text.strip() if spans else text


@register
class ChatUiText(ConversationCheck):
    """A turn holds text scraped from a chat interface ("Regenerate response", "Copy code").

    What it does:
        Reports chat-UI text copied along with a conversation: lines such as "You said:",
        "ChatGPT can make mistakes...", "Show drafts", "Sources: [1] [2]" and pager lines
        ("1 / 2"); the unmistakable labels wherever they are: "Regenerate response",
        "Continue generating", "Message ChatGPT", "Edit message", icon names such as
        ``content_copy`` and ``thumb_up``, and "Copy code" (at a line end, or glued to a
        language name: "pythonCopy code"); and buttons left at the very end of a reply
        ("... networks. Share", "\\nCopy\\nRetry"). A turn that is nothing but such a line is
        left alone.
    Why it matters:
        Scraped interface text becomes part of the target: the model learns to end replies
        with "Regenerate response" or to label code blocks "Copy code".
    Example:
        assistant: "Here is the script:\\npythonCopy code\\nprint('hi')\\nRegenerate response"
    Fix:
        Unsafe: remove that text (a whole line when the line is UI text, so a code block's
        language label glued to "Copy code" goes too).
    """

    code = "SN008"
    name = "chat-ui-text"
    family = Family.SYNTHETIC_NOISE
    severity = Severity.WARNING
    fix_safety = FixSafety.UNSAFE
    fix_description = "remove the chat-interface lines"

    def check(self, conversation: Conversation) -> Iterable[Hit]:
        text, words, views = joined(conversation), anywhere(conversation), view(conversation)
        everywhere = (not _UI_GATE_WORDS.isdisjoint(words) or "/" in text or ":" in text or "_" in text
                      or "Copy code" in text)
        if not everywhere and _PAGER_WORDS.isdisjoint(words) and (_BUTTON_WORDS.isdisjoint(words)
                                                                  or _BUTTON_WORDS.isdisjoint(_last_words(views))):
            return ()  # no turn can hold UI text: none ends with a button word
        literals = everywhere and any(u in text for u in _UI_LITERALS)  # once for all the turns
        hits = []
        for i, (v, scanned) in enumerate(zip(views, present(conversation))):
            if everywhere or v.words[-1:] and v.words[-1] in _BUTTON_WORDS or not _PAGER_WORDS.isdisjoint(scanned):
                found = ui_artifacts(v.text, scanned, literals)
                if found:
                    listing = ", ".join(f"'{quote(v.text[a:b], 30)}'" for a, b in found[:3])
                    hits.append(Hit(i, f"{v.role} message {i} has chat-interface text: {listing}"))
        return hits

    def fix(self, conversation: Conversation) -> Conversation:
        return conversation.with_messages([mapped(m, partial(drop_ui_artifacts, found=scanned))
                                           for m, scanned in zip(conversation.messages, present(conversation))])
