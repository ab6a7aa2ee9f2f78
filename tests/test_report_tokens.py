"""Token histograms with a tokenizer: `stats` and the HTML report chart the real counts."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.conftest import chat
from threadsmith.cli import cli
from threadsmith.formats import read_file
from threadsmith.report import build_report
from threadsmith.stats import dataset_stats

pytest.importorskip("tokenizers", reason="needs the export extra")
from threadsmith.rendering import byte_tokenizer  # noqa: E402

TOK = byte_tokenizer()  # one token a byte: the counts are the rendered lengths
RECORDS = [
    chat(("system", "Be brief."), ("user", "Hi"), ("assistant", "Hello."), ("user", "More?"),
         ("assistant", "A much longer answer, " * 6)),
    chat(("user", "Name a colour."), ("assistant", "Blue.")),
    chat(("user", "Tell me a story."), ("assistant", "Once upon a time, a keeper kept a light. " * 8)),
]


def _expected(path: Path) -> tuple[list[int], list[int]]:
    conversations = list(read_file(path))
    counts = TOK.count(conversations)
    replies = [n for c, k in zip(conversations, counts) for m, n in zip(c.messages, k.per_message)
               if m.role == "assistant"]
    return [k.total for k in counts], replies


def test_stats_count_tokens_per_conversation_and_per_reply(write_jsonl) -> None:
    path = write_jsonl(RECORDS)
    totals, replies = _expected(path)
    stats = dataset_stats([path], tokenizer=TOK)
    assert stats.exact_tokens is not None and stats.exact_reply_tokens is not None
    assert (stats.exact_tokens.count, stats.exact_tokens.total, stats.exact_tokens.maximum) == \
        (3, sum(totals), max(totals))
    assert (stats.exact_reply_tokens.count, stats.exact_reply_tokens.total, stats.exact_reply_tokens.maximum,
            stats.exact_reply_tokens.minimum) == (4, sum(replies), max(replies), min(replies))
    assert stats.to_dict()["exact_reply_tokens"]["sum"] == sum(replies)
    assert dataset_stats([path]).exact_reply_tokens is None


def test_report_charts_the_real_token_counts(write_jsonl) -> None:
    path = write_jsonl(RECORDS)
    totals, replies = _expected(path)
    page = build_report([path], tokenizer=TOK).html
    for title, values, what in (("Conversation length in tokens", totals, "conversations"),
                                ("Assistant turn length in tokens", replies, "assistant turns")):
        figure = re.search(rf"<figure><figcaption>{title}<span>([^<]*)</span></figcaption>(<svg.*?</svg>)", page)
        assert figure is not None, title
        assert f"max {max(values):,} tokens · {len(values)} {what}" in figure.group(1)
        bars = [int(n.replace(",", "")) for n in re.findall(r"<title>[^<]*: ([\d,]+) \(", figure.group(2))]
        assert sum(bars) == len(values)
    assert "Assistant turn length in tokens" not in build_report([path]).html


def test_stats_and_report_commands_take_a_tokenizer(cli_runner, write_jsonl, tmp_path: Path) -> None:
    path = write_jsonl(RECORDS)
    TOK.tokenizer.save(str(tmp_path / "tokenizer.json"))
    options = ["--tokenizer", str(tmp_path / "tokenizer.json"), "--template", "chatml"]
    result = cli_runner.invoke(cli, ["stats", str(path), "--format", "json", *options])
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["exact_reply_tokens"]["count"] == 4
    text = cli_runner.invoke(cli, ["stats", str(path), *options])
    assert "tokens / assistant turn" in text.stdout
    report = cli_runner.invoke(cli, ["report", str(path), "-o", str(tmp_path / "r.html"), *options])
    assert report.exit_code == 0, report.stderr
    assert "Assistant turn length in tokens" in (tmp_path / "r.html").read_text(encoding="utf-8")
