"""Explicit image representations: identity, downsampling, DCT low-pass.

Each is a fixed rule Y -> Y' with an algorithmic renderer Y' -> Y. They are the baselines
the learned (implicit) representations in autoencoders.py must beat.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from ..core import Extractor, Renderer
from .autoencoders import AE, FSQVAE, VAE, VQVAE, load_autoencoder

# ---------------------------------------------------------------- identity (direct generation)

class IdentityRenderer(Renderer):
    def render(self, y_prime, *, generator=None):
        return y_prime.clamp(0, 1)   # a no-op on real images; keeps generated pixels in the image range


class Identity(Extractor):
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


class Downsample(Extractor):
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


class DCTLowpass(Extractor):
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
}
