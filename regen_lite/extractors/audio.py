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

How the image-shaped Extractor interface applies to variable-length audio:
  - extract/render take and return torch tensors with any leading batch dims; one clip is (T,) -> (F, N).
    Clips of different lengths are processed one at a time (or padded by the caller).
  - input_shape = (16000,) is *one second* of audio, so describe() (shape, numel, bits, compression)
    is per second of speech; Y counts 16 bits per sample (16-bit PCM), Y' 32 bits per float.
  - layout = "spectrogram": a (F, N) map drawn with time on x and frequency on y.
  - rendering is deterministic: Griffin-Lim starts from random phases drawn from `seed` (cfg.seed,
    or a seed drawn from the `generator` passed to render).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import torch

from ..core import Extractor, Renderer, register_extractor


@dataclass
class SpectrogramConfig:
    sr: int = 16_000       # sample rate of Y
    n_fft: int = 512       # 32 ms Hann window -> 257 frequency bins, 31.25 Hz apart
    hop: int = 128         # 8 ms between frames -> 125 frames per second
    n_mels: int = 80       # mel bands of log_mel (Slaney-style filterbank, 0 - 8 kHz)
    n_mfcc: int = 20       # cepstral coefficients kept by mfcc
    amin: float = 1e-10    # power floor of the dB scale: silence sits at -100 dB
    gl_iters: int = 32     # Griffin-Lim iterations (librosa's fast variant, momentum 0.99)
    seed: int = 0          # Griffin-Lim's random initial phases

    @property
    def frames_per_second(self) -> float:
        return self.sr / self.hop


# ---------------------------------------------------------------- the transforms, on numpy arrays

def _np(y) -> np.ndarray:
    return (y.detach().cpu().numpy() if torch.is_tensor(y) else np.asarray(y)).astype(np.float32)


def stft_magnitude(y: np.ndarray, cfg: SpectrogramConfig = SpectrogramConfig()) -> np.ndarray:
    """|STFT(y)|: (..., T) -> (..., n_fft/2 + 1, 1 + T // hop). Centered frames, Hann window."""
    import librosa

    return np.abs(librosa.stft(y, n_fft=cfg.n_fft, hop_length=cfg.hop, window="hann", center=True))


def mel_filterbank(cfg: SpectrogramConfig = SpectrogramConfig()) -> np.ndarray:
    """M (n_mels, n_fft/2 + 1): triangular filters equally spaced on the mel scale (librosa, Slaney norm).
    Built once per (sr, n_fft, n_mels) and returned read-only."""
    return _mel_filterbank(cfg.sr, cfg.n_fft, cfg.n_mels)


@functools.lru_cache(maxsize=8)
def _mel_filterbank(sr: int, n_fft: int, n_mels: int) -> np.ndarray:
    import librosa

    m = librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels)
    m.flags.writeable = False
    return m


def power_to_db(power: np.ndarray, cfg: SpectrogramConfig = SpectrogramConfig()) -> np.ndarray:
    return 10.0 * np.log10(np.maximum(power, cfg.amin))       # = librosa.power_to_db(ref=1, top_db=None)


def log_mel(y: np.ndarray, cfg: SpectrogramConfig = SpectrogramConfig()) -> np.ndarray:
    """10 log10(M |X|^2) in dB: (..., T) -> (..., n_mels, N)."""
    return power_to_db(mel_filterbank(cfg) @ stft_magnitude(y, cfg) ** 2, cfg)


def mfcc(y: np.ndarray, cfg: SpectrogramConfig = SpectrogramConfig()) -> np.ndarray:
    """The first n_mfcc coefficients of the orthonormal DCT-II of log_mel over mel bands: (..., n_mfcc, N)."""
    import librosa

    return librosa.feature.mfcc(S=log_mel(y, cfg), n_mfcc=cfg.n_mfcc, dct_type=2, norm="ortho")


def griffin_lim(magnitude: np.ndarray, cfg: SpectrogramConfig = SpectrogramConfig(), seed: int | None = None) -> np.ndarray:
    """A wave whose |STFT| is close to `magnitude` (..., F, N) -> (..., (N - 1) hop): alternate projections
    between consistent spectrograms and spectrograms with the given magnitude (Griffin & Lim 1984)."""
    import librosa

    return librosa.griffinlim(magnitude, n_iter=cfg.gl_iters, hop_length=cfg.hop, n_fft=cfg.n_fft, window="hann",
                              center=True, momentum=0.99, init="random",
                              random_state=cfg.seed if seed is None else seed)


@functools.lru_cache(maxsize=8)
def _mel_pinv(sr: int, n_fft: int, n_mels: int) -> np.ndarray:
    return np.linalg.pinv(mel_filterbank(SpectrogramConfig(sr=sr, n_fft=n_fft, n_mels=n_mels)))   # (F, n_mels)


def mel_to_magnitude(log_mel_db: np.ndarray, cfg: SpectrogramConfig = SpectrogramConfig()) -> np.ndarray:
    """Explicit inverse of the mel pooling: |X| = sqrt(max(pinv(M) mel_power, 0)), (..., n_mels, N) -> (..., F, N).
    pinv(M) mel is the least-squares S^2 of smallest norm with M S^2 = mel (exact: M has full row rank);
    clipping makes it a power. librosa's mel_to_stft (non-negative least squares by L-BFGS-B) starts
    from this very point and, at the scale of our spectra, stops there (tests/test_speech.py checks it)."""
    power = 10.0 ** (np.asarray(log_mel_db, dtype=np.float64) / 10.0)
    s2 = _mel_pinv(cfg.sr, cfg.n_fft, power.shape[-2]) @ power
    return np.sqrt(np.maximum(s2, 0.0)).astype(np.float32)


def mfcc_to_log_mel(c: np.ndarray, cfg: SpectrogramConfig = SpectrogramConfig()) -> np.ndarray:
    """Explicit inverse of the truncated DCT: zero-pad to n_mels coefficients, inverse DCT -> dB (..., n_mels, N).
    (librosa.feature.inverse.mfcc_to_mel returns the same in power; we keep dB like log_mel.)"""
    import librosa

    return power_to_db(librosa.feature.inverse.mfcc_to_mel(c, n_mels=cfg.n_mels, dct_type=2, norm="ortho", ref=1.0), cfg)


# ---------------------------------------------------------------- renderers: Y' -> |X| -> Griffin-Lim

class SpectralRenderer(Renderer):
    """Y' -> estimated magnitude |X| (to_magnitude) -> wave (Griffin-Lim). Subclasses define to_magnitude."""

    def __init__(self, cfg: SpectrogramConfig = SpectrogramConfig()):
        self.cfg = cfg

    def to_magnitude(self, y_prime: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def render(self, y_prime, *, generator: torch.Generator | None = None) -> torch.Tensor:
        seed = None if generator is None else int(torch.randint(0, 2**31 - 1, (1,), generator=generator))
        return torch.from_numpy(griffin_lim(self.to_magnitude(_np(y_prime)), self.cfg, seed).astype(np.float32))


class GriffinLimRenderer(SpectralRenderer):
    """|X| is Y' itself: only the phase is missing."""

    def to_magnitude(self, y_prime):
        return np.maximum(y_prime, 0.0)


class MelInverseRenderer(SpectralRenderer):
    def to_magnitude(self, y_prime):
        return mel_to_magnitude(y_prime, self.cfg)


class MFCCInverseRenderer(SpectralRenderer):
    def to_magnitude(self, y_prime):
        return mel_to_magnitude(mfcc_to_log_mel(y_prime, self.cfg), self.cfg)


# ---------------------------------------------------------------- extractors

class SpectrogramExtractor(Extractor):
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
            from ..speech_renderer import load_mel_renderer

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


register_extractor("stft_magnitude", "speech", "|STFT| (257 bins), Griffin-Lim renderer")(STFTMagnitude)
register_extractor("log_mel", "speech", "80-band log-mel; renderer='explicit' (pseudo-inverse) or 'learned', "
                                        "then Griffin-Lim")(LogMel)
register_extractor("mfcc", "speech", "20 MFCCs; inverse DCT + mel inverse + Griffin-Lim renderer")(MFCC)

# the four Y' -> Y paths compared in benchmarks/speech_representations.py: name -> (extractor, renderer)
SPEECH_PATHS = {
    "stft+gl": ("stft_magnitude", "explicit"),
    "mel+inverse+gl": ("log_mel", "explicit"),
    "mel+learned+gl": ("log_mel", "learned"),
    "mfcc+inverse+gl": ("mfcc", "explicit"),
}


def speech_path(path: str):
    """The extractor of one SPEECH_PATHS entry, carrying that path's renderer (learned weights load here)."""
    from ..core import get_extractor

    if path not in SPEECH_PATHS:
        raise KeyError(f"unknown speech path {path!r}; choose from {', '.join(SPEECH_PATHS)}")
    name, renderer = SPEECH_PATHS[path]
    return get_extractor(name, renderer=renderer)


def round_trip(wave, path: str, extractor=None) -> dict:
    """Y -> Y' -> Y along one path, with what happened in between (for figures, players and tables):
    {"y_prime" (F, N), "magnitude" (257, N) the |X| handed to Griffin-Lim, "y_hat" (T',), "extract_s", "render_s"}."""
    import time

    e = extractor or speech_path(path)
    t0 = time.perf_counter()
    y_prime = e.extract(_np(wave))
    t1 = time.perf_counter()
    magnitude = e.renderer.to_magnitude(y_prime.numpy())
    y_hat = griffin_lim(magnitude, e.cfg)
    t2 = time.perf_counter()
    return {"y_prime": y_prime.numpy(), "magnitude": magnitude, "y_hat": y_hat.astype(np.float32),
            "extract_s": t1 - t0, "render_s": t2 - t1}
