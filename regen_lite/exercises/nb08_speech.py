"""Checks for notebooks/08_speech.ipynb: the mel filterbank, one Griffin-Lim iteration, and the
log-spectral distance.

The references are librosa (filters.mel, stft/istft, griffinlim) and the kit's own functions in
regen_lite.speech.features and regen_lite.speech.metrics. The test signals are the shipped espeak-ng
clips. Each hint names the usual mistake when the answer matches it.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from regen_lite.exercises.checking import Check, CheckResult, close

from ..speech.data import load_speech_clips
from ..speech.features import SpectrogramConfig, griffin_lim, mel_filterbank, stft_magnitude
from ..speech.metrics import log_spectral_distance

__all__ = ["check_mel_filterbank", "check_griffin_lim_step", "check_log_spectral_distance"]

CFG = SpectrogramConfig()


def _array(out):
    """Accept a NumPy array or a tensor; anything else becomes None."""
    if torch.is_tensor(out):
        out = out.detach().cpu().numpy()
    return out if isinstance(out, np.ndarray) else None


def _shape(out) -> str:
    a = _array(out)
    return str(a.shape) if a is not None else type(out).__name__


def _wave(seconds: float = 0.5, index: int = 0) -> np.ndarray:
    """A piece of a held-out clip (float32), from 0.3 s in (speech, not the leading silence)."""
    w = load_speech_clips("test")[index].wave
    return w[int(0.3 * CFG.sr): int((0.3 + seconds) * CFG.sr)].copy()


# ---------------------------------------------------------------- exercise 1: the mel filterbank

def _htk_mel(f):
    return 2595.0 * np.log10(1.0 + np.asarray(f, dtype=np.float64) / 700.0)


def _htk_hz(m):
    return 700.0 * (10.0 ** (np.asarray(m, dtype=np.float64) / 2595.0) - 1.0)


def _triangles(edges_hz: np.ndarray, sr: int, n_fft: int, slaney_norm: bool = True) -> np.ndarray:
    """Triangles on the linear-frequency bins with the given n_mels + 2 edges (Hz)."""
    freqs = np.arange(n_fft // 2 + 1) * sr / n_fft
    lo, mid, hi = edges_hz[:-2, None], edges_hz[1:-1, None], edges_hz[2:, None]
    w = np.maximum(0.0, np.minimum((freqs - lo) / (mid - lo), (hi - freqs) / (hi - mid)))
    return w * (2.0 / (hi - lo)) if slaney_norm else w


def check_mel_filterbank(fn) -> CheckResult:
    """fn(sr, n_fft, n_mels) -> M (n_mels, n_fft // 2 + 1): Slaney-style triangular mel filters, area-normalised."""
    import librosa

    check = Check("mel_filterbank")
    with check:
        for sr, n_fft, n_mels in ((16_000, 512, 80), (16_000, 512, 40), (22_050, 1024, 64)):
            ref = librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels).astype(np.float64)
            out = check.call(fn, sr, n_fft, n_mels)
            what = f"sr {sr}, n_fft {n_fft}, n_mels {n_mels}"
            a = _array(out)
            if a is not None and a.shape == ref.shape[::-1] and ref.shape[0] != ref.shape[1]:
                check.expect(False, f"{what}: returns {ref.shape}",
                             "your matrix is transposed: one row per mel band, one column per FFT bin")
                return check.result()
            if not check.expect(a is not None and a.shape == ref.shape, f"{what}: returns {ref.shape}",
                                f"got {_shape(out)}; one row per mel band, n_fft // 2 + 1 columns (n_mels filters "
                                "need n_mels + 2 edge frequencies: each filter spans three of them)"):
                return check.result()
            a = a.astype(np.float64)
            if close(a, ref, rtol=1e-4, atol=1e-6):
                check.expect(True, f"{what}: equals librosa.filters.mel (Slaney mel scale and norm)")
                continue
            htk_edges = _htk_hz(np.linspace(0.0, _htk_mel(sr / 2), n_mels + 2))
            slaney_edges = librosa.mel_frequencies(n_mels + 2, fmin=0.0, fmax=sr / 2)
            peak1 = _triangles(slaney_edges, sr, n_fft, slaney_norm=False)
            if (close(a, _triangles(htk_edges, sr, n_fft), rtol=1e-4, atol=1e-6)
                    or close(a, _triangles(htk_edges, sr, n_fft, False), rtol=1e-4, atol=1e-6)):
                hint = ("that is the HTK mel scale, 2595 log10(1 + f / 700); the kit (and librosa's default) uses "
                        "Slaney's: linear (3 f / 200) below 1 kHz, logarithmic above")
            elif close(a, peak1, rtol=1e-4, atol=1e-6):
                hint = ("the triangles are right but each peaks at 1: multiply filter i by 2 / (f[i + 2] - f[i]) so "
                        "that every filter has the same area (Slaney normalisation)")
            elif np.allclose(a / max(a.max(), 1e-12), peak1 / peak1.max(), atol=1e-4):
                hint = "the shape is right but the scale is not: filter i is scaled by 2 / (f[i + 2] - f[i]) in Hz"
            else:
                hint = ("edges f = mel_to_hz(linspace(0, hz_to_mel(sr / 2), n_mels + 2)); filter i rises from f[i] "
                        "to f[i + 1] and falls to f[i + 2], then is scaled by 2 / (f[i + 2] - f[i])")
            check.expect(False, f"{what}: equals librosa.filters.mel (Slaney mel scale and norm)", hint)
        m = _array(check.call(fn, CFG.sr, CFG.n_fft, CFG.n_mels)).astype(np.float64)
        check.expect(np.allclose(m, mel_filterbank(CFG), rtol=1e-4, atol=1e-6),
                     "matches the kit's regen_lite.speech.features.mel_filterbank()")
        check.expect((m >= 0).all() and ((m > 0).sum(axis=1) >= 1).all(),
                     "every filter is non-negative and covers at least one FFT bin")
    return check.result()


# ---------------------------------------------------------------- exercise 2: one Griffin-Lim iteration

def _stft(y):
    import librosa

    return librosa.stft(y, n_fft=CFG.n_fft, hop_length=CFG.hop, window="hann", center=True)


def _istft(X):
    import librosa

    return librosa.istft(X, n_fft=CFG.n_fft, hop_length=CFG.hop, window="hann", center=True)


def _reference_step(S, X):
    rebuilt = _stft(_istft(X))                     # the nearest consistent spectrogram
    return S * np.exp(1j * np.angle(rebuilt))      # with the given magnitude


def _inconsistency(S, X) -> float:
    """|| S - |STFT(ISTFT(X))| || / || S ||: how far the wave of X is from having magnitude S."""
    return float(np.linalg.norm(S - np.abs(_stft(_istft(X)))) / np.linalg.norm(S))


def check_griffin_lim_step(fn) -> CheckResult:
    """fn(S (F, N) magnitude, X (F, N) complex estimate) -> (F, N) complex: S * exp(i angle(STFT(ISTFT(X))))."""
    import librosa

    check = Check("griffin_lim_step")
    with check:
        y = _wave(0.5)
        S = np.abs(_stft(y))                                         # (257, 63) the magnitude to invert
        rng = np.random.default_rng(0)
        X = S * np.exp(2j * np.pi * rng.random(S.shape))             # random phases
        ref = _reference_step(S, X)
        out = check.call(fn, S.copy(), X.copy())
        a = _array(out)
        if not check.expect(a is not None and a.shape == S.shape, f"returns a complex array of shape {S.shape}",
                            f"got {_shape(out)}; use librosa.stft / istft with n_fft={CFG.n_fft}, "
                            f"hop_length={CFG.hop}, window='hann', center=True"):
            return check.result()
        if not check.expect(np.iscomplexobj(a), "returns complex values (magnitude and phase)",
                            "return S * exp(1j * phase), not only the magnitude or the phase"):
            return check.result()
        rebuilt = _stft(_istft(X))
        if np.allclose(np.abs(a), S, rtol=1e-4, atol=1e-5 * S.max()):
            check.expect(True, "keeps the given magnitude: |output| = S")
        elif close(a, rebuilt, atol=1e-5 * S.max(), rtol=1e-4):
            check.expect(False, "keeps the given magnitude: |output| = S",
                         "you returned STFT(ISTFT(X)) itself; keep only its phase and put the magnitude S back")
        elif close(a, S * rebuilt, atol=1e-5 * S.max() ** 2, rtol=1e-4):
            check.expect(False, "keeps the given magnitude: |output| = S",
                         "S * STFT(ISTFT(X)) multiplies two magnitudes; divide the rebuilt spectrogram by its "
                         "own magnitude first (np.exp(1j * np.angle(rebuilt)))")
        else:
            check.expect(False, "keeps the given magnitude: |output| = S", "the output must be S * (unit phasor)")
        if close(a, ref, atol=1e-4 * S.max(), rtol=1e-4):
            check.expect(True, "takes the phase of STFT(ISTFT(X)), the nearest consistent spectrogram")
        elif close(a, S * np.exp(1j * np.angle(X)), atol=1e-4 * S.max(), rtol=1e-4):
            check.expect(False, "takes the phase of STFT(ISTFT(X)), the nearest consistent spectrogram",
                         "your step keeps X's own phase, so nothing changes: go through the wave, "
                         "rebuilt = librosa.stft(librosa.istft(X))")
        else:
            check.expect(False, "takes the phase of STFT(ISTFT(X)), the nearest consistent spectrogram",
                         "rebuilt = stft(istft(X)); return S * np.exp(1j * np.angle(rebuilt))")
        # iterate from zero phase: must equal librosa.griffinlim without momentum
        n_iter, Xk, errors = 8, S.astype(np.complex128), [_inconsistency(S, S.astype(np.complex128))]
        for _ in range(n_iter):
            Xk = _array(check.call(fn, S.copy(), Xk))
            errors.append(_inconsistency(S, Xk))
        ref_wave = librosa.griffinlim(S, n_iter=n_iter, hop_length=CFG.hop, n_fft=CFG.n_fft, window="hann",
                                      center=True, momentum=0.0, init=None)
        check.expect(np.allclose(_istft(Xk), ref_wave, atol=1e-4 * np.abs(ref_wave).max()),
                     f"{n_iter} steps from zero phase, then ISTFT, equal librosa.griffinlim(S, n_iter={n_iter}, "
                     "momentum=0, init=None)",
                     "start from X = S (zero phase) and apply your step repeatedly; each step is one projection")
        check.expect(all(b <= a * (1 + 1e-6) for a, b in zip(errors, errors[1:])) and errors[-1] < errors[0],
                     f"the inconsistency ||S - |STFT(ISTFT(X))||| / ||S|| never rises: "
                     f"{errors[0]:.3f} -> {errors[-1]:.3f} in {n_iter} steps (Griffin & Lim 1984)",
                     "each Griffin-Lim step is a projection and cannot move away from the solution")
    return check.result()


# ---------------------------------------------------------------- exercise 3: the log-spectral distance

def _lsd_variants(y_hat, y):
    """Wrong-but-plausible versions of the LSD, to name the mistake: {name: value}."""
    p, q = stft_magnitude(y, CFG) ** 2, stft_magnitude(y_hat, CFG) ** 2
    n = min(p.shape[-1], q.shape[-1])
    p, q = p[:, :n], q[:, :n]
    floor = p.max() * 1e-8
    d = 10 * np.log10(np.maximum(p, floor)) - 10 * np.log10(np.maximum(q, floor))
    raw = 10 * np.log10(np.maximum(p, 1e-10)) - 10 * np.log10(np.maximum(q, 1e-10))
    own = 10 * np.log10(np.maximum(p, floor)) - 10 * np.log10(np.maximum(q, q.max() * 1e-8))
    mag = 10 * np.log10(np.maximum(np.sqrt(p), np.sqrt(floor))) - 10 * np.log10(np.maximum(np.sqrt(q), np.sqrt(floor)))
    return {
        "global": float(np.sqrt((d ** 2).mean())),
        "mean_abs": float(np.abs(d).mean()),
        "no_floor": float(np.sqrt((raw ** 2).mean(axis=0)).mean()),
        "own_floor": float(np.sqrt((own ** 2).mean(axis=0)).mean()),
        "magnitude": float(np.sqrt((mag ** 2).mean(axis=0)).mean()),
    }


LSD_HINTS = {
    "global": "that is one RMS over all bins and frames; take the RMS over frequency in each frame, then the mean "
              "over frames",
    "mean_abs": "that is the mean absolute dB difference; LSD is the root-mean-square over frequency in each frame",
    "no_floor": "floor both power spectra at 80 dB below the loudest bin of the reference y "
                "(np.maximum(P, P_y.max() * 1e-8)), so near-silent bins do not dominate",
    "own_floor": "use one floor for both spectra, 80 dB below the loudest bin of the *reference* y",
    "magnitude": "10 log10 is for powers: use |X|^2 (or 20 log10 |X| for magnitudes)",
}


def _as_float(check: Check, out, what: str):
    try:
        return float(out)
    except (TypeError, ValueError, RuntimeError):
        check.expect(False, what, f"got {type(out).__name__}; return one number (a Python float)")
        return None


def check_log_spectral_distance(fn) -> CheckResult:
    """fn(y_hat (T',), y (T,)) -> float: LSD in dB, equal to regen_lite.speech.metrics.log_spectral_distance."""
    check = Check("log_spectral_distance")
    with check:
        y = _wave(1.0, index=1)
        cases = [("a Griffin-Lim render of it (32 iterations)", griffin_lim(stft_magnitude(y, CFG), CFG)[: len(y)]),
                 ("the clip plus white noise 30 dB below its peak",
                  y + 0.03 * np.abs(y).max() * np.random.default_rng(1).standard_normal(len(y)).astype(np.float32)),
                 ("the clip 40 dB quieter", 0.01 * y)]
        for label, y_hat in cases:
            y_hat = y_hat.astype(np.float32)
            ref = log_spectral_distance(y_hat, y, CFG)
            value = _as_float(check, check.call(fn, y_hat.copy(), y.copy()), f"{label}: returns one number")
            if value is None:
                return check.result()
            what = f"{label}: equals regen_lite.speech.metrics.log_spectral_distance ({ref:.3f} dB)"
            if abs(value - ref) < 1e-3 * max(1.0, ref):
                check.expect(True, what)
                continue
            variants = _lsd_variants(y_hat, y)
            name = next((k for k, v in variants.items() if abs(value - v) < 1e-3 * max(1.0, v)),
                        None if math.isfinite(value) else "no_floor")
            check.expect(False, what, LSD_HINTS[name] if name else
                         "P = |STFT|^2 of each (kit's stft_magnitude), crop to equal frames, floor both at "
                         "P_y.max() * 1e-8, d = 10 log10 P_y - 10 log10 P_hat, sqrt(mean over f of d^2), "
                         "mean over frames")
        value = _as_float(check, check.call(fn, y.copy(), y.copy()), "returns one number")
        check.expect(value is not None and abs(value) < 1e-6, "a wave against itself: 0 dB")
        noise = np.random.default_rng(2).standard_normal(16_000).astype(np.float32) * 0.1
        value = _as_float(check, check.call(fn, 2 * noise, noise), "returns one number")
        check.expect(value is not None and abs(value - 20 * math.log10(2)) < 0.01,
                     "doubling the amplitude costs 20 log10(2) = 6.02 dB",
                     "the power grows by 4, i.e. 10 log10(4) dB in every bin")
        short = cases[0][1][: len(y) - 2000].astype(np.float32)   # 16 frames fewer than y
        try:
            value = float(fn(short.copy(), y.copy()))
            ok = abs(value - log_spectral_distance(short, y, CFG)) < 1e-3 * max(1.0, value)
            hint = "with different lengths, compare the first min(N, N_hat) frames"
        except Exception as e:  # the usual failure: broadcasting two spectrograms of different lengths
            ok, hint = False, (f"it raised {type(e).__name__}: {e}; crop both spectrograms to the shorter one's "
                               "frames before subtracting")
        check.expect(ok, f"handles a shorter y_hat ({len(short)} vs {len(y)} samples)", hint)
    return check.result()
