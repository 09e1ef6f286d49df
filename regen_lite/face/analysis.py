"""Face analysis Y -> Y': an image -> θ encoder, learned by analysis-by-synthesis (Table 1's "3D image analysis").

The encoder E guesses θ̂ = E(y); the differentiable renderer R draws it; the loss compares the drawing with
the image. No θ label is ever used, as Deep3DFaceRecon and SadTalker fit a real face model's coefficients:

    analysis-by-synthesis   L = || R(E(y)) - y ||²                (the photometric loss; labels: none)
    supervised upper bound  L = || E(y) - θ ||²                   (needs the true θ: only a synthetic world has it)
    per-image fitting       θ̂ = argmin_θ || R(θ) - y ||²          (gradient descent on θ itself, no encoder)

The encoder is amortised fitting: one forward pass instead of a hundred gradient steps per image.

    enc = FaceEncoder(FaceEncoderConfig(target="photometric"))
    _, loss, stats = enc(images)               # (B, 1, 48, 48): analysis-by-synthesis
    _, loss, stats = enc(images, theta)        # with labels, when target="theta"
    theta_hat = enc.encode(images)             # (B, D)
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

from .render import NEUTRAL, SIGNED, D, render


@dataclass
class FaceEncoderConfig:
    target: str = "photometric"     # "photometric" (analysis-by-synthesis, no labels) | "theta" (supervised)
    width: int = 32                 # channels of the first conv; doubled once
    hidden: int = 128               # the feature vector before the θ head (the Fréchet features)


def to_theta(raw: torch.Tensor) -> torch.Tensor:
    """Unconstrained numbers -> θ in its ranges: tanh for yaw and roll, a sigmoid for the rest."""
    return torch.where(SIGNED.to(raw.device), torch.tanh(raw), torch.sigmoid(raw))


def from_theta(theta: torch.Tensor) -> torch.Tensor:
    """The inverse of to_theta (θ pulled a hair inside its ranges first)."""
    t = theta.clamp(-0.999, 0.999)
    return torch.where(SIGNED.to(theta.device), torch.atanh(t), torch.logit(t.clamp(0.001, 0.999)))


class FaceEncoder(nn.Module):
    """(B, 1, 48, 48) -> θ (B, D): three stride-2 convs (48 -> 24 -> 12 -> 6), a linear layer, the θ head."""

    Config = FaceEncoderConfig

    def __init__(self, cfg: FaceEncoderConfig = FaceEncoderConfig()):
        super().__init__()
        if cfg.target not in ("photometric", "theta"):
            raise ValueError(f"target must be 'photometric' or 'theta', got {cfg.target!r}")
        self.cfg = cfg
        w = cfg.width
        self.convs = nn.Sequential(
            nn.Conv2d(1, w, 4, 2, 1), nn.SiLU(),              # (B, w, 24, 24)
            nn.Conv2d(w, 2 * w, 4, 2, 1), nn.SiLU(),          # (B, 2w, 12, 12)
            nn.Conv2d(2 * w, 2 * w, 4, 2, 1), nn.SiLU(),      # (B, 2w, 6, 6)
        )
        self.fc = nn.Linear(2 * w * 36, cfg.hidden)
        self.head = nn.Linear(cfg.hidden, D)
        with torch.no_grad():                                  # start at the neutral face
            self.head.weight.mul_(0.1)
            self.head.bias.copy_(from_theta(NEUTRAL))

    def features(self, y: torch.Tensor) -> torch.Tensor:
        """(B, 1, 48, 48) -> (B, hidden): what the Fréchet distance compares."""
        return F.silu(self.fc(self.convs(y * 2 - 1).flatten(1)))

    def encode(self, y: torch.Tensor) -> torch.Tensor:
        """(B, 1, 48, 48) -> θ̂ (B, D)."""
        return to_theta(self.head(self.features(y)))

    def forward(self, y: torch.Tensor, theta: torch.Tensor | None = None):
        theta_hat = self.encode(y)
        photometric = F.mse_loss(render(theta_hat), y)
        if self.cfg.target == "photometric":
            loss = photometric
        else:
            if theta is None:
                raise ValueError("a supervised encoder (target='theta') trains on (images, theta) pairs")
            loss = F.mse_loss(theta_hat, theta)
        stats = {"photometric": photometric.detach()}
        if theta is not None:
            stats["theta_mae"] = (theta_hat - theta).abs().mean().detach()
        return theta_hat, loss, stats


def fit_theta(y: torch.Tensor, steps: int = 300, lr: float = 0.05, init: torch.Tensor | None = None) -> dict:
    """Per-image analysis-by-synthesis: Adam on θ itself (in to_theta's unconstrained space), from the neutral
    face (or `init`, e.g. an encoder's guess), minimising each image's photometric loss. y: (B, 1, 48, 48).
    Returns {"theta": (B, D), "loss": (steps,) mean photometric loss per step}."""
    start = NEUTRAL.expand(len(y), D) if init is None else init
    raw = from_theta(start.detach().clone()).requires_grad_(True)
    opt = torch.optim.Adam([raw], lr=lr)
    history = []
    for _ in range(steps):
        loss = ((render(to_theta(raw)) - y) ** 2).mean(dim=(1, 2, 3))    # (B,) one loss per image
        opt.zero_grad()
        loss.sum().backward()
        opt.step()
        history.append(loss.mean().item())
    return {"theta": to_theta(raw).detach(), "loss": torch.tensor(history)}
