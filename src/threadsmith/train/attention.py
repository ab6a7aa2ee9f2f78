"""Attention for packed sequences without cross-document attention, at flash-attention speed.

With packing, TRL flattens a batch into one row and passes ``position_ids`` and the document
boundaries (``cu_seq_lens_q/k``, ``max_length_q/k``). Under ``sdpa``, transformers turns the
boundaries into a dense block-diagonal mask over the whole row (8 x 2,048 tokens -> a
16,384^2 mask): the fused flash kernel cannot take a mask, so attention runs on the
memory-efficient kernel over the full square, about 8x the work of attending within each
document. Flash attention's variable-length kernel attends within each document only.

``flash_attention_2`` gives that when the ``flash-attn`` package is installed. Without it,
PyTorch (2.9+) ships the same kernel as ``torch.nn.attention.varlen.varlen_attn``; this module
registers it with transformers' own extension point (``AttentionInterface`` and
``AttentionMaskInterface``) under the name ``varlen``. CUDA only.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

NAME = "varlen"


def varlen_available() -> bool:
    """True when PyTorch has the variable-length flash kernel and a CUDA device to run it."""
    try:
        import torch
        from torch.nn.attention.varlen import varlen_attn  # noqa: F401
    except ImportError:
        return False
    return bool(torch.cuda.is_available())


def make_forward(kernel: Callable[..., Any]) -> Callable[..., Any]:
    """A transformers attention function over ``kernel(q, k, v, cu_q, cu_k, max_q, max_k, ...)`` (varlen_attn's signature).

    Keyword arguments are passed only when the kernel accepts them (its signature changed across
    PyTorch releases); grouped-query keys are repeated when the kernel has no ``enable_gqa``.
    """
    accepted = set(inspect.signature(kernel).parameters)
    if "window_size" in accepted and "is_causal" in accepted:
        accepted.discard("is_causal")  # one way to ask for causal attention is enough

    def varlen_attention_forward(module: Any, query: Any, key: Any, value: Any, attention_mask: Any,
                                 dropout: float = 0.0, scaling: float | None = None, **kwargs: Any) -> tuple[Any, None]:
        import torch

        batch, heads, length, dim = query.shape
        cu_q, cu_k = kwargs.get("cu_seq_lens_q"), kwargs.get("cu_seq_lens_k")
        max_q, max_k = kwargs.get("max_length_q"), kwargs.get("max_length_k")
        if cu_q is None:  # not packed: every row is one sequence of the full length
            if attention_mask is not None and not bool(attention_mask.all()):
                raise ValueError("varlen attention takes packed (padding-free) batches or unpadded rows.")
            cu_q = torch.arange(0, (batch + 1) * length, length, dtype=torch.int32, device=query.device)
            cu_k, max_q, max_k = cu_q, length, length
        q = query.transpose(1, 2).reshape(batch * length, heads, dim)
        k = key.transpose(1, 2).reshape(batch * length, key.shape[1], dim)
        v = value.transpose(1, 2).reshape(batch * length, value.shape[1], dim)
        if key.shape[1] != heads and "enable_gqa" not in accepted:
            k, v = (t.repeat_interleave(heads // key.shape[1], dim=1) for t in (k, v))
        options = {name: value for name, value in (("scale", scaling), ("enable_gqa", k.shape[1] != heads),
                                                   ("window_size", (-1, 0)), ("is_causal", True))
                   if name in accepted}
        out = kernel(q, k, v, cu_q.to(torch.int32), (cu_k if cu_k is not None else cu_q).to(torch.int32),
                     int(max_q), int(max_k or max_q), **options)
        return out.reshape(batch, length, heads, dim), None

    return varlen_attention_forward


def register(kernel: Callable[..., Any] | None = None, name: str = NAME) -> str:
    """Register the varlen attention with transformers (PyTorch's kernel unless one is given); its name."""
    from transformers import AttentionInterface
    from transformers.masking_utils import AttentionMaskInterface, flash_attention_mask

    if kernel is None:
        from torch.nn.attention.varlen import varlen_attn as kernel
    AttentionInterface.register(name, make_forward(kernel))
    AttentionMaskInterface.register(name, flash_attention_mask)
    return name


def reference_kernel(q: Any, k: Any, v: Any, cu_q: Any, cu_k: Any, max_q: int, max_k: int, *,
                     scale: float | None = None, window_size: tuple[int, int] = (-1, 0),
                     enable_gqa: bool = False) -> Any:
    """A slow per-document SDPA with varlen_attn's signature (causal only): for tests on CPU."""
    import torch

    out = torch.empty_like(q)
    bounds = cu_q.tolist()
    for start, end in zip(bounds[:-1], bounds[1:]):
        part = torch.nn.functional.scaled_dot_product_attention(
            q[start:end].transpose(0, 1), k[start:end].transpose(0, 1), v[start:end].transpose(0, 1),
            is_causal=True, scale=scale, enable_gqa=enable_gqa)
        out[start:end] = part.transpose(0, 1)
    return out


def choose(requested: str, *, cuda: bool, packing: bool) -> str:
    """The attention implementation for a run: the one asked for, else the fastest correct one available."""
    if requested == NAME:
        return register()
    if requested != "auto":
        return requested
    if not cuda:
        return "sdpa"
    try:
        import flash_attn  # noqa: F401

        return "flash_attention_2"
    except ImportError:
        pass
    if packing and varlen_available() and kernel_agrees():
        return register()
    return "sdpa"


def kernel_agrees() -> bool:
    """PyTorch's varlen kernel gives what per-document SDPA gives on a small case (else it is not used)."""
    import torch

    try:
        from torch.nn.attention.varlen import varlen_attn

        forward = make_forward(varlen_attn)
        torch.manual_seed(0)
        q, k, v = (torch.randn(1, 4, 48, 64, device="cuda", dtype=torch.bfloat16) for _ in range(3))
        cu = torch.tensor([0, 16, 48], dtype=torch.int32, device="cuda")
        got, _ = forward(None, q, k, v, None, cu_seq_lens_q=cu, cu_seq_lens_k=cu, max_length_q=32, max_length_k=32)
        expected = make_forward(reference_kernel)(None, q, k, v, None, cu_seq_lens_q=cu, cu_seq_lens_k=cu,
                                                  max_length_q=32, max_length_k=32)[0]
        return bool(torch.allclose(got.float(), expected.float(), atol=3e-2))
    except Exception:  # an older or different kernel signature: fall back to SDPA
        return False
