"""The diffusion autoencoder (Preechakul et al. 2022, "Diffusion Autoencoders", phizaz/diffae), shrunk to 28x28.

Y' is split in two parts:
    z    = E(y)                 the semantic code: a small real vector from a conv encoder, shaped (B, z_dim, 1, 1)
                                so that the kit's DiffusionPrior (made for C x H x W maps) models it unchanged
    x_T  = DDIM-invert(y | z)   the stochastic code: a 1x28x28 noise map holding what z leaves out
and the renderer is a conditional DDIM decoder p(Y | z): the kit's TinyUNet with z in place of the class.

    render(z)          decode from fresh noise x_T ~ N(0, I): the semantics of y, details invented (vary with seed)
    render(z, x_T)     decode from the inverted x_T: back to y, nearly exactly (DDIM's ODE is invertible)

Encoder and decoder train together on Y alone, with the plain diffusion loss of the decoder (no labels, no
reconstruction term): z is useful only to the extent that it helps the decoder denoise, so it learns whatever
is cheapest to state and costliest to guess: the class, the shape, the brightness. Pixels live in [-1, 1].

Two changes from the paper, both for a CPU budget. (1) The encoder's conv features are the shipped VAE's encoder,
frozen (the recipe copies them in; they too were learned without labels), and only a linear layer from its 4x7x7
posterior mean to z trains with the decoder. After 300 steps of this recipe, a z learned from scratch kept the class of
26% of 100 test images (renders of 10 DDIM steps), the VAE's features 47%. (2) As the kit's priors do with the
class, z is replaced by the null vector 0 for 10% of training images, and the decoder samples with classifier-free
guidance on z (weight 1, as the pixel prior does). The decoder is the direct baseline's network (prior_direct) with
z in place of the class, trained as long, with AdaGN (scale and shift) conditioning as in the paper.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn as nn

from ..nn.diffusion import DiffusionConfig, GaussianDiffusion, ddim_invert, ddim_sample, guided
from ..nn.unet import TinyUNet, UNetConfig
from .networks import Encoder


@dataclass
class DiffAEConfig:
    z_dim: int = 16              # size of the semantic code z
    enc_ch: int = 64             # width of the semantic encoder's conv features (the VAE encoder's: 28x28 -> 7x7)
    latent_ch: int = 4           # ... which give a (latent_ch)x7x7 mean (and as many log-variances, unused)
    freeze_features: bool = True # train only the linear map to z (the features come from the VAE)
    ch: int = 32                 # TinyUNet width of the decoder
    ch_mult: tuple = (1, 2, 2)   # decoder levels: 28 -> 14 -> 7
    n_res: int = 1
    emb_dim: int = 128
    scale_shift: bool = True     # AdaGN: z (and t) scale and shift the decoder's features, as in the paper
    timesteps: int = 1000
    schedule: str = "cosine"
    prediction: str = "eps"
    p_uncond: float = 0.1        # z dropped to the null vector 0 in training (classifier-free guidance on z)
    guidance: float = 1.0        # decode with eps(x | z) + w (eps(x | z) - eps(x | 0))


class SemanticEncoder(nn.Module):
    """Y (B, 1, 28, 28) in [0, 1] -> z (B, z_dim): the VAE's conv encoder to its 7x7 posterior mean, then a linear
    layer. `features` has the VAE encoder's shape, so that its weights load as they are (from_vae)."""

    def __init__(self, z_dim: int, ch: int, latent_ch: int, freeze: bool):
        super().__init__()
        self.features = Encoder(2 * latent_ch, ch)          # (B, 1, 28, 28) -> (B, 2 latent_ch, 7, 7): (mu, log var)
        self.fc = nn.Linear(latent_ch * 7 * 7, z_dim)
        self.latent_ch, self.freeze = latent_ch, freeze
        self.features.requires_grad_(not freeze)

    def forward(self, y):
        with torch.set_grad_enabled(torch.is_grad_enabled() and not self.freeze):
            mu = self.features(y)[:, : self.latent_ch]      # the posterior mean (B, latent_ch, 7, 7)
        return self.fc(mu.flatten(1))


class DiffAE(nn.Module):
    Config = DiffAEConfig

    def __init__(self, cfg: DiffAEConfig = DiffAEConfig()):
        super().__init__()
        self.cfg = cfg
        self.encoder = SemanticEncoder(cfg.z_dim, cfg.enc_ch, cfg.latent_ch, cfg.freeze_features)
        self.net = TinyUNet(UNetConfig(in_ch=1, ch=cfg.ch, ch_mult=tuple(cfg.ch_mult), n_res=cfg.n_res,
                                       emb_dim=cfg.emb_dim, cond_dim=cfg.z_dim,
                                       scale_shift=cfg.scale_shift))
        self.diffusion = GaussianDiffusion(DiffusionConfig(cfg.timesteps, cfg.schedule, cfg.prediction))

    @classmethod
    def from_vae(cls, cfg: DiffAEConfig, vae: nn.Module) -> "DiffAE":
        """A new DiffAE whose encoder features are a trained VAE's encoder (image.autoencoders.VAE)."""
        model = cls(cfg)
        model.encoder.features.load_state_dict(vae.encoder.state_dict())
        return model

    def encode(self, y: torch.Tensor) -> torch.Tensor:
        """Y (B, 1, 28, 28) in [0, 1] -> z (B, z_dim, 1, 1)."""
        return self.encoder(y)[:, :, None, None]

    def model_fn(self, z: torch.Tensor):
        """The decoder's guided eps(x_t, t | z), z (B, z_dim, 1, 1) being the TinyUNet's conditioning vector."""
        z = z.flatten(1)
        return guided(self.net, z, torch.zeros_like(z), self.cfg.guidance)

    @torch.no_grad()
    def decode(self, z: torch.Tensor, *, x_T: torch.Tensor | None = None, steps: int = 25,
               generator: torch.Generator | None = None, callback=None) -> torch.Tensor:
        """z (B, z_dim, 1, 1) -> Y (B, 1, 28, 28) in [0, 1] by DDIM (eta = 0) from x_T (fresh noise if not given)."""
        x0 = ddim_sample(self.diffusion, self.model_fn(z), (len(z), 1, 28, 28), steps=steps, generator=generator,
                         device=z.device, x_T=x_T, clip_x0=1.0, callback=callback)
        return ((x0 + 1) / 2).clamp(0, 1)

    @torch.no_grad()
    def invert(self, y: torch.Tensor, z: torch.Tensor | None = None, steps: int = 25) -> torch.Tensor:
        """Y -> its stochastic code x_T (B, 1, 28, 28): DDIM run backwards under the decoder given z = E(y)."""
        z = self.encode(y) if z is None else z
        return ddim_invert(self.diffusion, self.model_fn(z), 2 * y - 1, steps=steps)

    def forward(self, y: torch.Tensor, labels=None):
        """The decoder's diffusion loss on x_0 = 2y - 1, conditioned on z = E(y); gradients reach the encoder."""
        z = self.encode(y).flatten(1)
        keep = (torch.rand(len(z), 1, device=z.device) >= self.cfg.p_uncond).to(z.dtype)   # 0: the null z
        loss, _ = self.diffusion.loss(lambda x, t: self.net(x, t, z * keep), 2 * y - 1)
        return None, loss, {"z_rms": z.detach().pow(2).mean().sqrt().item()}
