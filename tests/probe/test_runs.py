"""Runs, cache, comparison, report, HTTP backend and CLI with a scripted fake model (no torch)."""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner

from threadsmith.cli import cli
from threadsmith.probe import load_suite
from threadsmith.probe.compare import compare_runs, paired_bootstrap
from threadsmith.probe.report import dataset_links, html_report, text_report
from threadsmith.probe.results import load_run, save_run
from threadsmith.probe.runner import ReplyCache, run_suite
from threadsmith.probe.suite import Generation

TINY = Path(__file__).with_name("tiny_suite.yaml")
EXAMPLE = Path(__file__).parents[2] / "src" / "threadsmith" / "examples" / "roleplay-lighthouse.jsonl"


class FakeBackend:
    """Replies from a script; a "tuned" fake breaks character and narrates the user."""

    def __init__(self, name: str, tuned: bool = False) -> None:
        self.name, self.tuned, self.calls = name, tuned, 0

    def generate(self, messages: Sequence[dict[str, str]], generation: Generation) -> tuple[str, str]:
        self.calls += 1
        if self.tuned:
            return "As an AI language model, I smile softly. You feel safe and nod.", "stop"
        last = messages[-1]["content"].lower()
        if "eyes" in last:
            return '*Mira blinks.* "Green, same as ever."', "stop"
        return '*Mira sets down the lamp and looks at the sea.* "Sit, the kettle is on."', "stop"

    def choice_logprobs(self, messages: Sequence[dict[str, str]], choices: Sequence[str]) -> list[float]:
        return [-1.0, -2.0, -3.0] if not self.tuned else [-3.0, -1.0, -2.0]

    def token_distributions(self, messages: Sequence[dict[str, str]], continuation: str, k: int = 20) -> list:
        p = [math.log(0.7), math.log(0.2)]
        return [([1, 2], p), ([3, 4], p)] if not self.tuned else [([2, 1], p), ([3, 4], p)]


def _runs(tmp_path: Path):  # type: ignore[no-untyped-def]
    suite = load_suite(TINY)
    base = run_suite(suite, FakeBackend("smol"), variant="base")
    prompted = run_suite(suite, FakeBackend("smol"), variant="prompted", system_prompt_baseline=True)
    tuned = run_suite(suite, FakeBackend("smol+lora", tuned=True), variant="tuned")
    return base, prompted, tuned


def test_run_scores_every_behavior_and_caches(tmp_path: Path) -> None:
    suite = load_suite(TINY)
    backend = FakeBackend("smol")
    cache = ReplyCache(tmp_path / "cache")
    run = run_suite(suite, backend, variant="base", cache=cache)
    calls = backend.calls
    assert calls == 4  # role, agency, two correction turns
    assert run.behavior_scores()["role"] == 1.0 and run.behavior_scores()["correction"] == 1.0
    forgetting = run.by_id()["forgetting.capital"]
    assert forgetting.choice_scores == (-1.0, -2.0, -3.0) and len(forgetting.distributions) == 2
    again = run_suite(suite, backend, variant="base", cache=cache)
    assert backend.calls == calls  # served from the cache
    assert again.by_id()["role.identity"].replies == run.by_id()["role.identity"].replies
    save_run(run, tmp_path / "base.json")
    assert load_run(tmp_path / "base.json") == run


def test_compare_finds_the_regression_and_links_the_dataset(tmp_path: Path) -> None:
    base, prompted, tuned = _runs(tmp_path)
    comparison = compare_runs([base, prompted, tuned], answers={"forgetting.capital": 0})
    role = next(d for d in comparison.deltas if d.behavior == "role" and d.variant == "tuned")
    assert role.delta == -0.5 and role.low == role.high == -0.5  # assistant talk fails; no other name claimed
    assert {"role", "agency", "forgetting"} <= set(comparison.to_fix)
    tuned_extra = comparison.extras[2]
    assert tuned_extra.kl and tuned_extra.kl > 0 and tuned_extra.answer_changes == 1.0 and tuned_extra.accuracy == 0.0
    assert comparison.extras[0].kl == 0.0 and comparison.extras[0].accuracy == 1.0
    assert any(e.probe_id == "agency.bait" and e.variant == "tuned" for e in comparison.worst)
    links = dataset_links(comparison, str(EXAMPLE))
    agency = next(link for link in links if link.behavior == "agency")
    assert agency.codes == ("RC001", "RC003", "RC004") and "--select RC001,RC003,RC004" in agency.command
    text = text_report(comparison, links)
    assert "what to fix in the dataset next" in text and "worst examples" in text
    page = html_report(comparison, links)
    assert "<h2>What to fix in the dataset next</h2>" in page and "As an AI language model" in page


def test_paired_bootstrap_interval() -> None:
    mean, low, high = paired_bootstrap([0.0, 1.0] * 10)
    assert mean == 0.5 and low < 0.5 < high


@pytest.fixture
def fake_server() -> Iterator[str]:
    from threadsmith.probe.server import make_server

    server = make_server(FakeBackend("fake"), port=0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


def test_http_backend_against_our_server(fake_server: str) -> None:
    from threadsmith.probe.backend import open_backend

    backend = open_backend(fake_server + "#fake")
    run = run_suite(load_suite(TINY), backend, variant="base")
    assert run.behavior_scores()["role"] == 1.0
    assert "local model" in run.by_id()["forgetting.capital"].note  # no logits over HTTP


class LetterFake(FakeBackend):
    """A fake chat model that answers a lettered multiple-choice question with ``letter``."""

    def __init__(self, name: str, letter: str, tuned: bool = False) -> None:
        super().__init__(name, tuned)
        self.letter, self.asked = letter, []

    def generate(self, messages: Sequence[dict[str, str]], generation: Generation) -> tuple[str, str]:
        if "Answer with the letter" in messages[-1]["content"]:
            self.asked.append((messages[-1]["content"], generation))
            return f"The answer is ({self.letter}).", "stop"
        return super().generate(messages, generation)


@contextmanager
def served(backend: FakeBackend) -> Iterator[str]:
    from threadsmith.probe.server import make_server

    server = make_server(backend, port=0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()


def test_http_multiple_choice_is_generated_extracted_and_compared(tmp_path: Path) -> None:
    from threadsmith.probe.backend import open_backend

    suite, answers = load_suite(TINY), {"forgetting.capital": 0}
    base_fake, tuned_fake = LetterFake("base", "A"), LetterFake("tuned", "B", tuned=True)
    with served(base_fake) as base_url, served(tuned_fake) as tuned_url:
        base = run_suite(suite, open_backend(base_url + "#base"), variant="base", cache=ReplyCache(tmp_path / "c"))
        tuned = run_suite(suite, open_backend(tuned_url + "#tuned"), variant="tuned")
    question, generation = base_fake.asked[0]
    assert "A) Paris\nB) Berlin\nC) Madrid" in question and generation.temperature == 0.0
    capital = base.by_id()["forgetting.capital"]
    assert (capital.choice, capital.choice_method, capital.choice_scores) == (0, "generated", ())
    assert capital.choice_reply == "The answer is (A)." and "KL not measured" in capital.note
    assert tuned.by_id()["forgetting.capital"].choice == 1
    comparison = compare_runs([base, tuned], answers)
    extra = comparison.extras[1]
    assert (extra.answer_changes, extra.changed, extra.choice_method) == (1.0, ("forgetting.capital",), "generated")
    assert extra.accuracy == 0.0 and comparison.extras[0].accuracy == 1.0
    assert extra.kl is None and "teacher-forced" in extra.kl_note  # not measured, never 0
    text = text_report(comparison, [])
    assert "KL from base not measured (an HTTP endpoint" in text and "answer changes 1.00 (generated)" in text
    assert "not measured" in html_report(comparison, [])
    # a local (likelihood) base against a generated answer: both methods are named
    local = run_suite(suite, FakeBackend("smol"), variant="base")
    mixed = compare_runs([local, base], answers).extras[1]
    assert mixed.answer_changes == 0.0 and mixed.choice_method == "generated, likelihood"


def test_a_cached_choice_result_from_before_choices_were_recorded_is_regenerated(tmp_path: Path) -> None:
    suite, cache = load_suite(TINY), ReplyCache(tmp_path / "cache")
    probe = next(p for p in suite.probes if p.id == "forgetting.capital")
    backend = LetterFake("old", "A")
    cache.put(cache.key(backend, probe, probe.system_prompt(None)),
              {"replies": [], "finish": [], "choice_scores": [], "distributions": [], "note": "no logits over HTTP"})
    result = run_suite(suite, backend, variant="base", cache=cache).by_id()["forgetting.capital"]
    assert result.choice == 0 and result.choice_method == "likelihood"  # the fake has likelihoods


def test_generated_choice_without_an_answer_counts_as_a_change() -> None:
    suite = load_suite(TINY)
    with served(LetterFake("a", "A")) as url_a, served(LetterFake("z", "Z")) as url_z:
        from threadsmith.probe.backend import open_backend

        answered = run_suite(suite, open_backend(url_a), variant="base")
        silent = run_suite(suite, open_backend(url_z), variant="tuned")
    assert silent.by_id()["forgetting.capital"].choice is None  # "(Z)" is no listed letter
    extra = compare_runs([answered, silent], {"forgetting.capital": 0}).extras[1]
    assert extra.answer_changes == 1.0 and extra.accuracy == 0.0


def test_cli_probe_init_run_compare(tmp_path: Path, fake_server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    runner = CliRunner()
    suite = tmp_path / "probes.yaml"
    result = runner.invoke(cli, ["probe", "init", "--from", str(EXAMPLE), "-o", str(suite)])
    assert result.exit_code == 0, result.output
    loaded = load_suite(suite)
    assert loaded.probes[0].character.name == "Maren Vos" and loaded.length_band
    base = runner.invoke(cli, ["probe", "run", str(TINY), "--model", fake_server, "-o", str(tmp_path / "a.json")])
    assert base.exit_code == 0, base.output
    assert "role" in base.output
    prompted = runner.invoke(cli, ["probe", "run", str(TINY), "--model", fake_server, "--system-prompt-baseline",
                                   "-o", str(tmp_path / "b.json")])
    assert prompted.exit_code == 0, prompted.output
    compared = runner.invoke(cli, ["compare", str(tmp_path / "a.json"), str(tmp_path / "b.json"),
                                   "--html", str(tmp_path / "r.html")])
    assert compared.exit_code == 0, compared.output
    assert "prompted" in compared.output and (tmp_path / "r.html").is_file()


def test_cli_errors_are_messages(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("suite: x\nprobes:\n  - {id: a, behavior: nope, turns: [hi]}\n")
    result = CliRunner().invoke(cli, ["probe", "run", str(bad), "--model", "http://127.0.0.1:9/v1"])
    assert result.exit_code == 2 and "bad.yaml:3" in result.output and "Traceback" not in result.output
    result = CliRunner().invoke(cli, ["compare", str(tmp_path / "only.json")])
    assert result.exit_code == 2 and "at least two" in result.output


def test_init_from_a_workspace_dataset(tmp_path: Path) -> None:
    from threadsmith.probe.facade import init_suite
    from threadsmith.workspace import Workspace

    with Workspace.open(tmp_path / "ws") as ws:
        ws.import_files([EXAMPLE], dataset="lighthouse")
    count = init_suite("lighthouse", tmp_path / "s.yaml", workspace=str(tmp_path / "ws"))
    suite = load_suite(tmp_path / "s.yaml")
    assert count == len(suite.probes) and suite.name == "lighthouse"
    result = CliRunner().invoke(cli, ["probe", "init", "--from", "nope", "--workspace", str(tmp_path / "ws"),
                                      "-o", str(tmp_path / "t.yaml")])
    assert result.exit_code == 2 and "nope" in result.output


def test_rp_bleed_probe_is_generated_and_scored() -> None:
    from threadsmith.probe import suite_from_data

    suite = suite_from_data({"suite": "bleed", "probes": [
        {"id": "forgetting.rp_bleed", "behavior": "forgetting", "turns": ["Explain TCP."],
         "checks": ["format.no_asterisks"]}]})
    run = run_suite(suite, FakeBackend("smol"), variant="base")
    result = run.by_id()["forgetting.rp_bleed"]
    assert result.replies and result.score == 0.0  # the fake answers with an *action*


def test_training_run_gives_model_adapter_and_link(tmp_path: Path) -> None:
    from threadsmith.errors import UserError
    from threadsmith.probe.facade import training_run
    from threadsmith.workspace import Workspace

    out = tmp_path / "run-out"
    (out / "adapter").mkdir(parents=True)
    with Workspace.open(tmp_path / "ws") as ws:
        ws.import_files([EXAMPLE], dataset="lighthouse")
        started = ws.start_run(dataset="lighthouse", version=1, data={}, config={"model": "smol.gguf"}, environment={})
        ws.finish_run(started.id, status="finished", output=str(out), summary={})
        failed = ws.start_run(dataset=None, version=None, data={}, config={}, environment={})
        ws.finish_run(failed.id, status="failed", error="boom")
    model, adapter, link = training_run(started.name, str(tmp_path / "ws"))
    assert model == "smol.gguf" and adapter == str(out / "adapter")
    assert link["dataset"] == "lighthouse" and link["version"] == 1 and link["run"] == started.name
    with pytest.raises(UserError, match="failed"):
        training_run(failed.name, str(tmp_path / "ws"))
    base, _, tuned = _runs(tmp_path)
    from dataclasses import replace

    tuned = replace(tuned, metadata=link)
    text = text_report(compare_runs([base, tuned]), [])
    assert f"training run {started.name}, lighthouse version 1" in text
