"""Data-driven tests for checks: case files that say what a check reports and what its fix yields.

Public, so authors of third-party checks can test theirs the way the built-in ones are tested::

    import pytest
    from threadsmith.testing import assert_case, load_cases

    @pytest.mark.parametrize("case", load_cases("tests/checks/cases"), ids=str)
    def test_case(case):
        assert_case(case)

One YAML file per check code (``<CODE>.yaml``; JSON works too, being YAML)::

    check: ST008
    cases:
      passes_on_clean_text:
        conversation: [{role: user, content: Hi}, {role: assistant, content: Hello}]
      flags_padded_user:
        conversation: [{role: user, content: " Hi "}, {role: assistant, content: Hello}]
        findings: [{code: ST008, message_index: 0, message_contains: "whitespace"}]
        fixed: [{role: user, content: Hi}, {role: assistant, content: Hello}]

The input of a case is one of these keys, read through the real readers
(:func:`threadsmith.formats.decode_record` / :func:`~threadsmith.formats.decode_line`):

``conversation``
    A list of OpenAI-style messages (``tags:`` beside it gives the entry's tags).
``record``
    A whole decoded record in any format the readers know (ShareGPT, Alpaca ...), or any other
    JSON value (an array, a string) for the record checks.
``line``
    One raw JSONL line: a string (encoded as UTF-8), or YAML ``!!binary`` (base64) bytes.
``line_bytes``
    One raw JSONL line whose characters are bytes: each character U+0000..U+00FF becomes that
    one byte (Latin-1), so ``line_bytes: "{\\"a\\": \\"\\xff\\"}"`` holds the invalid UTF-8 byte 0xff.
``conversations``
    Dataset checks: a list of inputs, each a message list or a mapping with one of the keys above.

Other keys: ``role_map`` (speaker label -> role, as configuration gives it), ``options`` (the
check's options), ``kind`` (the dataset kind the checks assume: ``assistant``, ``roleplay``,
``instruction``), ``note`` (free text), ``xfail`` (a reason: the case documents a known bug),
``tokenizer`` (``bytes``, a tokenizer of single bytes, or a path), ``template`` (a named template
or a file; default ``chatml``), ``train_on`` and ``max_tokens`` (as on ``audit``).

Expectations: ``findings`` lists the check's findings, compared on ``code`` (default: the
file's check), ``message_index`` (default null) and, for dataset checks, ``entry_index`` (default
null); optional ``message_contains``, ``severity``, ``fixable``, ``line``, ``column`` check more.
No ``findings`` means the case must pass clean. ``fixed`` is the messages after the check's fix,
in OpenAI shape with each role as the data spells it (a ShareGPT ``human`` turn reads ``user``);
``fixed: null`` means the fix drops the conversation; ``fixed_tags`` the tags after it. For
dataset checks ``fixed`` lists the conversations that the fix keeps. A case with ``fixed`` also
checks that fixing again changes nothing and leaves no fixable finding of the check's own.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from threadsmith.checks import (
    Check,
    CheckSet,
    ConversationCheck,
    DatasetCheck,
    EntryRef,
    RecordCheck,
    Runner,
    get_check,
)
from threadsmith.checks.profile import CheckContext
from threadsmith.errors import MissingDependency, UserError
from threadsmith.formats import RecordContext, decode_line, decode_record
from threadsmith.formats.record import encode_message
from threadsmith.model import Conversation, Finding, RecordProblem

__all__ = ["Case", "assert_case", "case_findings", "case_fixed", "load_case_file", "load_cases"]

_INPUT_KEYS = ("conversation", "record", "line", "line_bytes")
_CASE_KEYS = frozenset({*_INPUT_KEYS, "conversations", "tags", "role_map", "options", "kind", "note", "xfail",
                        "findings", "fixed", "fixed_tags", "tokenizer", "template", "train_on", "max_tokens"})
_FINDING_KEYS = frozenset({"code", "message_index", "entry_index", "message_contains", "severity", "fixable",
                           "line", "column"})
Item = Conversation | RecordProblem


@dataclass(frozen=True)
class Case:
    """One named case of a case file."""

    check: str
    name: str
    spec: Mapping[str, Any]
    path: str | None = None

    @property
    def id(self) -> str:
        """``CODE::name``, the test id."""
        return f"{self.check}::{self.name}"

    @property
    def expects_findings(self) -> bool:
        """True when the case lists findings (a failing case)."""
        return bool(self.spec.get("findings"))

    @property
    def has_fix(self) -> bool:
        """True when the case states the result of the fix."""
        return "fixed" in self.spec

    @property
    def xfail(self) -> str | None:
        """The reason this case is expected to fail (a known bug), or None."""
        return self.spec.get("xfail")

    def __str__(self) -> str:
        return self.id


def load_cases(directory: str | os.PathLike[str]) -> list[Case]:
    """Every case of every ``*.yaml``/``*.yml``/``*.json`` file in ``directory``, by file name."""
    folder = Path(directory)
    files = sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml", ".json"))
    return [case for path in files for case in load_case_file(path)]


def load_case_file(path: str | os.PathLike[str]) -> list[Case]:
    """The cases of one file, in file order; a malformed file raises :class:`UserError`."""
    name = os.fspath(path)
    with open(name, encoding="utf-8") as handle:
        data = _yaml_load(handle.read(), name)
    if not isinstance(data, dict) or not isinstance(data.get("check"), str) or not isinstance(data.get("cases"), dict):
        raise UserError(f"{name}: a case file is a mapping with 'check: CODE' and a 'cases:' mapping.")
    cases = []
    for case_name, spec in data["cases"].items():
        spec = {} if spec is None else spec
        case = Case(data["check"], str(case_name), spec, name)
        _validate(case)
        cases.append(case)
    return cases


def _yaml_load(text: str, name: str) -> Any:
    try:
        import yaml
    except ImportError:
        raise MissingDependency("pyyaml", extra="dev", purpose="Reading check case files") from None

    class _StrictLoader(yaml.SafeLoader):
        """A safe loader that refuses repeated keys (a repeated case name would hide a case)."""

        def construct_mapping(self, node: Any, deep: bool = False) -> dict[Any, Any]:
            keys = [self.construct_object(key, deep=deep) for key, _ in node.value]
            repeated = sorted({str(k) for k in keys if keys.count(k) > 1})
            if repeated:
                raise UserError(f"{name}: key {repeated[0]!r} appears twice in one mapping (line {node.start_mark.line + 1}).")
            return super().construct_mapping(node, deep=deep)

    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise UserError(f"{name}: not valid YAML: {exc}") from None


def _validate(case: Case) -> None:
    spec = case.spec
    if not isinstance(spec, dict):
        raise UserError(f"{case.path}: case {case.id} is not a mapping.")
    unknown = sorted(set(spec) - _CASE_KEYS)
    if unknown:
        raise UserError(f"{case.path}: case {case.id} has unknown keys {unknown}; known: {sorted(_CASE_KEYS)}.")
    given = [k for k in (*_INPUT_KEYS, "conversations") if k in spec]
    if len(given) != 1:
        raise UserError(f"{case.path}: case {case.id} needs exactly one input key of {[*_INPUT_KEYS, 'conversations']}.")
    if "tags" in spec and "conversation" not in spec:
        raise UserError(f"{case.path}: case {case.id} has 'tags' without 'conversation' (a record carries its own).")
    for finding in spec.get("findings") or []:
        if not isinstance(finding, dict) or set(finding) - _FINDING_KEYS:
            raise UserError(f"{case.path}: case {case.id} has a finding {finding!r}; keys: {sorted(_FINDING_KEYS)}.")


def case_findings(case: Case, check: type[Check] | None = None) -> list[Finding]:
    """What the case's check reports on the case's input (the check alone, through the Runner)."""
    cls = check or get_check(case.check)
    runner = Runner(_check_set(case, cls))
    findings: list[Finding] = []
    for index, item in enumerate(_inputs(case)):
        if isinstance(item, RecordProblem):
            finding = runner.problem_finding(item)
            if finding is None:
                raise UserError(f"case {case.id}: the input is not a conversation ({item.kind.value}: {item.detail}).")
            findings.append(finding)
            continue
        result = runner.process(item)
        findings += result.findings
        runner.observe(result.summaries, EntryRef(item.source.path, index, item.id, item.source.line))
    return findings + runner.finish()


def case_fixed(case: Case, check: type[Check] | None = None) -> Conversation | None | list[Conversation]:
    """The case's input after the check's fix: one conversation (None when dropped), or, for a
    dataset check, the conversations its fix keeps."""
    cls = check or get_check(case.check)
    if cls.fix_safety is None:
        raise UserError(f"case {case.id}: {cls.code} has no fix, so the case cannot say what it fixes to.")
    conversations = [_conversation(case, item) for item in _inputs(case)]
    if issubclass(cls, DatasetCheck):
        runner = Runner(_check_set(case, cls), fix=True, unsafe_fixes=True)
        kept = []
        for index, conversation in enumerate(conversations):
            result = runner.process(conversation)
            if result.conversation is None or runner.drops(result.summaries):
                continue
            runner.observe(result.summaries, EntryRef(None, index, conversation.id, None))
            kept.append(result.conversation)
        return kept
    if len(conversations) != 1:
        raise UserError(f"case {case.id}: 'fixed' needs exactly one conversation for a conversation check.")
    return _instance(case, cls).fix(conversations[0])


def assert_case(case: Case, check: type[Check] | None = None) -> None:
    """Assert that the check reports exactly the case's findings and fixes to ``fixed``."""
    cls = check or get_check(case.check)
    if cls.code != case.check:
        raise UserError(f"case {case.id} is about {case.check}, not {cls.code}.")
    _assert_findings(case, case_findings(case, cls), issubclass(cls, DatasetCheck))
    if case.has_fix:
        _assert_fixed(case, cls)


def _assert_findings(case: Case, actual: list[Finding], dataset: bool) -> None:
    expected = list(case.spec.get("findings") or [])
    unmatched = list(actual)
    missing = []
    for want in expected:
        hit = next((f for f in unmatched if _matches(want, f, case.check, dataset)), None)
        if hit is None:
            missing.append(want)
        else:
            unmatched.remove(hit)
    if missing or unmatched:
        lines = [f"case {case.id}: findings differ"]
        lines += [f"  expected, not found: {want}" for want in missing]
        lines += [f"  found, not expected: {_describe(f)}" for f in unmatched]
        lines += ["  all found:"] + [f"    {_describe(f)}" for f in actual]
        raise AssertionError("\n".join(lines))


def _matches(want: Mapping[str, Any], finding: Finding, code: str, dataset: bool) -> bool:
    if finding.code != want.get("code", code) or finding.message_index != want.get("message_index"):
        return False
    if (dataset or "entry_index" in want) and finding.entry_index != want.get("entry_index"):
        return False
    if "message_contains" in want and want["message_contains"] not in finding.message:
        return False
    if "severity" in want and finding.severity.value != want["severity"]:
        return False
    if "fixable" in want and (finding.fix is not None) != want["fixable"]:
        return False
    return all(getattr(finding, key) == want[key] for key in ("line", "column") if key in want)


def _describe(finding: Finding) -> str:
    fix = "fixable" if finding.fix else "no fix"
    return (f"{finding.code} entry_index={finding.entry_index} message_index={finding.message_index} "
            f"({finding.severity.value}, {fix}): {finding.message}")


def _assert_fixed(case: Case, cls: type[Check]) -> None:
    fixed = case_fixed(case, cls)
    want = case.spec["fixed"]
    if isinstance(fixed, list):
        expected = [_view(_conversation(case, _decode(item, i, case))) for i, item in enumerate(want or [])]
        _require([_view(c) for c in fixed] == expected, f"case {case.id}: the fix keeps other conversations")
        return
    if want is None:
        if fixed is not None:
            raise AssertionError(f"case {case.id}: the fix should drop the conversation but kept {_view(fixed)}")
        return
    if fixed is None:
        raise AssertionError(f"case {case.id}: the fix dropped the conversation")
    expected = _view(_conversation(case, _decode({"conversation": want}, 0, case)))
    _require(_view(fixed) == expected, f"case {case.id}: fixed messages differ\n  got:  {_view(fixed)}\n  want: {expected}")
    if "fixed_tags" in case.spec:
        _require(list(fixed.tags) == list(case.spec["fixed_tags"]), f"case {case.id}: fixed tags differ: {fixed.tags}")
    check = _instance(case, cls)
    _require(check.fix(fixed) == fixed, f"case {case.id}: fixing twice changes the conversation again")
    left = [hit for hit in check.check(fixed) if hit.fixable]
    _require(not left, f"case {case.id}: after the fix, {cls.code} still reports {left}")


def _require(condition: bool, message: str) -> None:
    """``assert`` that survives ``python -O`` (this module is not rewritten by pytest)."""
    if not condition:
        raise AssertionError(message)


def _view(conversation: Conversation) -> list[dict[str, Any]]:
    """Messages in OpenAI shape, each role spelled as found in the data (format-neutral)."""
    return [encode_message(m, keep_spelling=True) for m in conversation.messages]


def _check_set(case: Case, cls: type[Check]) -> CheckSet:
    """The case's check alone, with the case's options and dataset kind."""
    if issubclass(cls, RecordCheck):
        return CheckSet([], [], {cls.kind: cls})
    context = _context(case)
    check = cls(case.spec.get("options"), context)
    if isinstance(check, DatasetCheck):
        return CheckSet([], [check], {})
    if isinstance(check, ConversationCheck):
        return CheckSet([check], [], {})
    raise UserError(f"{cls.__name__} is not a record, conversation or dataset check.")


def _context(case: Case) -> CheckContext:
    """The case's dataset kind, and its tokenizer (``tokenizer: bytes`` is the byte tokenizer,
    which needs no file), template, ``train_on`` and ``max_tokens``."""
    spec = case.spec
    tokenizer = None
    if "tokenizer" in spec:
        from threadsmith.rendering import byte_tokenizer, load_tokenizer

        template = spec.get("template") or "chatml"
        name = str(spec["tokenizer"])
        tokenizer = byte_tokenizer(template) if name == "bytes" else load_tokenizer(name, template=template)
    return CheckContext(kind=spec.get("kind", "assistant"), tokenizer=tokenizer,
                        train_on=spec.get("train_on", "all"), max_tokens=spec.get("max_tokens"))


def _instance(case: Case, cls: type[Check]) -> ConversationCheck:
    check = _check_set(case, cls).conversation
    if not check:
        raise UserError(f"case {case.id}: {cls.code} is not a conversation check.")
    return check[0]


def _inputs(case: Case) -> list[Item]:
    if "conversations" in case.spec:
        items: Sequence[Any] = case.spec["conversations"] or []
        return [_decode(item, i, case) for i, item in enumerate(items)]
    return [_decode(case.spec, 0, case)]


def _decode(spec: Any, index: int, case: Case) -> Item:
    """One input (a message list, or a mapping with one input key) through the real readers."""
    if isinstance(spec, list):
        spec = {"conversation": spec}
    if not isinstance(spec, dict) or sum(k in spec for k in _INPUT_KEYS) != 1:
        raise UserError(f"case {case.id}: input {index} needs exactly one of {list(_INPUT_KEYS)}.")
    ctx = RecordContext(None, index, index + 1, dict(case.spec.get("role_map") or {}))
    if "conversation" in spec:
        record: dict[str, Any] = {"messages": spec["conversation"]}
        if "tags" in spec:
            record["tags"] = spec["tags"]
        return decode_record(record, ctx)
    if "record" in spec:
        return decode_record(spec["record"], ctx)
    raw = spec.get("line", spec.get("line_bytes"))
    if isinstance(raw, str):
        try:
            raw = raw.encode("utf-8" if "line" in spec else "latin-1")
        except UnicodeEncodeError:
            raise UserError(f"case {case.id}: line_bytes holds characters above \\xff; use line or !!binary.") from None
    if not isinstance(raw, bytes):
        raise UserError(f"case {case.id}: a line is a string or !!binary bytes, not {type(raw).__name__}.")
    return decode_line(raw, ctx)


def _conversation(case: Case, item: Item) -> Conversation:
    if isinstance(item, RecordProblem):
        raise UserError(f"case {case.id}: the input is not a conversation ({item.kind.value}: {item.detail}).")
    return item
