"""The convert facade: read any format, write another, losslessly where the formats allow."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

from threadsmith.config import Config
from threadsmith.errors import UnsupportedConversion, UserError
from threadsmith.formats import dumps, read_file, to_record, write_jsonl
from threadsmith.model import Conversation, RecordProblem


@dataclass(frozen=True, slots=True)
class ConvertResult:
    """What a conversion wrote, the records it could not read (left out, with their problems), and
    with ``skip_unsupported`` the conversations the target format cannot hold (left out, with why)."""

    output: str
    written: int
    skipped: tuple[RecordProblem, ...]
    refused: tuple[UnsupportedConversion, ...] = ()


def convert(
    source: str | os.PathLike[str],
    output: str | os.PathLike[str],
    *,
    to: str,
    config: Config | None = None,
    skip_unsupported: bool = False,
) -> ConvertResult:
    """Convert one dataset file to ``to`` (``WRITE_FORMATS``). A conversation the format cannot hold
    stops the conversion with an error naming it, or with ``skip_unsupported`` is left out and listed."""
    if os.path.abspath(os.fspath(source)) == os.path.abspath(os.fspath(output)):
        raise UserError(f"Refusing to overwrite the input {source}.", hint="Choose another output path with -o.")
    config = config or Config()
    skipped: list[RecordProblem] = []
    refused: list[UnsupportedConversion] = []

    def conversations() -> Iterator[Conversation | bytes]:
        for item in read_file(source, role_map=config.roles):
            if isinstance(item, RecordProblem):
                skipped.append(item)
            elif skip_unsupported and to != "sillytavern":
                try:
                    yield dumps(to_record(item, to))  # written as it is: the refusal is known before writing
                except UnsupportedConversion as exc:
                    refused.append(exc)
            else:
                yield item

    try:
        result = write_jsonl(conversations(), output, to)
    except UnsupportedConversion as exc:
        raise exc.skippable(to) from None
    return ConvertResult(result.path, result.records, tuple(skipped), tuple(refused))
