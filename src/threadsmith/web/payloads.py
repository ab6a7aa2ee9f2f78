"""What the API reads and writes: request bodies (pydantic models, so they appear in the
OpenAPI schema) and the JSON views of the workspace's results."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from threadsmith.model import Conversation, Finding
from threadsmith.workspace import operations as ops
from threadsmith.workspace.results import DatasetInfo, EditResult, Entry, SearchHit, TurnChange, Version

_TEXT = 1_000_000
Index = Annotated[int, Field(ge=0, le=100_000)]
Name = Annotated[str, Field(min_length=1, max_length=200)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SetTextOp(_Body):
    op: Literal["set-text"]
    index: Index
    text: Annotated[str, Field(max_length=_TEXT)]


class SetRoleOp(_Body):
    op: Literal["set-role"]
    index: Index
    role: Name


class InsertTurnOp(_Body):
    op: Literal["insert-turn"]
    index: Index
    role: Name = "user"
    text: Annotated[str, Field(max_length=_TEXT)] = ""


class DeleteTurnOp(_Body):
    op: Literal["delete-turn"]
    index: Index


class MoveTurnOp(_Body):
    op: Literal["move-turn"]
    source: Index
    target: Index


class SetTagsOp(_Body):
    op: Literal["set-tags"]
    tags: Annotated[list[Name], Field(max_length=200)]


class SplitOp(_Body):
    op: Literal["split"]
    at: Annotated[int, Field(ge=1, le=100_000)]


class JoinOp(_Body):
    op: Literal["join"]
    others: Annotated[list[Name], Field(min_length=1, max_length=100)]


class SimpleOp(_Body):
    op: Literal["duplicate", "include", "delete"]


class ExcludeOp(_Body):
    op: Literal["exclude"]
    reason: Annotated[str, Field(min_length=1, max_length=500)] = "excluded in the web workbench"


Operation = Annotated[SetTextOp | SetRoleOp | InsertTurnOp | DeleteTurnOp | MoveTurnOp | SetTagsOp | SplitOp | JoinOp
                      | SimpleOp | ExcludeOp, Field(discriminator="op")]


class EditRequest(_Body):
    """Edits to one entry, saved as one version; refused (409) if the entry changed after ``base_version``."""

    base_version: Annotated[int, Field(ge=0, description="The version the editor loaded the entry from (its `since`).")]
    operations: Annotated[list[Operation], Field(min_length=1, max_length=500)]
    message: Annotated[str, Field(max_length=500)] | None = None


class BaseRequest(_Body):
    base_version: Annotated[int, Field(ge=0)]


class FixRequest(_Body):
    codes: Annotated[list[Annotated[str, Field(min_length=2, max_length=20)]], Field(min_length=1, max_length=50)]
    base_version: Annotated[int, Field(ge=0)]


class FixAllRequest(_Body):
    unsafe: bool = False


class DismissRequest(_Body):
    code: Annotated[str, Field(min_length=2, max_length=20)]
    reason: Annotated[str, Field(min_length=1, max_length=1000)]


class RestoreRequest(_Body):
    version: Annotated[int, Field(ge=1)]
    message: Annotated[str, Field(max_length=500)] | None = None


class TagRequest(_Body):
    version: Annotated[int, Field(ge=1)]
    name: Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")]
    move: bool = False


class PromptRequest(_Body):
    name: Name
    text: Annotated[str, Field(max_length=100_000)]


def to_operation(key: str, body: Any) -> ops.Operation:
    """The workspace operation for one request operation on entry ``key``."""
    kind = body.op
    simple: dict[str, type[ops.Operation]] = {"duplicate": ops.Duplicate, "include": ops.Include, "delete": ops.Delete}
    if kind in simple:
        return simple[kind](key)
    if kind == "set-text":
        return ops.SetText(key, body.index, body.text)
    if kind == "set-role":
        return ops.SetRole(key, body.index, body.role)
    if kind == "insert-turn":
        return ops.InsertTurn(key, body.index, body.role, body.text)
    if kind == "delete-turn":
        return ops.DeleteTurn(key, body.index)
    if kind == "move-turn":
        return ops.MoveTurn(key, body.source, body.target)
    if kind == "set-tags":
        return ops.SetTags(key, replace_with=tuple(dict.fromkeys(body.tags)))
    if kind == "split":
        return ops.Split(key, body.at)
    if kind == "join":
        return ops.Join(key, tuple(body.others))
    return ops.Exclude(key, reason=body.reason)


def version_view(version: Version | None) -> dict[str, Any] | None:
    return None if version is None else asdict(version)


def dataset_view(info: DatasetInfo, summary: dict[str, Any] | None) -> dict[str, Any]:
    audit = None
    if summary is not None:
        audit = {key: summary.get(key) for key in ("findings", "by_family", "by_severity", "fixable")}
    return {**asdict(info), "audit": audit}


def messages_view(conversation: Conversation | None) -> list[dict[str, Any]]:
    if conversation is None:
        return []
    return [{"index": i, "role": m.role, "name": m.name, "text": m.text, "raw_role": m.raw_role}
            for i, m in enumerate(conversation.messages)]


def finding_view(finding: Finding) -> dict[str, Any]:
    out = finding.to_dict()
    out["fix_safety"] = finding.fix.safety.value if finding.fix else None
    return out


def entry_view(entry: Entry, findings: list[Finding] | None = None,
               dismissed: dict[str, str] | None = None) -> dict[str, Any]:
    conversation = entry.conversation
    return {
        "key": entry.key, "since": entry.since, "content_hash": entry.content_hash, "excluded": entry.excluded,
        "tags": list(conversation.tags), "provenance": entry.provenance.describe(),
        "messages": messages_view(conversation),
        "findings": [finding_view(f) for f in findings or []], "dismissed": dismissed or {},
    }


def hit_view(hit: SearchHit) -> dict[str, Any]:
    return asdict(hit)


def turn_view(change: TurnChange) -> dict[str, Any]:
    return asdict(change)


def edit_view(result: EditResult) -> dict[str, Any]:
    return {"dataset": result.dataset, "version": version_view(result.version), "changed": result.changed,
            "added": result.added, "removed": result.removed, "details": result.details}
