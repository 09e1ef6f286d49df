"""Checks for notebooks/01_explicit_representations.ipynb: average pooling, the DCT-II matrix, DCT
low-pass reconstruction, and PSNR.

The references are torch's F.avg_pool2d, scipy.fft (dct / dctn / idctn with norm="ortho"), the kit's
extractors in regen_lite.image.extractors and regen_lite.image.metrics.psnr (torchmetrics). Each hint names
the usual mistake when the answer matches it.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.fft
import torch
import torch.nn.functional as F

from regen_lite.exercises.checking import Check, CheckResult, close

from ..image.extractors import DCTLowpass, Downsample, dct_matrix

__all__ = ["check_avg_pool", "check_dct_matrix", "check_dct_lowpass", "check_psnr"]


def _tensor(out):
    """Accept a tensor or a NumPy array; anything else becomes None."""
    if isinstance(out, np.ndarray):
        out = torch.from_numpy(out)
    return out if torch.is_tensor(out) else None


def _shape(out) -> str:
    t = _tensor(out)
    return str(tuple(t.shape)) if t is not None else type(out).__name__


def _images(*shape, seed=0) -> torch.Tensor:
    return torch.rand(*shape, generator=torch.Generator().manual_seed(seed))


def check_avg_pool(fn) -> CheckResult:
    """fn(y (B, C, H, W), factor) -> (B, C, H/f, W/f): the mean of each f x f block."""
    check = Check("avg_pool")
    with check:
        cases = [(_images(3, 1, 28, 28), 2), (_images(3, 1, 28, 28, seed=1), 4), (_images(2, 2, 28, 14, seed=2), 7)]
        for y, f in cases:
            b, c, h, w = y.shape
            ref = F.avg_pool2d(y, f)
            out = check.call(fn, y.clone(), f)
            what = f"factor {f} on {tuple(y.shape)}"
            if not check.expect(_tensor(out) is not None and _tensor(out).shape == ref.shape,
                                f"{what}: returns {tuple(ref.shape)}", f"got {_shape(out)}"):
                return check.result()
            if close(out, ref):
                check.expect(True, f"{what}: equals F.avg_pool2d")
            elif close(out, y[..., ::f, ::f]):
                check.expect(False, f"{what}: equals F.avg_pool2d",
                             "you kept one pixel per block (subsampling); average all f*f pixels of the block")
            elif close(out, y.reshape(b, c, h // f, w // f, f, f).mean((-2, -1))):
                check.expect(False, f"{what}: equals F.avg_pool2d",
                             "your blocks mix pixels from different rows: reshape to (B, C, H/f, f, W/f, f) "
                             "and average over dims 3 and 5")
            else:
                check.expect(False, f"{what}: equals F.avg_pool2d",
                             "y.reshape(B, C, H // f, f, W // f, f).mean(dim=(3, 5))")
        y = _images(4, 1, 28, 28, seed=3)
        out = check.call(fn, y.clone(), 4)
        check.expect(close(out, Downsample(4).extract(y)), "matches the kit's downsample_x4 extractor",
                     "Downsample(4).extract(y) is the reference")
        check.expect(close(_tensor(out).mean((1, 2, 3)), y.mean((1, 2, 3))),
                     "keeps each image's mean brightness", "an average of averages over equal blocks is the average")
    return check.result()


def check_dct_matrix(fn) -> CheckResult:
    """fn(n) -> D (n, n), the orthonormal DCT-II matrix: X = D x, row k = frequency k."""
    check = Check("dct_matrix")
    with check:
        for n in (4, 8, 28):
            ref = dct_matrix(n)                                                   # float64
            scipy_ref = torch.from_numpy(scipy.fft.dct(np.eye(n), norm="ortho", axis=0))
            out = check.call(fn, n)
            if not check.expect(_tensor(out) is not None and _tensor(out).shape == (n, n),
                                f"n = {n}: returns an ({n}, {n}) matrix", f"got {_shape(out)}"):
                return check.result()
            D = _tensor(out).double()
            if close(D, scipy_ref):
                check.expect(True, f"n = {n}: equals scipy.fft.dct(np.eye(n), norm='ortho', axis=0)")
                continue
            unscaled = ref.clone()
            unscaled[0] *= math.sqrt(2.0)
            if close(D, ref.T):
                hint = "your matrix is transposed: row k must hold frequency k, D[k, i] = s_k cos(pi (2i + 1) k / 2n)"
            elif close(D, unscaled):
                hint = "row 0 (the constant) needs the scale sqrt(1/n), the other rows sqrt(2/n)"
            elif close(D / D[1, 0], ref / ref[1, 0]):
                hint = "the shape of each row is right but the scale is not: s_0 = sqrt(1/n), s_k = sqrt(2/n)"
            else:
                hint = "D[k, i] = s_k cos(pi (2i + 1) k / (2n)), s_0 = sqrt(1/n), s_k = sqrt(2/n) for k > 0"
            check.expect(False, f"n = {n}: equals scipy.fft.dct(np.eye(n), norm='ortho', axis=0)", hint)
        D = _tensor(check.call(fn, 28)).double()
        check.expect(torch.allclose(D @ D.T, torch.eye(28, dtype=torch.float64), atol=1e-5),
                     "is orthonormal: D D^T = I, so the inverse DCT is D^T",
                     "with the right scales every row has length 1 and the rows are orthogonal")
        check.expect(close(D, dct_matrix(28)), "matches regen_lite.image.extractors.dct_matrix(28)")
    return check.result()


def _scipy_lowpass(y: torch.Tensor, k: int) -> torch.Tensor:
    c = scipy.fft.dctn(y.double().numpy(), axes=(-2, -1), norm="ortho")
    mask = np.zeros(c.shape[-2:])
    mask[:k, :k] = 1.0
    return torch.from_numpy(scipy.fft.idctn(c * mask, axes=(-2, -1), norm="ortho"))


def check_dct_lowpass(fn) -> CheckResult:
    """fn(y (B, 1, H, W), k) -> (B, 1, H, W): keep the k x k lowest DCT frequencies, invert, no clamping."""
    check = Check("dct_lowpass")
    with check:
        y = _images(4, 1, 28, 28)
        for k in (7, 3, 20):
            ref = _scipy_lowpass(y, k)
            out = check.call(fn, y.clone(), k)
            if not check.expect(_tensor(out) is not None and _tensor(out).shape == y.shape,
                                f"k = {k}: returns the image shape {tuple(y.shape)}",
                                f"got {_shape(out)}; put the k x k coefficients back into a zero (H, W) array "
                                "before the inverse DCT"):
                return check.result()
            if close(out, ref):
                check.expect(True, f"k = {k}: equals scipy.fft.idctn(mask * dctn(y, norm='ortho'))")
                continue
            if close(out, ref.clamp(0, 1)):
                hint = "do not clamp here: the check compares the raw inverse DCT (the kit's renderer clamps later)"
            elif close(out, ref.transpose(-1, -2)):
                hint = "rows and columns are swapped: the DCT is X = D y D^T and its inverse y = D^T X D"
            elif close(out, y - ref):
                hint = "you kept the high frequencies: keep coeffs[..., :k, :k] and zero the rest"
            else:
                hint = "coeffs = D @ y @ D.T; zero all but coeffs[..., :k, :k]; return D.T @ coeffs @ D"
            check.expect(False, f"k = {k}: equals scipy.fft.idctn(mask * dctn(y, norm='ortho'))", hint)
        out = _tensor(check.call(fn, y.clone(), 28))
        check.expect(close(out, y), "k = 28 keeps every frequency and gives y back", "nothing is dropped when k = H")
        out = _tensor(check.call(fn, y.clone(), 1))
        check.expect(close(out, y.mean((2, 3), keepdim=True).expand_as(y)),
                     "k = 1 keeps only the constant: every pixel becomes the image's mean",
                     "the (0, 0) coefficient alone is the average brightness")
        lib = DCTLowpass(7)
        out = _tensor(check.call(fn, y.clone(), 7))
        check.expect(close(out.clamp(0, 1), lib.render(lib.extract(y))),
                     "clamped to [0, 1], matches the kit's dct_lowpass extractor + renderer")
    return check.result()


def check_psnr(fn) -> CheckResult:
    """fn(y_hat, y) -> float: the mean over images of 10 log10(1 / MSE_i), images in [0, 1]."""
    from ..image.metrics import psnr  # here, not at the top: torchmetrics takes seconds to import

    check = Check("psnr")
    with check:
        y = _images(6, 1, 28, 28)
        noise = torch.randn(6, 1, 28, 28, generator=torch.Generator().manual_seed(1))
        scale = torch.tensor([0.01, 0.02, 0.05, 0.1, 0.2, 0.3])[:, None, None, None]   # very different errors
        y_hat = (y + scale * noise).clamp(0, 1)
        out = check.call(fn, y_hat, y)
        try:
            value = float(out)
        except (TypeError, ValueError, RuntimeError):
            check.expect(False, "returns one number", f"got {type(out).__name__}; return a float (e.g. tensor.item())")
            return check.result()
        ref = psnr(y_hat, y)
        mse = ((y_hat - y) ** 2).mean((1, 2, 3))
        pooled = 10 * math.log10(1 / mse.mean().item())
        if abs(value - ref) < 1e-3:
            check.expect(True, f"equals regen_lite.image.metrics.psnr (torchmetrics): {ref:.2f} dB")
        elif abs(value - pooled) < 1e-3:
            check.expect(False, "equals regen_lite.image.metrics.psnr (torchmetrics)",
                         f"you gave the PSNR of the pooled MSE ({pooled:.2f} dB); compute one PSNR per image, "
                         "then average them: the kit reports the mean per-image PSNR")
        elif abs(value - (10 * torch.log(1 / mse)).mean().item()) < 1e-3:
            check.expect(False, "equals regen_lite.image.metrics.psnr (torchmetrics)", "use log10, not the natural log")
        elif abs(value - 2 * ref) < 1e-3:
            check.expect(False, "equals regen_lite.image.metrics.psnr (torchmetrics)",
                         "PSNR = 10 log10(1 / MSE) (or 20 log10(1 / RMSE)), not 20 log10(1 / MSE)")
        else:
            check.expect(False, "equals regen_lite.image.metrics.psnr (torchmetrics)",
                         "mse = ((y_hat - y) ** 2).mean(dim=(1, 2, 3)); return (10 * torch.log10(1 / mse)).mean()")
        half = check.call(fn, torch.full((2, 1, 4, 4), 0.5), torch.zeros(2, 1, 4, 4))
        check.expect(abs(float(half) - 10 * math.log10(4)) < 1e-3, "an error of 0.5 everywhere is 6.02 dB",
                     "MSE = 0.25, so PSNR = 10 log10(1 / 0.25)")
    return check.result()
