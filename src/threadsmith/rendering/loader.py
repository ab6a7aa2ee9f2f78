"""Loading a tokenizer and choosing its chat template.

``load_tokenizer(spec)`` accepts a ``tokenizer.json`` (plain or ``.gz``), a local Hugging Face
model folder, a GGUF file, or a hub id. Local files load with ``tokenizers`` alone when they
can (fast, no ``transformers``); GGUF files and folders without a ``tokenizer.json`` go through
``transformers`` with ``local_files_only``. A hub id is tried from the local cache first; it is
downloaded only when online, and offline (``HF_HUB_OFFLINE``, or no connection within a few
seconds) it fails at once with a clear message. ``trust_remote_code`` stays off unless asked for.

The chat template is, in order: ``template`` when given (a named template, ``tokenizer`` for
the tokenizer's own, or a Jinja file), else the tokenizer's own, else the named template whose
special tokens the vocabulary has (a ``tokenizer.json`` carries no template).
"""

from __future__ import annotations

import gzip
import json
import os
import socket
from pathlib import Path
from typing import Any

from threadsmith.errors import InputNotFound, MissingDependency, UserError
from threadsmith.rendering.chat_template import (
    NAMED,
    ChatTemplate,
    file_template,
    guess_end_of_turn,
    named_template,
)
from threadsmith.rendering.chat_tokenizer import ChatTokenizer

#: Seconds to wait for the hub before calling the machine offline.
HUB_PROBE_SECONDS = 3.0
_OFFLINE_HINT = "Pass a local tokenizer.json, model folder or GGUF file, or connect and unset HF_HUB_OFFLINE."


def load_tokenizer(spec: str, *, template: str | None = None, trust_remote_code: bool = False) -> ChatTokenizer:
    """A :class:`ChatTokenizer` for ``spec`` with the chosen chat template (see the module docstring)."""
    path = Path(spec).expanduser()
    if path.is_file():
        if path.suffix.lower() == ".gguf":
            loaded = _from_transformers(str(path.parent), gguf_file=path.name, trust_remote_code=trust_remote_code)
        else:
            loaded = _from_json_file(path)
    elif path.is_dir():
        if (path / "tokenizer.json").is_file():
            loaded = _from_json_file(path / "tokenizer.json")
        else:
            loaded = _from_transformers(str(path), trust_remote_code=trust_remote_code)
    elif _looks_like_hub_id(spec):
        loaded = _from_hub(spec, trust_remote_code)
    else:
        raise InputNotFound(f"Tokenizer {spec!r} is neither a file, a folder nor a hub id (owner/name).",
                            hint="Pass a tokenizer.json (or .json.gz), a model folder, a .gguf file or a hub id.")
    tokenizer, own_template, tokens = loaded
    chat_template = _choose_template(template, own_template, tokenizer, tokens)
    return ChatTokenizer(tokenizer, chat_template, name=spec, eos_token=tokens.get("eos_token"),
                         bos_token=tokens.get("bos_token"))


def _choose_template(choice: str | None, own: str | None, tokenizer: Any, tokens: dict[str, str]) -> ChatTemplate:
    variables = {k: v for k, v in tokens.items() if v is not None}
    if choice in NAMED:
        return named_template(choice, variables)
    if choice in ("tokenizer", "own") or (choice is None and own):
        if not own:
            raise UserError("This tokenizer has no chat template of its own.",
                            hint=f"Pass --template with one of {', '.join(NAMED)} or a .jinja file.")
        return ChatTemplate(own, "tokenizer", guess_end_of_turn(own, tokens.get("eos_token")), variables)
    if choice is not None:
        if not Path(choice).expanduser().is_file():
            raise UserError(f"Chat template {choice!r} is neither a named template nor a file.",
                            hint=f"Named templates: {', '.join(NAMED)}, or `tokenizer` for the tokenizer's own.")
        return file_template(Path(choice).expanduser(), variables=variables)
    vocab = tokenizer.get_vocab(with_added_tokens=True)
    for name, named in NAMED.items():
        if all(marker in vocab for marker in named.markers):
            return named_template(name, variables)
    raise UserError("The tokenizer has no chat template and its vocabulary matches none of the named templates.",
                    hint=f"Pass --template with one of {', '.join(NAMED)} or a .jinja file.")


def _from_json_file(path: Path) -> tuple[Any, str | None, dict[str, str]]:
    Tokenizer = _tokenizers_class()
    try:
        raw = gzip.open(path).read() if path.suffix.lower() == ".gz" else path.read_bytes()
        tokenizer = Tokenizer.from_str(raw.decode("utf-8"))
    except OSError as exc:
        raise InputNotFound(f"Cannot read the tokenizer file {path}: {exc.strerror or exc}.") from exc
    except Exception as exc:
        raise UserError(f"{path} is not a Hugging Face tokenizer.json: {exc}.") from exc
    config = _read_config(path.parent / "tokenizer_config.json") if path.name == "tokenizer.json" else {}
    return tokenizer, _template_text(config.get("chat_template")), _special_tokens(config)


def _read_config(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise UserError(f"Cannot read {path}: {exc}.") from exc
    chat_template = path.parent / "chat_template.jinja"
    if "chat_template" not in data and chat_template.is_file():
        data["chat_template"] = chat_template.read_text("utf-8")
    return data if isinstance(data, dict) else {}


def _template_text(value: Any) -> str | None:
    """A config's chat template: a string, or the ``default`` of a list of named templates."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        named = {t.get("name"): t.get("template") for t in value if isinstance(t, dict)}
        return named.get("default") or next(iter(named.values()), None)
    return None


def _special_tokens(config: dict[str, Any]) -> dict[str, str]:
    out = {}
    for key in ("bos_token", "eos_token", "pad_token", "unk_token"):
        value = config.get(key)
        if isinstance(value, dict):
            value = value.get("content")
        if isinstance(value, str):
            out[key] = value
    return out


def _from_transformers(where: str, *, gguf_file: str | None = None, trust_remote_code: bool = False,
                       local_only: bool = True) -> tuple[Any, str | None, dict[str, str]]:
    try:
        from transformers import AutoTokenizer
    except ImportError as exc:
        raise MissingDependency("transformers", extra="export", purpose="Loading this tokenizer") from exc
    kwargs: dict[str, Any] = {"local_files_only": local_only, "trust_remote_code": trust_remote_code}
    if gguf_file:
        kwargs["gguf_file"] = gguf_file
    try:
        hf = AutoTokenizer.from_pretrained(where, **kwargs)
    except ImportError as exc:
        raise MissingDependency(getattr(exc, "name", None) or "gguf", extra="export",
                                purpose="Loading this tokenizer") from exc
    except (OSError, ValueError) as exc:
        raise UserError(f"Cannot load a tokenizer from {where}{' / ' + gguf_file if gguf_file else ''}: {exc}") from exc
    backend = getattr(hf, "backend_tokenizer", None)
    if backend is None:
        raise UserError(f"The tokenizer of {where} has no fast (Rust) version; threadsmith needs one.",
                        hint="Convert it with transformers (save a tokenizer.json) and pass that file.")
    tokens = {k: getattr(hf, k, None) for k in ("bos_token", "eos_token", "pad_token", "unk_token")}
    return backend, _template_text(getattr(hf, "chat_template", None)), {k: v for k, v in tokens.items() if v}


def _looks_like_hub_id(spec: str) -> bool:
    parts = spec.split("/")
    return 1 <= len(parts) <= 2 and all(parts) and not spec.startswith((".", "~")) and "\\" not in spec


def _from_hub(spec: str, trust_remote_code: bool) -> tuple[Any, str | None, dict[str, str]]:
    try:
        return _from_transformers(spec, trust_remote_code=trust_remote_code, local_only=True)
    except UserError:
        pass  # not in the local cache
    if _offline():
        raise UserError(f"Tokenizer {spec!r} is not a local path and not in the Hugging Face cache, and the hub "
                        "cannot be reached (offline).", hint=_OFFLINE_HINT)
    return _from_transformers(spec, trust_remote_code=trust_remote_code, local_only=False)


def _offline() -> bool:
    """True when HF_HUB_OFFLINE / TRANSFORMERS_OFFLINE say so, or the hub does not answer in a few seconds."""
    for key in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
        if os.environ.get(key, "").strip().lower() in ("1", "true", "yes", "on"):
            return True
    try:
        socket.create_connection(("huggingface.co", 443), timeout=HUB_PROBE_SECONDS).close()
    except OSError:
        return True
    return False


def _tokenizers_class() -> Any:
    try:
        from tokenizers import Tokenizer
    except ImportError as exc:
        raise MissingDependency("tokenizers", extra="export", purpose="Loading a tokenizer") from exc
    return Tokenizer


#: Special strings of every named template, added to the byte tokenizer.
_TEMPLATE_SPECIALS = ("<|im_start|>", "<|im_end|>", "<|begin_of_text|>", "<|start_header_id|>", "<|end_header_id|>",
                      "<|eot_id|>", "<s>", "</s>", "[INST]", "[/INST]", "<bos>", "<start_of_turn>", "<end_of_turn>",
                      "<|system|>", "<|user|>", "<|assistant|>", "<|end|>", "<|endoftext|>")


def byte_tokenizer(template: str = "chatml") -> ChatTokenizer:
    """A tokenizer of single bytes plus the special strings of every named template.

    Needs no file: for tests, examples and check cases (one token per byte makes counts easy to
    reason about). ``template`` is a named template, a Jinja file, or Jinja source itself.
    """
    try:
        from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    except ImportError as exc:
        raise MissingDependency("tokenizers", extra="export", purpose="The byte tokenizer") from exc
    from threadsmith.rendering.encoder import _byte_chars

    vocab = {ch: b for b, ch in _byte_chars().items()}
    tokenizer = Tokenizer(models.BPE(vocab=vocab, merges=[]))
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)
    tokenizer.decoder = decoders.ByteLevel()
    tokenizer.add_special_tokens(list(_TEMPLATE_SPECIALS))
    tokens = {"bos_token": "<s>", "eos_token": "</s>"}
    if template in NAMED:
        chat_template = named_template(template, tokens)
    elif "{%" in template or "{{" in template:  # inline Jinja source
        chat_template = ChatTemplate(template, "inline", guess_end_of_turn(template, "</s>"), tokens)
    else:
        chat_template = file_template(template, variables=tokens)
    return ChatTokenizer(tokenizer, chat_template, name="bytes", eos_token="</s>", bos_token="<s>")
