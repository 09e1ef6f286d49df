"""Gaussian diffusion: the process (schedule, q_sample, training loss) and the samplers (DDPM, DDIM),
with classifier-free guidance. The network is passed in as an argument: nothing here knows its shape.

Notation (Ho et al. 2020, "DDPM"; Song et al. 2021, "DDIM"; Nichol & Dhariwal 2021, "improved DDPM"):
    beta_t            noise added at step t, t = 0..T-1
    alpha_t           1 - beta_t
    \\bar\\alpha_t      prod_{s<=t} alpha_s                         (alphas_cumprod)
    q(x_t | x_0)      N(sqrt(\\bar\\alpha_t) x_0, (1 - \\bar\\alpha_t) I)   (DDPM eq. 4)
    eps-prediction    the network predicts the noise eps
    v-prediction      the network predicts v = sqrt(\\bar\\alpha_t) eps - sqrt(1 - \\bar\\alpha_t) x_0
                      (Salimans & Ho 2022, "progressive distillation", sec. 4)
Schedules are computed in float64 and stored as float32 buffers, read through `_extract`, so they
always follow the model's device.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import torch
import torch.nn as nn
import torch.nn.functional as F

from . import noise as rng   # randn / multinomial that also take one generator per request (RowGenerators)

ModelFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]  # (x_t, t) -> eps or v prediction
StepCallback = Callable[[int, int], None] | None                 # (steps done, total steps) -> None


# ---------------------------------------------------------------------------------------
# Schedules
# ---------------------------------------------------------------------------------------

def cosine_betas(T: int, s: float = 0.008, max_beta: float = 0.999) -> torch.Tensor:
    """Improved-DDPM eq. 17: \\bar\\alpha(t) = cos^2(((t/T + s) / (1 + s)) pi/2); beta_t = 1 - \\bar\\alpha(t+1)/\\bar\\alpha(t)."""
    def abar(u):
        return math.cos((u + s) / (1 + s) * math.pi / 2) ** 2
    return torch.tensor([min(1 - abar((i + 1) / T) / abar(i / T), max_beta) for i in range(T)], dtype=torch.float64)


def linear_betas(T: int) -> torch.Tensor:
    """DDPM's linear schedule from 1e-4 to 0.02, rescaled so any T spans the same noise levels."""
    scale = 1000 / T
    return torch.linspace(scale * 1e-4, scale * 0.02, T, dtype=torch.float64)


@dataclass
class DiffusionConfig:
    timesteps: int = 1000        # T
    schedule: str = "cosine"     # "cosine" | "linear"
    prediction: str = "eps"      # "eps" | "v"
    min_snr_gamma: float = 0.0   # 0 = plain MSE; 5 = min-SNR-5 weighting (Hang et al. 2023)


def _extract(buf: torch.Tensor, t: torch.Tensor, ndim: int) -> torch.Tensor:
    """buf[t] reshaped to (B, 1, 1, ...) so it broadcasts over an x of `ndim` dims."""
    return buf.to(t.device)[t].view(-1, *([1] * (ndim - 1)))


class GaussianDiffusion(nn.Module):
    def __init__(self, cfg: DiffusionConfig = DiffusionConfig()):
        super().__init__()
        self.cfg = cfg
        betas = {"cosine": cosine_betas, "linear": linear_betas}[cfg.schedule](cfg.timesteps)  # float64
        abar = torch.cumprod(1.0 - betas, 0)
        reg = lambda name, v: self.register_buffer(name, v.float(), persistent=False)  # noqa: E731
        reg("betas", betas)
        reg("alphas_cumprod", abar)                        # \bar\alpha_t
        reg("sqrt_abar", abar.sqrt())                      # sqrt(\bar\alpha_t)
        reg("sqrt_one_minus_abar", (1 - abar).sqrt())      # sqrt(1 - \bar\alpha_t)
        reg("snr", abar / (1 - abar))                      # signal-to-noise ratio \bar\alpha_t / (1 - \bar\alpha_t)

    @property
    def T(self) -> int:
        return self.cfg.timesteps

    # ------------------------------------------------------------------ forward process
    def q_sample(self, x0: torch.Tensor, t: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
        """x_t = sqrt(\\bar\\alpha_t) x_0 + sqrt(1 - \\bar\\alpha_t) eps   (DDPM eq. 4, reparameterised)."""
        return _extract(self.sqrt_abar, t, x0.ndim) * x0 + _extract(self.sqrt_one_minus_abar, t, x0.ndim) * noise

    # ------------------------------------------------------------------ parameterisations
    def target(self, x0, t, noise):
        if self.cfg.prediction == "eps":
            return noise
        return _extract(self.sqrt_abar, t, x0.ndim) * noise - _extract(self.sqrt_one_minus_abar, t, x0.ndim) * x0

    def eps_and_x0(self, out: torch.Tensor, x_t: torch.Tensor, t: torch.Tensor):
        """From the network output (eps or v) recover both eps and x_0."""
        a = _extract(self.sqrt_abar, t, x_t.ndim)
        s = _extract(self.sqrt_one_minus_abar, t, x_t.ndim)
        if self.cfg.prediction == "eps":
            eps = out
            x0 = (x_t - s * eps) / a
        else:  # v: x_0 = a x_t - s v,  eps = s x_t + a v
            x0 = a * x_t - s * out
            eps = s * x_t + a * out
        return eps, x0

    # ------------------------------------------------------------------ training
    def loss(self, model_fn: ModelFn, x0: torch.Tensor, generator: torch.Generator | None = None):
        """E_{t, eps} w(t) ||target - model(x_t, t)||^2 with t ~ U{0..T-1}. Returns (loss, stats)."""
        B = x0.shape[0]
        t = torch.randint(0, self.T, (B,), device=x0.device, generator=generator)
        noise = torch.randn(x0.shape, device=x0.device, generator=generator, dtype=x0.dtype)
        x_t = self.q_sample(x0, t, noise)
        per_example = F.mse_loss(model_fn(x_t, t), self.target(x0, t, noise), reduction="none").flatten(1).mean(1)
        if self.cfg.min_snr_gamma > 0:
            snr = self.snr.to(t.device)[t]
            clipped = snr.clamp(max=self.cfg.min_snr_gamma)
            w = clipped / snr if self.cfg.prediction == "eps" else clipped / (snr + 1)
            per_example = per_example * w
        loss = per_example.mean()
        return loss, {"t": t.detach(), "per_example": per_example.detach()}


# ---------------------------------------------------------------------------------------
# Classifier-free guidance (Ho & Salimans 2022)
# ---------------------------------------------------------------------------------------

def guided(model: Callable, cond: torch.Tensor, null_cond: torch.Tensor, w: float) -> ModelFn:
    """eps~ = eps(x, c) + w (eps(x, c) - eps(x, null)). w = 0 is the plain conditional model."""
    if w == 0:
        return lambda x, t: model(x, t, cond)

    def fn(x, t):
        out = model(torch.cat([x, x]), torch.cat([t, t]), torch.cat([cond, null_cond]))
        c, u = out.chunk(2)
        return c + w * (c - u)
    return fn


# ---------------------------------------------------------------------------------------
# Samplers
# ---------------------------------------------------------------------------------------

def ddim_timesteps(T: int, steps: int) -> list[int]:
    """Evenly spaced ("leading") timesteps, descending: T=1000, steps=4 -> [750, 500, 250, 0]."""
    if not 1 <= steps <= T:
        raise ValueError(f"steps must be in 1..{T}, not {steps}")
    stride = T // steps
    return list(range(0, steps * stride, stride))[::-1]


def ddim_step(x_t, eps, x0, abar_t, abar_prev, eta: float = 0.0, noise=None):
    """One DDIM update (Song et al. 2021, eq. 12):
        x_{t-1} = sqrt(\\bar\\alpha_{prev}) x0 + sqrt(1 - \\bar\\alpha_{prev} - sigma^2) eps + sigma z,
        sigma = eta sqrt((1 - \\bar\\alpha_{prev}) / (1 - \\bar\\alpha_t)) sqrt(1 - \\bar\\alpha_t / \\bar\\alpha_{prev}).
    eta = 0 is deterministic; eta = 1 matches DDPM's posterior variance."""
    sigma = eta * ((1 - abar_prev) / (1 - abar_t)).sqrt() * (1 - abar_t / abar_prev).sqrt()
    x_prev = abar_prev.sqrt() * x0 + (1 - abar_prev - sigma ** 2).clamp(min=0).sqrt() * eps
    if eta > 0:
        x_prev = x_prev + sigma * noise
    return x_prev


@torch.no_grad()
def ddim_sample(diffusion: GaussianDiffusion, model_fn: ModelFn, shape, *, steps: int = 25, eta: float = 0.0,
                generator: rng.Generator = None, device="cpu", clip_x0: float | None = None,
                x_T: torch.Tensor | None = None, return_trajectory: bool = False, callback: StepCallback = None):
    """Sample x_0 from x_T ~ N(0, I) in `steps` DDIM steps. clip_x0 clamps predicted x_0 to [-c, c].
    callback(done, total) is called after every step (the app's progress bar)."""
    x = rng.randn(shape, generator, device) if x_T is None else x_T.to(device)
    abar = diffusion.alphas_cumprod.to(device)
    ts = ddim_timesteps(diffusion.T, steps)
    traj = [x]
    for i, t in enumerate(ts):
        t_batch = torch.full((shape[0],), t, device=device, dtype=torch.long)
        eps, x0 = diffusion.eps_and_x0(model_fn(x, t_batch), x, t_batch)
        if clip_x0 is not None:
            x0 = x0.clamp(-clip_x0, clip_x0)
            eps = (x - abar[t].sqrt() * x0) / (1 - abar[t]).sqrt()
        abar_prev = abar[ts[i + 1]] if i + 1 < len(ts) else torch.tensor(1.0, device=device)
        z = rng.randn(shape, generator, device) if eta > 0 else None
        x = ddim_step(x, eps, x0, abar[t], abar_prev, eta, z)
        traj.append(x)
        if callback is not None:
            callback(i + 1, len(ts))
    return (x, traj) if return_trajectory else x


@torch.no_grad()
def ddim_invert(diffusion: GaussianDiffusion, model_fn: ModelFn, x0: torch.Tensor, *, steps: int = 25) -> torch.Tensor:
    """DDIM inversion: run the deterministic (eta = 0) update backwards, clean x_0 -> the x_T from which
    ddim_sample(..., x_T=x_T, steps=steps) returns to x_0 (Song et al. 2021, sec. 4.3; Preechakul et al. 2022):
        x_{t_next} = sqrt(\bar\alpha_{t_next}) x0_hat + sqrt(1 - \bar\alpha_{t_next}) eps(x_t, t),
    on the same timesteps as the sampler, ascending; x_0 itself stands for x at the first one (t = 0).
    Exact only in the limit of many steps (it assumes eps(x_t, t) ~ eps(x_{t_next}, t_next)); close at 25."""
    abar = diffusion.alphas_cumprod.to(x0.device)
    ts = ddim_timesteps(diffusion.T, steps)[::-1]           # ascending: [0, T/steps, ..., T - T/steps]
    x = x0
    for t, t_next in zip(ts[:-1], ts[1:]):
        t_batch = torch.full((x.shape[0],), t, device=x.device, dtype=torch.long)
        eps, x0_hat = diffusion.eps_and_x0(model_fn(x, t_batch), x, t_batch)
        x = abar[t_next].sqrt() * x0_hat + (1 - abar[t_next]).sqrt() * eps
    return x


@torch.no_grad()
def ddpm_sample(diffusion: GaussianDiffusion, model_fn: ModelFn, shape, *, generator=None, device="cpu",
                clip_x0: float | None = None, callback: StepCallback = None):
    """Ancestral sampling through all T steps with the posterior q(x_{t-1} | x_t, x_0) (DDPM eq. 6-7):
        mean = (sqrt(\\bar\\alpha_{t-1}) beta_t x_0 + sqrt(alpha_t)(1 - \\bar\\alpha_{t-1}) x_t) / (1 - \\bar\\alpha_t),
        var  = beta_t (1 - \\bar\\alpha_{t-1}) / (1 - \\bar\\alpha_t)."""
    x = rng.randn(shape, generator, device)
    abar = diffusion.alphas_cumprod.to(device)
    betas = diffusion.betas.to(device)
    for t in reversed(range(diffusion.T)):
        t_batch = torch.full((shape[0],), t, device=device, dtype=torch.long)
        _, x0 = diffusion.eps_and_x0(model_fn(x, t_batch), x, t_batch)
        if clip_x0 is not None:
            x0 = x0.clamp(-clip_x0, clip_x0)
        abar_prev = abar[t - 1] if t > 0 else torch.tensor(1.0, device=device)
        mean = (abar_prev.sqrt() * betas[t] * x0 + (1 - betas[t]).sqrt() * (1 - abar_prev) * x) / (1 - abar[t])
        if t > 0:
            var = betas[t] * (1 - abar_prev) / (1 - abar[t])
            x = mean + var.sqrt() * rng.randn(shape, generator, device)
        else:
            x = mean
        if callback is not None:
            callback(diffusion.T - t, diffusion.T)
    return x
