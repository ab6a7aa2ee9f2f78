"""Conversations longer than max-length: split into windows, cut at the end, or left out.

``long = "window"`` (the default) splits a long conversation into windows of whole exchanges
(the turns up to and including an assistant reply) with :func:`threadsmith.checks.windows.split_windows`,
the function behind the LN001 "split" fix, so training and the audit cut the same way. Every
window starts with the conversation's system prompt and is rendered through the chat template
on its own, so its loss mask covers exactly its own assistant turns. A window still longer than
max-length (one exchange longer than max-length on its own, or a few template tokens over) is
cut at the end. ``truncate`` cuts every long conversation at the end (the turns after the cut
are never trained); ``drop`` leaves long conversations out. Whatever the mode, a row left with
no trained token is dropped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from threadsmith.model import Conversation
from threadsmith.rendering import ChatTokenizer
from threadsmith.train.config import LONG_MODES
from threadsmith.train.data import Examples, encode


@dataclass(frozen=True, slots=True)
class Fitted:
    """Examples that fit max-length, and what it took."""

    examples: Examples
    #: Long conversations split, and the windows they became.
    windowed: int = 0
    windows: int = 0
    #: Long rows (conversations or windows) cut at the end, and rows left out (drop mode, or no trained token left).
    truncated: int = 0
    dropped: int = 0

    def notes(self, max_length: int) -> list[str]:
        """Warnings for the user (empty when nothing was long)."""
        out = []
        if self.windowed:
            out.append(f"{self.windowed} conversations longer than max-length {max_length} were split into "
                       f"{self.windows} windows (each starting with the system prompt).")
        if self.truncated:
            out.append(f"{self.truncated} rows longer than max-length {max_length} were cut at the end.")
        if self.dropped:
            out.append(f"{self.dropped} conversations longer than max-length {max_length} were left out"
                       f"{'' if self.windowed or self.truncated else ' (long = drop)'} or kept no trained token.")
        return out


def fit_to_length(examples: Examples, conversations: Sequence[Conversation], max_length: int, *, mode: str,
                  chat: ChatTokenizer | None = None, assistant_only: bool = True) -> Fitted:
    """``examples`` (encoded from ``conversations``) made to fit ``max_length`` tokens as ``mode`` says."""
    if mode not in LONG_MODES:
        raise ValueError(f"long = {mode!r} is not one of {', '.join(LONG_MODES)}")
    long_rows = [k for k, row in enumerate(examples.input_ids) if len(row) > max_length]
    if not long_rows:
        return Fitted(examples)
    if mode == "truncate":
        cut = examples.truncated(max_length)
        return Fitted(cut, truncated=len(long_rows) - (cut.skipped - examples.skipped),
                      dropped=cut.skipped - examples.skipped)
    short = _select(examples, [k for k in range(len(examples.input_ids)) if len(examples.input_ids[k]) <= max_length])
    if mode == "drop":
        return Fitted(short, dropped=len(long_rows))
    if chat is None:
        raise ValueError("windowing needs the chat tokenizer")
    from threadsmith.checks.windows import split_windows

    pieces: list[Conversation] = []
    sources: list[int] = []  # the conversation index of each window
    split = 0
    for k in long_rows:
        windows = split_windows(conversations[examples.origins[k]], chat, max_length)
        split += len(windows) > 1
        pieces.extend(windows)
        sources.extend([examples.origins[k]] * len(windows))
    encoded = encode(chat, pieces, assistant_only=assistant_only)
    over = sum(len(row) > max_length for row in encoded.input_ids)
    cut = encoded.truncated(max_length)
    merged = Examples(short.input_ids + cut.input_ids, short.masks + cut.masks, examples.skipped,
                      short.origins + tuple(sources[i] for i in cut.origins))
    return Fitted(merged, windowed=split, windows=len(pieces) - (len(long_rows) - split),
                  truncated=over - (cut.skipped - encoded.skipped), dropped=cut.skipped)


def _select(examples: Examples, rows: Sequence[int]) -> Examples:
    origins = tuple(examples.origins[k] for k in rows) if examples.origins else ()
    return Examples(tuple(examples.input_ids[k] for k in rows), tuple(examples.masks[k] for k in rows),
                    examples.skipped, origins)
