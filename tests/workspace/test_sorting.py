"""Sorted pages (every order, keyset cursors, filters), tag counts, and a role respelling in diffs."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from tests.workspace.conftest import write_records
from threadsmith.errors import UserError
from threadsmith.workspace import Workspace
from threadsmith.workspace.operations import Delete, Exclude, SetRole, SetTags, SetText
from threadsmith.workspace.searching import SORTS


def _records(n: int, seed: int = 3) -> list[dict]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        turns = rng.randint(1, 4)
        messages = []
        for t in range(turns):
            messages += [{"role": "user", "content": "q" * rng.randint(1, 30)},
                         {"role": "assistant", "content": "a" * rng.randint(1, 30)}]
        out.append({"id": f"e{i:03d}", "messages": messages, "tags": rng.sample(["x", "y", "z"], rng.randint(0, 2))})
    out.append({**out[5], "id": "dup"})  # two entries sharing one content
    return out


@pytest.fixture
def sortable(ws: Workspace, tmp_path: Path) -> Workspace:
    ws.import_files([write_records(tmp_path / "s.jsonl", _records(60))], "s")
    ws.apply("s", [SetText("e010", 1, "changed later"), SetText("e020", 1, "changed last")])
    ws.apply("s", [SetText("e030", 1, "changed last of all"), Exclude("e040", reason="x"), Delete("e041")])
    return ws


def _walk(ws: Workspace, sort: str, limit: int = 7, **query: object) -> list[str]:
    """Every key, page by page."""
    from threadsmith.workspace.query import Query

    keys, cursor = [], None
    while True:
        page = ws.search("s", Query(**query), sort=sort, cursor=cursor, limit=limit)
        keys += [h.key for h in page.hits]
        cursor = page.next_cursor
        if cursor is None:
            return keys


def _expected(ws: Workspace, sort: str, tag: str | None = None) -> list[str]:
    """The order computed the slow way: read every entry and sort in Python."""
    entries = []
    for position, conversation in enumerate(ws.conversations("s")):
        entry = ws.entry("s", conversation.id)
        if tag is not None and tag not in conversation.tags:
            continue
        chars = sum(len(m.text) for m in conversation.messages)
        entries.append((entry, position, chars, len(conversation.messages)))
    if sort == "position":
        return [e.key for e, *_ in entries]
    field = {"chars": 2, "turns": 3}[sort.lstrip("-")]
    ordered = sorted(entries, key=lambda item: item[field], reverse=sort.startswith("-"))
    return [e.key for e, *_ in ordered]


@pytest.mark.parametrize("sort", ["position", "chars", "-chars", "turns", "-turns"])
@pytest.mark.parametrize("walk", [True, False])
def test_length_orders_page_by_keyset_without_gaps(sortable: Workspace, sort: str, walk: bool, monkeypatch) -> None:
    """Both plans (walk the contents index, or sort this version's entries) give the same pages."""
    monkeypatch.setattr(type(sortable.store.search), "_walk", lambda self, d, v: walk)
    keys = _walk(sortable, sort)
    assert len(keys) == len(set(keys)) == 59  # 61 imported, one deleted, one excluded
    if sort == "position":
        assert keys == _expected(sortable, sort)
    else:  # ties may come in any fixed order; the measure must be monotone
        measure = _measures(sortable, 2 if "chars" in sort else 3)
        seq = [measure[k] for k in keys]
        assert seq == sorted(seq, reverse=sort.startswith("-"))
        assert seq == [measure[k] for k in _expected(sortable, sort)]


def _measures(ws: Workspace, column: int) -> dict[str, int]:
    out = {}
    for conversation in ws.conversations("s"):
        out[conversation.id] = (sum(len(m.text) for m in conversation.messages) if column == 2
                                else len(conversation.messages))
    return out


@pytest.mark.parametrize("sort", SORTS)
def test_every_order_keeps_the_filters(sortable: Workspace, sort: str) -> None:
    expected = {c.id for c in sortable.conversations("s") if "y" in c.tags}
    keys = _walk(sortable, sort, limit=4, tags=("y",))
    assert len(keys) == len(set(keys)) and set(keys) == expected
    excluded = _walk(sortable, sort, excluded=True)
    assert excluded == ["e040"]


def test_last_changed_first(sortable: Workspace) -> None:
    keys = _walk(sortable, "changed")
    assert keys[:3] == ["e030", "e020", "e010"] or keys[:3] == ["e030", "e010", "e020"]
    assert set(keys[1:3]) == {"e010", "e020"} and len(keys) == 59


def test_most_findings_first_then_the_rest_in_order(sortable: Workspace, tmp_path: Path) -> None:
    sortable.import_files([write_records(tmp_path / "bad.jsonl", [
        {"id": "bad", "messages": [{"role": "USER", "content": ""}, {"role": "assistant", "content": ""}]}])], "s")
    keys = _walk(sortable, "findings", limit=5)
    assert len(keys) == len(set(keys)) == 60 and keys[0] == "bad"
    report = sortable.audit("s")
    counts: dict[str, set[str]] = {}
    for f in report.findings:
        counts.setdefault(f.entry_id or "", set()).add(f.code)
    ranked = [len(counts.get(k, ())) for k in keys]
    assert ranked == sorted(ranked, reverse=True)
    without = [k for k in keys if not counts.get(k)]
    assert without == [k for k in _expected(sortable, "position") if not counts.get(k)]


def test_bad_sorts_and_cursors_are_user_errors(sortable: Workspace) -> None:
    with pytest.raises(UserError, match="Cannot sort by"):
        sortable.search("s", sort="size")
    with pytest.raises(UserError, match="cannot be sorted"):
        sortable.search("s", "changed", sort="chars")
    page = sortable.search("s", sort="chars", limit=3)
    with pytest.raises(UserError, match="not a cursor"):
        sortable.search("s", sort="-chars", cursor=page.next_cursor)
    with pytest.raises(UserError, match="not a cursor"):
        sortable.search("s", sort="chars", cursor="s:chars:x:1:2")


def test_tag_counts_are_per_version(sortable: Workspace) -> None:
    before = {t.tag: t.count for t in sortable.tags("s")}
    expected: dict[str, int] = {}
    for c in sortable.conversations("s", include_excluded=True):
        for tag in c.tags:
            expected[tag] = expected.get(tag, 0) + 1
    assert before == expected
    sortable.apply("s", [SetTags("e000", replace_with=("fresh",))])
    after = {t.tag: t.count for t in sortable.tags("s")}
    assert after["fresh"] == 1 and "fresh" not in {t.tag for t in sortable.tags("s", version="latest~1")}
    assert [t.tag for t in sortable.tags("s", limit=1)] == [max(after, key=lambda k: (after[k], -ord(k[0])))]


def test_a_role_respelling_shows_in_the_diff(ws: Workspace, tmp_path: Path) -> None:
    """"human" -> "user" normalizes the same, but the data changed: the diff shows the turn."""
    ws.import_files([write_records(tmp_path / "r.jsonl", [
        {"id": "r", "messages": [{"role": "human", "content": "Hi"}, {"role": "assistant", "content": "Hello."}]}])], "r")
    ws.apply("r", [SetRole("r", 0, "user")])
    [change] = ws.diff("r", 1, 2).changes
    assert change.kind == "changed"
    [turn] = change.turns
    assert (turn.kind, turn.before_index, turn.before_role, turn.after_role) == ("changed", 0, "human", "user")


@pytest.mark.parametrize("query", [
    {}, {"excluded": True}, {"excluded": None}, {"tags": ("y",)}, {"tags": ("y", "x")}, {"tags": ("y",), "excluded": None},
    {"min_turns": 4}, {"max_chars": 40, "tags": ("x",)}, {"characters": ("nobody",)},
])
def test_counts_take_short_cuts_and_agree_with_the_pages(sortable: Workspace, query: dict) -> None:
    from threadsmith.workspace.query import Query

    assert sortable.search("s", Query(**query), count=True).total == len(_walk(sortable, "position", **query))
