"""The stats and report commands: thin shells that print, write and exit as documented."""

import json

from tests.conftest import chat
from threadsmith.cli import cli
from threadsmith.cli.insights import sparkline
from threadsmith.stats.sketches import TURN_BOUNDS, Histogram

DATA = [chat(("user", "Hello there"), ("assistant", "*nods* \"Welcome.\""), tags=["greeting"]),
        chat(("user", "Bye"), ("assistant", "*nods* \"Safe travels.\""), tags=["greeting"])]


def test_stats_text(cli_runner, write_jsonl) -> None:
    result = cli_runner.invoke(cli, ["stats", str(write_jsonl(DATA))])
    assert result.exit_code == 0, result.output
    assert "2 conversations" in result.stdout
    assert "assistant words" in result.stdout and "nods welcome" in result.stdout
    assert "greeting" in result.stdout


def test_stats_json(cli_runner, write_jsonl) -> None:
    result = cli_runner.invoke(cli, ["stats", str(write_jsonl(DATA)), "--format", "json", "--top", "1"])
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    assert doc["conversations"] == 2 and doc["messages"] == {"user": 2, "assistant": 2}
    assert len(doc["openers"]["top"]) == 1 and doc["markup"]["asterisk"] == 2


def test_report_writes_html(cli_runner, write_jsonl, tmp_path) -> None:
    out = tmp_path / "report.html"
    result = cli_runner.invoke(cli, ["report", str(write_jsonl(DATA)), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert "quality score" in result.stderr and "/100" in result.stderr


def test_missing_input_is_exit_2(cli_runner, tmp_path) -> None:
    for command in (["stats"], ["report", "-o", str(tmp_path / "r.html")]):
        result = cli_runner.invoke(cli, [*command, str(tmp_path / "nope.jsonl")])
        assert result.exit_code == 2 and "No such file" in result.stderr


def test_sparkline() -> None:
    h = Histogram("turns", TURN_BOUNDS)
    for value in (2, 2, 2, 2, 4):
        h.add(value)
    assert sparkline(h.result()) == "█ ▂"
    assert sparkline(Histogram("turns", TURN_BOUNDS).result()) == ""
