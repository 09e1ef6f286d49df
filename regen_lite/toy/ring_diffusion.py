"""Diffusion on 2-D toy data: the whole DDPM recipe small enough to train in seconds on a CPU.

Y_0 is a point in R^2 drawn from a ring of Gaussian blobs, a stand-in for a compact Y' (a 2-number
"representation"). The network is an MLP that predicts the noise eps from (Y_t, t); the process,
the loss and the samplers are exactly the ones the image priors use (regen_lite.diffusion).

    data  = ring_of_gaussians(4096, generator=torch.Generator().manual_seed(0))   # (N, 2)
    model = ToyDenoiser()
    fit(model, (data,), TrainConfig(epochs=100, batch_size=256))                  # ~1,600 steps
    y0 = model.sample(1000, steps=50)                                             # (1000, 2)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn as nn

from ..nn.diffusion import DiffusionConfig, GaussianDiffusion, ddim_sample, ddpm_sample
from ..nn.unet import timestep_embedding


def ring_centres(modes: int = 8, radius: float = 2.0) -> torch.Tensor:
    """The centres of the blobs: `modes` points evenly spaced on a circle. (modes, 2)"""
    angle = 2 * math.pi * torch.arange(modes, dtype=torch.float32) / modes
    return radius * torch.stack([angle.cos(), angle.sin()], dim=1)


def ring_of_gaussians(n: int, modes: int = 8, radius: float = 2.0, std: float = 0.1,
                      generator: torch.Generator | None = None) -> torch.Tensor:
    """n points from an equal mixture of `modes` isotropic Gaussians (std `std`) on a ring. (n, 2)"""
    which = torch.randint(0, modes, (n,), generator=generator)
    return ring_centres(modes, radius)[which] + std * torch.randn(n, 2, generator=generator)


@torch.no_grad()
def mode_stats(points: torch.Tensor, modes: int = 8, radius: float = 2.0, std: float = 0.1) -> dict:
    """How well samples match the ring: the fraction within 3 std of their nearest centre ("on a
    mode") and how many of the modes receive at least 1% of the samples ("modes covered")."""
    dist = torch.cdist(points.float(), ring_centres(modes, radius))        # (n, modes)
    nearest, which = dist.min(1)
    on = nearest < 3 * std
    counts = torch.bincount(which[on], minlength=modes)
    return {"on_mode": on.float().mean().item(), "modes_covered": int((counts >= 0.01 * len(points)).sum())}


@dataclass
class ToyDenoiserConfig:
    dim: int = 2              # size of Y_0
    hidden: int = 64          # MLP width
    n_layers: int = 3         # hidden layers
    t_dim: int = 32           # width of the sinusoidal timestep embedding
    timesteps: int = 1000     # T
    schedule: str = "cosine"  # "cosine" | "linear"


class ToyDenoiser(nn.Module):
    """eps_theta(Y_t, t): an MLP on [Y_t, embed(t)]. forward(y0) -> (None, loss, stats) for train.fit."""

    def __init__(self, cfg: ToyDenoiserConfig = ToyDenoiserConfig()):
        super().__init__()
        self.cfg = cfg
        layers, width = [], cfg.dim + cfg.t_dim
        for _ in range(cfg.n_layers):
            layers += [nn.Linear(width, cfg.hidden), nn.SiLU()]
            width = cfg.hidden
        self.net = nn.Sequential(*layers, nn.Linear(width, cfg.dim))
        self.diffusion = GaussianDiffusion(DiffusionConfig(cfg.timesteps, cfg.schedule))

    def eps(self, y_t: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """(B, dim), (B,) int -> predicted noise (B, dim)."""
        return self.net(torch.cat([y_t, timestep_embedding(t, self.cfg.t_dim)], dim=1))

    def forward(self, y0: torch.Tensor):
        loss, stats = self.diffusion.loss(self.eps, y0)
        return None, loss, {}

    @torch.no_grad()
    def sample(self, n: int, *, steps: int = 50, sampler: str = "ddim", eta: float = 0.0,
               generator: torch.Generator | None = None, return_trajectory: bool = False):
        """n samples (n, dim): DDIM in `steps` steps, or DDPM through all T steps (sampler="ddpm").
        return_trajectory (DDIM only): also the list of the steps + 1 intermediate Y_t."""
        shape = (n, self.cfg.dim)
        if sampler == "ddpm":
            return ddpm_sample(self.diffusion, self.eps, shape, generator=generator)
        if sampler != "ddim":
            raise ValueError(f"sampler must be 'ddim' or 'ddpm', not {sampler!r}")
        return ddim_sample(self.diffusion, self.eps, shape, steps=steps, eta=eta, generator=generator,
                           return_trajectory=return_trajectory)
