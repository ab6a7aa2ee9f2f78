"""A quick try of a model (and adapter): ``threadsmith chat --model M [--adapter A]``.

Greedy decoding by default, so a reply is reproducible; ``temperature`` > 0 samples (seeded).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from threadsmith.errors import InputNotFound
from threadsmith.train.models import hide_peft_renames, load_model, load_tokenizer, require, resolve_model


@dataclass(frozen=True, slots=True)
class ChatTurn:
    """One message of a chat."""

    role: str
    content: str


class ChatModel:
    """A base model, optionally with a PEFT adapter, that answers chat messages."""

    def __init__(self, model: str, adapter: str | None = None, *, cache_dir: str | None = None) -> None:
        torch = require("torch", "Chatting with a model")
        path = resolve_model(model, cache_dir=cache_dir)
        self.tokenizer = load_tokenizer(adapter if adapter and Path(adapter, "tokenizer_config.json").is_file() else path)
        base = load_model(path, dtype="fp32" if not torch.cuda.is_available() else "bf16")
        if adapter:
            if not Path(adapter, "adapter_config.json").is_file():
                raise InputNotFound(f"{adapter} is not a PEFT adapter folder (no adapter_config.json).",
                                    hint="Pass the adapter folder a run wrote (threadsmith runs show RUN).")
            peft = require("peft", "Loading an adapter")
            with warnings.catch_warnings():
                hide_peft_renames()
                base = peft.PeftModel.from_pretrained(base, adapter)
        self.model = base.to("cuda") if torch.cuda.is_available() else base
        self.model.eval()

    def reply(self, messages: Sequence[ChatTurn], *, max_new_tokens: int = 128, temperature: float = 0.0,
              seed: int = 0) -> str:
        """The model's next assistant message."""
        torch = require("torch")
        chat = [{"role": m.role, "content": m.content} for m in messages]
        inputs = self.tokenizer.apply_chat_template(chat, add_generation_prompt=True, return_tensors="pt",
                                                    return_dict=True).to(self.model.device)
        options: dict[str, Any] = {"max_new_tokens": max_new_tokens, "pad_token_id": self.tokenizer.pad_token_id}
        if temperature > 0:
            torch.manual_seed(seed)
            options.update(do_sample=True, temperature=temperature)
        else:
            options["do_sample"] = False
        with torch.no_grad():
            out = self.model.generate(**inputs, **options)
        return str(self.tokenizer.decode(out[0][inputs["input_ids"].shape[1]:], skip_special_tokens=True)).strip()
