"""Y' -> Y for faces: θ -> image, two ways.

    ProceduralRenderer   the differentiable drawing of render.py: exact, no parameters (the rule)
    FaceDecoder          a learned θ -> image decoder (an MLP into a 6×6 map, three transposed convs to 48×48),
                         trained self-supervised on (extract(y), y) pairs: the analysis encoder's θ̂ of each
                         still face, and the face. It never sees a true θ, and it can be wrong where the
                         rule cannot: the second renderer row of benchmarks/talking_head.py.

Both take θ of any leading shape: (B, D) -> (B, 1, 48, 48), a track (B, T, D) -> (B, T, 1, 48, 48).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..core import Renderer
from .render import D, SIZE, render


class ProceduralRenderer(Renderer):
    def render(self, y_prime: torch.Tensor, *, generator: torch.Generator | None = None) -> torch.Tensor:
        with torch.no_grad():
            return render(y_prime)


@dataclass
class DecoderConfig:
    d_in: int = D               # θ (FaceDecoder); the direct model feeds its audio features here instead
    hidden: int = 256
    channels: int = 16


class ConvDecoder(nn.Module):
    """(N, d_in) -> (N, 1, 48, 48) in [0, 1]: Linear -> (c, 6, 6) -> 12 -> 24 -> 48. Shared by FaceDecoder and
    the direct model, so the two pipelines draw pixels with the same network."""

    def __init__(self, cfg: DecoderConfig):
        super().__init__()
        c = cfg.channels
        self.c = c
        self.fc = nn.Sequential(nn.Linear(cfg.d_in, cfg.hidden), nn.SiLU(), nn.Linear(cfg.hidden, 2 * c * 36), nn.SiLU())
        self.up = nn.Sequential(
            nn.ConvTranspose2d(2 * c, 2 * c, 4, 2, 1), nn.SiLU(),     # (N, 2c, 12, 12)
            nn.ConvTranspose2d(2 * c, c, 4, 2, 1), nn.SiLU(),         # (N, c, 24, 24)
            nn.ConvTranspose2d(c, c, 4, 2, 1), nn.SiLU(),             # (N, c, 48, 48)
            nn.Conv2d(c, 1, 3, padding=1),
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.up(self.fc(z).view(-1, 2 * self.c, 6, 6)))


class FaceDecoder(nn.Module):
    """θ -> face image, learned. Trains on (θ̂ = encoder(y), y) pairs of still faces."""

    Config = DecoderConfig

    def __init__(self, cfg: DecoderConfig = DecoderConfig()):
        super().__init__()
        self.cfg = cfg
        self.net = ConvDecoder(cfg)

    def decode(self, theta: torch.Tensor) -> torch.Tensor:
        lead = theta.shape[:-1]
        return self.net(theta.reshape(-1, theta.shape[-1])).reshape(*lead, 1, SIZE, SIZE)

    def forward(self, theta_hat: torch.Tensor, y: torch.Tensor):
        y_hat = self.decode(theta_hat)
        loss = F.mse_loss(y_hat, y)
        return y_hat, loss, {"mse": loss.detach()}


class LearnedRenderer(Renderer):
    def __init__(self, decoder: FaceDecoder):
        self.decoder = decoder.eval()

    def render(self, y_prime: torch.Tensor, *, generator: torch.Generator | None = None) -> torch.Tensor:
        with torch.no_grad():
            return self.decoder.decode(y_prime)
