"""Reading probe suites (YAML, or the compiled JSONL) into :class:`~threadsmith.probe.suite.Suite`.

Every error names the file, the line and the field, and says what is expected.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import asdict
from pathlib import Path
from typing import Any

from threadsmith.errors import InputNotFound, MissingDependency
from threadsmith.probe.suite import (
    BEHAVIORS,
    ROLES,
    Character,
    ChatMessage,
    CheckSpec,
    FormatContract,
    Generation,
    Probe,
    Suite,
    SuiteError,
    Turn,
)

_SUITE_KEYS = {"suite", "version", "description", "user", "baseline_prompt", "length_band", "format_contract",
               "characters", "defaults", "probes"}
_PROBE_KEYS = {"id", "behavior", "character", "context", "turns", "checks", "generation", "choices", "answer",
               "reference", "tags", "user"}
_CHECK_KEYS = {"type", "args", "scope", "severity"}


class _Where:
    """The file and line an error is about."""

    def __init__(self, path: str, line: int | None = None) -> None:
        self.path, self.line = path, line

    def at(self, node: Any) -> _Where:
        return _Where(self.path, getattr(node, "line", None) or self.line)

    def fail(self, what: str) -> SuiteError:
        return SuiteError(f"{self.path}:{self.line}: {what}" if self.line else f"{self.path}: {what}")


class _Map(dict):  # type: ignore[type-arg]
    line: int | None = None


class _List(list):  # type: ignore[type-arg]
    line: int | None = None


def _yaml_loader() -> Any:
    try:
        import yaml
    except ImportError as exc:  # pragma: no cover - pyyaml comes with the probe extra
        raise MissingDependency("pyyaml", extra="probe", purpose="Reading probe suites") from exc

    class Loader(yaml.SafeLoader):
        pass

    def mapping(loader: Any, node: Any) -> _Map:
        out = _Map(loader.construct_mapping(node, deep=True))
        out.line = node.start_mark.line + 1
        return out

    def sequence(loader: Any, node: Any) -> _List:
        out = _List(loader.construct_sequence(node, deep=True))
        out.line = node.start_mark.line + 1
        return out

    Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, mapping)
    Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, sequence)
    return yaml, Loader


def load_suite(path: str | Path) -> Suite:
    """Read a suite from a YAML file or a compiled ``.jsonl`` file."""
    path = Path(path)
    if not path.is_file():
        raise InputNotFound(f"{path}: no such probe suite file")
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".jsonl":
        return _from_jsonl(text, str(path))
    yaml, loader = _yaml_loader()
    try:
        data = yaml.load(text, Loader=loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else None
        raise _Where(str(path), line).fail(f"not valid YAML: {getattr(exc, 'problem', exc)}") from None
    return suite_from_data(data, str(path))


def suite_from_data(data: Any, path: str = "<suite>") -> Suite:
    """Build a suite from parsed YAML (dicts and lists); ``path`` is used in error messages."""
    where = _Where(path, getattr(data, "line", None))
    if not isinstance(data, Mapping):
        raise where.fail("a suite is a mapping with 'suite' and 'probes' keys")
    _known(data, _SUITE_KEYS, where, "suite")
    characters = {str(k): _character(str(k), v, where.at(v)) for k, v in _get(data, "characters", dict, where).items()}
    defaults = _get(data, "defaults", dict, where)
    generation = _generation(defaults.get("generation", {}), where.at(defaults))
    user = str(data.get("user", "User"))
    probes = _get(data, "probes", list, where)
    if not probes:
        raise where.fail("'probes' must list at least one probe")
    seen: set[str] = set()
    built = []
    for raw in probes:
        probe = _probe(raw, where.at(raw), characters, generation, user)
        if probe.id in seen:
            raise where.at(raw).fail(f"probe id {probe.id!r} is used twice; ids must be unique")
        seen.add(probe.id)
        built.append(probe)
    return Suite(name=str(data.get("suite") or Path(path).stem), probes=tuple(built),
                 version=int(data.get("version", 1)), description=str(data.get("description", "")),
                 baseline_prompt=str(data.get("baseline_prompt", "")),
                 length_band=_band(data.get("length_band"), where, "length_band"),
                 format_contract=_contract(data.get("format_contract"), where), path=path)


def _known(data: Mapping[str, Any], keys: set[str], where: _Where, what: str) -> None:
    unknown = sorted(set(map(str, data)) - keys)
    if unknown:
        raise where.fail(f"unknown {what} field {unknown[0]!r}; expected one of {', '.join(sorted(keys))}")


def _get(data: Mapping[str, Any], key: str, kind: type, where: _Where) -> Any:
    value = data.get(key)
    if value is None:
        return kind()
    if not isinstance(value, kind):
        raise where.at(value).fail(f"field {key!r} must be a {'mapping' if kind is dict else kind.__name__}")
    return value


def _character(key: str, raw: Any, where: _Where) -> Character:
    if isinstance(raw, str):
        return Character(key=key, name=raw)
    if not isinstance(raw, Mapping):
        raise where.fail(f"character {key!r} must be a mapping with at least a 'name'")
    _known(raw, {"name", "description", "system_prompt", "first_mes", "examples"}, where, f"character {key!r}")
    examples = raw.get("examples") or ()
    if not isinstance(examples, list | tuple):
        raise where.fail(f"character {key!r}: 'examples' must be a list of replies")
    return Character(key=key, name=str(raw.get("name") or key), description=str(raw.get("description", "")),
                     system_prompt=str(raw.get("system_prompt", "")), first_mes=str(raw.get("first_mes", "")),
                     examples=tuple(map(str, examples)))


def _generation(raw: Any, where: _Where, base: Generation | None = None) -> Generation:
    if not isinstance(raw, Mapping):
        raise where.fail("'generation' must be a mapping (max_new_tokens, temperature, top_p, seed)")
    _known(raw, {"max_new_tokens", "temperature", "top_p", "seed"}, where, "generation")
    merged = {**asdict(base or Generation()), **raw}
    try:
        return Generation(max_new_tokens=int(merged["max_new_tokens"]), temperature=float(merged["temperature"]),
                          top_p=float(merged["top_p"]), seed=int(merged["seed"]))
    except (TypeError, ValueError):
        raise where.fail("generation values must be numbers") from None


def _band(raw: Any, where: _Where, what: str) -> tuple[int, int] | None:
    if raw is None:
        return None
    if not (isinstance(raw, list | tuple) and len(raw) == 2 and all(isinstance(v, int) for v in raw)
            and 0 <= raw[0] <= raw[1]):
        raise where.at(raw).fail(f"'{what}' must be two whole numbers [low, high] with low <= high")
    return int(raw[0]), int(raw[1])


def _contract(raw: Any, where: _Where) -> FormatContract:
    if raw is None:
        return FormatContract()
    where = where.at(raw)
    if not isinstance(raw, Mapping):
        raise where.fail("'format_contract' must be a mapping (actions, quotes, markdown, paragraphs, name_prefix)")
    _known(raw, {"actions", "quotes", "markdown", "paragraphs", "name_prefix"}, where, "format_contract")
    actions, quotes = raw.get("actions"), raw.get("quotes")
    if actions not in (None, "asterisk", "paren", "bracket", "prose", "none"):
        raise where.fail(f"format_contract.actions {actions!r} must be asterisk, paren, bracket, prose or none")
    if quotes not in (None, "double", "curly", "single"):
        raise where.fail(f"format_contract.quotes {quotes!r} must be double, curly or single")
    return FormatContract(actions=actions, quotes=quotes, markdown=raw.get("markdown"),
                          paragraphs=_band(raw.get("paragraphs"), where, "format_contract.paragraphs"),
                          name_prefix=raw.get("name_prefix", False))


def _checks(raw: Any, where: _Where, owner: str, known: Callable[[str], bool]) -> tuple[CheckSpec, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise where.fail(f"{owner}: 'checks' must be a list of {{type: ..., args: {{...}}}}")
    out = []
    for item in raw:
        at = where.at(item)
        if isinstance(item, str):
            item = {"type": item}
        if not isinstance(item, Mapping) or "type" not in item:
            raise at.fail(f"{owner}: each check needs a 'type'")
        _known(item, _CHECK_KEYS, at, f"{owner} check")
        kind = str(item["type"])
        if not known(kind):
            raise at.fail(f"{owner}: unknown check type {kind!r} (docs/probe.md lists them)")
        scope = item.get("scope", "all")
        if isinstance(scope, list) and all(isinstance(i, int) for i in scope):
            scope = tuple(scope)
        elif scope not in ("all", "last"):
            raise at.fail(f"{owner}: check scope must be 'all', 'last' or a list of turn indexes")
        severity = item.get("severity", "hard")
        if severity not in ("hard", "soft"):
            raise at.fail(f"{owner}: check severity must be 'hard' or 'soft'")
        args = item.get("args") or {}
        if not isinstance(args, Mapping):
            raise at.fail(f"{owner}: check 'args' must be a mapping")
        out.append(CheckSpec(kind, dict(args), scope, severity))
    return tuple(out)


def _messages(raw: Any, where: _Where, owner: str, character: Character | None) -> tuple[ChatMessage, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise where.fail(f"{owner}: 'context' must be a list of {{role, content}} messages")
    out = []
    for item in raw:
        at = where.at(item)
        if not isinstance(item, Mapping) or item.get("role") not in ROLES or not isinstance(item.get("content"), str):
            raise at.fail(f"{owner}: each context message needs a role ({', '.join(ROLES)}) and a content string")
        content = item["content"]
        if content.strip() == "{{first_mes}}":
            content = character.first_mes if character else ""
        out.append(ChatMessage(item["role"], content))
    return tuple(out)


def _probe(raw: Any, where: _Where, characters: Mapping[str, Character], default_generation: Generation,
           user: str) -> Probe:
    from threadsmith.probe.scoring import is_check_type

    if not isinstance(raw, Mapping):
        raise where.fail("each probe must be a mapping with id, behavior and turns")
    _known(raw, _PROBE_KEYS, where, "probe")
    if not raw.get("id"):
        raise where.fail("a probe needs an 'id'")
    owner = f"probe {raw['id']!r}"
    behavior = raw.get("behavior")
    if behavior not in BEHAVIORS:
        raise where.fail(f"{owner}: 'behavior' {behavior!r} must be one of {', '.join(BEHAVIORS)}")
    character = None
    if raw.get("character") is not None:
        key = str(raw["character"])
        if key not in characters:
            raise where.fail(f"{owner}: character {key!r} is not defined under 'characters'")
        character = characters[key]
    turns = _turns(raw.get("turns"), where, owner, is_check_type)
    choices = raw.get("choices") or ()
    answer = raw.get("answer")
    if choices and not (isinstance(choices, list) and len(choices) >= 2):
        raise where.fail(f"{owner}: 'choices' must list at least two answers")
    if answer is not None and not (isinstance(answer, int) and 0 <= answer < len(choices)):
        raise where.fail(f"{owner}: 'answer' must be the 0-based index of one of the choices")
    if not turns:
        raise where.fail(f"{owner}: 'turns' must list at least one scripted user turn")
    return Probe(id=str(raw["id"]), behavior=behavior, turns=turns,
                 context=_messages(raw.get("context"), where, owner, character), character=character,
                 user_name=str(raw.get("user", user)),
                 checks=_checks(raw.get("checks"), where, owner, is_check_type),
                 generation=_generation(raw.get("generation", {}), where, default_generation),
                 choices=tuple(map(str, choices)), answer=answer,
                 reference=None if raw.get("reference") is None else str(raw["reference"]),
                 tags=tuple(map(str, raw.get("tags") or ())), line=where.line)


def _turns(raw: Any, where: _Where, owner: str, known: Callable[[str], bool]) -> tuple[Turn, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise where.fail(f"{owner}: 'turns' must be a list of {{user: ...}} turns")
    out = []
    for item in raw:
        at = where.at(item)
        if isinstance(item, str):
            item = {"user": item}
        if not isinstance(item, Mapping) or not isinstance(item.get("user"), str):
            raise at.fail(f"{owner}: each turn needs a 'user' text")
        _known(item, {"user", "checks"}, at, f"{owner} turn")
        out.append(Turn(item["user"], _checks(item.get("checks"), at, owner, known)))
    return tuple(out)


# --- compiled JSONL -------------------------------------------------------------------------


def compile_suite(suite: Suite) -> str:
    """The suite as JSONL: a header line, then one fully resolved probe per line."""
    header = {"suite": suite.name, "version": suite.version, "description": suite.description,
              "baseline_prompt": suite.baseline_prompt, "length_band": suite.length_band,
              "format_contract": asdict(suite.format_contract)}
    lines = [json.dumps(header, ensure_ascii=False)]
    lines += [json.dumps(asdict(p), ensure_ascii=False) for p in suite.probes]
    return "\n".join(lines) + "\n"


def _from_jsonl(text: str, path: str) -> Suite:
    rows = []
    for n, line in enumerate(text.splitlines(), 1):
        if line.strip():
            try:
                rows.append((n, json.loads(line)))
            except json.JSONDecodeError as exc:
                raise _Where(path, n).fail(f"not valid JSON: {exc.msg}") from None
    if not rows:
        raise _Where(path).fail("the compiled suite is empty")
    _, header = rows[0]
    probes = []
    for n, row in rows[1:]:
        try:
            probes.append(_probe_from_json(row, n))
        except (KeyError, TypeError) as exc:
            raise _Where(path, n).fail(f"compiled probe lacks or mistypes {exc}; recompile the suite") from None
    contract = header.get("format_contract") or {}
    paragraphs = contract.get("paragraphs")
    band = header.get("length_band")
    return Suite(name=header["suite"], probes=tuple(probes), version=header.get("version", 1),
                 description=header.get("description", ""), baseline_prompt=header.get("baseline_prompt", ""),
                 length_band=tuple(band) if band else None,  # type: ignore[arg-type]
                 format_contract=FormatContract(**{**contract,
                                                   "paragraphs": tuple(paragraphs) if paragraphs else None}),
                 path=path)


def _check_from_json(raw: Mapping[str, Any]) -> CheckSpec:
    scope = raw["scope"]
    return CheckSpec(raw["type"], raw["args"], tuple(scope) if isinstance(scope, list) else scope, raw["severity"])


def _probe_from_json(raw: Mapping[str, Any], line: int) -> Probe:
    character = Character(**{**raw["character"], "examples": tuple(raw["character"]["examples"])}) \
        if raw["character"] else None
    return Probe(id=raw["id"], behavior=raw["behavior"],
                 turns=tuple(Turn(t["user"], tuple(map(_check_from_json, t["checks"]))) for t in raw["turns"]),
                 context=tuple(ChatMessage(**m) for m in raw["context"]), character=character,
                 user_name=raw["user_name"], checks=tuple(map(_check_from_json, raw["checks"])),
                 generation=Generation(**raw["generation"]), choices=tuple(raw["choices"]), answer=raw["answer"],
                 reference=raw["reference"], tags=tuple(raw["tags"]), line=line)
