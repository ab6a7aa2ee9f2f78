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


class UnknownCheck(UserError):
    """Raised when a check code, prefix or family given by the user matches nothing."""

    hint = "Run `threadsmith checks` to list every code."


class ConfigError(UserError):
    """Raised when the configuration file has an unknown key or a value of the wrong type."""


class MissingDependency(ThreadsmithError):
    """Raised when an optional extra is needed; the message names the pip command that installs it."""

    def __init__(self, package: str, *, extra: str, purpose: str) -> None:
        super().__init__(
            f"{purpose} needs the optional package {package!r}, which is not installed.",
            hint=f"pip install 'threadsmith[{extra}]'",
        )
        self.package = package
        self.extra = extra
