"""Dataset kind detection (checks/profile.py)."""

from pathlib import Path

import pytest

from tests.conftest import SHARED_DATA
from threadsmith.checks.profile import detect_kind
from threadsmith.model import Conversation, Message

EXAMPLES = Path(__file__).resolve().parents[2] / "src" / "threadsmith" / "examples"
GPTEACHER = SHARED_DATA / "gpteacher-roleplay.json"


def conv(*turns: tuple[str, str]) -> Conversation:
    return Conversation("c", tuple(Message(role, text) for role, text in turns))


def test_character_setup_makes_roleplay() -> None:
    sample = [conv(("user", "You are playing Captain Vos. Greet the crew."), ("assistant", "Morning, all."))] * 5
    assert detect_kind(sample) == "roleplay"


def test_markdown_bold_is_not_an_action() -> None:
    sample = [conv(("user", "How do I undo a commit?"), ("assistant", "Use **git revert** to keep history."),
                   ("user", "Thanks"), ("assistant", "**Note:** it makes a new commit."))] * 5
    assert detect_kind(sample) == "assistant"


def test_single_turn_tasks_are_instruction() -> None:
    sample = [conv(("user", f"Translate word {i} to French."), ("assistant", "Voilà."))for i in range(20)]
    assert detect_kind(sample) == "instruction"


def test_empty_sample_defaults_to_assistant() -> None:
    assert detect_kind([]) == "assistant"


@pytest.mark.parametrize("name, kind", [("roleplay-lighthouse.jsonl", "roleplay"), ("assistant-chat.jsonl", "assistant")])
def test_examples(name: str, kind: str) -> None:
    from threadsmith.formats import read_file

    assert detect_kind(read_file(EXAMPLES / name)) == kind


@pytest.mark.skipif(not GPTEACHER.exists(), reason="../shared/data is absent")
def test_gpteacher_single_turn_roleplay_is_roleplay() -> None:
    from threadsmith.formats import read_file

    assert detect_kind(c for c in read_file(GPTEACHER) if isinstance(c, Conversation)) == "roleplay"
