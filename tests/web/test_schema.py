"""Schemathesis against /openapi.json: generated requests never get a 500, and errors keep the one shape."""

from __future__ import annotations

from pathlib import Path

import pytest

schemathesis = pytest.importorskip("schemathesis", reason="schemathesis is not installed (dev extra)")
from hypothesis import HealthCheck, settings  # noqa: E402

from tests.web.conftest import make_workspace  # noqa: E402
from threadsmith.web import create_app  # noqa: E402
from threadsmith.web.settings import ServerSettings  # noqa: E402

pytestmark = pytest.mark.slow


def _app():
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="threadsmith-schema-")) / "ws"
    return create_app(settings=ServerSettings.make(str(make_workspace(folder)), csrf_secret="schema-test-csrf"))


APP = _app()
schema = schemathesis.openapi.from_asgi("/openapi.json", APP, headers={"Host": "127.0.0.1"})


@schema.hook("map_path_parameters")
def known_dataset(context, path_parameters):
    """Most generated requests name a dataset that exists, so they reach past the 404."""
    if path_parameters and "dataset" in path_parameters and len(str(path_parameters["dataset"])) % 4:
        path_parameters["dataset"] = "chat"
    if path_parameters and "key" in path_parameters and len(str(path_parameters["key"])) % 3:
        path_parameters["key"] = "c-3"
    return path_parameters


@schema.parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors(case) -> None:
    response = case.call(headers={"X-CSRF-Token": "schema-test-csrf", "Host": "127.0.0.1"})
    assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.text[:500]}"
    if response.status_code >= 400:
        body = response.json()
        assert set(body) == {"error"} and set(body["error"]) == {"status", "code", "message", "hint", "details"}
