"""``threadsmith serve-model``: a minimal OpenAI-compatible chat endpoint over a local model.

For probing through the HTTP backend where no llama.cpp / vLLM server is at hand (and to test
that backend against a real server). Standard library HTTP server; one request at a time.
Routes: ``POST /v1/chat/completions`` and ``GET /v1/models``.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from threadsmith.probe.backend import Backend
from threadsmith.probe.suite import Generation


def _handler(backend: Backend, lock: threading.Lock) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

        def _send(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:  # noqa: N802
            if self.path.rstrip("/") == "/v1/models":
                self._send(200, {"object": "list", "data": [{"id": backend.name, "object": "model"}]})
            else:
                self._send(404, {"error": {"message": f"no route {self.path}"}})

        def do_POST(self) -> None:  # noqa: N802
            if self.path.rstrip("/") != "/v1/chat/completions":
                self._send(404, {"error": {"message": f"no route {self.path}"}})
                return
            try:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                messages = [{"role": m["role"], "content": m["content"]} for m in body["messages"]]
                generation = Generation(max_new_tokens=int(body.get("max_tokens") or 256),
                                        temperature=float(body.get("temperature") or 0.0),
                                        top_p=float(body.get("top_p") or 1.0), seed=int(body.get("seed") or 0))
            except (ValueError, KeyError, TypeError) as exc:
                self._send(400, {"error": {"message": f"bad request: {exc}"}})
                return
            with lock:
                text, finish = backend.generate(messages, generation)
            choice = {"index": 0, "finish_reason": finish, "message": {"role": "assistant", "content": text}}
            self._send(200, {"id": f"chatcmpl-{time.time_ns()}", "object": "chat.completion",
                             "created": int(time.time()), "model": backend.name, "choices": [choice]})

    return Handler


def make_server(backend: Backend, host: str = "127.0.0.1", port: int = 8000) -> ThreadingHTTPServer:
    """A server (not yet serving); ``port=0`` picks a free port (``server.server_address``)."""
    return ThreadingHTTPServer((host, port), _handler(backend, threading.Lock()))
