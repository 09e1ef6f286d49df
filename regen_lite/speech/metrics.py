"""How close is a rendered wave y_hat to the original y? Two spectral distances, in dB (lower is better).

Both compare power spectra frame by frame (the STFT of features.py: 512-point Hann window, hop
128), so they ignore the phase, which Griffin-Lim never recovers exactly and the ear barely hears.
Spectra are floored at top_db = 80 dB below the loudest bin of the *reference* y, so near-silent
frames count as silence rather than as huge log ratios. A length difference is cropped away.

    LSD  = mean_n sqrt( mean_f ( 10 log10 P[f, n] - 10 log10 P_hat[f, n] )^2 )
           the fine structure: harmonics, noise, every bin (Gray & Markel 1976)
    MCD  = mean_n (10 / ln 10) sqrt( 2 sum_{d=1..D} (c[d, n] - c_hat[d, n])^2 )
           the smooth envelope: c = cepstrum of the mel-band log amplitude (Kubichek 1993)

Our mel-cepstrum is the DCT of the 80-band mel log amplitude, scaled so that
ln|A(w_k)| = c_0 + 2 sum_d c_d cos(d w_k), not SPTK's all-pass mel-cepstrum: the figures compare
the rows of one table, not numbers in papers. c_0 (loudness) is left out, as usual, so a
change of gain alone costs nothing in MCD but 20 log10(gain) dB in LSD.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache

import numpy as np
import scipy.fft
import torch

from .features import SpectrogramConfig, mel_filterbank, stft_magnitude

TOP_DB = 80.0     # floor below the reference's loudest bin
N_CEPS = 24       # c_1 .. c_24


def _wave(y) -> np.ndarray:
    return (y.detach().cpu().numpy() if torch.is_tensor(y) else np.asarray(y)).astype(np.float32)


def _powers(y_hat, y, cfg: SpectrogramConfig, top_db: float):
    """Power spectrograms (F, N) of both waves, cropped to equal frames and floored below y's peak."""
    p, p_hat = stft_magnitude(_wave(y), cfg) ** 2, stft_magnitude(_wave(y_hat), cfg) ** 2
    n = min(p.shape[-1], p_hat.shape[-1])
    floor = max(float(p.max()), cfg.amin) * 10.0 ** (-top_db / 10.0)
    return np.maximum(p[..., :n], floor), np.maximum(p_hat[..., :n], floor), floor


def log_spectral_distance(y_hat, y, cfg: SpectrogramConfig = SpectrogramConfig(), top_db: float = TOP_DB) -> float:
    """LSD in dB between two waves (T,) (mean over frames of the RMS over bins of the dB difference)."""
    p, p_hat, _ = _powers(y_hat, y, cfg, top_db)
    d = 10.0 * np.log10(p) - 10.0 * np.log10(p_hat)           # (F, N) dB
    return float(np.sqrt((d ** 2).mean(axis=0)).mean())


def mel_cepstrum(power: np.ndarray, floor: float, cfg: SpectrogramConfig = SpectrogramConfig(),
                 n_ceps: int = N_CEPS) -> np.ndarray:
    """Power spectrogram (F, N) -> mel-cepstrum (n_ceps + 1, N): c_d = (1/K) sum_k ln A_k cos(pi d (k + 1/2) / K),
    A_k = the amplitude of mel band k (K = n_mels), floored at sqrt(floor) per band."""
    mel = np.maximum(mel_filterbank(cfg) @ power, floor)        # (K, N) mel power
    log_amp = 0.5 * np.log(mel)                                 # ln of the amplitude
    k = log_amp.shape[0]
    return scipy.fft.dct(log_amp, type=2, axis=0)[: n_ceps + 1] / (2 * k)   # scipy's DCT-II is 2 sum_k ...


def mel_cepstral_distortion(y_hat, y, cfg: SpectrogramConfig = SpectrogramConfig(), n_ceps: int = N_CEPS,
                            top_db: float = TOP_DB) -> float:
    """MCD in dB between two waves (T,), over c_1..c_{n_ceps} (c_0, the loudness, is left out)."""
    p, p_hat, floor = _powers(y_hat, y, cfg, top_db)
    c, c_hat = mel_cepstrum(p, floor, cfg, n_ceps), mel_cepstrum(p_hat, floor, cfg, n_ceps)
    diff = c[1:] - c_hat[1:]                                    # (D, N)
    return float((10.0 / np.log(10.0) * np.sqrt(2.0 * (diff ** 2).sum(axis=0))).mean())


def speech_metrics(y_hat, y, cfg: SpectrogramConfig = SpectrogramConfig()) -> dict:
    """{"lsd_db", "mcd_db"} of one rendered wave against its original."""
    return {"lsd_db": log_spectral_distance(y_hat, y, cfg), "mcd_db": mel_cepstral_distortion(y_hat, y, cfg)}


def pitch_track(y, cfg: SpectrogramConfig = SpectrogramConfig(), fmin: float = 60.0, fmax: float = 500.0):
    """F0 in Hz (N,) (NaN where unvoiced) and the voiced flags (N,) of a wave, by pYIN (librosa), one
    value per STFT hop. The first call compiles pYIN's kernels (numba), which takes a few seconds."""
    import librosa

    f0, voiced, _ = librosa.pyin(_wave(y), fmin=fmin, fmax=fmax, sr=cfg.sr, frame_length=1024, hop_length=cfg.hop)
    return f0, voiced


@lru_cache(maxsize=16)
def _pitch_of(key: str, wave_bytes: bytes, sr: int, hop: int) -> tuple[np.ndarray, np.ndarray]:
    return pitch_track(np.frombuffer(wave_bytes, dtype=np.float32), SpectrogramConfig(sr=sr, hop=hop))


def cached_pitch(y, cfg: SpectrogramConfig = SpectrogramConfig()) -> tuple[np.ndarray, np.ndarray]:
    """pitch_track(y) (pYIN), remembered for the last 16 waves: measuring four paths on one Y tracks Y once."""
    data = np.ascontiguousarray(_wave(y)).tobytes()
    return _pitch_of(hashlib.sha1(data).hexdigest(), data, cfg.sr, cfg.hop)


def pitch_kept(track, track_hat, min_frames: int = 10) -> dict:
    """The definitions of pitch_metrics, on two precomputed pYIN tracks (f0 (N,), voiced (N,)), with the
    counts: {"voiced", "kept", "voiced_kept", "f0_cents" (None if < min_frames voiced in both)}."""
    (f0, v), (f0_hat, v_hat) = track, track_hat
    n = min(len(v), len(v_hat))
    f0, v, f0_hat, v_hat = f0[:n], v[:n], f0_hat[:n], v_hat[:n]
    both = v & v_hat
    cents = np.abs(1200.0 * np.log2(f0_hat[both] / f0[both]))
    return {"voiced": int(v.sum()), "kept": int(both.sum()), "voiced_kept": float(both.sum() / max(1, v.sum())),
            "f0_cents": float(np.median(cents)) if both.sum() >= min_frames else None}


def pitch_metrics(y_hat, y, cfg: SpectrogramConfig = SpectrogramConfig(), min_frames: int = 10) -> dict:
    """Does the rendered wave keep the pitch? (pYIN on both waves, frame by frame)
    voicing_error  fraction of frames voiced in exactly one of the two (0 = same voiced/unvoiced pattern)
    voiced_kept    fraction of y's voiced frames that are still voiced in y_hat
    f0_cents       median |1200 log2(f0_hat / f0)| over frames voiced in both (None if < min_frames)"""
    f0, v = pitch_track(y, cfg)
    f0_hat, v_hat = pitch_track(y_hat, cfg)
    n = min(len(v), len(v_hat))
    f0, v, f0_hat, v_hat = f0[:n], v[:n], f0_hat[:n], v_hat[:n]
    both = v & v_hat
    cents = np.abs(1200.0 * np.log2(f0_hat[both] / f0[both]))
    return {"voicing_error": float(np.mean(v != v_hat)),
            "voiced_kept": float(both.sum() / max(1, v.sum())),
            "f0_cents": float(np.median(cents)) if both.sum() >= min_frames else None}
