"""Safety: killed writers leave the previous version, writers wait or get 'busy', no lost update, O(1) edits."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import orjson
import pytest

from tests.workspace.conftest import write_records
from threadsmith.errors import Conflict, StoreBusy
from threadsmith.workspace import Workspace
from threadsmith.workspace.editor import Editor
from threadsmith.workspace.operations import SetTags, SetText
from threadsmith.workspace.query import Query

ROOT = Path(__file__).resolve().parents[2]

#: A child that writes, announces it is inside the write transaction, then waits there to be killed.
CHILD = textwrap.dedent("""
    import sys, time
    from threadsmith.workspace import Workspace
    from threadsmith.workspace.operations import SetTags
    from threadsmith.workspace.query import Query

    action, workspace, arg, pause = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
    announced = []

    def progress(stage, done):
        if done >= 5000 and not announced:
            announced.append(1)
            print("inside-transaction", flush=True)
            time.sleep(pause)

    with Workspace.open(workspace) as ws:
        if action == "import":
            ws.import_files([arg], "big", progress=progress)
        elif action == "bulk":
            ws.apply_where("big", Query(), SetTags(None, add=(arg,)), progress=lambda s, n: progress(s, 10**6))
        elif action == "edit":
            ws.apply("big", [__import__("threadsmith.workspace.operations", fromlist=["SetText"]).SetText(arg, 0, "child")])
    print("done", flush=True)
""")


def _records(n: int, prefix: str) -> list[dict]:
    return [{"id": f"{prefix}{i}", "messages": [{"role": "user", "content": f"question {i}"},
                                                {"role": "assistant", "content": f"answer {i} about the lamp"}]}
            for i in range(n)]


def _start(action: str, workspace: Path, arg: str, pause: float = 60.0) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "THREADSMITH_WORKERS": "1"}
    return subprocess.Popen([sys.executable, "-c", CHILD, action, str(workspace), arg, str(pause)],
                            stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT)


def _wait_for(child: subprocess.Popen, marker: str) -> None:
    line = child.stdout.readline()
    assert line.strip() == marker, f"child said {line!r} (exit {child.poll()})"


def _kill(child: subprocess.Popen) -> None:
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=10)
    assert child.returncode == -signal.SIGKILL


@pytest.fixture
def first_version(tmp_path: Path) -> tuple[Path, Path]:
    """A workspace whose dataset ``big`` has one committed version, and that version's export."""
    workspace = tmp_path / "ws"
    with Workspace.open(workspace) as ws:
        ws.import_files([write_records(tmp_path / "small.jsonl", _records(300, "old"))], "big")
        ws.export("big", tmp_path / "v1.jsonl")
    return workspace, tmp_path / "v1.jsonl"


def _assert_still_at_version_one(workspace: Path, v1: Path, tmp_path: Path) -> None:
    with Workspace.open(workspace) as ws:
        assert ws.integrity_check() == "ok"
        assert [v.number for v in ws.log("big")] == [1]
        ws.export("big", tmp_path / "after.jsonl")
    assert (tmp_path / "after.jsonl").read_bytes() == v1.read_bytes()


def test_sigkill_during_a_large_import_leaves_the_previous_version(first_version, tmp_path: Path) -> None:
    workspace, v1 = first_version
    big = write_records(tmp_path / "big.jsonl", _records(20_000, "new"))
    child = _start("import", workspace, str(big))
    _wait_for(child, "inside-transaction")
    _kill(child)
    _assert_still_at_version_one(workspace, v1, tmp_path)
    with Workspace.open(workspace) as ws:  # and the workspace takes the next write normally
        assert ws.import_files([big], "big").version.number == 2


def test_sigkill_during_a_bulk_edit_leaves_the_previous_version(first_version, tmp_path: Path) -> None:
    workspace, v1 = first_version
    child = _start("bulk", workspace, "killed-tag")
    _wait_for(child, "inside-transaction")
    _kill(child)
    _assert_still_at_version_one(workspace, v1, tmp_path)
    with Workspace.open(workspace) as ws:
        assert ws.search("big", Query(tags=("killed-tag",))).hits == ()


def test_a_second_writer_waits_boundedly_then_is_told_the_workspace_is_busy(first_version, tmp_path: Path) -> None:
    workspace, _ = first_version
    big = write_records(tmp_path / "big.jsonl", _records(6000, "new"))
    child = _start("import", workspace, str(big), pause=3.0)
    _wait_for(child, "inside-transaction")
    with Workspace.open(workspace, busy_timeout=0.2) as impatient:
        with pytest.raises(StoreBusy) as caught:
            impatient.apply("big", [SetText("old1", 0, "parent")])
        assert "busy" in str(caught.value) and caught.value.hint
        assert impatient.log("big")[0].number == 1  # readers are never blocked
    with Workspace.open(workspace, busy_timeout=30) as patient:
        result = patient.apply("big", [SetText("old1", 0, "parent")])
    assert child.wait(timeout=30) == 0
    assert result.version.number == 3
    with Workspace.open(workspace) as ws:  # both writes are there: nothing lost, nothing corrupted
        assert [v.kind for v in ws.log("big")] == ["edit", "import", "import"]
        assert ws.entry("big", "new5999").conversation.messages[0].text == "question 5999"
        assert ws.integrity_check() == "ok"


def test_an_edit_based_on_an_old_version_is_refused_across_processes(first_version) -> None:
    workspace, _ = first_version
    with Workspace.open(workspace) as ws:
        seen = ws.entry("big", "old7")
        child = _start("edit", workspace, "old7")
        _wait_for(child, "done")
        with pytest.raises(Conflict) as caught:
            ws.apply("big", [SetText("old7", 0, "parent")], base_version=seen.since)
        assert caught.value.entry == "old7" and caught.value.based_on == 1 and caught.value.current == 2
        assert "'old7'" in str(caught.value) and "version 1" in str(caught.value)
        assert ws.entry("big", "old7").conversation.messages[0].text == "child"


def test_an_editor_that_read_before_another_commit_is_refused(first_version) -> None:
    workspace, _ = first_version
    with Workspace.open(workspace) as mine, Workspace.open(workspace) as theirs:
        editor = Editor(mine.store, mine.dataset("big"))
        editor.apply(SetText("old3", 0, "mine"))
        theirs.apply("big", [SetText("old3", 0, "theirs")])
        with pytest.raises(Conflict, match="'old3'"):
            editor.commit("edit", "mine")
        assert mine.entry("big", "old3").conversation.messages[0].text == "theirs"
        other = Editor(mine.store, mine.dataset("big"))  # an unrelated entry is not a conflict
        other.apply(SetText("old4", 0, "mine"))
        assert other.commit("edit", "mine").number == 3


def test_expected_content_hash_guards_an_edit(first_version) -> None:
    workspace, _ = first_version
    with Workspace.open(workspace) as ws:
        seen = ws.entry("big", "old5").content_hash
        ws.apply("big", [SetText("old5", 1, "changed")])
        with pytest.raises(Conflict):
            ws.apply("big", [SetText("old5", 1, "again", expected=seen)])
        now = ws.entry("big", "old5").content_hash
        assert ws.apply("big", [SetText("old5", 1, "again", expected=now[:12])]).changed == 1


def test_a_one_entry_edit_of_a_10k_dataset_adds_under_10_kb(tmp_path: Path) -> None:
    records = [{"id": f"e{i}", "messages": [{"role": "user", "content": f"question {i} about the storm"},
                                            {"role": "assistant", "content": f"answer {i} " + "word " * 60}]}
               for i in range(10_000)]
    with Workspace.open(tmp_path / "ws") as ws:
        ws.import_files([write_records(tmp_path / "d.jsonl", records)], "d")
        for i in range(3):
            ws.store.checkpoint()
            before = os.path.getsize(ws.path)
            ws.apply("d", [SetText(f"e{i * 3001}", 1, f"a new answer {i} " + "other " * 60)])
            ws.store.checkpoint()
            assert os.path.getsize(ws.path) - before < 10 * 1024
        rows = ws.store.db.conn.execute("SELECT count(*) FROM states").fetchone()[0]
        assert rows == 10_000 + 3  # each edit added one state row, not a copy


def test_bulk_edit_is_one_version(first_version) -> None:
    workspace, _ = first_version
    with Workspace.open(workspace) as ws:
        result = ws.apply_where("big", Query(text="lamp"), SetTags(None, add=("lamp",)))
        assert result.version.number == 2 and result.changed == 300
        assert len(ws.log("big")) == 2
        assert orjson.loads(orjson.dumps(ws.entry("big", "old0").conversation.tags)) == ["lamp"]
