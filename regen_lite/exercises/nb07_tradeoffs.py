"""Checks for notebooks/07_tradeoffs_and_mismatch.ipynb: the noise augmentation of Y' (the remedy's
training-time corruption), PSNR per image, and total variation (how sharp an image is, which an MSE-trained
renderer lowers).

Each check compares the student's function with a reference (regen_lite.image.comparison.add_noise,
torchmetrics' peak_signal_noise_ratio and total_variation, regen_lite.image.metrics.psnr) and tests the
properties that catch the usual slips: uniform instead of Gaussian noise, one PSNR over the whole batch instead
of one per image, squared differences or one direction only in the total variation.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from regen_lite.exercises.checking import Check, CheckResult

from ..image.comparison import add_noise

__all__ = ["check_add_noise", "check_psnr_per_image", "check_total_variation"]


def _is(x, shape) -> bool:
    return torch.is_tensor(x) and tuple(x.shape) == tuple(shape)


def _shape(x) -> str:
    return str(tuple(x.shape)) if torch.is_tensor(x) else type(x).__name__


def _images(seed: int, n: int = 4) -> torch.Tensor:
    """n smooth-ish random images (n, 1, 28, 28) in [0, 1]."""
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, 1, 7, 7, generator=g)
    return F.interpolate(x, size=28, mode="bilinear", align_corners=False).clamp(0, 1)


def check_add_noise(fn) -> CheckResult:
    """fn(y_prime, std, generator=None) -> Y' + std * eps with eps ~ N(0, I), same shape as Y'."""
    check = Check("add_noise")
    with check:
        yp = F.avg_pool2d(_images(0), 4)                              # (4, 1, 7, 7): a real-looking Y'
        before = yp.clone()
        out = check.call(fn, yp, 0.05, generator=torch.Generator().manual_seed(1))
        if not check.expect(_is(out, yp.shape) and out.dtype == yp.dtype, "returns a tensor of the same shape as Y'",
                            f"got {_shape(out)}; draw eps with torch.randn(y_prime.shape, generator=generator)"):
            return check.result()
        check.expect(torch.equal(yp, before), "leaves its input unchanged", "return y_prime + ..., do not use += on it")
        again = check.call(fn, yp, 0.05, generator=torch.Generator().manual_seed(1))
        check.expect(torch.is_tensor(again) and torch.equal(out, again), "the same seeded generator gives the same noise",
                     "pass generator=generator to torch.randn")
        ref = add_noise(yp, 0.05, generator=torch.Generator().manual_seed(1))
        check.expect(torch.allclose(out, ref, atol=1e-7), "matches regen_lite.image.comparison.add_noise for the same generator",
                     "y_prime + std * torch.randn(y_prime.shape, generator=generator)")
        zero = check.call(fn, yp, 0.0, generator=torch.Generator().manual_seed(1))
        check.expect(torch.is_tensor(zero) and torch.equal(zero, yp), "std = 0 leaves Y' as it is", "scale eps by std")

        flat = torch.full((200_000,), 0.3)
        big = check.call(fn, flat, 0.1, generator=torch.Generator().manual_seed(2))
        if not check.expect(_is(big, flat.shape), "works for any shape (here 200,000 values)", f"got {_shape(big)}"):
            return check.result()
        d = big - flat
        check.expect(abs(d.mean().item()) < 1e-3, f"the noise has mean 0 (got {d.mean().item():.4f})",
                     "torch.rand is uniform on [0, 1) with mean 0.5: use torch.randn")
        check.expect(abs(d.std().item() - 0.1) < 1e-3, f"the noise has standard deviation std (0.1; got {d.std().item():.4f})",
                     "multiply unit Gaussian noise by std (not by std ** 2, not by sqrt(std))")
        kurt = (d / d.std()).pow(4).mean().item()
        check.expect(abs(kurt - 3.0) < 0.1, f"the noise is Gaussian (fourth moment 3; got {kurt:.2f})",
                     "use torch.randn (Gaussian), not a uniform or a +/- std coin flip")
    return check.result()


def check_psnr_per_image(fn) -> CheckResult:
    """fn(y_hat, y) -> (B,) PSNR in dB of each image, 10 log10(1 / MSE), images in [0, 1]."""
    from torchmetrics.functional.image import peak_signal_noise_ratio

    from ..image.metrics import psnr

    check = Check("psnr_per_image")
    with check:
        y = torch.zeros(2, 1, 28, 28)
        y_hat = torch.full((2, 1, 28, 28), 0.1)                        # MSE 0.01 -> 20 dB
        out = check.call(fn, y_hat, y)
        if not check.expect(_is(out, (2,)), "returns one PSNR per image, shape (B,)",
                            f"got {_shape(out)}; average the squared error over dims (1, 2, 3) only"):
            return check.result()
        check.expect(torch.allclose(out, torch.full((2,), 20.0), atol=1e-4),
                     f"an error of 0.1 everywhere is 20 dB (got {out.tolist()})",
                     "PSNR = 10 log10(1 / MSE) for a data range of 1: 10 * torch.log10(1 / mse), MSE not RMSE")

        y = _images(3)
        g = torch.Generator().manual_seed(4)
        scale = torch.tensor([0.01, 0.05, 0.1, 0.2]).view(4, 1, 1, 1)   # very different errors per image
        y_hat = (y + scale * torch.randn(y.shape, generator=g)).clamp(0, 1)
        out = check.call(fn, y_hat, y)
        ref = peak_signal_noise_ratio(y_hat, y, data_range=1.0, dim=(1, 2, 3), reduction="none")
        check.expect(_is(out, (4,)) and torch.allclose(out, ref, atol=1e-3),
                     "matches torchmetrics' peak_signal_noise_ratio(dim=(1, 2, 3), reduction='none')",
                     "one MSE per image: ((y_hat - y) ** 2).mean(dim=(1, 2, 3))")
        check.expect(_is(out, (4,)) and abs(out.mean().item() - psnr(y_hat, y)) < 1e-3,
                     "its mean is regen_lite.image.metrics.psnr (the number the kit reports)",
                     "the kit averages the per-image dB values, which differs from the dB of the mean MSE")
        order = check.call(fn, y_hat.flip(0), y.flip(0))
        check.expect(_is(order, (4,)) and torch.allclose(order, out.flip(0), atol=1e-5),
                     "each value belongs to its own image", "do not sort or pool across the batch")
    return check.result()


def check_total_variation(fn) -> CheckResult:
    """fn(y) -> (B,): sum of |vertical| + |horizontal| neighbour differences of each image (B, C, H, W)."""
    from torchmetrics.functional.image import total_variation

    check = Check("total_variation")
    with check:
        ramp = torch.tensor([[[[0.0, 0.5], [0.0, 0.5]]]])              # (1, 1, 2, 2): changes left to right only
        out = check.call(fn, ramp)
        if not check.expect(_is(out, (1,)), "returns one value per image, shape (B,)",
                            f"got {_shape(out)}; sum over dims (1, 2, 3) only"):
            return check.result()
        check.expect(torch.allclose(out, torch.tensor([1.0])),
                     f"[[0, 0.5], [0, 0.5]] has total variation 1.0 (got {out.item():.3f})",
                     "sum the *absolute* differences (0.5 + 0.5), not their squares (0.25 + 0.25)")
        col = ramp.transpose(-1, -2)                                  # changes top to bottom only
        out_c = check.call(fn, col)
        check.expect(_is(out_c, (1,)) and torch.allclose(out_c, torch.tensor([1.0])),
                     "counts vertical differences as well as horizontal ones",
                     "add |y[..., 1:, :] - y[..., :-1, :]| (vertical) and |y[..., :, 1:] - y[..., :, :-1]| (horizontal)")
        flat = torch.full((3, 1, 28, 28), 0.4)
        out_f = check.call(fn, flat)
        check.expect(_is(out_f, (3,)) and torch.allclose(out_f, torch.zeros(3)), "a constant image has total variation 0",
                     "differences between neighbours, not the pixel values themselves")

        y = _images(5)
        out = check.call(fn, y)
        ref = total_variation(y, reduction="none")
        check.expect(_is(out, (4,)) and torch.allclose(out, ref, rtol=1e-4),
                     "matches torchmetrics' total_variation(reduction='none') on four images",
                     "a sum over channels and pixels for each image, not a mean")
        shifted = check.call(fn, (y + 0.3))
        check.expect(_is(shifted, (4,)) and torch.allclose(shifted, out, atol=1e-4),
                     "adding a constant brightness does not change it", "")
        blurred = F.avg_pool2d(F.pad(y, (1, 1, 1, 1), mode="replicate"), 3, stride=1)   # a 3x3 box blur
        out_b = check.call(fn, blurred)
        check.expect(_is(out_b, (4,)) and bool((out_b < out).all()), "blurring an image lowers its total variation", "")
    return check.result()
