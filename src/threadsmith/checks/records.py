"""Structure checks for records the readers could not turn into conversations.

The readers report these problems as data (``RecordProblem``); each kind is documented here
under its code so ``threadsmith explain`` and the docs cover it like any other check.
"""

from __future__ import annotations

from threadsmith.checks.base import RecordCheck
from threadsmith.checks.registry import register
from threadsmith.model import Family, ProblemKind, Severity


@register
class UnparseableRecord(RecordCheck):
    """A line or record is not valid JSON (or not valid UTF-8).

    What it does:
        Reports every line of a JSONL file (or element of a JSON array) that does not parse,
        with its line and column: syntax errors, invalid UTF-8, binary garbage, nesting deeper
        than 1,024 levels, a damaged ``.gz`` stream. The rest of the file is still read.
    Why it matters:
        A trainer either crashes on such a line or silently skips it; either way the example
        you meant to teach is gone, and you do not know which one.
    Example:
        ``{"messages": [{"role": "user", "content": "Hi"}``  (missing the closing ``]}``)
    Fix:
        None automatic: open the file at the reported line and column and repair the JSON.
    """

    code = "ST001"
    name = "unparseable-record"
    family = Family.STRUCTURE
    severity = Severity.ERROR
    kind = ProblemKind.UNPARSEABLE


@register
class RecordNotObject(RecordCheck):
    """A record is valid JSON but not an object.

    What it does:
        Reports records that are arrays, strings, numbers, booleans or null.
    Why it matters:
        Every chat format is an object per example; a bare list or string is usually a
        broken export or two files concatenated.
    Example:
        ``["Hi", "Hello"]`` on its own line.
    Fix:
        None automatic: wrap the turns in ``{"messages": [...]}`` with roles.
    """

    code = "ST002"
    name = "record-not-object"
    family = Family.STRUCTURE
    severity = Severity.ERROR
    kind = ProblemKind.NOT_AN_OBJECT


@register
class UnrecognizedRecord(RecordCheck):
    """A record holds no conversation in any format threadsmith reads.

    What it does:
        Reports objects that have none of: ``messages`` (OpenAI/ChatML), ``conversations``
        (ShareGPT), ``instruction`` + ``output`` (Alpaca), ``prompt`` + ``completion`` (TRL),
        or a text field with ``Human:``/``Assistant:`` turn markers. The message lists the
        keys the record does have.
    Why it matters:
        A trainer configured for one format drops or rejects such records; often a key was
        renamed (``conversation`` vs ``conversations``) and the whole file is affected.
    Example:
        ``{"dialog": [...], "meta": {...}}``
    Fix:
        None automatic: rename the key, or convert the file with ``threadsmith convert``.
    """

    code = "ST003"
    name = "unrecognized-record"
    family = Family.STRUCTURE
    severity = Severity.ERROR
    kind = ProblemKind.UNRECOGNIZED


@register
class MessagesNotAList(RecordCheck):
    """The record's turn list (``messages``, ``conversations``, ``history`` ...) is not a list.

    What it does:
        Reports records whose conversation key holds a string, an object or null instead
        of a list of turns.
    Why it matters:
        Trainers iterate over the turns; a string there is iterated character by character
        or crashes the data loader.
    Example:
        ``{"messages": "Hi there"}``
    Fix:
        None automatic: rebuild the turn list with role and content per turn.
    """

    code = "ST005"
    name = "messages-not-a-list"
    family = Family.STRUCTURE
    severity = Severity.ERROR
    kind = ProblemKind.MESSAGES_NOT_A_LIST


@register
class InvalidContent(RecordCheck):
    """A message's content is neither a string nor a valid list of content parts.

    What it does:
        Reports content that is a number, an object, or a list whose items are not
        ``{"type": ..., ...}`` parts (text parts need a ``text`` string).
    Why it matters:
        Chat templates render content as text; anything else breaks rendering or renders
        as ``{'key': ...}`` garbage the model then learns.
    Example:
        ``{"role": "assistant", "content": {"text": "Hello"}}``
    Fix:
        None automatic: make the content a string, or ``[{"type": "text", "text": ...}]``.
    """

    code = "ST014"
    name = "invalid-content"
    family = Family.STRUCTURE
    severity = Severity.ERROR
    kind = ProblemKind.INVALID_CONTENT


@register
class InvalidMessage(RecordCheck):
    """A turn is not a message: not an object, no role, a non-numeric weight, broken tool calls.

    What it does:
        Reports turns that cannot be read as a message, naming the turn's index and what is
        missing.
    Why it matters:
        Trainers reject the whole record (or the whole dataset) on one malformed turn.
    Example:
        ``{"messages": [{"content": "Hi"}]}``  (no role)
    Fix:
        None automatic: give the turn a ``role`` and ``content``.
    """

    code = "ST017"
    name = "invalid-message"
    family = Family.STRUCTURE
    severity = Severity.ERROR
    kind = ProblemKind.INVALID_MESSAGE
