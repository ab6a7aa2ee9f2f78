"""Threadsmith: a local-first workbench for conversational fine-tuning datasets.

Two levels of API::

    import threadsmith
    report = threadsmith.audit(["data.jsonl"])          # one call, like the CLI
    for conversation in threadsmith.read_file("data.jsonl"):
        ...                                             # the model, to build on
    with threadsmith.Workspace.open("ws") as ws:        # datasets with versions (docs/workspace.md)
        ws.import_files(["data.jsonl"], dataset="chats")

Nothing outside ``__all__`` is promised; internal modules may move.
"""

from typing import Any as _Any

from threadsmith.audit import AuditReport, AuditSummary, audit
from threadsmith.checks import Check, ConversationCheck, DatasetCheck, Hit, all_checks, register
from threadsmith.config import Config, load_config
from threadsmith.convert import ConvertResult, convert
from threadsmith.errors import (
    ConfigError,
    Conflict,
    InputNotFound,
    MissingDependency,
    NotFound,
    SchemaTooNew,
    StoreBusy,
    StoreError,
    ThreadsmithError,
    UnknownCheck,
    UnknownFormat,
    UnsupportedConversion,
    UserError,
)
from threadsmith.formats import read_file, to_record, write_jsonl
from threadsmith.model import (
    ContentPart,
    Conversation,
    Family,
    Finding,
    Fix,
    FixSafety,
    Message,
    RecordProblem,
    Severity,
    Source,
    ToolCall,
)

#: Names loaded on first use, so that ``import threadsmith`` (and every CLI start) stays fast.
_LAZY = {
    "DatasetStats": "threadsmith.stats",
    "dataset_stats": "threadsmith.stats",
    "quality_score": "threadsmith.report",
    "write_report": "threadsmith.report",
    "Workspace": "threadsmith.workspace",
}


def __getattr__(name: str) -> _Any:
    if name == "__version__":
        from importlib import metadata

        try:
            value = metadata.version("threadsmith")
        except metadata.PackageNotFoundError:  # running from a source tree without installing
            value = "0+unknown"
    elif name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
    else:
        raise AttributeError(f"module 'threadsmith' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY) | {"__version__"})

__all__ = [
    "AuditReport",
    "AuditSummary",
    "Check",
    "Config",
    "ConfigError",
    "Conflict",
    "ContentPart",
    "Conversation",
    "ConversationCheck",
    "ConvertResult",
    "DatasetCheck",
    "DatasetStats",
    "Family",
    "Finding",
    "Fix",
    "FixSafety",
    "Hit",
    "InputNotFound",
    "Message",
    "MissingDependency",
    "NotFound",
    "RecordProblem",
    "SchemaTooNew",
    "Severity",
    "Source",
    "StoreBusy",
    "StoreError",
    "ThreadsmithError",
    "ToolCall",
    "UnknownCheck",
    "UnknownFormat",
    "UnsupportedConversion",
    "UserError",
    "Workspace",
    "__version__",
    "all_checks",
    "audit",
    "convert",
    "dataset_stats",
    "load_config",
    "quality_score",
    "read_file",
    "register",
    "to_record",
    "write_jsonl",
    "write_report",
]
