"""nn/attention.py, the one attention block: torch's MultiheadAttention as the referee, each mask doing
what it says (causal, padding, additive bias), fused and split projections agreeing, and a Block's
last_only step equal to the last row of the full pass."""

import pytest
import torch
import torch.nn as nn

from regen_lite.nn.attention import Attention, Block


def _pair(d=16, h=4):
    """A fused and a split Attention with the same weights: qkv = [q; kv]."""
    torch.manual_seed(0)
    fused, split = Attention(d, h).eval(), Attention(d, h, fused=False).eval()
    with torch.no_grad():
        split.q.weight.copy_(fused.qkv.weight[:d]), split.q.bias.copy_(fused.qkv.bias[:d])
        split.kv.weight.copy_(fused.qkv.weight[d:]), split.kv.bias.copy_(fused.qkv.bias[d:])
        split.proj.load_state_dict(fused.proj.state_dict())
    return fused, split


@pytest.mark.parametrize("causal", [False, True])
def test_attention_matches_torch_multihead_attention(causal):
    fused, _ = _pair()
    ref = nn.MultiheadAttention(16, 4, batch_first=True).eval()
    with torch.no_grad():
        ref.in_proj_weight.copy_(fused.qkv.weight), ref.in_proj_bias.copy_(fused.qkv.bias)
        ref.out_proj.load_state_dict(fused.proj.state_dict())
    x = torch.randn(3, 7, 16)
    mask = torch.ones(7, 7, dtype=torch.bool).triu(1) if causal else None      # True = blocked (torch's convention)
    expected = ref(x, x, x, attn_mask=mask, need_weights=False)[0]
    assert torch.allclose(fused(x, causal=causal), expected, atol=1e-5)


def test_fused_and_split_projections_agree_and_fused_refuses_a_context():
    fused, split = _pair()
    x = torch.randn(2, 5, 16)
    assert torch.allclose(fused(x, causal=True), split(x, causal=True), atol=1e-6)
    assert torch.allclose(split(x), split(x, x), atol=0)                         # context=None is x itself
    with pytest.raises(ValueError):
        fused(x, x)


def test_causal_output_ignores_the_future():
    fused, _ = _pair()
    x = torch.randn(2, 6, 16)
    y = x.clone()
    y[:, 4:] = torch.randn(2, 2, 16)
    assert torch.allclose(fused(x, causal=True)[:, :4], fused(y, causal=True)[:, :4], atol=1e-6)
    assert not torch.allclose(fused(x)[:, :4], fused(y)[:, :4], atol=1e-3)


def test_padding_mask_and_an_infinite_bias_hide_the_same_keys():
    _, split = _pair()
    x, memory = torch.randn(2, 3, 16), torch.randn(2, 5, 16)
    key_ok = torch.tensor([[True, True, True, False, False], [True] * 5])
    changed = memory.clone()
    changed[0, 3:] = 100.0                                                       # only padded keys change
    out = split(x, memory, key_ok=key_ok)
    assert torch.allclose(out, split(x, changed, key_ok=key_ok), atol=1e-6)
    bias = torch.zeros(4, 3, 5)
    bias[..., 3:] = -float("inf")                                                # hides keys 3, 4 of every row
    assert torch.allclose(split(x[:1], memory[:1], bias=bias), out[:1], atol=1e-6)
    both = split(x, memory, key_ok=key_ok, bias=torch.zeros(4, 3, 5))            # bias and padding combined
    assert torch.allclose(both, out, atol=1e-6)


def test_block_last_only_is_the_last_row_of_the_full_pass():
    torch.manual_seed(0)
    blk = Block(16, 4, dropout=0.1).eval()
    x = torch.randn(2, 6, 16)
    full = blk(x, causal=True)
    assert full.shape == x.shape
    assert torch.allclose(blk(x, last_only=True), full[:, -1:], atol=1e-6)     # the last query sees every key
    assert {"qkv.weight", "proj.weight", "ln1.weight", "ln2.weight", "mlp.0.weight"} <= set(blk.state_dict())
