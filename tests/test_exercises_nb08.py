"""The nb08 checks pass correct answers (the notebook's route and librosa's) and catch the usual
wrong-but-plausible ones with a hint that names the mistake (tests/test_notebooks.py runs the notebook's
own reference solutions and the stubs)."""

import librosa
import numpy as np
import pytest

from regen_lite.exercises.nb08_speech import check_griffin_lim_step, check_log_spectral_distance, check_mel_filterbank
from regen_lite.speech.features import stft_magnitude

N_FFT, HOP = 512, 128


def hints(result) -> str:
    return " ".join(h for ok, _, h in result.lines if not ok)


# ---------------------------------------------------------------- mel filterbank

def slaney_mel(f):
    f = np.asarray(f, dtype=np.float64)
    return np.where(f < 1000.0, 3.0 * f / 200.0, 15.0 + 27.0 * np.log(np.maximum(f, 1e-9) / 1000.0) / np.log(6.4))


def slaney_hz(m):
    m = np.asarray(m, dtype=np.float64)
    return np.where(m < 15.0, 200.0 * m / 3.0, 1000.0 * np.exp((m - 15.0) * np.log(6.4) / 27.0))


def htk_mel(f):
    return 2595.0 * np.log10(1.0 + np.asarray(f, dtype=np.float64) / 700.0)


def htk_hz(m):
    return 700.0 * (10.0 ** (np.asarray(m, dtype=np.float64) / 2595.0) - 1.0)


def filterbank(sr, n_fft, n_mels, to_mel=slaney_mel, to_hz=slaney_hz, norm=True, n_edges=None):
    edges = to_hz(np.linspace(0.0, to_mel(sr / 2), n_edges or n_mels + 2))
    freqs = np.arange(n_fft // 2 + 1) * sr / n_fft
    lo, mid, hi = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    w = np.maximum(0.0, np.minimum((freqs - lo) / (mid - lo), (hi - freqs) / (hi - mid)))
    return w * 2.0 / (hi - lo) if norm else w


@pytest.fixture(scope="module")
def mel_results():
    return {
        "ok": check_mel_filterbank(filterbank),
        "librosa": check_mel_filterbank(lambda sr, n_fft, n_mels: librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels)),
        "htk": check_mel_filterbank(lambda *a: filterbank(*a, to_mel=htk_mel, to_hz=htk_hz)),
        "peak1": check_mel_filterbank(lambda *a: filterbank(*a, norm=False)),
        "transposed": check_mel_filterbank(lambda *a: filterbank(*a).T),
        "n_edges": check_mel_filterbank(lambda sr, n_fft, n_mels: filterbank(sr, n_fft, n_mels, n_edges=n_mels)),
        "librosa_htk": check_mel_filterbank(
            lambda sr, n_fft, n_mels: librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels, htk=True)),
    }


def test_mel_filterbank_passes_the_formula_and_librosa(mel_results):
    assert mel_results["ok"].passed, repr(mel_results["ok"])
    assert mel_results["librosa"].passed


def test_mel_filterbank_names_htk_the_missing_norm_the_transpose_and_the_edges(mel_results):
    for key in ("htk", "librosa_htk"):
        assert not mel_results[key].passed and "HTK" in hints(mel_results[key])
    assert not mel_results["peak1"].passed and "peaks at 1" in hints(mel_results["peak1"])
    assert not mel_results["transposed"].passed and "transposed" in hints(mel_results["transposed"])
    assert not mel_results["n_edges"].passed and "n_mels + 2" in hints(mel_results["n_edges"])


# ---------------------------------------------------------------- Griffin-Lim step

def stft(y):
    return librosa.stft(y, n_fft=N_FFT, hop_length=HOP, window="hann", center=True)


def istft(X):
    return librosa.istft(X, n_fft=N_FFT, hop_length=HOP, window="hann", center=True)


def test_griffin_lim_step_passes_the_projection():
    result = check_griffin_lim_step(lambda S, X: S * np.exp(1j * np.angle(stft(istft(X)))))
    assert result.passed, repr(result)
    # the same with librosa's own normalisation (rebuilt / (|rebuilt| + eps))
    assert check_griffin_lim_step(lambda S, X: S * (r := stft(istft(X))) / (np.abs(r) + 1e-30)).passed


def test_griffin_lim_step_names_a_missing_magnitude_an_unnormalised_phase_and_no_round_trip():
    rebuilt = check_griffin_lim_step(lambda S, X: stft(istft(X)))
    assert not rebuilt.passed and "put the magnitude S back" in hints(rebuilt)
    product = check_griffin_lim_step(lambda S, X: S * stft(istft(X)))
    assert not product.passed and "divide the rebuilt spectrogram" in hints(product)
    still = check_griffin_lim_step(lambda S, X: S * np.exp(1j * np.angle(X)))
    assert not still.passed and "go through the wave" in hints(still)
    no_center = check_griffin_lim_step(lambda S, X: S * np.exp(1j * np.angle(
        librosa.stft(librosa.istft(X, n_fft=N_FFT, hop_length=HOP, center=False), n_fft=N_FFT, hop_length=HOP,
                     center=False))))
    assert not no_center.passed
    magnitude_only = check_griffin_lim_step(lambda S, X: np.abs(stft(istft(X))))
    assert not magnitude_only.passed and "exp(1j * phase)" in hints(magnitude_only)


# ---------------------------------------------------------------- log-spectral distance

def lsd(y_hat, y, *, floor_db: float | None = 80.0, power=True, per_frame=True, own_floor=False, crop=True):
    p, q = stft_magnitude(y) ** (2 if power else 1), stft_magnitude(y_hat) ** (2 if power else 1)
    if crop:
        n = min(p.shape[1], q.shape[1])
        p, q = p[:, :n], q[:, :n]
    scale = 10.0 ** (-(floor_db or 0.0) / (10.0 if power else 20.0))
    floor = 1e-10 if floor_db is None else p.max() * scale           # None: only the kit's -100 dB power floor
    d = 10 * np.log10(np.maximum(p, floor)) - 10 * np.log10(np.maximum(q, q.max() * scale if own_floor else floor))
    return float(np.sqrt((d ** 2).mean(axis=0)).mean() if per_frame else np.sqrt((d ** 2).mean()))


def test_log_spectral_distance_passes_the_definition():
    result = check_log_spectral_distance(lsd)
    assert result.passed, repr(result)


def test_log_spectral_distance_names_the_usual_mistakes():
    magnitude = check_log_spectral_distance(lambda a, b: lsd(a, b, power=False))
    assert not magnitude.passed and "10 log10 is for powers" in hints(magnitude)
    pooled = check_log_spectral_distance(lambda a, b: lsd(a, b, per_frame=False))
    assert not pooled.passed and "RMS over frequency in each frame" in hints(pooled)
    no_floor = check_log_spectral_distance(lambda a, b: lsd(a, b, floor_db=None))
    assert not no_floor.passed and "80 dB below the loudest bin" in hints(no_floor)
    own = check_log_spectral_distance(lambda a, b: lsd(a, b, own_floor=True))
    assert not own.passed and "reference" in hints(own)
    uncropped = check_log_spectral_distance(lambda a, b: lsd(a, b, crop=False))
    assert not uncropped.passed and "crop" in hints(uncropped)
    vector = check_log_spectral_distance(lambda a, b: np.array([lsd(a, b), 0.0]))
    assert not vector.passed and "one number" in hints(vector)
