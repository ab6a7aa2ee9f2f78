"""Readers and writers: bytes <-> the conversation model.

Read: OpenAI/ChatML ``messages``, ShareGPT, Alpaca, TRL prompt-completion, text rendered with a
chat template, Human:/Assistant: transcripts and SillyTavern chats, sniffed per record. Write:
the same formats, as JSONL.
"""

from threadsmith.formats.reader import (
    DATASET_SUFFIXES,
    READ_FORMATS,
    decode_line,
    decode_record,
    jsonl_chunks,
    read_file,
)
from threadsmith.formats.record import RecordContext
from threadsmith.formats.writer import WRITE_FORMATS, WriteResult, dumps, to_record, write_jsonl

__all__ = [
    "DATASET_SUFFIXES",
    "READ_FORMATS",
    "RecordContext",
    "WRITE_FORMATS",
    "WriteResult",
    "decode_line",
    "decode_record",
    "dumps",
    "jsonl_chunks",
    "read_file",
    "to_record",
    "write_jsonl",
]
