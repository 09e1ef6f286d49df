"""Explicit speech representations Y -> Y' (librosa), each with its renderer Y' -> Y.

Y is a 16 kHz wave; a batch is a tensor (..., T). Every Y' is a time-frequency map (..., F, N) with
N = 1 + T // hop frames (125 frames per second at hop 128), from less to more abstract:

    stft_magnitude   |STFT(y)|                      (257, N)  phase dropped
    log_mel          10 log10(M |STFT(y)|^2)        ( 80, N)  + frequencies pooled into 80 mel bands
    mfcc             DCT(log_mel)[:20]              ( 20, N)  + only the smooth spectral envelope kept

and each is rendered back by undoing what it can and guessing the rest (Griffin & Lim 1984 for phase):

    stft_magnitude   Griffin-Lim(|X|)
    log_mel          Griffin-Lim(sqrt(max(pinv(M) mel, 0)))               explicit (= librosa mel_to_stft here)
                     Griffin-Lim(learned mel -> |X| network)             learned  (renderer="learned")
    mfcc             Griffin-Lim(sqrt(max(pinv(M) db_to_power(IDCT(zero-padded mfcc)), 0)))

How the Extractor interface applies to variable-length audio (a TensorExtractor, core.py):
  - extract/render take and return torch tensors with any leading batch dims; one clip is (T,) -> (F, N).
    Clips of different lengths are processed one at a time (or padded by the caller).
  - input_shape = (16000,) is *one second* of audio, so describe() (shape, numel, bits, compression)
    is per second of speech; Y counts 16 bits per sample (16-bit PCM), Y' 32 bits per float.
  - layout = "spectrogram": a (F, N) map drawn with time on x and frequency on y.
  - rendering is deterministic: Griffin-Lim starts from random phases drawn from `seed` (cfg.seed,
    or a seed drawn from the `generator` passed to render).
"""

from __future__ import annotations

import numpy as np
import torch

from ..core import TensorExtractor
from .features import (
    SpectrogramConfig,
    _np,
    log_mel,
    mfcc,
    stft_magnitude,
)
from .renderers import GriffinLimRenderer, MelInverseRenderer, MFCCInverseRenderer, SpectralRenderer, load_mel_renderer

# ---------------------------------------------------------------- extractors

class SpectrogramExtractor(TensorExtractor):
    """Shared by the three speech extractors: numpy/librosa inside, torch tensors at the interface."""

    modality, kind, discrete, layout = "speech", "explicit", False, "spectrogram"
    input_shape = (16_000,)        # one second of 16 kHz audio: describe() is per second
    input_bits_per_value = 16      # Y is 16-bit PCM
    transform = staticmethod(stft_magnitude)

    def __init__(self, renderer: str = "explicit", cfg: SpectrogramConfig | None = None):
        self.cfg = cfg or SpectrogramConfig()
        self.renderer_kind = renderer
        self.renderer = self.make_renderer(renderer)

    def make_renderer(self, renderer: str) -> SpectralRenderer:
        raise NotImplementedError

    def extract(self, y) -> torch.Tensor:
        """(..., T) wave -> (..., F, N) float32 tensor."""
        return torch.from_numpy(self.transform(_np(y), self.cfg).astype(np.float32))

    def describe(self) -> dict:
        d = super().describe()
        fps = self.cfg.frames_per_second
        rows = d["shape"][0]
        d.update(per="1 s of 16 kHz audio", frames_per_second=fps, values_per_second=rows * fps,
                 kbit_per_second=rows * fps * self.bits_per_value() / 1000, renderer=self.renderer_kind)
        return d

    def _no_learned(self, renderer):
        raise ValueError(f"{self.name} has only the explicit renderer, not {renderer!r}")


class STFTMagnitude(SpectrogramExtractor):
    name = "stft_magnitude"
    transform = staticmethod(stft_magnitude)

    def make_renderer(self, renderer):
        return GriffinLimRenderer(self.cfg) if renderer == "explicit" else self._no_learned(renderer)

    def notes(self):
        return (f"|STFT|, {self.cfg.n_fft // 2 + 1} bins x {self.cfg.frames_per_second:g} frames/s: only the phase is "
                f"dropped; rendered by Griffin-Lim ({self.cfg.gl_iters} iterations)")


class LogMel(SpectrogramExtractor):
    name = "log_mel"
    transform = staticmethod(log_mel)

    def make_renderer(self, renderer):
        if renderer == "explicit":
            return MelInverseRenderer(self.cfg)
        if renderer == "learned":
            return load_mel_renderer(cfg=self.cfg)
        raise ValueError(f"renderer must be 'explicit' or 'learned', not {renderer!r}")

    def notes(self):
        how = ("a learned mel -> |STFT| network" if self.renderer_kind == "learned"
               else "the clipped pseudo-inverse of the filterbank")
        return (f"{self.cfg.n_mels} mel bands in dB x {self.cfg.frames_per_second:g} frames/s; rendered by {how}, "
                "then Griffin-Lim")


class MFCC(SpectrogramExtractor):
    name = "mfcc"
    transform = staticmethod(mfcc)

    def make_renderer(self, renderer):
        return MFCCInverseRenderer(self.cfg) if renderer == "explicit" else self._no_learned(renderer)

    def notes(self):
        return (f"first {self.cfg.n_mfcc} DCT coefficients of the {self.cfg.n_mels}-band log-mel: the smooth envelope "
                "only (pitch harmonics are lost); rendered by inverse DCT, mel inverse, Griffin-Lim")


class IdentityRenderer:
    """Y' = Y: nothing to render (the direct baseline's renderer)."""

    def render(self, y_prime, *, generator: torch.Generator | None = None) -> torch.Tensor:
        return torch.as_tensor(_np(y_prime))


class Wave(TensorExtractor):
    """The identity, Y' = Y = the wave itself: the direct baseline X -> Y of text-to-speech."""

    name, modality, kind, discrete, layout = "wave", "speech", "explicit", False, "wave"
    input_shape = (16_000,)
    input_bits_per_value = 16

    def __init__(self, renderer: str = "explicit", cfg: SpectrogramConfig | None = None):
        self.cfg = cfg or SpectrogramConfig()
        self.renderer = IdentityRenderer()

    def extract(self, y) -> torch.Tensor:
        return torch.as_tensor(_np(y))

    def bits_per_value(self) -> float:
        return 16.0

    def notes(self):
        return "the wave itself (Y' = Y): what the direct text-to-speech model writes, 16,000 samples/s"


# the speech extractors by name (read by regen_lite.registry): name -> (factory(**kw) -> Extractor, summary)
EXTRACTORS = {
    "stft_magnitude": (STFTMagnitude, "|STFT| (257 bins), Griffin-Lim renderer"),
    "log_mel": (LogMel, "80-band log-mel; renderer='explicit' (pseudo-inverse) or 'learned', then Griffin-Lim"),
    "mfcc": (MFCC, "20 MFCCs; inverse DCT + mel inverse + Griffin-Lim renderer"),
    "wave": (Wave, "the identity (Y' = Y): the direct text-to-speech baseline"),
}

