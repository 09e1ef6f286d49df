"""TinyUNet: the noise-prediction network for pixel space (1x28x28) and for compact spaces
(4x7x7 latents, 1x7x7 low-res images), conditioned on the timestep t and a class label, or (cond_dim > 0)
on a real vector instead: the diffusion autoencoder's semantic code z.

The shape of the DDPM U-Net (Ho et al. 2020), shrunk for a laptop CPU: residual blocks with
GroupNorm, the time + class embedding added inside each block, skip connections across levels.
Label n_classes is the "null" class used for classifier-free guidance.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class UNetConfig:
    in_ch: int = 1            # channels of x (1 for images, 4 for a 4x7x7 latent)
    ch: int = 32              # base width
    ch_mult: tuple = (1, 2)   # one level per entry; each level after the first halves H and W
    n_res: int = 1            # residual blocks per level
    n_classes: int = 10       # labels 0..n_classes-1; label n_classes = unconditional (null)
    emb_dim: int = 128        # width of the time + class embedding
    dropout: float = 0.0
    cond_dim: int = 0         # > 0: condition on a real vector (B, cond_dim) through a linear map, not a class
    scale_shift: bool = False # True: the embedding scales and shifts the normalised features (AdaGN), not only shifts


def timestep_embedding(t: torch.Tensor, dim: int, max_period: float = 10000.0) -> torch.Tensor:
    """Sinusoidal embedding of integer timesteps (Vaswani et al. 2017): (B,) -> (B, dim)."""
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(half, device=t.device, dtype=torch.float32) / half)
    args = t.float()[:, None] * freqs[None]
    return torch.cat([torch.cos(args), torch.sin(args)], dim=1)


def norm(ch: int) -> nn.GroupNorm:
    return nn.GroupNorm(min(8, ch), ch)


class ResBlock(nn.Module):
    """h = conv(silu(norm(x))) + emb;  out = x + conv(dropout(silu(norm(h)))).
    With scale_shift (AdaGN; Nichol & Dhariwal 2021, used by the diffusion autoencoder): the embedding gives a
    scale s and shift b per channel, and norm(h) becomes norm(h) (1 + s) + b: conditioning that multiplies."""

    def __init__(self, in_ch: int, out_ch: int, emb_dim: int, dropout: float = 0.0, scale_shift: bool = False):
        super().__init__()
        self.scale_shift = scale_shift
        self.norm1, self.conv1 = norm(in_ch), nn.Conv2d(in_ch, out_ch, 3, padding=1)
        self.emb = nn.Linear(emb_dim, 2 * out_ch if scale_shift else out_ch)
        self.norm2, self.conv2 = norm(out_ch), nn.Conv2d(out_ch, out_ch, 3, padding=1)
        self.dropout = nn.Dropout(dropout)
        self.skip = nn.Conv2d(in_ch, out_ch, 1) if in_ch != out_ch else nn.Identity()

    def forward(self, x, emb):
        h = self.conv1(F.silu(self.norm1(x)))
        e = self.emb(emb)[:, :, None, None]
        if self.scale_shift:
            scale, shift = e.chunk(2, dim=1)
            h = self.norm2(h) * (1 + scale) + shift
        else:
            h = self.norm2(h + e)
        h = self.conv2(self.dropout(F.silu(h)))
        return self.skip(x) + h


class TinyUNet(nn.Module):
    def __init__(self, cfg: UNetConfig = UNetConfig()):
        super().__init__()
        self.cfg = cfg
        ch, E = cfg.ch, cfg.emb_dim
        self.time_mlp = nn.Sequential(nn.Linear(ch, E), nn.SiLU(), nn.Linear(E, E))
        if cfg.cond_dim > 0:
            self.cond_proj = nn.Linear(cfg.cond_dim, E)       # z (B, cond_dim) -> (B, E)
        else:
            self.class_emb = nn.Embedding(cfg.n_classes + 1, E)   # +1: the null class
        self.conv_in = nn.Conv2d(cfg.in_ch, ch, 3, padding=1)
        widths = [ch * m for m in cfg.ch_mult]
        self.down = nn.ModuleList()
        skip_ch, cur = [ch], ch
        for i, w in enumerate(widths):
            for _ in range(cfg.n_res):
                self.down.append(ResBlock(cur, w, E, cfg.dropout, cfg.scale_shift))
                cur = w
                skip_ch.append(cur)
            if i < len(widths) - 1:
                self.down.append(nn.Conv2d(cur, cur, 3, stride=2, padding=1))  # H -> H/2
                skip_ch.append(cur)
        self.mid = nn.ModuleList([ResBlock(cur, cur, E, cfg.dropout, cfg.scale_shift),
                                  ResBlock(cur, cur, E, cfg.dropout, cfg.scale_shift)])
        self.up = nn.ModuleList()
        for i, w in reversed(list(enumerate(widths))):
            for _ in range(cfg.n_res + 1):
                self.up.append(ResBlock(cur + skip_ch.pop(), w, E, cfg.dropout, cfg.scale_shift))
                cur = w
            if i > 0:
                self.up.append(nn.Upsample(scale_factor=2, mode="nearest"))
        self.out = nn.Sequential(norm(cur), nn.SiLU(), nn.Conv2d(cur, cfg.in_ch, 3, padding=1))
        nn.init.zeros_(self.out[-1].weight)
        nn.init.zeros_(self.out[-1].bias)

    def forward(self, x: torch.Tensor, t: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """x (B, C, H, W), t (B,) int, labels (B,) int in [0, n_classes] -> prediction (B, C, H, W).
        With cond_dim > 0, `labels` is the conditioning vector (B, cond_dim) instead."""
        cond = self.cond_proj(labels) if self.cfg.cond_dim > 0 else self.class_emb(labels)
        emb = self.time_mlp(timestep_embedding(t, self.cfg.ch)) + cond
        h = self.conv_in(x)
        skips = [h]
        for layer in self.down:
            h = layer(h, emb) if isinstance(layer, ResBlock) else layer(h)
            skips.append(h)
        for layer in self.mid:
            h = layer(h, emb)
        for layer in self.up:
            if isinstance(layer, ResBlock):
                s = skips.pop()
                if s.shape[-2:] != h.shape[-2:]:   # odd sizes (7 -> 4 -> 8): crop back
                    h = h[..., : s.shape[-2], : s.shape[-1]]
                h = layer(torch.cat([h, s], 1), emb)
            else:
                h = layer(h)
        return self.out(h)
