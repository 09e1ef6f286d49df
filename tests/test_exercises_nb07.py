"""Wrong-but-plausible answers to notebook 07's exercises are caught (tests/test_notebooks.py already checks
that the reference solutions pass and the stubs fail)."""

from __future__ import annotations

import pytest
import torch
from torchmetrics.functional.image import total_variation

from regen_lite.exercises import check_add_noise, check_psnr_per_image, check_total_variation
from regen_lite.image.comparison import add_noise


def test_library_versions_pass_their_checks():
    assert check_add_noise(add_noise).passed
    assert check_total_variation(lambda y: total_variation(y, reduction="none")).passed


@pytest.mark.parametrize("wrong", [
    lambda y, std, generator=None: y + std * torch.rand(y.shape, generator=generator),          # uniform noise
    lambda y, std, generator=None: y + std ** 2 * torch.randn(y.shape, generator=generator),    # variance for std
    lambda y, std, generator=None: y + std * torch.randn_like(y),                               # ignores the generator
    lambda y, std, generator=None: y.add_(std * torch.randn(y.shape, generator=generator)),     # in place
])
def test_add_noise_catches(wrong):
    assert not check_add_noise(wrong).passed


@pytest.mark.parametrize("wrong", [
    lambda y_hat, y: (10 * torch.log10(1 / (y_hat - y).pow(2).mean())).expand(len(y)),   # one MSE for the batch
    lambda y_hat, y: 20 * torch.log10(1 / (y_hat - y).pow(2).mean(dim=(1, 2, 3))),       # 20 log10 of an MSE
    lambda y_hat, y: 10 * torch.log10(1 / (y_hat - y).abs().mean(dim=(1, 2, 3))),        # mean absolute error
])
def test_psnr_per_image_catches(wrong):
    assert not check_psnr_per_image(wrong).passed


@pytest.mark.parametrize("wrong", [
    lambda y: (y[..., 1:, :] - y[..., :-1, :]).pow(2).sum((1, 2, 3)) + (y[..., :, 1:] - y[..., :, :-1]).pow(2).sum((1, 2, 3)),
    lambda y: (y[..., :, 1:] - y[..., :, :-1]).abs().sum((1, 2, 3)),                      # horizontal only
    lambda y: (y[..., 1:, :] - y[..., :-1, :]).abs().mean((1, 2, 3)) + (y[..., :, 1:] - y[..., :, :-1]).abs().mean((1, 2, 3)),
])
def test_total_variation_catches(wrong):
    assert not check_total_variation(wrong).passed
