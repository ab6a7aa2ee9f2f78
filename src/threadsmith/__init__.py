"""Threadsmith: a local-first workbench for conversational fine-tuning datasets.

Two levels of API::

    import threadsmith
    report = threadsmith.audit(["data.jsonl"])          # one call, like the CLI
    for conversation in threadsmith.read_file("data.jsonl"):
        ...                                             # the model, to build on

Nothing outside ``__all__`` is promised; internal modules may move.
"""

from importlib import metadata as _metadata

from threadsmith.audit import AuditReport, AuditSummary, audit
from threadsmith.checks import Check, ConversationCheck, DatasetCheck, Hit, all_checks, register
from threadsmith.config import Config, load_config
from threadsmith.convert import ConvertResult, convert
from threadsmith.errors import (
    ConfigError,
    InputNotFound,
    MissingDependency,
    ThreadsmithError,
    UnknownCheck,
    UnknownFormat,
    UnsupportedConversion,
    UserError,
)
from threadsmith.formats import read_file, to_record, write_jsonl
from threadsmith.report import quality_score, write_report
from threadsmith.stats import DatasetStats, dataset_stats
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

try:
    __version__ = _metadata.version("threadsmith")
except _metadata.PackageNotFoundError:  # running from a source tree without installing
    __version__ = "0+unknown"

__all__ = [
    "AuditReport",
    "AuditSummary",
    "Check",
    "Config",
    "ConfigError",
    "ContentPart",
    "Conversation",
    "ConversationCheck",
    "ConvertResult",
    "DatasetStats",
    "DatasetCheck",
    "Family",
    "Finding",
    "Fix",
    "FixSafety",
    "Hit",
    "InputNotFound",
    "Message",
    "MissingDependency",
    "RecordProblem",
    "Severity",
    "Source",
    "ThreadsmithError",
    "ToolCall",
    "UnknownCheck",
    "UnknownFormat",
    "UnsupportedConversion",
    "UserError",
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
