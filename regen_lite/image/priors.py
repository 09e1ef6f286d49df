"""Priors X -> Y': class-conditional generative models of the compact representation.

DiffusionPrior  any continuous Y' (VAE/AE latents, a 7x7 low-res image, or the image itself for the
                direct baseline): a TinyUNet trained with the diffusion loss, sampled with DDIM/DDPM
                and classifier-free guidance.
CodePrior       discrete Y' (VQ or FSQ code maps): a TinyTransformer that predicts codes one by one
                in raster order, sampled (nn/autoregressive.py) with temperature, top-k and
                classifier-free guidance.

Both follow the trainer's contract: forward(y_prime, labels) -> (None, loss, stats). During training
a fraction p_uncond of labels is replaced by the null class, so one network is both conditional and
unconditional (Ho & Salimans 2022).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..nn.autoregressive import sample_codes
from ..nn.diffusion import DiffusionConfig, GaussianDiffusion, ddim_sample, ddpm_sample, guided
from ..nn.transformer import TinyTransformer, TransformerConfig
from ..nn.unet import TinyUNet, UNetConfig


def drop_labels(labels: torch.Tensor, p: float, null: int) -> torch.Tensor:
    """Replace each label by the null class with probability p (classifier-free guidance training)."""
    if p <= 0:
        return labels
    mask = torch.rand(labels.shape, device=labels.device) < p
    return torch.where(mask, torch.full_like(labels, null), labels)


@dataclass
class DiffusionPriorConfig:
    shape: tuple = (4, 7, 7)     # shape of one Y'
    n_classes: int = 10
    ch: int = 64                 # TinyUNet width
    ch_mult: tuple = (1, 2)      # TinyUNet levels (7x7 -> 4x4 with (1, 2))
    n_res: int = 1
    emb_dim: int = 128
    dropout: float = 0.0
    timesteps: int = 1000
    schedule: str = "cosine"
    prediction: str = "eps"      # "eps" | "v"
    min_snr_gamma: float = 0.0
    p_uncond: float = 0.1        # label dropout for classifier-free guidance


class DiffusionPrior(nn.Module):
    Config = DiffusionPriorConfig

    def __init__(self, cfg: DiffusionPriorConfig = DiffusionPriorConfig()):
        super().__init__()
        self.cfg = cfg
        C = cfg.shape[0]
        self.net = TinyUNet(UNetConfig(in_ch=C, ch=cfg.ch, ch_mult=tuple(cfg.ch_mult), n_res=cfg.n_res,
                                       n_classes=cfg.n_classes, emb_dim=cfg.emb_dim, dropout=cfg.dropout))
        self.diffusion = GaussianDiffusion(DiffusionConfig(cfg.timesteps, cfg.schedule, cfg.prediction, cfg.min_snr_gamma))
        # Y' is standardised per channel before diffusion: x_0 = (y' - mean) / std
        self.register_buffer("mean", torch.zeros(C))
        self.register_buffer("std", torch.ones(C))

    @torch.no_grad()
    def set_normalization(self, y_prime: torch.Tensor):
        """Per-channel mean and std of the training Y' (N, C, H, W)."""
        self.mean.copy_(y_prime.mean((0, 2, 3)))
        self.std.copy_(y_prime.std((0, 2, 3)).clamp(min=1e-5))

    def normalize(self, y_prime):
        return (y_prime - self.mean[:, None, None]) / self.std[:, None, None]

    def denormalize(self, x0):
        return x0 * self.std[:, None, None] + self.mean[:, None, None]

    def forward(self, y_prime: torch.Tensor, labels: torch.Tensor):
        labels = drop_labels(labels, self.cfg.p_uncond, self.cfg.n_classes)
        loss, stats = self.diffusion.loss(lambda x, t: self.net(x, t, labels), self.normalize(y_prime))
        return None, loss, {}

    @torch.no_grad()
    def sample(self, x: torch.Tensor, *, steps: int = 25, guidance: float = 1.0, eta: float = 0.0,
               sampler: str = "ddim", generator: torch.Generator | None = None, callback=None) -> torch.Tensor:
        """x: class labels (B,) -> Y' (B, *shape). sampler "ddim" uses `steps`; "ddpm" uses all T.
        callback(done, total) after every denoising step."""
        device = self.mean.device
        x = x.to(device)
        fn = guided(self.net, x, torch.full_like(x, self.cfg.n_classes), guidance)
        shape = (len(x), *self.cfg.shape)
        if sampler == "ddim":
            x0 = ddim_sample(self.diffusion, fn, shape, steps=steps, eta=eta, generator=generator, device=device,
                             callback=callback)
        elif sampler == "ddpm":
            x0 = ddpm_sample(self.diffusion, fn, shape, generator=generator, device=device, callback=callback)
        else:
            raise ValueError(f"sampler must be 'ddim' or 'ddpm', not {sampler!r}")
        return self.denormalize(x0)


@dataclass
class CodePriorConfig:
    vocab: int = 512         # K
    h: int = 7               # code map height
    w: int = 7               # code map width
    n_classes: int = 10
    d: int = 128
    n_layer: int = 4
    n_head: int = 4
    dropout: float = 0.1
    p_uncond: float = 0.1


class CodePrior(nn.Module):
    Config = CodePriorConfig

    def __init__(self, cfg: CodePriorConfig = CodePriorConfig()):
        super().__init__()
        self.cfg = cfg
        self.net = TinyTransformer(TransformerConfig(cfg.vocab, cfg.h * cfg.w, cfg.n_classes, cfg.d, cfg.n_layer,
                                                     cfg.n_head, cfg.dropout))

    def forward(self, codes: torch.Tensor, labels: torch.Tensor):
        """Teacher forcing: predict every code from the class and the codes before it (raster order)."""
        flat = codes.flatten(1)                                   # (B, N)
        labels = drop_labels(labels, self.cfg.p_uncond, self.cfg.n_classes)
        logits = self.net(flat[:, :-1], labels)                   # (B, N, K)
        loss = F.cross_entropy(logits.reshape(-1, self.cfg.vocab), flat.reshape(-1))
        return None, loss, {"bits_per_code": loss.item() / 0.6931471805599453}

    @torch.no_grad()
    def sample(self, x: torch.Tensor, *, temperature: float = 1.0, top_k: int | None = None, guidance: float = 0.0,
               generator: torch.Generator | None = None, callback=None) -> torch.Tensor:
        """x: class labels (B,) -> codes (B, h, w), one code at a time (nn/autoregressive.sample_codes).
        callback(done, total) after each code."""
        return sample_codes(self, x, temperature=temperature, top_k=top_k, guidance=guidance, generator=generator,
                            callback=callback)
