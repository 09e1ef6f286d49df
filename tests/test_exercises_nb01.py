"""The nb01 checks catch the usual wrong-but-plausible answers (tests/test_notebooks.py covers the reference
solutions and the stubs), and accept other correct routes (scipy, NumPy arrays)."""

import math

import numpy as np
import scipy.fft
import torch
import torch.nn.functional as F

from regen_lite.exercises.nb01_explicit import check_avg_pool, check_dct_lowpass, check_dct_matrix, check_psnr
from regen_lite.image.extractors import dct_matrix


def hints(result) -> str:
    return " ".join(h for ok, _, h in result.lines if not ok)


def _lowpass(y, k):
    D = dct_matrix(y.shape[-1]).to(y.dtype)
    c = D @ y @ D.T
    mask = torch.zeros_like(c)
    mask[..., :k, :k] = 1
    return D.T @ (c * mask) @ D


def test_avg_pool_catches_subsampling_and_a_scrambled_reshape():
    sub = check_avg_pool(lambda y, f: y[..., ::f, ::f])
    assert not sub.passed and "subsampling" in hints(sub)
    scrambled = check_avg_pool(lambda y, f: y.reshape(*y.shape[:2], y.shape[2] // f, y.shape[3] // f, f, f)
                               .mean((-2, -1)))
    assert not scrambled.passed and "mix pixels" in hints(scrambled)
    assert not check_avg_pool(lambda y, f: F.max_pool2d(y, f)).passed
    assert check_avg_pool(lambda y, f: F.avg_pool2d(y, f)).passed


def test_dct_matrix_names_the_transpose_and_the_missing_row_zero_scale():
    transposed = check_dct_matrix(lambda n: dct_matrix(n).T)
    assert not transposed.passed and "transposed" in hints(transposed)
    def no_s0(n):
        D = dct_matrix(n).clone()
        D[0] *= math.sqrt(2.0)
        return D
    unscaled = check_dct_matrix(no_s0)
    assert not unscaled.passed and "row 0" in hints(unscaled)
    # a NumPy answer from scipy is fine
    assert check_dct_matrix(lambda n: scipy.fft.dct(np.eye(n), norm="ortho", axis=0)).passed


def test_dct_lowpass_catches_clamping_high_frequencies_and_transposes():
    clamped = check_dct_lowpass(lambda y, k: _lowpass(y, k).clamp(0, 1))
    assert not clamped.passed and "clamp" in hints(clamped)
    high = check_dct_lowpass(lambda y, k: y - _lowpass(y, k))
    assert not high.passed and "high frequencies" in hints(high)
    swapped = check_dct_lowpass(lambda y, k: _lowpass(y.transpose(-1, -2), k))
    assert not swapped.passed and "swapped" in hints(swapped)


def test_psnr_names_the_pooled_mse_the_natural_log_and_20_log10():
    pooled = check_psnr(lambda a, b: 10 * math.log10(1 / ((a - b) ** 2).mean().item()))
    assert not pooled.passed and "pooled MSE" in hints(pooled)
    ln = check_psnr(lambda a, b: (10 * torch.log(1 / ((a - b) ** 2).mean((1, 2, 3)))).mean())
    assert not ln.passed and "log10" in hints(ln)
    twenty = check_psnr(lambda a, b: (20 * torch.log10(1 / ((a - b) ** 2).mean((1, 2, 3)))).mean())
    assert not twenty.passed and "20 log10(1 / MSE)" in hints(twenty)
    vector = check_psnr(lambda a, b: 10 * torch.log10(1 / ((a - b) ** 2).mean((1, 2, 3))))
    assert not vector.passed and "one number" in " ".join(w for _, w, _ in vector.lines)
