"""The varlen attention wrapper: same outputs as SDPA with transformers' packed-sequence mask."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")


def _tiny_model(attention: str, kv_heads: int):
    torch.manual_seed(0)
    config = transformers.LlamaConfig(hidden_size=64, num_hidden_layers=2, num_attention_heads=4,
                                      num_key_value_heads=kv_heads, intermediate_size=128, vocab_size=97,
                                      max_position_embeddings=128)
    config._attn_implementation = attention
    return transformers.LlamaForCausalLM(config).eval()


@pytest.mark.parametrize("kv_heads", [4, 2])
def test_varlen_wrapper_matches_sdpa_on_packed_rows(kv_heads):
    from threadsmith.train import attention

    lengths = [5, 9, 3]
    ids = torch.randint(0, 97, (1, sum(lengths)))
    positions = torch.cat([torch.arange(n) for n in lengths]).unsqueeze(0)
    cu = torch.tensor([0, 5, 14, 17], dtype=torch.int32)
    reference = _tiny_model("sdpa", kv_heads)
    with torch.no_grad():
        expected = reference(input_ids=ids, position_ids=positions, use_cache=False).logits  # as in training
        name = attention.register(attention.reference_kernel, name="varlen_test")
        varlen = _tiny_model(name, kv_heads)
        varlen.load_state_dict(reference.state_dict())
        got = varlen(input_ids=ids, position_ids=positions, cu_seq_lens_q=cu, cu_seq_lens_k=cu,
                     max_length_q=9, max_length_k=9).logits
        unpacked = varlen(input_ids=ids[:, :5]).logits
    assert torch.allclose(got, expected, atol=1e-5)
    assert torch.allclose(unpacked, expected[:, :5], atol=1e-5)


def test_auto_choice_on_cpu_is_sdpa():
    from threadsmith.train import attention

    assert attention.choose("auto", cuda=False, packing=True) == "sdpa"
    assert attention.choose("eager", cuda=False, packing=True) == "eager"


@pytest.mark.gpu
def test_torch_varlen_kernel_matches_sdpa_on_cuda():
    if not torch.cuda.is_available():
        pytest.skip("needs a CUDA GPU")
    from threadsmith.train import attention

    if not attention.varlen_available():
        pytest.skip("this PyTorch has no torch.nn.attention.varlen")
    lengths = [64, 200, 37]
    cu = torch.tensor([0, 64, 264, 301], dtype=torch.int32, device="cuda")
    q, k, v = (torch.randn(301, 8, 64, device="cuda", dtype=torch.bfloat16) for _ in range(3))
    from torch.nn.attention.varlen import varlen_attn

    got = varlen_attn(q, k, v, cu, cu, max(lengths), max(lengths), window_size=(-1, 0))
    expected = attention.reference_kernel(q, k, v, cu, cu, max(lengths), max(lengths))
    assert torch.allclose(got.float(), expected.float(), atol=2e-2)


def test_kernel_without_gqa_gets_repeated_keys():
    from threadsmith.train import attention

    def older_kernel(q, k, v, cu_q, cu_k, max_q, max_k, *, scale=None):
        assert k.shape[1] == q.shape[1]
        return attention.reference_kernel(q, k, v, cu_q, cu_k, max_q, max_k, scale=scale)

    forward = attention.make_forward(older_kernel)
    q = torch.randn(1, 4, 10, 8)
    k, v = torch.randn(1, 2, 10, 8), torch.randn(1, 2, 10, 8)
    cu = torch.tensor([0, 4, 10], dtype=torch.int32)
    got, _ = forward(None, q, k, v, None, cu_seq_lens_q=cu, cu_seq_lens_k=cu, max_length_q=6, max_length_k=6)
    full = attention.make_forward(attention.reference_kernel)
    expected, _ = full(None, q, k, v, None, cu_seq_lens_q=cu, cu_seq_lens_k=cu, max_length_q=6, max_length_k=6)
    assert got.shape == (1, 10, 4, 8) and torch.allclose(got, expected, atol=1e-6)
