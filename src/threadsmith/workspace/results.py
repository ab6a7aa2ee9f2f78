"""What the workspace's methods return: frozen dataclasses, no SQL, no terminal."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from threadsmith.model import Conversation, RecordProblem
from threadsmith.store import VersionRow

#: One version of a dataset (number, kind, message, author, created_at, counts, tags).
Version = VersionRow


@dataclass(frozen=True, slots=True)
class DatasetInfo:
    """A dataset: name, latest version, how many entries it holds now (and how many are excluded)."""

    name: str
    head: int
    entries: int
    created_at: str
    updated_at: str | None


@dataclass(frozen=True, slots=True)
class Provenance:
    """Where an entry came from: file, line, record index, format, import batch and version; or how an edit made it."""

    path: str | None
    line: int | None
    index: int | None
    format: str | None
    batch: int | None
    origin: str | None

    def describe(self) -> str:
        """One line for people."""
        if self.path is None:
            return self.origin or "made in the workspace"
        where = f"{self.path}" + (f":{self.line}" if self.line else "")
        extra = f" (record {self.index}, {self.format}, import batch {self.batch})" if self.index is not None else ""
        return where + extra + (f"; {self.origin}" if self.origin else "")


@dataclass(frozen=True, slots=True)
class Entry:
    """One entry as a version holds it."""

    key: str
    conversation: Conversation
    position: float
    excluded: str | None
    #: The version that gave the entry this state (pass it as ``base_version`` when editing).
    since: int
    #: Hex digest of the content (pass it as ``expected`` when editing).
    content_hash: str
    provenance: Provenance


@dataclass(frozen=True, slots=True)
class Page:
    """A page of entries and the cursor for the next one (None at the end)."""

    entries: tuple[Entry, ...]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class ImportResult:
    """What an import stored."""

    dataset: str
    version: Version | None
    files: tuple[str, ...]
    imported: int
    new_contents: int
    problems: tuple[RecordProblem, ...]
    seconds: float


@dataclass(frozen=True, slots=True)
class ExportResult:
    """What an export wrote."""

    dataset: str
    version: int
    output: str
    written: int
    excluded: int
    fmt: str | None


@dataclass(frozen=True, slots=True)
class TurnChange:
    """How one turn differs between two versions of an entry."""

    kind: str  # added | removed | changed
    before_index: int | None
    after_index: int | None
    before_role: str | None
    after_role: str | None
    #: A unified diff of the text (changed turns), or the whole text (added / removed turns).
    lines: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class EntryChange:
    """One entry that differs between two versions."""

    key: str
    #: added | removed | changed | moved | excluded | included
    kind: str
    before_hash: str | None
    after_hash: str | None
    turns: tuple[TurnChange, ...] = ()
    #: Tags, metadata or exclusion reason that changed, as ``name: before -> after`` lines.
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class FamilyDelta:
    """Findings of one family in two versions."""

    family: str
    before: int
    after: int

    @property
    def change(self) -> int:
        """after - before."""
        return self.after - self.before


@dataclass(frozen=True, slots=True)
class Diff:
    """What changed between two versions of a dataset."""

    dataset: str
    before: int
    after: int
    added: int
    removed: int
    changed: int
    moved: int
    excluded: int
    included: int
    changes: tuple[EntryChange, ...]
    #: Findings per family in each version; None when not computed.
    findings: tuple[FamilyDelta, ...] | None = None
    #: What the findings cover: "complete" (both versions audited) or "changed entries".
    findings_scope: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The diff as JSON-ready data."""
        from dataclasses import asdict

        out = asdict(self)
        if self.findings is not None:
            out["findings"] = [{**asdict(f), "change": f.change} for f in self.findings]
        return out


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One entry a search found, with a snippet of the text that matched."""

    key: str
    position: float
    excluded: str | None
    snippet: str
    roles: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SearchResult:
    """A page of search hits and the cursor for the next page."""

    hits: tuple[SearchHit, ...]
    next_cursor: str | None
    total: int | None = None


@dataclass(frozen=True, slots=True)
class EditResult:
    """What a batch of edits (or a fix, a restore, a merge) committed."""

    dataset: str
    version: Version | None
    changed: int
    added: int
    removed: int
    details: dict[str, Any] = field(default_factory=dict)
