"""The CLI: exit codes, errors without tracebacks, explain/checks/convert."""

import json

from tests.conftest import chat
from threadsmith.cli import cli


def test_missing_file_is_exit_2_without_traceback(cli_runner, tmp_path) -> None:
    result = cli_runner.invoke(cli, ["audit", str(tmp_path / "nope.jsonl")])
    assert result.exit_code == 2
    assert "error: No such file" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_bad_option_is_exit_2(cli_runner, write_jsonl) -> None:
    result = cli_runner.invoke(cli, ["audit", str(write_jsonl([])), "--fail-on", "sometimes"])
    assert result.exit_code == 2


def test_unknown_select_is_exit_2_with_hint(cli_runner, write_jsonl) -> None:
    result = cli_runner.invoke(cli, ["audit", str(write_jsonl([chat(("user", "a"))])), "--select", "ZZ9"])
    assert result.exit_code == 2
    assert "threadsmith checks" in result.stderr


def test_select_and_ignore_by_family_prefix_and_code(cli_runner, dirty_fixture) -> None:
    def codes(*args):
        doc = json.loads(cli_runner.invoke(cli, ["audit", str(dirty_fixture), "--format", "json", *args]).stdout)
        return set(doc["summary"]["by_code"])

    assert codes("--select", "repetition") == {"RP001"}
    assert codes("--select", "ST") == {"ST007", "ST008", "ST016"}
    assert codes("--ignore", "ST007,RP") == {"ST008", "ST016"}


def test_fix_never_touches_the_input(cli_runner, dirty_fixture) -> None:
    before = dirty_fixture.read_bytes()
    result = cli_runner.invoke(cli, ["audit", str(dirty_fixture), "--fix"])
    assert dirty_fixture.read_bytes() == before
    fixed = dirty_fixture.with_name("02_dirty_auto_fixable.fixed.jsonl")
    assert fixed.exists()
    assert "fixes applied" in result.stdout and "held back" in result.stdout


def test_fix_refuses_to_overwrite_input(cli_runner, dirty_fixture) -> None:
    result = cli_runner.invoke(cli, ["audit", str(dirty_fixture), "--fix", "-o", str(dirty_fixture)])
    assert result.exit_code == 2
    assert "never modifies inputs" in result.stderr


def test_explain_prints_the_docstring(cli_runner) -> None:
    result = cli_runner.invoke(cli, ["explain", "ST004"])
    assert result.exit_code == 0
    assert "empty-content" in result.stdout and "Why it matters:" in result.stdout
    assert cli_runner.invoke(cli, ["explain", "empty-content"]).exit_code == 0
    assert cli_runner.invoke(cli, ["explain", "XX999"]).exit_code == 2


def test_checks_lists_every_code(cli_runner) -> None:
    rows = json.loads(cli_runner.invoke(cli, ["checks", "--format", "json"]).stdout)
    codes = [row["code"] for row in rows]
    assert "ST001" in codes and "RP001" in codes and codes == sorted(codes)


def test_convert_sharegpt_to_openai(cli_runner, write_jsonl, tmp_path) -> None:
    src = write_jsonl([{"conversations": [{"from": "human", "value": "Hi"}, {"from": "gpt", "value": "Hello"}]}])
    out = tmp_path / "out.jsonl"
    result = cli_runner.invoke(cli, ["convert", str(src), "-o", str(out), "--to", "openai"])
    assert result.exit_code == 0
    record = json.loads(out.read_text())
    assert record["messages"] == [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]


def test_convert_multi_turn_to_alpaca_is_a_clear_error(cli_runner, write_jsonl, tmp_path) -> None:
    src = write_jsonl([chat(("user", "a"), ("assistant", "b"), ("user", "c"), ("assistant", "d"), id="conv-7")])
    result = cli_runner.invoke(cli, ["convert", str(src), "-o", str(tmp_path / "a.jsonl"), "--to", "alpaca"])
    assert result.exit_code == 2
    assert "conv-7" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "a.jsonl").exists()
    assert "--skip-unsupported" in result.stderr


def test_convert_can_leave_out_what_the_format_cannot_hold(cli_runner, write_jsonl, tmp_path) -> None:
    src = write_jsonl([chat(("user", "a"), ("assistant", "b"), id="one"),
                       chat(("user", "a"), ("assistant", "b"), ("user", "c"), ("assistant", "d"), id="conv-7"),
                       chat(("user", "e"), ("assistant", "f"), id="three")])
    out = tmp_path / "a.jsonl"
    result = cli_runner.invoke(cli, ["convert", str(src), "-o", str(out), "--to", "alpaca", "--skip-unsupported"])
    assert result.exit_code == 1 and "wrote 2 conversations" in result.stderr
    assert "left out Conversation 'conv-7'" in result.stderr and "Alpaca holds exactly one" in result.stderr
    assert [json.loads(line)["id"] for line in out.read_text().splitlines()] == ["one", "three"]


def test_config_file_roles_and_ignore(cli_runner, tmp_path) -> None:
    (tmp_path / "threadsmith.toml").write_text('ignore = ["ST016"]\n[roles]\nKai = "assistant"\n')
    data = tmp_path / "d.jsonl"
    data.write_text(json.dumps({"conversations": [{"from": "human", "value": "Hi"}, {"from": "Kai", "value": "Yo"}],
                                "tags": [""]}) + "\n")
    result = cli_runner.invoke(cli, ["audit", str(data), "--config", str(tmp_path / "threadsmith.toml"),
                                     "--format", "json"])
    assert json.loads(result.stdout)["findings"] == []
