"""Learned renderers Y' -> Y for explicit representations, trained self-supervised on (extract(y), y).

SuperResolution renders the 7x7 block-mean image (downsample_x4) back to 28x28:
    y_hat = bicubic(y') + D(y')
bicubic gives the smooth part and a small conv decoder D (the same Decoder the autoencoders use)
adds the detail bicubic cannot know. No labels are needed: the pairs come from Y alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..checkpoints import CheckpointError, load_checkpoint, pretrained_path
from ..core import Renderer
from .networks import Decoder


@dataclass
class SuperResConfig:
    factor: int = 4          # 7x7 -> 28x28
    ch: int = 32
    n_res: int = 2
    noise_aug: float = 0.0   # std of Gaussian noise added to Y' in training (robustness to predicted Y')


class SuperResolution(nn.Module):
    Config = SuperResConfig

    def __init__(self, cfg: SuperResConfig = SuperResConfig()):
        super().__init__()
        if cfg.factor != 4:
            raise ValueError("SuperResolution is built for 7x7 -> 28x28 (factor 4)")
        self.cfg = cfg
        self.detail = Decoder(1, cfg.ch, cfg.n_res)     # (B, 1, 7, 7) -> (B, 1, 28, 28)

    def extract(self, y):
        return F.avg_pool2d(y, self.cfg.factor)          # the same rule as the downsample_x4 extractor

    def render(self, y_prime):
        up = F.interpolate(y_prime, scale_factor=self.cfg.factor, mode="bicubic", align_corners=False)
        return up + self.detail(y_prime)

    def forward(self, y, labels=None):
        y_prime = self.extract(y)
        if self.training and self.cfg.noise_aug > 0:
            y_prime = y_prime + self.cfg.noise_aug * torch.randn_like(y_prime)
        y_hat = self.render(y_prime)
        loss = F.mse_loss(y_hat, y)
        return y_hat, loss, {"mse": loss.item()}


class LearnedRenderer(Renderer):
    """Wraps a trained renderer model (eval mode, clamped to [0, 1])."""

    def __init__(self, model: nn.Module, info: dict | None = None):
        self.model, self.info = model.eval(), info or {}

    @torch.no_grad()
    def render(self, y_prime, *, generator=None):
        p = next(self.model.parameters())
        return self.model.render(y_prime.to(p.device, p.dtype)).clamp(0, 1)


def load_renderer(name: str = "sr_x4", device="cpu") -> LearnedRenderer:
    try:
        model, info = load_checkpoint(pretrained_path(name), SuperResolution, device=device)
    except CheckpointError as e:
        raise CheckpointError(f"{e}; (re)create it with: regen-lite train {name}") from e
    return LearnedRenderer(model, info)
