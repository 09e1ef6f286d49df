"""Image representations Y -> Y', each carrying its renderer Y' -> Y.

Explicit: identity, downsampling, DCT low-pass: fixed rules with algorithmic renderers, the baselines
the learned ones must beat. Implicit: a trained autoencoder of autoencoders.py (AE, VAE, VQ-VAE, FSQ),
whose encoder extracts and whose decoder renders (RVQ: residual VQ, S code maps per image).
"""

from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..checkpoints import CheckpointError, load_checkpoint, pretrained_path
from ..core import Renderer, TensorExtractor
from .autoencoders import AE, FSQVAE, RVQVAE, VAE, VQVAE
from .diffae import DiffAE


class ImageExtractor(TensorExtractor):
    """An image Y -> Y': one Y is a 28x28 8-bit grey image, so describe() counts against 28*28*8 bits."""

    modality = "image"
    input_shape = (1, 28, 28)
    input_bits_per_value = 8


# ---------------------------------------------------------------- identity (direct generation)

class IdentityRenderer(Renderer):
    def render(self, y_prime, *, generator=None):
        return y_prime.clamp(0, 1)   # a no-op on real images; keeps generated pixels in the image range


class Identity(ImageExtractor):
    """Y' = Y. A Regenerator with this extractor is plain direct generation X -> Y."""

    name, kind, discrete, layout = "identity", "explicit", False, "image"

    def __init__(self):
        self.renderer = IdentityRenderer()

    def extract(self, y):
        return y

    def bits_per_value(self):
        return 8.0  # Y' is the 8-bit image itself

    def notes(self):
        return "Y' = Y: the direct baseline, nothing is compressed"


# ---------------------------------------------------------------- downsampling

class BicubicRenderer(Renderer):
    def __init__(self, size: int):
        self.size = size

    def render(self, y_prime, *, generator=None):
        # (B, 1, h, w) -> (B, 1, H, W); bicubic overshoots, so clamp back to [0, 1]
        return F.interpolate(y_prime, size=(self.size, self.size), mode="bicubic", align_corners=False).clamp(0, 1)


class Downsample(ImageExtractor):
    """Y' = the image averaged over factor x factor blocks (area downsampling)."""

    kind, discrete, layout = "explicit", False, "image"

    def __init__(self, factor: int = 4, size: int = 28):
        if size % factor:
            raise ValueError(f"factor {factor} must divide the image size {size}")
        self.factor, self.name = factor, f"downsample_x{factor}"
        self.input_shape = (1, size, size)
        self.renderer = BicubicRenderer(size)

    def extract(self, y):
        return F.avg_pool2d(y, self.factor)  # (B, 1, H, W) -> (B, 1, H/f, W/f)

    def notes(self):
        return f"mean of each {self.factor}x{self.factor} block; rendered back by bicubic upsampling"


# ---------------------------------------------------------------- DCT low-pass

def dct_matrix(n: int, dtype=torch.float64) -> torch.Tensor:
    """Orthonormal DCT-II matrix D (n, n): X = D x,  x = D^T X  (the JPEG transform).

    D[k, i] = s_k cos(pi (2i + 1) k / 2n),  s_0 = sqrt(1/n),  s_k = sqrt(2/n).
    """
    i = torch.arange(n, dtype=dtype)
    k = i[:, None]
    d = torch.cos(math.pi * (2 * i[None, :] + 1) * k / (2 * n)) * math.sqrt(2.0 / n)
    d[0] /= math.sqrt(2.0)
    return d


class InverseDCTRenderer(Renderer):
    def __init__(self, size: int, k: int):
        self.size, self.k = size, k
        self.D = dct_matrix(size).float()

    def render(self, y_prime, *, generator=None):
        b = y_prime.shape[0]
        coeffs = y_prime.new_zeros(b, 1, self.size, self.size)
        coeffs[..., : self.k, : self.k] = y_prime  # the dropped high frequencies are zero
        D = self.D.to(y_prime)
        return (D.T @ coeffs @ D).clamp(0, 1)  # 2-D inverse DCT: x = D^T X D


class DCTLowpass(ImageExtractor):
    """Y' = the k x k lowest-frequency coefficients of the 2-D DCT of Y."""

    kind, discrete, layout = "explicit", False, "frequencies"

    def __init__(self, k: int = 7, size: int = 28):
        if not 1 <= k <= size:
            raise ValueError(f"k must be in 1..{size}, not {k}")
        self.k, self.name = k, "dct_lowpass" if k == 7 else f"dct_lowpass_k{k}"
        self.input_shape = (1, size, size)
        self.D = dct_matrix(size).float()
        self.renderer = InverseDCTRenderer(size, k)

    def extract(self, y):
        D = self.D.to(y)
        coeffs = D @ y @ D.T  # 2-D DCT-II: X = D x D^T, (B, 1, H, W)
        return coeffs[..., : self.k, : self.k]

    def notes(self):
        return f"lowest {self.k}x{self.k} DCT-II frequencies; rendered back by the inverse DCT"


# ---------------------------------------------------------------- trained models: extract = encoder, renderer = decoder

class DecoderRenderer(Renderer):
    def __init__(self, model):
        self.model = model

    @torch.no_grad()
    def render(self, y_prime, *, generator=None):
        p = next(self.model.parameters())
        return self.model.decode(y_prime.to(p.device)).clamp(0, 1)


class AutoencoderExtractor(ImageExtractor):
    """Y' = a trained autoencoder's encoding of Y (a latent or a code map); the renderer is its decoder."""

    kind = "implicit"

    def __init__(self, name: str, model: nn.Module, info: dict | None = None):
        self.name, self.model, self.info = name, model.eval(), info or {}
        self.discrete = hasattr(model, "num_codes")
        self.layout = "codes" if self.discrete else "channels"
        self.renderer = DecoderRenderer(self.model)

    def to(self, device):
        self.model.to(device)
        return self

    @torch.no_grad()
    def extract(self, y):
        p = next(self.model.parameters())
        return self.model.encode(y.to(p.device, p.dtype))

    def bits_per_value(self):
        return math.log2(self.model.num_codes) if self.discrete else 32.0

    def notes(self):
        kind = {"AE": "deterministic autoencoder latent", "VAE": "VAE posterior mean (KL-regularised latent)",
                "VQVAE": f"VQ-VAE code indices, K={getattr(self.model, 'num_codes', '')}",
                "FSQVAE": f"FSQ code indices, levels={getattr(self.model.cfg, 'levels', '')}",
                "RVQVAE": f"residual VQ: {getattr(self.model.cfg, 'num_stages', '')} code maps, each quantizing "
                          f"what the ones before left, K={getattr(self.model, 'num_codes', '')} each"}
        return kind.get(type(self.model).__name__, "")


# ---------------------------------------------------------------- the diffusion autoencoder: a stochastic renderer

class DiffAERenderer(Renderer):
    """z -> Y by the DDIM decoder from fresh noise x_T: the same z gives the same semantics, the seed the details."""

    def __init__(self, model: DiffAE, steps: int = 25):
        self.model, self.steps = model, steps

    @torch.no_grad()
    def render(self, y_prime, *, generator=None, callback=None):
        p = next(self.model.parameters())
        return self.model.decode(y_prime.to(p.device, p.dtype), steps=self.steps, generator=generator,
                                 callback=callback)


class DiffAEExtractor(AutoencoderExtractor):
    """Y' = z, the diffusion autoencoder's semantic code (a vector); the renderer is its DDIM decoder.
    invert(y) gives the other half of Y, the stochastic code x_T: render_inverted(z, x_T) returns to y."""

    def __init__(self, name: str, model: DiffAE, info: dict | None = None):
        super().__init__(name, model, info)
        self.layout, self.renderer = "vector", DiffAERenderer(self.model)

    @torch.no_grad()
    def invert(self, y):
        p = next(self.model.parameters())
        return self.model.invert(y.to(p.device, p.dtype), steps=self.renderer.steps)

    @torch.no_grad()
    def render_inverted(self, z, x_T):
        return self.model.decode(z, x_T=x_T, steps=self.renderer.steps)

    def notes(self):
        return (f"diffusion autoencoder: semantic code z ({self.model.cfg.z_dim} numbers); the DDIM decoder "
                "invents the details, so render(z) varies with the seed")


def load_autoencoder(name: str, model_class: type, model: nn.Module | None = None, path=None, device="cpu"):
    wrap = DiffAEExtractor if model_class is DiffAE else AutoencoderExtractor
    if model is not None:
        return wrap(name, model)
    path = path or pretrained_path(name)
    try:
        m, info = load_checkpoint(path, model_class, device=device)
    except CheckpointError as e:
        raise CheckpointError(f"{e}; (re)create it with: regen-lite train {name}") from e
    return wrap(name, m, info)


# the image extractors by name (read by regen_lite.registry): name -> (factory(**kw) -> Extractor, summary);
# explicit rules first, then the learned autoencoders (their factories load the shipped weights)
EXTRACTORS = {
    "identity": (Identity, "Y' = Y (direct generation)"),
    "downsample_x2": (lambda **kw: Downsample(2, **kw), "14x14 block means, bicubic renderer"),
    "downsample_x4": (lambda **kw: Downsample(4, **kw), "7x7 block means, bicubic renderer"),
    "dct_lowpass": (DCTLowpass, "k x k low DCT frequencies, inverse-DCT renderer"),
    "ae": (lambda **kw: load_autoencoder("ae", AE, **kw), "autoencoder latent 4x7x7"),
    "vae": (lambda **kw: load_autoencoder("vae", VAE, **kw), "VAE latent mean 4x7x7"),
    "vqvae": (lambda **kw: load_autoencoder("vqvae", VQVAE, **kw), "VQ-VAE codes 7x7, K=512"),
    "fsq": (lambda **kw: load_autoencoder("fsq", FSQVAE, **kw), "FSQ codes 7x7, 8x8x8 levels"),
    "rvq": (lambda **kw: load_autoencoder("rvq", RVQVAE, **kw), "residual VQ codes 4x7x7, K=256 per stage"),
    "diffae": (lambda **kw: load_autoencoder("diffae", DiffAE, **kw), "diffusion autoencoder: semantic z (16)"),
}
