"""Implicit (learned) image representations: AE, VAE, VQ-VAE, FSQ and residual-VQ autoencoders.

Each model is trained self-supervised on Y alone (no labels); extractors.py wraps a trained one as
an Extractor (its encoder, Y -> Y') carrying a Renderer (its decoder, Y' -> Y). All share the conv Encoder/Decoder in
networks.py: Y (B, 1, 28, 28) <-> latent map (B, C, 7, 7). Every forward returns (y_hat, loss, stats).

    AE     Y' = z = E(y)                      real 4x7x7; loss ||y - D(z)||^2
    VAE    Y' = mu(y)                          real 4x7x7; loss ||y - D(z)||^2 + beta KL(q(z|y) || N(0, I))
    VQ-VAE Y' = argmin_k ||E(y) - e_k||        codes 7x7 in [0, 512); EMA codebook, commitment loss
    FSQ    Y' = round(bound(E(y)))             codes 7x7 in [0, 8^3); no codebook loss at all
    RVQ    Y' = S code maps, each quantizing    codes S x 7 x 7 in [0, 256); the first n maps decode alone
           the residual of the ones before
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..nn.quantizers import FSQ, ResidualVQ, VectorQuantizer
from .networks import Decoder, Encoder


@dataclass
class AEConfig:
    latent_ch: int = 4   # C of the 7x7 latent map
    ch: int = 64         # width of every conv (the 14x14 and 7x7 feature maps)
    n_res: int = 0       # residual blocks at 7x7 in encoder and decoder (0: the classic conv autoencoder)


class AE(nn.Module):
    Config = AEConfig

    def __init__(self, cfg: AEConfig = AEConfig()):
        super().__init__()
        self.cfg = cfg
        self.encoder = Encoder(cfg.latent_ch, cfg.ch, cfg.n_res)
        self.decoder = Decoder(cfg.latent_ch, cfg.ch, cfg.n_res)

    def encode(self, y):
        return self.encoder(y)            # (B, C, 7, 7)

    def decode(self, z):
        return self.decoder(z)            # (B, 1, 28, 28), unclamped

    def forward(self, y, labels=None):
        z = self.encode(y)
        y_hat = self.decode(z)
        loss = F.mse_loss(y_hat, y)
        return y_hat, loss, {"mse": loss.item()}


@dataclass
class VAEConfig:
    latent_ch: int = 4
    ch: int = 64
    n_res: int = 0
    beta: float = 0.01   # weight of the KL term per pixel; small beta = sharper, less regular latents


def kl_standard_normal(mu, logvar):
    """KL(N(mu, sigma^2) || N(0, 1)) in closed form, summed over latent dims: (B, C, H, W) -> (B,).

    KL = 1/2 sum (mu^2 + sigma^2 - 1 - log sigma^2)   (Kingma & Welling 2014, appendix B)
    """
    return 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar).flatten(1).sum(1)


def kl_monte_carlo(mu, logvar, n_samples: int, generator=None):
    """KL(q || N(0, I)) estimated as E_q[log q(z) - log p(z)] with n_samples draws z = mu + sigma * eps:
    (B, C, H, W) -> (B,). Unbiased; its standard error falls as 1 / sqrt(n_samples).

    eps is drawn as torch.randn((n_samples, *mu.shape)), so a seeded generator fixes the estimate.
    log q(z) - log p(z) = 1/2 (z^2 - eps^2 - log sigma^2)  (the log(2 pi) terms cancel).
    """
    eps = torch.randn((n_samples, *mu.shape), generator=generator, device=mu.device, dtype=mu.dtype)
    z = mu + torch.exp(0.5 * logvar) * eps                          # (S, B, C, H, W)
    log_ratio = 0.5 * (z.pow(2) - eps.pow(2) - logvar)              # log q(z) - log p(z), per dimension
    return log_ratio.flatten(2).sum(2).mean(0)                      # sum over dims, mean over samples


class VAE(nn.Module):
    Config = VAEConfig

    def __init__(self, cfg: VAEConfig = VAEConfig()):
        super().__init__()
        self.cfg = cfg
        self.encoder = Encoder(2 * cfg.latent_ch, cfg.ch, cfg.n_res)   # predicts (mu, log sigma^2)
        self.decoder = Decoder(cfg.latent_ch, cfg.ch, cfg.n_res)

    def posterior(self, y):
        mu, logvar = self.encoder(y).chunk(2, dim=1)                    # each (B, C, 7, 7)
        return mu, logvar.clamp(-30.0, 20.0)

    @staticmethod
    def reparameterize(mu, logvar, generator=None):
        """z = mu + sigma * eps, eps ~ N(0, I): sampling that gradients can flow through."""
        eps = torch.randn(mu.shape, generator=generator, device=mu.device, dtype=mu.dtype)
        return mu + torch.exp(0.5 * logvar) * eps

    def encode(self, y):
        return self.posterior(y)[0]        # Y' = the posterior mean: deterministic

    def decode(self, z):
        return self.decoder(z)

    def forward(self, y, labels=None):
        mu, logvar = self.posterior(y)
        z = self.reparameterize(mu, logvar)
        y_hat = self.decode(z)
        mse = F.mse_loss(y_hat, y)
        kl = kl_standard_normal(mu, logvar).mean()
        n_pix = y[0].numel()
        loss = mse + self.cfg.beta * kl / n_pix
        return y_hat, loss, {"mse": mse.item(), "kl": kl.item()}


@dataclass
class VQVAEConfig:
    code_dim: int = 8        # D, channels of each code vector
    num_codes: int = 512     # K, codebook size
    ch: int = 64
    n_res: int = 0
    beta: float = 0.25       # commitment weight
    decay: float = 0.99      # EMA decay of the codebook
    restart_threshold: float = 1.0  # EMA count below which a code is restarted


class VQVAE(nn.Module):
    Config = VQVAEConfig

    def __init__(self, cfg: VQVAEConfig = VQVAEConfig()):
        super().__init__()
        self.cfg = cfg
        self.encoder = Encoder(cfg.code_dim, cfg.ch, cfg.n_res)
        self.quantizer = VectorQuantizer(cfg.num_codes, cfg.code_dim, cfg.beta, cfg.decay,
                                         restart_threshold=cfg.restart_threshold)
        self.decoder = Decoder(cfg.code_dim, cfg.ch, cfg.n_res)

    @property
    def num_codes(self):
        return self.cfg.num_codes

    def encode(self, y):
        """Y -> codes (B, 7, 7) int64."""
        z_e = self.encoder(y)
        return self.quantizer.nearest(z_e.permute(0, 2, 3, 1).reshape(-1, z_e.shape[1])).view(z_e.shape[0], *z_e.shape[2:])

    def decode(self, indices):
        return self.decoder(self.quantizer.lookup(indices))

    def forward(self, y, labels=None):
        z_q, vq_loss, stats = self.quantizer(self.encoder(y))
        y_hat = self.decoder(z_q)
        mse = F.mse_loss(y_hat, y)
        return y_hat, mse + vq_loss, {"mse": mse.item(), "vq_loss": vq_loss.item(), **stats}


@dataclass
class FSQVAEConfig:
    levels: tuple = (8, 8, 8)   # levels per channel; the implicit codebook has prod(levels) = 512 codes
    ch: int = 64
    n_res: int = 0


class FSQVAE(nn.Module):
    Config = FSQVAEConfig

    def __init__(self, cfg: FSQVAEConfig = FSQVAEConfig()):
        super().__init__()
        self.cfg = cfg
        self.quantizer = FSQ(cfg.levels)
        self.encoder = Encoder(len(cfg.levels), cfg.ch, cfg.n_res)
        self.decoder = Decoder(len(cfg.levels), cfg.ch, cfg.n_res)

    @property
    def num_codes(self):
        return self.quantizer.K

    def encode(self, y):
        return self.quantizer(self.encoder(y))[2]["indices"]   # (B, 7, 7)

    def decode(self, indices):
        return self.decoder(self.quantizer.lookup(indices))

    def forward(self, y, labels=None):
        z_q, _, stats = self.quantizer(self.encoder(y))
        y_hat = self.decoder(z_q)
        loss = F.mse_loss(y_hat, y)
        return y_hat, loss, {"mse": loss.item(), **stats}


@dataclass
class RVQVAEConfig:
    code_dim: int = 8        # D, channels of each code vector
    num_stages: int = 4      # S residual stages: S codes per position, S * log2(K) bits
    num_codes: int = 256     # K, codebook size of each stage
    ch: int = 64
    n_res: int = 0
    beta: float = 0.25       # commitment weight
    decay: float = 0.99      # EMA decay of the codebooks


class RVQVAE(nn.Module):
    """A VQ-VAE whose quantizer is residual (nn.quantizers.ResidualVQ): Y' = S code maps, and decoding with only
    the first n of them gives a coarser Y from one model (the rate-distortion ladder of SoundStream and EnCodec)."""

    Config = RVQVAEConfig

    def __init__(self, cfg: RVQVAEConfig = RVQVAEConfig()):
        super().__init__()
        self.cfg = cfg
        self.encoder = Encoder(cfg.code_dim, cfg.ch, cfg.n_res)
        self.quantizer = ResidualVQ(cfg.num_stages, cfg.num_codes, cfg.code_dim, beta=cfg.beta, decay=cfg.decay)
        self.decoder = Decoder(cfg.code_dim, cfg.ch, cfg.n_res)

    @property
    def num_codes(self):
        return self.cfg.num_codes

    def encode(self, y):
        """Y -> codes (B, S, 7, 7) int64: stage s quantizes what stages 1..s-1 left."""
        return self.quantizer(self.encoder(y))[2]["indices"]

    def decode(self, indices, n_stages: int | None = None):
        """Codes (B, S, 7, 7) -> Y, from the first n_stages stages (all by default)."""
        return self.decoder(self.quantizer.lookup(indices, n_stages))

    def forward(self, y, labels=None):
        z_q, vq_loss, stats = self.quantizer(self.encoder(y))
        y_hat = self.decoder(z_q)
        mse = F.mse_loss(y_hat, y)
        return y_hat, mse + vq_loss, {"mse": mse.item(), "vq_loss": vq_loss.item(), **stats}
