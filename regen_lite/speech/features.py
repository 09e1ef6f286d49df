"""Time-frequency features of speech (librosa): |STFT|, mel filterbank, log-mel, MFCC, and their inverses.

Y is a 16 kHz wave (numpy float32); every feature is a (F, N) map with N = 1 + T // hop frames.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import torch


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
