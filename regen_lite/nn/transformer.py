"""TinyTransformer: a class-conditional GPT over a raster-ordered code map (minGPT, shrunk).

Sequence: [class token] c_1 c_2 ... c_N (N = 7*7 codes). Position i predicts c_{i+1} from the
class and c_1..c_i only: causal self-attention (nn/attention.py, a lower-triangular mask) guarantees it.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn as nn

from .attention import Block


@dataclass
class TransformerConfig:
    vocab: int = 512        # K, number of codes
    seq_len: int = 49       # N, codes per map (7x7)
    n_classes: int = 10     # class tokens; index n_classes is the null class (classifier-free guidance)
    d: int = 128            # model width
    n_layer: int = 4
    n_head: int = 4
    dropout: float = 0.1


class TinyTransformer(nn.Module):
    def __init__(self, cfg: TransformerConfig = TransformerConfig()):
        super().__init__()
        self.cfg = cfg
        self.tok = nn.Embedding(cfg.vocab, cfg.d)
        self.cls = nn.Embedding(cfg.n_classes + 1, cfg.d)
        self.pos = nn.Parameter(torch.zeros(1, cfg.seq_len, cfg.d))
        self.drop = nn.Dropout(cfg.dropout)
        self.blocks = nn.ModuleList([Block(cfg.d, cfg.n_head, cfg.dropout, attn_dropout=cfg.dropout)
                                     for _ in range(cfg.n_layer)])
        self.ln = nn.LayerNorm(cfg.d)
        self.head = nn.Linear(cfg.d, cfg.vocab)
        nn.init.normal_(self.pos, std=0.02)

    def forward(self, codes: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """codes (B, L) with L <= seq_len - 1 (the prefix), labels (B,) -> logits (B, L + 1, vocab).

        logits[:, i] is the distribution of code i given the class and codes[:, :i]."""
        B, L = codes.shape
        x = torch.cat([self.cls(labels)[:, None], self.tok(codes)], dim=1)  # (B, L + 1, d)
        x = self.drop(x + self.pos[:, : L + 1])
        for blk in self.blocks:
            x = blk(x, causal=True)
        return self.head(self.ln(x))
