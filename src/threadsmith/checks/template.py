"""Template and loss-mask checks (TM): what the chosen tokenizer and chat template make of each entry.

They run only when a tokenizer is given (``audit --tokenizer T [--template X]``): without one
they are not selected. Each conversation is rendered once (see
:func:`threadsmith.rendering.ChatTokenizer.render`) and the render is shared by every TM check
and by LN001's exact count; a batch the runner prepares (:meth:`Runner.prepare`) is rendered at
once by :meth:`~threadsmith.rendering.ChatTokenizer.render_many`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from threadsmith.checks.base import ConversationCheck, Hit
from threadsmith.checks.profile import CheckContext
from threadsmith.checks.registry import register
from threadsmith.model import Conversation, Family, Finding, Severity
from threadsmith.rendering import ChatTokenizer, RenderError, Rendered, TokenCounts

_last: tuple[Any, ...] = (None, None, None, None)
#: The batch rendered by :func:`prepare_renderings`: (tokenizer, train_on, the batch, {id: (conversation, result)}).
_batch: tuple[Any, str, Any, dict[int, tuple[Conversation, Rendered | RenderError]]] = (None, "", None, {})


def prepare_renderings(tokenizer: ChatTokenizer, conversations: Sequence[Conversation], train_on: str) -> None:
    """Render a batch at once (:meth:`ChatTokenizer.render_many`: one batch encode) for the checks
    that will look at each of them next; preparing the same batch again does nothing."""
    global _batch
    cached_tok, cached_train, cached_source, _ = _batch
    if cached_source is conversations and cached_tok is tokenizer and cached_train == train_on:
        return
    _batch = (None, "", None, {})  # the previous batch is freed before the next is rendered
    results = tokenizer.render_many(conversations, train_on="last" if train_on == "last" else "all")
    _batch = (tokenizer, train_on, conversations,
              {id(c): (c, result) for c, result in zip(conversations, results)})


def rendering(tokenizer: ChatTokenizer, conversation: Conversation, train_on: str) -> Rendered | RenderError:
    """The conversation rendered by the tokenizer's template (from the prepared batch, or
    rendered now and cached for the entry being checked)."""
    global _last
    batch_tok, batch_train, _, rendered = _batch
    if batch_tok is tokenizer and batch_train == train_on:
        found = rendered.get(id(conversation))
        if found is not None and found[0] is conversation:
            return found[1]
    cached_tok, cached_conv, cached_train, result = _last
    if cached_conv is conversation and cached_tok is tokenizer and cached_train == train_on:
        return result
    try:
        result = tokenizer.render(conversation, train_on="last" if train_on == "last" else "all")
    except RenderError as exc:
        result = exc
    _last = (tokenizer, conversation, train_on, result)
    return result


def token_counts(tokenizer: ChatTokenizer, conversation: Conversation, train_on: str) -> TokenCounts:
    """Tokens per message and in all, read off the shared rendering (what ``tokenizer.count``
    gives; a conversation the template refuses is counted without it)."""
    result = rendering(tokenizer, conversation, train_on)
    if isinstance(result, RenderError):
        return tokenizer.count([conversation])[0]
    return TokenCounts(tuple(span.tokens for span in result.spans), len(result.input_ids))


class TemplateCheck(ConversationCheck):
    """A check that needs the tokenizer and template of the context; silent without one."""

    needs_tokenizer = True

    def __init__(self, options: Mapping[str, Any] | None = None, context: CheckContext | None = None) -> None:
        super().__init__(options, context)
        self._tokenizer = self.context.tokenizer

    def prepare(self, conversations: Sequence[Conversation]) -> None:
        if self._tokenizer is not None:
            prepare_renderings(self._tokenizer, conversations, self.context.train_on)

    def check(self, conversation: Conversation) -> list[Hit]:
        if self._tokenizer is None:
            return []
        rendered = rendering(self._tokenizer, conversation, self.context.train_on)
        if isinstance(rendered, RenderError):
            return self.refused(rendered)
        return self.inspect(conversation, rendered)

    def refused(self, error: RenderError) -> list[Hit]:
        """Hits when the template refused the conversation (only TM001 reports that)."""
        return []

    def inspect(self, conversation: Conversation, rendered: Rendered) -> list[Hit]:
        """Hits for a rendered conversation."""
        raise NotImplementedError

    @property
    def _label(self) -> str:
        return f"template {self._tokenizer.template_name!r}" if self._tokenizer else "template"


@register
class TemplateRefuses(TemplateCheck):
    """The chat template cannot render the conversation.

    What it does:
        Renders the conversation with the chosen chat template and reports the template's own
        error: roles it cannot take (a system or tool turn for a template without one), the
        alternation it requires (user/assistant/user/...), or a template bug.
    Why it matters:
        Trainers apply the same template: the entry crashes the data preparation ("Conversation
        roles must alternate"), or a trainer that skips bad rows drops it without a word.
    Example:
        With the ``mistral`` or ``gemma`` template, two user turns in a row, or a ``tool`` turn.
    Fix:
        None automatic: merge consecutive turns of one role, drop or rewrite the roles the
        template does not know, or choose a template that supports them.
    """

    code = "TM001"
    name = "template-refuses"
    family = Family.TEMPLATE
    severity = Severity.ERROR

    def refused(self, error: RenderError) -> list[Hit]:
        return [Hit(None, str(error), fixable=False)]

    def inspect(self, conversation: Conversation, rendered: Rendered) -> list[Hit]:
        return []


@register
class NothingTrained(TemplateCheck):
    """No token of the conversation is trained: its loss mask is empty.

    What it does:
        Computes the assistant (loss) mask of the rendered conversation, from the template's
        ``{% generation %}`` markers or by locating the replies, and reports an entry where no
        token is trained, naming why (no assistant turn, every reply weight 0 or empty).
    Why it matters:
        Every label is -100: the example costs compute and teaches nothing, and a batch made of
        such rows gives a NaN loss ("all labels are -100").
    Example:
        A conversation of a system prompt and one user turn; or every assistant turn with
        ``weight: 0``.
    Fix:
        None automatic: add the missing reply, set a weight on one, or drop the entry.
    """

    code = "TM002"
    name = "nothing-trained"
    family = Family.TEMPLATE
    severity = Severity.ERROR

    def inspect(self, conversation: Conversation, rendered: Rendered) -> list[Hit]:
        if rendered.trained_tokens:
            return []
        replies = [m for m in conversation.messages if m.role == "assistant"]
        if not replies:
            why = "it has no assistant turn"
        elif all(m.weight == 0 for m in replies):
            why = "every assistant turn has weight 0"
        else:
            why = f"the {self._label} marks no reply as trained"
        return [Hit(None, f"no token of the {len(rendered.input_ids):,} is trained: {why}", fixable=False)]


@register
class UntrainedReply(TemplateCheck):
    """An assistant turn is not trained although every turn should be.

    What it does:
        When training on all assistant turns (the default; ``--train-on last`` turns it off),
        reports each assistant turn with content and no ``weight: 0`` of which no token is in
        the loss mask: typically a template whose ``{% generation %}`` block wraps only the
        final reply.
    Why it matters:
        Only the last turn is learned: the earlier replies of a multi-turn conversation, often
        most of its content, are context only, and the model never learns to answer mid-dialogue.
    Example:
        A three-exchange conversation where only the third reply is trained.
    Fix:
        None automatic: use a template that marks every assistant turn (the named ones do), or
        train on the last turn on purpose with ``--train-on last``.
    """

    code = "TM003"
    name = "untrained-reply"
    family = Family.TEMPLATE
    severity = Severity.WARNING

    def inspect(self, conversation: Conversation, rendered: Rendered) -> list[Hit]:
        if self.context.train_on == "last" or not rendered.trained_tokens:
            return []
        hits = []
        mask = rendered.assistant_mask
        for span, message in zip(rendered.spans, conversation.messages):
            if message.role != "assistant" or message.weight == 0 or not message.text.strip() or span.content is None:
                continue
            if not any(mask[span.token_start:span.token_end]):
                hits.append(Hit(span.index, f"assistant message {span.index} is not trained by the {self._label} "
                                            f"(of {span.tokens:,} tokens, none is in the loss mask)", fixable=False))
        return hits


@register
class EndOfTurnUntrained(TemplateCheck):
    """A trained reply's end-of-turn token is not trained, or there is none.

    What it does:
        For every trained assistant turn, looks for the template's end-of-turn token (such as
        ``<|im_end|>``, ``<|eot_id|>``, ``<end_of_turn>``, ``</s>``) after the reply and reports
        it when it is outside the loss mask, or when the reply is followed by none. Reports once
        per conversation when that string is not a single token of the tokenizer (a template
        made for another model family).
    Why it matters:
        The model learns to stop by learning that token. If it is never trained, the fine-tuned
        model runs on past its answer and writes the next user turn itself.
    Example:
        A template whose ``{% generation %}`` block ends before ``<|im_end|>``.
    Fix:
        None automatic: put the end-of-turn token inside the generation block (the named
        templates do), or train on it (Axolotl ``train_on_eos: turn``).
    """

    code = "TM004"
    name = "end-of-turn-untrained"
    family = Family.TEMPLATE
    severity = Severity.WARNING

    def inspect(self, conversation: Conversation, rendered: Rendered) -> list[Hit]:
        tokenizer = self._tokenizer
        if tokenizer is None or not rendered.trained_tokens:
            return []
        eot = tokenizer.end_of_turn_id
        if eot is None:
            if tokenizer.end_of_turn_pieces > 1:
                return [Hit(None, f"the end-of-turn string {tokenizer.end_of_turn!r} of the {self._label} is "
                                  f"{tokenizer.end_of_turn_pieces} tokens for this tokenizer, not one: the "
                                  "template does not fit the tokenizer", fixable=False)]
            return []
        hits = []
        ids, mask = rendered.input_ids, rendered.assistant_mask
        for span in rendered.spans:
            if span.trained is None or span.content is None:
                continue
            after = _index(mask, 1, span.token_start, span.token_end, span.token_start)
            found = _index(ids, eot, after, span.token_end, None)
            if found is None:
                hits.append(Hit(span.index, f"assistant message {span.index} is followed by no "
                                            f"{tokenizer.end_of_turn!r} token in the {self._label}", fixable=False))
            elif not mask[found]:
                hits.append(Hit(span.index, f"the {tokenizer.end_of_turn!r} token after assistant message "
                                            f"{span.index} is not trained: the model may not learn to stop",
                                fixable=False))
        return hits


def template_findings(conversation: Conversation, tokenizer: ChatTokenizer, train_on: str = "all") -> list[Finding]:
    """The template family's (TM) findings on one conversation under ``tokenizer`` (e.g. for a
    page that shows one entry rendered)."""
    from threadsmith.checks.runner import Runner, build_checks

    checks = build_checks(select=["TM"], context=CheckContext(tokenizer=tokenizer, train_on=train_on))
    return Runner(checks).findings(conversation)


def _index(values: list[int], value: int, start: int, end: int, default: int | None) -> int | None:
    """The first position of ``value`` in ``values[start:end]`` (a C-level search), else ``default``."""
    try:
        return values.index(value, start, end)
    except ValueError:
        return default


@register
class TruncationLosesTraining(TemplateCheck):
    """Truncating at the sequence length would remove every trained token.

    What it does:
        With a sequence length (``--max-tokens``), reports a conversation longer than it whose
        trained tokens all lie past the cut, so that nothing trained survives truncation.
    Why it matters:
        Trainers cut at the maximum length and keep the beginning: the example becomes a prompt
        with no answer, all labels -100, which wastes the step or makes the loss NaN.
    Example:
        A 6,000-token roleplay whose only reply starts at token 4,500, with ``--max-tokens 4096``.
    Fix:
        None automatic: shorten the context before the reply, split the conversation into
        windows, or raise the sequence length (LN001 offers truncation at a turn boundary).
    """

    code = "TM005"
    name = "truncation-loses-training"
    family = Family.TEMPLATE
    severity = Severity.ERROR

    def inspect(self, conversation: Conversation, rendered: Rendered) -> list[Hit]:
        limit = self.context.max_tokens
        if not limit or len(rendered.input_ids) <= limit or not rendered.trained_tokens:
            return []
        if any(rendered.assistant_mask[:limit]):
            return []
        first = rendered.assistant_mask.index(1)
        return [Hit(None, f"{len(rendered.input_ids):,} tokens, cut at {limit:,}: the first trained token is "
                          f"token {first:,}, so nothing trained is left", fixable=False)]


@register
class SystemPromptDropped(TemplateCheck):
    """The chat template silently leaves the system prompt out.

    What it does:
        Reports a system message with content that does not appear in the rendered text: the
        template rendered the conversation without it, and without an error.
    Why it matters:
        The model is trained without the instructions or the character the data was written
        for, so it learns behavior that only made sense with them (a persona, a format, a rule).
    Example:
        Phi-3-mini's first chat template renders only user and assistant turns.
    Fix:
        None automatic: use a template that renders system turns (or folds them into the first
        user turn, as the named ``mistral`` and ``gemma`` templates do), or merge the system
        prompt into the first user turn.
    """

    code = "TM006"
    name = "system-prompt-dropped"
    family = Family.TEMPLATE
    severity = Severity.ERROR

    def inspect(self, conversation: Conversation, rendered: Rendered) -> list[Hit]:
        return [Hit(span.index, f"system message {span.index} does not appear in the text the {self._label} renders",
                    fixable=False)
                for span, message in zip(rendered.spans, conversation.messages)
                if message.role == "system" and span.content is None and message.text.strip()]


@register
class MessageDropped(TemplateCheck):
    """The chat template silently leaves a user, assistant or tool message out.

    What it does:
        Reports a non-system message with content that does not appear in the rendered text: a
        role the template skips without an error (often ``tool`` turns, or unknown roles).
    Why it matters:
        The model trains on a conversation that is not the one in the data: replies that answer
        a turn it never sees, tool results that vanished.
    Example:
        A ``tool`` turn under a template that only renders system, user and assistant turns.
    Fix:
        None automatic: map the role to one the template renders, choose a template that knows
        it, or drop the message.
    """

    code = "TM007"
    name = "message-dropped"
    family = Family.TEMPLATE
    severity = Severity.WARNING

    def inspect(self, conversation: Conversation, rendered: Rendered) -> list[Hit]:
        return [Hit(span.index, f"{message.role} message {span.index} does not appear in the text the "
                                f"{self._label} renders", fixable=False)
                for span, message in zip(rendered.spans, conversation.messages)
                if message.role != "system" and span.content is None and message.text.strip()]
