"""Search: FTS5 text with role, tag, character, finding, length and exclusion filters; pages; versions."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.workspace.conftest import write_records
from threadsmith.errors import UserError
from threadsmith.workspace import Workspace
from threadsmith.workspace import operations as ops
from threadsmith.workspace.query import Query, words_expression

RECORDS = [
    {"id": "s1", "messages": [{"role": "system", "content": "You keep the lighthouse."},
                              {"role": "user", "content": "Is the storm coming?", "name": "Tam"},
                              {"role": "assistant", "content": "The storm is here.", "name": "Maren"}],
     "tags": ["café"]},
    {"id": "s2", "messages": [{"role": "user", "content": "Tell me about the lighthouse"},
                              {"role": "assistant", "content": "It is old."}], "tags": ["cafe"]},
    {"id": "s3", "messages": [{"role": "user", "content": "Bake bread"},
                              {"role": "assistant", "content": "  Knead the dough.  "}], "tags": ["ロールプレイ"]},
]


@pytest.fixture
def searchable(ws: Workspace, tmp_path: Path) -> Workspace:
    ws.import_files([write_records(tmp_path / "s.jsonl", RECORDS)], "s")
    return ws


def keys(result) -> list[str]:
    return [hit.key for hit in result.hits]


def test_words_phrases_and_prefixes(searchable: Workspace) -> None:
    assert keys(searchable.search("s", "lighthouse")) == ["s1", "s2"]
    assert keys(searchable.search("s", "storm lighthouse")) == ["s1"]
    assert keys(searchable.search("s", '"the storm is"')) == ["s1"]
    assert keys(searchable.search("s", "light*")) == ["s1", "s2"]
    assert keys(searchable.search("s", "LIGHTHOUSE")) == ["s1", "s2"]
    assert keys(searchable.search("s", Query(text="bread OR dough", fts=True))) == ["s3"]
    assert words_expression('say "hi there" don\'t') == '"say" "hi there" "don\'t"'


def test_role_filter_limits_where_text_matches(searchable: Workspace) -> None:
    assert keys(searchable.search("s", Query(text="lighthouse", roles=("system",)))) == ["s1"]
    assert keys(searchable.search("s", Query(text="lighthouse", roles=("user",)))) == ["s2"]
    assert keys(searchable.search("s", Query(roles=("system",)))) == ["s1"]


def test_tags_and_characters_match_exactly_in_any_script(searchable: Workspace) -> None:
    assert keys(searchable.search("s", Query(tags=("café",)))) == ["s1"]
    assert keys(searchable.search("s", Query(tags=("cafe",)))) == ["s2"]
    assert keys(searchable.search("s", Query(tags=("ロールプレイ",)))) == ["s3"]
    assert keys(searchable.search("s", Query(characters=("Maren",)))) == ["s1"]


def test_length_and_exclusion_filters(searchable: Workspace) -> None:
    assert keys(searchable.search("s", Query(max_turns=2))) == ["s2", "s3"]
    assert keys(searchable.search("s", Query(min_chars=50))) == ["s1"]
    searchable.apply("s", [ops.Exclude("s2", reason="dup")])
    assert keys(searchable.search("s", "lighthouse")) == ["s1"]
    assert keys(searchable.search("s", Query(text="lighthouse", excluded=True))) == ["s2"]
    assert keys(searchable.search("s", Query(text="lighthouse", excluded=None))) == ["s1", "s2"]
    assert searchable.search("s", Query(excluded=True)).hits[0].excluded == "dup"


def test_finding_filter_runs_the_audit_when_needed(searchable: Workspace) -> None:
    found = searchable.search("s", Query(codes=("ST008",)))  # padded whitespace
    assert keys(found) == ["s3"]
    assert keys(searchable.search("s", Query(codes=("structure",)))) == ["s3"]
    assert searchable.store.audit.run(searchable.dataset("s").id, 1) is not None


def test_search_an_older_version(searchable: Workspace) -> None:
    searchable.apply("s", [ops.SetText("s2", 0, "Tell me about bread")])
    assert keys(searchable.search("s", "lighthouse")) == ["s1"]
    assert keys(searchable.search("s", "lighthouse", version=1)) == ["s1", "s2"]
    assert sorted(keys(searchable.search("s", "bread"))) == ["s2", "s3"]  # text hits: content order


def test_pages_and_counts(ws: Workspace, tmp_path: Path) -> None:
    records = [{"id": f"r{i:02d}", "messages": [{"role": "user", "content": f"storm number {i}"}]} for i in range(25)]
    ws.import_files([write_records(tmp_path / "p.jsonl", records)], "p")
    seen, cursor = [], None
    while True:
        result = ws.search("p", "storm", cursor=cursor, limit=10, count=True)
        assert result.total == 25
        seen += keys(result)
        cursor = result.next_cursor
        if cursor is None:
            break
    assert seen == [r["id"] for r in records]
    assert ws.search("p", Query(), limit=10).next_cursor.startswith("p:")


def test_snippets_show_the_matching_turn(searchable: Workspace) -> None:
    hit = searchable.search("s", "dough").hits[0]
    assert hit.snippet.startswith("[assistant]") and "Knead" in hit.snippet and hit.roles == ("assistant",)


def test_bad_queries_are_user_errors(searchable: Workspace) -> None:
    with pytest.raises(UserError, match="FTS5"):
        searchable.search("s", Query(text="AND AND (", fts=True))
    with pytest.raises(UserError, match="cursor"):
        searchable.search("s", "storm", cursor="p:1:2")
    with pytest.raises(UserError):
        searchable.search("s", Query(codes=("ZZ999",)))


def test_an_interrupted_bulk_index_build_is_finished_next_time(searchable: Workspace) -> None:
    searchable.index()
    with searchable.store.write():
        searchable.store.contents.begin_bulk_index()  # as if killed in the middle of a build
    assert searchable.index() == 0
    conn = searchable.store.db.conn
    assert dict(conn.execute("SELECT k, v FROM content_text_config").fetchall())["automerge"] == 4
    assert not searchable.store.contents.bulk_indexing()
    assert keys(searchable.search("s", "storm")) == ["s1"]
