"""Any OpenAI-compatible chat endpoint (vLLM, llama.cpp server, Ollama, LM Studio,
``threadsmith serve-model``) as a probe backend, over httpx.

Only generation. Choice likelihoods and teacher-forced next-token distributions are not part
of the chat API (its ``logprobs``/``top_logprobs`` cover the tokens the server generated, not a
given continuation; the completions API's ``echo`` + ``logprobs`` would score a prompt, but
only a few servers keep it and it needs the model's chat template on the client). So over
HTTP a multiple-choice forgetting probe is asked with its choices lettered and the answer read
from the greedy reply (the runner does it), and KL is reported as not measured, with why.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from threadsmith.errors import MissingDependency, UserError
from threadsmith.probe.backend import Messages, NotSupported
from threadsmith.probe.scores.forgetting import Distribution
from threadsmith.probe.suite import Generation


class HttpBackend:
    def __init__(self, url: str, model: str | None = None, api_key: str | None = None, timeout: float = 120.0) -> None:
        try:
            import httpx
        except ImportError as exc:
            raise MissingDependency("httpx", extra="probe", purpose="Probing an HTTP endpoint") from exc
        base = url.rstrip("/")
        self.url = base if base.endswith("/chat/completions") else (
            base + ("/chat/completions" if base.endswith("/v1") else "/v1/chat/completions"))
        self.model = model or "default"
        self.name = f"{url.rstrip('/')}#{self.model}"
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.Client(timeout=timeout, headers=headers)
        self._httpx = httpx

    def generate(self, messages: Messages, generation: Generation) -> tuple[str, str]:
        body: dict[str, Any] = {"model": self.model, "messages": list(messages),
                                "max_tokens": generation.max_new_tokens, "temperature": generation.temperature,
                                "top_p": generation.top_p, "seed": generation.seed}
        try:
            response = self._client.post(self.url, json=body)
        except self._httpx.HTTPError as exc:
            raise UserError(f"cannot reach {self.url}: {exc}", hint="Is the server running? Check the URL.") from None
        if response.status_code != 200:
            raise UserError(f"{self.url} answered {response.status_code}: {response.text[:200]}")
        try:
            choice = response.json()["choices"][0]
            return (choice["message"]["content"] or "").strip(), choice.get("finish_reason") or "stop"
        except (KeyError, IndexError, TypeError, ValueError):
            raise UserError(f"{self.url} did not answer like an OpenAI chat endpoint: {response.text[:200]}") from None

    def choice_logprobs(self, messages: Messages, choices: Sequence[str]) -> list[float]:
        raise NotSupported("an HTTP endpoint gives no choice likelihoods")

    def token_distributions(self, messages: Messages, continuation: str, k: int = 20) -> list[Distribution]:
        raise NotSupported("an HTTP endpoint gives no teacher-forced next-token distributions; "
                           "measure KL with a local model")

    def close(self) -> None:
        self._client.close()
