"""The optional judge: rubric answers parsed robustly, asked over a real OpenAI-compatible server
(the project's own ``serve-model`` server, in process), cached, reported beside the automatic score."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from click.testing import CliRunner

from threadsmith.cli import cli
from threadsmith.probe.judge import Judge, judge_run, parse_verdict
from threadsmith.probe.runner import run_suite
from threadsmith.probe.suite import Generation
from threadsmith.probe.suite_file import load_suite

TINY = Path(__file__).with_name("tiny_suite.yaml")


class Scripted:
    """A model that breaks character, and a judge that says NO when it sees AI talk."""

    def __init__(self, name: str) -> None:
        self.name, self.calls, self.seen = name, 0, []

    def generate(self, messages: Sequence[dict[str, str]], generation: Generation) -> tuple[str, str]:
        self.calls += 1
        self.seen.append((list(messages), generation))
        if self.name == "model":
            return "As an AI language model, I smile. You nod and step back.", "stop"
        text = messages[-1]["content"]
        reply = text.split("Reply by", 1)[1].split("Question:", 1)[0]
        if "leave" in text.split("Question:", 1)[1]:
            return "Answer: **No**, it narrates what Alex does.", "stop"
        return ("NO\nIt talks as an AI." if "as an ai" in reply.lower() else "Yes - in character."), "stop"

    def choice_logprobs(self, messages: Sequence[dict[str, str]], choices: Sequence[str]) -> list[float]:
        return [0.0 for _ in choices]

    def token_distributions(self, messages: Sequence[dict[str, str]], continuation: str, k: int = 20) -> list:
        return []


@pytest.fixture
def servers() -> Iterator[tuple[str, str, Scripted]]:
    from threadsmith.probe.server import make_server

    judge = Scripted("judge")
    made = [make_server(Scripted("model"), port=0), make_server(judge, port=0)]
    for server in made:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    yield tuple(f"http://127.0.0.1:{server.server_address[1]}/v1" for server in made) + (judge,)  # type: ignore[misc]
    for server in made:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(("answer", "passed"), [
    ("YES\nStays in character.", True), ("no", False), ("**No.** It offers to rewrite the scene.", False),
    ("Answer: Yes, every sentence is fiction.", True), ('{"answer": "NO", "reason": "as an AI"}', False),
    ("FAIL: narrates the user", False), ("The reply has no problems.\nYES", False), ("I cannot tell.", None)])
def test_parse_verdict(answer: str, passed: bool | None) -> None:
    assert parse_verdict(answer)[0] is passed


def test_parse_verdict_keeps_the_reason() -> None:
    assert parse_verdict("NO\nIt talks as an AI.") == (False, "It talks as an AI")
    assert "unreadable" in parse_verdict("hmm")[1]


def test_judge_over_http_is_cached_and_sits_beside_the_score(servers: tuple[str, str, Scripted],
                                                             tmp_path: Path) -> None:
    from threadsmith.probe.backend import open_backend
    from threadsmith.probe.http_backend import HttpBackend

    model_url, judge_url, judge_model = servers
    suite = load_suite(TINY)
    run = run_suite(suite, open_backend(model_url + "#model"), variant="base")
    judge = Judge(HttpBackend(judge_url, "grader"), tmp_path)
    out = judge_run(run, suite, judge)
    assert out["scores"] == {"role": 0.0, "agency": 0.0} and out["unreadable"] == 0
    assert {v["behavior"] for v in out["verdicts"]} == {"role", "agency"}
    assert "as an AI" in next(v["reason"] for v in out["verdicts"] if v["behavior"] == "role")
    messages, generation = judge_model.seen[0]
    assert generation.temperature == 0.0 and "Mira" in messages[1]["content"]  # names resolved in the rubric
    calls = judge_model.calls
    assert judge_run(run, suite, judge) == out and judge_model.calls == calls  # served from the cache
    assert run.behavior_scores()["role"] == 0.5 and "judge" not in run.metadata  # automatic score untouched


def test_cli_judge_option(servers: tuple[str, str, Scripted], tmp_path: Path,
                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    url, judge_url, _ = servers
    result = CliRunner().invoke(cli, ["probe", "run", str(TINY), "--model", url + "#model", "--judge", judge_url,
                                      "--judge-model", "grader", "-o", str(tmp_path / "a.json")])
    assert result.exit_code == 0, result.output
    assert "judge 0.00" in result.output
    assert '"judge"' in (tmp_path / "a.json").read_text(encoding="utf-8")  # saved with the results
    bad = CliRunner().invoke(cli, ["probe", "run", str(TINY), "--model", url, "--judge", "localhost:1"])
    assert bad.exit_code != 0 and "not an http(s) URL" in bad.output and "Traceback" not in bad.output
