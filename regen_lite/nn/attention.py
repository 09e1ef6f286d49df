"""Multi-head attention, the one block of the kit's three transformers (Vaswani et al. 2017, eq. 1):

    Attention(Q, K, V) = softmax(Q K^T / sqrt(d_k) + M) V       per head, d_k = d / h

Shapes: every tensor going in or out is (B, T, d) (batch, positions, width); inside, heads are
(B, h, T, d/h). Queries come from x (B, Tq, d), keys and values from `context` (B, Tk, d), which
is x itself for self-attention. The mask M is built from up to three pieces:

    causal    query i sees keys j <= i only (a decoder: GPT, the G2P/P2G decoder)
    key_ok    (B, Tk) True where a key is real, False at padding (variable-length words)
    bias      (h, Tq, Tk) added to the logits (ALiBi distances; -inf blocks a key)

Who uses it:
    nn/transformer.py   TinyTransformer (image code prior): Block, causal
    text/seq2seq.py     Seq2Seq (G2P, P2G): Attention(fused=False) for self- and cross-attention
    music/renderers.py  MelodyNet: Block with an ALiBi bias

Parameter names are the shipped checkpoints' names: a fused `qkv` projection (self-attention only),
or `q` and `kv` (queries from x, keys and values from the context), and `proj` for the output.
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F


class Attention(nn.Module):
    """Multi-head attention with its projections. fused=True: W_qkv in one Linear (self-attention);
    fused=False: W_q on x and W_kv on the context (cross-attention, or self-attention with context=None)."""

    def __init__(self, d: int, n_head: int, dropout: float = 0.0, fused: bool = True):
        super().__init__()
        if d % n_head:
            raise ValueError(f"width d={d} must be a multiple of n_head={n_head}")
        self.fused = fused
        if fused:
            self.qkv = nn.Linear(d, 3 * d)                   # [W_q; W_k; W_v]
        else:
            self.q, self.kv = nn.Linear(d, d), nn.Linear(d, 2 * d)
        self.proj = nn.Linear(d, d)                          # W_o
        self.n_head, self.dropout = n_head, dropout         # dropout on the attention weights

    def forward(self, x: torch.Tensor, context: torch.Tensor | None = None, *, causal: bool = False,
                key_ok: torch.Tensor | None = None, bias: torch.Tensor | None = None,
                last_only: bool = False) -> torch.Tensor:
        """x (B, Tq, d), context (B, Tk, d) or None (= x) -> (B, Tq, d).
        last_only: compute the last query only -> (B, 1, d) (one step of sampling; keys stay whole)."""
        B, _, D = x.shape
        if self.fused:
            if context is not None:
                raise ValueError("a fused qkv projection does self-attention only; use fused=False for a context")
            q, k, v = self.qkv(x).split(D, dim=2)                                   # (B, T, d) each
        else:
            q = self.q(x)                                                           # (B, Tq, d)
            k, v = self.kv(x if context is None else context).split(D, dim=2)       # (B, Tk, d) each
        if last_only:
            q = q[:, -1:]
        q, k, v = (z.reshape(B, z.shape[1], self.n_head, D // self.n_head).transpose(1, 2) for z in (q, k, v))
        a = F.scaled_dot_product_attention(q, k, v, attn_mask=attention_mask(key_ok, bias), is_causal=causal,
                                           dropout_p=self.dropout if self.training else 0.0)   # (B, h, Tq, d/h)
        return self.proj(a.transpose(1, 2).reshape(B, q.shape[2], D))


def attention_mask(key_ok: torch.Tensor | None, bias: torch.Tensor | None) -> torch.Tensor | None:
    """The attn_mask of scaled_dot_product_attention, broadcast over (B, h, Tq, Tk): a bool mask
    (True = may attend) from key_ok (B, Tk), an additive float bias (1, h, Tq, Tk), or both combined."""
    ok = None if key_ok is None else key_ok[:, None, None, :]                        # (B, 1, 1, Tk)
    if bias is None:
        return ok
    bias = bias[None]                                                                # (1, h, Tq, Tk)
    return bias if ok is None else bias.masked_fill(~ok, -float("inf"))


def mlp(d: int, dropout: float) -> nn.Sequential:
    """The position-wise feed-forward net: Linear(d, 4d), GELU, Linear(4d, d), dropout."""
    return nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d), nn.Dropout(dropout))


class Block(Attention):
    """Pre-norm self-attention block: x + attn(ln1(x)), then x + mlp(ln2(x)).

    It *is* an Attention (a subclass, not a member) with two norms and an MLP around it, so its
    parameters are qkv, proj, ln1, ln2, mlp: the names the image prior's and the melody nets'
    checkpoints were saved with. dropout is the MLP's; attn_dropout the attention weights'."""

    def __init__(self, d: int, n_head: int, dropout: float = 0.0, attn_dropout: float = 0.0):
        super().__init__(d, n_head, attn_dropout, fused=True)
        self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.mlp = mlp(d, dropout)

    def forward(self, x: torch.Tensor, *, causal: bool = False, key_ok: torch.Tensor | None = None,
                bias: torch.Tensor | None = None, last_only: bool = False) -> torch.Tensor:
        """x (B, T, d) -> (B, T, d), or (B, 1, d) with last_only (the last position's output).
        key_ok (B, T): False at padding, which no position attends to."""
        a = super().forward(self.ln1(x), causal=causal, key_ok=key_ok, bias=bias, last_only=last_only)
        x = x[:, -1:] if last_only else x
        x = x + a
        return x + self.mlp(self.ln2(x))
