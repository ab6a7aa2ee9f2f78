"""The JSON API in-process: shapes, edits as versions, stale saves refused, findings review, history."""

from __future__ import annotations

import orjson
import pytest

from tests.web.conftest import IMG, SCRIPT, csrf_headers


def test_error_shape_is_one_shape(client) -> None:
    """Every error (ours, validation, routing, CSRF) has exactly this shape."""
    headers = csrf_headers(client)
    responses = [
        client.get("/api/datasets/nope/entries"),                                  # NotFound
        client.get("/api/datasets/chat/entries?limit=0"),                          # validation
        client.get("/api/no-such-route"),                                          # routing
        client.post("/api/datasets/chat/restore", json={"version": 1}),            # CSRF
        client.post("/api/datasets/chat/entries/c-1/edits", headers=headers,
                    json={"base_version": 1, "operations": [{"op": "bogus"}]}),    # validation of a union
        client.get("/api/datasets/chat/entries?cursor=zzz"),                       # UserError
    ]
    statuses = [r.status_code for r in responses]
    assert statuses == [404, 422, 404, 403, 422, 400]
    for response in responses:
        body = response.json()
        assert set(body) == {"error"}
        assert set(body["error"]) == {"status", "code", "message", "hint", "details"}
        assert body["error"]["status"] == response.status_code
        assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    assert responses[0].json()["error"]["code"] == "not_found"
    assert "nope" in responses[0].json()["error"]["message"]


def test_datasets_and_keyset_pages(client) -> None:
    names = {d["name"]: d for d in client.get("/api/datasets").json()["datasets"]}
    assert names["chat"]["entries"] == 3 and names["chat"]["audit"]["findings"] >= 1
    assert names["xss"]["audit"] is None
    first = client.get("/api/datasets/chat/entries?limit=2").json()
    assert [e["key"] for e in first["entries"]] == ["c-1", "c-2"] and first["next_cursor"]
    second = client.get("/api/datasets/chat/entries", params={"limit": 2, "cursor": first["next_cursor"]}).json()
    assert [e["key"] for e in second["entries"]] == ["c-3"] and second["next_cursor"] is None


@pytest.mark.parametrize(("params", "keys"), [
    ({"q": "storm"}, ["c-1"]),
    ({"tag": "roleplay"}, ["c-1"]),
    ({"code": "structure"}, ["c-3"]),
    ({"code": "ST007"}, ["c-3"]),
    ({"min_turns": "3"}, ["c-1"]),
    ({"max_chars": "50", "min_chars": ""}, ["c-3"]),
    ({"role": "assistant", "q": "Sixteen"}, ["c-2"]),
])
def test_filters(client, params, keys) -> None:
    found = client.get("/api/datasets/chat/entries", params={**params, "count": "true"}).json()
    assert [e["key"] for e in found["entries"]] == keys
    assert found["total"] == len(keys)


def test_edit_is_a_version_and_stale_save_is_refused(client) -> None:
    headers = csrf_headers(client)
    entry = client.get("/api/datasets/chat/entries/c-2").json()
    assert entry["since"] == 1 and entry["messages"][1]["text"] == "Sixteen tablespoons."
    edit = {"base_version": entry["since"], "operations": [{"op": "set-text", "index": 1, "text": "Sixteen."}]}
    saved = client.post("/api/datasets/chat/entries/c-2/edits", json=edit, headers=headers)
    assert saved.status_code == 200 and saved.json()["version"]["number"] == 2
    stale = client.post("/api/datasets/chat/entries/c-2/edits", headers=headers,
                        json={**edit, "operations": [{"op": "set-text", "index": 1, "text": "Lost update?"}]})
    assert stale.status_code == 409
    error = stale.json()["error"]
    assert error["code"] == "conflict" and error["details"] == {"entry": "c-2", "based_on": 1, "current": 2}
    assert client.get("/api/datasets/chat/entries/c-2").json()["messages"][1]["text"] == "Sixteen."
    versions = client.get("/api/datasets/chat/versions").json()["versions"]
    assert [v["number"] for v in versions] == [2, 1]


def test_turn_operations_tags_and_undo(client) -> None:
    headers = csrf_headers(client)
    ops = [{"op": "insert-turn", "index": 2, "role": "user", "text": "And a half cup?"},
           {"op": "set-role", "index": 0, "role": "user"}, {"op": "set-tags", "tags": ["baking", "baking", "units"]}]
    result = client.post("/api/datasets/chat/entries/c-2/edits", json={"base_version": 1, "operations": ops},
                         headers=headers).json()
    entry = client.get("/api/datasets/chat/entries/c-2").json()
    assert len(entry["messages"]) == 3 and entry["tags"] == ["baking", "units"]
    undone = client.post("/api/datasets/chat/entries/c-2/undo", json={"base_version": result["version"]["number"]},
                         headers=headers)
    assert undone.status_code == 200
    assert len(client.get("/api/datasets/chat/entries/c-2").json()["messages"]) == 2


def test_entry_actions_split_duplicate_exclude_delete(client) -> None:
    headers = csrf_headers(client)

    def edit(key: str, *ops: dict) -> dict:
        since = client.get(f"/api/datasets/chat/entries/{key}").json()["since"]
        response = client.post(f"/api/datasets/chat/entries/{key}/edits", headers=headers,
                               json={"base_version": since, "operations": list(ops)})
        assert response.status_code == 200, response.text
        return response.json()

    assert edit("c-1", {"op": "split", "at": 2})["added"] == 1
    assert edit("c-2", {"op": "duplicate"})["added"] == 1
    edit("c-3", {"op": "exclude", "reason": "bad voice"})
    assert client.get("/api/datasets/chat/entries/c-3").json()["excluded"] == "bad voice"
    edit("c-2", {"op": "delete"})
    keys = [e["key"] for e in client.get("/api/datasets/chat/entries?show=all").json()["entries"]]
    assert "c-2" not in keys and "c-3" in keys and len(keys) == 4


def test_findings_preview_fix_dismiss(client) -> None:
    headers = csrf_headers(client)
    families = client.get("/api/datasets/chat/findings").json()["families"]
    structure = next(f for f in families if f["family"] == "structure")
    st007 = next(c for c in structure["codes"] if c["code"] == "ST007")
    assert st007["count"] == 2 and {e["key"] for e in st007["entries"]} == {"c-3"}
    preview = client.get("/api/datasets/chat/entries/c-3/fix-preview", params={"code": "ST007"}).json()
    assert preview["changes"] and preview["turns"][0]["before_role"] == "USER"
    noise = next(f for f in families if f["family"] == "synthetic-noise")["codes"][0]
    dismissed = client.post("/api/datasets/chat/entries/c-3/dismissals", headers=headers,
                            json={"code": noise["code"], "reason": "kept on purpose"})
    assert dismissed.status_code == 200
    fixed = client.post("/api/datasets/chat/entries/c-3/fix", headers=headers,
                        json={"codes": ["ST007"], "base_version": preview["base_version"]})
    assert fixed.status_code == 200 and fixed.json()["details"]["fixes_applied"] == 2
    again = client.get("/api/datasets/chat/findings").json()
    codes = {c["code"]: c for f in again["families"] for c in f["codes"]}
    assert "ST007" not in codes and codes[noise["code"]]["dismissed"] == 1 and codes[noise["code"]]["count"] == 0
    entry = client.get("/api/datasets/chat/entries/c-3").json()
    assert entry["dismissed"] == {noise["code"]: "kept on purpose"}
    assert client.delete(f"/api/datasets/chat/entries/c-3/dismissals/{noise['code']}", headers=headers).status_code == 200


def test_a_code_pages_its_findings_by_cursor(client) -> None:
    first = client.get("/api/datasets/chat/findings/ST007", params={"limit": 1}).json()
    assert first["code"] == "ST007" and first["count"] == 2 and first["fix_safety"] == "safe"
    assert [e["key"] for e in first["entries"]] == ["c-3", "c-3"] and first["next_cursor"]  # whole entries
    rest = client.get("/api/datasets/chat/findings/ST007", params={"cursor": first["next_cursor"]}).json()
    assert rest["entries"] == [] and rest["next_cursor"] is None
    assert client.get("/api/datasets/chat/findings/ST007", params={"cursor": "x"}).status_code == 400
    assert client.get("/api/datasets/chat/findings/ZZ999").status_code == 404


def test_fix_all_of_a_code_skips_dismissed(client) -> None:
    headers = csrf_headers(client)
    client.post("/api/datasets/chat/entries/c-3/dismissals", headers=headers, json={"code": "ST007", "reason": "raw"})
    result = client.post("/api/datasets/chat/findings/ST007/fix", headers=headers, json={}).json()
    assert result["version"] is None and result["details"]["skipped_dismissed"] == 1
    client.delete("/api/datasets/chat/entries/c-3/dismissals/ST007", headers=headers)
    result = client.post("/api/datasets/chat/findings/ST007/fix", headers=headers, json={}).json()
    assert result["changed"] == 1


def test_diff_restore_tag(client) -> None:
    headers = csrf_headers(client)
    client.post("/api/datasets/chat/entries/c-2/edits", headers=headers,
                json={"base_version": 1, "operations": [{"op": "set-text", "index": 1, "text": "16."}]})
    diff = client.get("/api/datasets/chat/diff").json()
    assert diff["before"] == 1 and diff["after"] == 2 and diff["changed"] == 1
    turn = diff["changes"][0]["turns"][0]
    assert "+16." in turn["lines"] and "-Sixteen tablespoons." in turn["lines"]
    tagged = client.post("/api/datasets/chat/tags", headers=headers, json={"version": 1, "name": "original"})
    assert tagged.json()["version"]["tags"] == ["original"]
    restored = client.post("/api/datasets/chat/restore", headers=headers, json={"version": 1}).json()
    assert restored["version"]["number"] == 3
    assert client.get("/api/datasets/chat/diff", params={"before": "original", "after": "3"}).json()["changed"] == 0


def test_library_prompts_and_card_import(client) -> None:
    headers = csrf_headers(client)
    assert client.post("/api/prompts", headers=headers, json={"name": "maren", "text": SCRIPT}).status_code == 200
    assert client.get("/api/prompts").json()["prompts"][0]["text"] == SCRIPT
    card = {"spec": "chara_card_v2", "spec_version": "2.0",
            "data": {"name": f"Maren {IMG}", "description": "Keeper", "personality": "", "scenario": "",
                     "first_mes": "Hello", "mes_example": "", "tags": ["sea"]}}
    imported = client.post("/api/characters", headers={**headers, "content-type": "application/octet-stream"},
                           content=orjson.dumps(card))
    assert imported.status_code == 200, imported.text
    assert imported.json()["character"]["name"] == f"Maren {IMG}"
    bad = client.post("/api/characters", headers={**headers, "content-type": "application/octet-stream"},
                      content=b"not a card")
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "bad_request"
    page = client.get("/library").text
    assert "Maren &lt;img src=x onerror=alert(1)&gt;" in page and IMG not in page
