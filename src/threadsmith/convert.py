"""The convert facade: read any format, write another, losslessly where the formats allow."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

from threadsmith.config import Config
from threadsmith.errors import UserError
from threadsmith.formats import read_file, write_jsonl
from threadsmith.model import Conversation, RecordProblem


@dataclass(frozen=True, slots=True)
class ConvertResult:
    """What a conversion wrote, and the records it could not read (left out, with their problems)."""

    output: str
    written: int
    skipped: tuple[RecordProblem, ...]


def convert(
    source: str | os.PathLike[str],
    output: str | os.PathLike[str],
    *,
    to: str,
    config: Config | None = None,
) -> ConvertResult:
    """Convert one dataset file to ``to`` (openai, sharegpt, alpaca, trl, transcript, sillytavern)."""
    if os.path.abspath(os.fspath(source)) == os.path.abspath(os.fspath(output)):
        raise UserError(f"Refusing to overwrite the input {source}.", hint="Choose another output path with -o.")
    config = config or Config()
    skipped: list[RecordProblem] = []

    def conversations() -> Iterator[Conversation]:
        for item in read_file(source, role_map=config.roles):
            if isinstance(item, RecordProblem):
                skipped.append(item)
            else:
                yield item

    result = write_jsonl(conversations(), output, to)
    return ConvertResult(result.path, result.records, tuple(skipped))
