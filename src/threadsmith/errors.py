"""The one exception tree of threadsmith.

Library code raises these; the shells (CLI, web) translate them. Data problems are never
exceptions: they are findings.

::

    ThreadsmithError
     +-- UserError              the user asked for something that cannot be done (CLI exit 2)
     |    +-- InputNotFound     a path does not exist or cannot be read
     |    +-- UnknownFormat     a format name is not one we read or write
     |    +-- UnsupportedConversion  a conversation cannot be written in the asked format
     |    +-- UnknownCheck      a --select/--ignore/explain code matches no check
     |    +-- ConfigError       threadsmith.toml / [tool.threadsmith] is invalid
     |    +-- NotFound          a dataset, entry, version, tag, character or prompt does not exist
     |    +-- Conflict          an edit was based on an entry that changed since (optimistic concurrency)
     +-- StoreError             the workspace database cannot be used as asked
     |    +-- SchemaTooNew      the workspace was written by a newer threadsmith (upgrade)
     |    +-- StoreBusy         another process holds the workspace's write lock past the wait
     +-- MissingDependency      an optional extra is not installed (names the pip command)
"""

from __future__ import annotations


class ThreadsmithError(Exception):
    """Base of every error threadsmith raises on purpose."""

    #: What the user can do next; the shells print it under the message.
    hint: str | None = None

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        if hint is not None:
            self.hint = hint


class UserError(ThreadsmithError):
    """Raised when an invocation cannot be carried out as asked; fix the invocation and retry."""


class InputNotFound(UserError):
    """Raised when an input path does not exist or is not readable."""

    hint = "Check the path, or pass a folder to audit every dataset file inside it."


class UnknownFormat(UserError):
    """Raised when a format name is not known to the readers or writers."""


class UnsupportedConversion(UserError):
    """Raised when a conversation cannot be written in the requested format (e.g. multi-turn to Alpaca)."""

    def skippable(self, target: str) -> UnsupportedConversion:
        """This refusal, its hint also naming the option that leaves such conversations out."""
        return UnsupportedConversion(str(self), hint=f"{self.hint or ''} Or leave out what {target} cannot take with "
                                                      "skip_unsupported (--skip-unsupported).".strip())


class UnknownCheck(UserError):
    """Raised when a check code, prefix or family given by the user matches nothing."""

    hint = "Run `threadsmith checks` to list every code."


class ConfigError(UserError):
    """Raised when the configuration file has an unknown key or a value of the wrong type."""


class NotFound(UserError):
    """Raised when a named dataset, entry, version, tag, character or prompt does not exist."""


class Conflict(UserError):
    """Raised when an edit was based on a state of an entry that another change replaced since.

    The edit is refused rather than silently overwriting the newer state (no lost update).
    """

    hint = "Reload the entry (threadsmith log / search shows its latest version), then redo the edit on it."

    def __init__(self, message: str, *, entry: str, based_on: int | None, current: int | None,
                 hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        #: The key of the entry that changed.
        self.entry = entry
        #: The version the edit was based on, and the version that last changed the entry.
        self.based_on = based_on
        self.current = current


class StoreError(ThreadsmithError):
    """Raised when the workspace database cannot be opened or used (not a workspace, damaged, read-only)."""


class SchemaTooNew(StoreError):
    """Raised when a workspace was written by a newer threadsmith whose schema this one does not know."""

    hint = "Upgrade threadsmith (pip install -U threadsmith) to open this workspace."


class StoreBusy(StoreError):
    """Raised when another process kept the workspace's write lock for longer than the bounded wait."""

    hint = "Another threadsmith command is writing to this workspace; wait for it to finish and retry."


class MissingDependency(ThreadsmithError):
    """Raised when an optional extra is needed; the message names the pip command that installs it."""

    def __init__(self, package: str, *, extra: str, purpose: str) -> None:
        super().__init__(
            f"{purpose} needs the optional package {package!r}, which is not installed.",
            hint=f"pip install 'threadsmith[{extra}]'",
        )
        self.package = package
        self.extra = extra
