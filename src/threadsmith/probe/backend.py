"""The model interface a probe run talks to, and how a ``--model`` string picks a backend.

A backend generates a reply to chat messages; the local one can also score answer choices and
return next-token distributions (forgetting). An HTTP backend cannot, and says so; the forgetting
probes then get no score instead of a wrong one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from threadsmith.errors import UserError
from threadsmith.probe.scores.forgetting import Distribution
from threadsmith.probe.suite import Generation

Messages = Sequence[dict[str, str]]


class NotSupported(UserError):
    """Raised when a backend cannot do what a probe asks (e.g. logits over HTTP)."""


class Backend(Protocol):
    #: What the result cache and reports call the model (model id, plus adapter).
    name: str

    def generate(self, messages: Messages, generation: Generation) -> tuple[str, str]:
        """(reply text, finish reason "stop" or "length")."""

    def choice_logprobs(self, messages: Messages, choices: Sequence[str]) -> list[float]:
        """Log-likelihood of each choice as the assistant's reply."""

    def token_distributions(self, messages: Messages, continuation: str, k: int = 20) -> list[Distribution]:
        """Top-k next-token log-probabilities at each token of ``continuation`` (teacher-forced)."""


def open_backend(model: str, adapter: str | None = None, api_key: str | None = None) -> Backend:
    """``http(s)://...`` -> an OpenAI-compatible endpoint (``model`` may end in ``#name``);
    anything else -> a local transformers model (a folder, a ``.gguf`` file or a hub id in the cache)."""
    if model.startswith(("http://", "https://")):
        if adapter:
            raise UserError("--adapter works with local models only; serve the adapter with the endpoint instead")
        from threadsmith.probe.http_backend import HttpBackend

        url, _, name = model.partition("#")
        return HttpBackend(url, name or None, api_key=api_key)
    from threadsmith.probe.local_backend import LocalBackend

    return LocalBackend.load(model, adapter)
