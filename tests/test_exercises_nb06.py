"""Wrong-but-plausible answers to notebook 06's exercises are caught (tests/test_notebooks.py already checks
that the reference solutions pass and the stubs fail)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from regen_lite.exercises import check_frechet_gaussian, check_per_class_accuracy, check_samples_in_budget
from regen_lite.image.comparison import frechet_gaussian, per_class_accuracy, samples_in_budget


def test_library_versions_pass_their_checks():
    assert check_frechet_gaussian(frechet_gaussian).passed
    assert check_per_class_accuracy(per_class_accuracy).passed
    assert check_samples_in_budget(samples_in_budget).passed


def _fd_product_of_roots(mu1, s1, mu2, s2):
    """Tr(sqrt(S1) sqrt(S2)) instead of Tr(sqrt(S1 S2)): right only when the covariances commute."""
    from scipy.linalg import sqrtm
    c = sqrtm(s1.numpy()).real @ sqrtm(s2.numpy()).real
    return float((mu1 - mu2).square().sum() + s1.trace() + s2.trace()) - 2 * float(np.trace(c))


def _fd_no_factor_two(mu1, s1, mu2, s2):
    from scipy.linalg import sqrtm
    return float((mu1 - mu2).square().sum() + s1.trace() + s2.trace()) - float(np.trace(sqrtm((s1 @ s2).numpy()).real))


def _fd_complex(mu1, s1, mu2, s2):
    from scipy.linalg import sqrtm
    return complex((mu1 - mu2).square().sum() + s1.trace() + s2.trace()) - 2 * np.trace(sqrtm((s1 @ s2).numpy()) + 1e-3j)


@pytest.mark.parametrize("wrong", [_fd_product_of_roots, _fd_no_factor_two, _fd_complex])
def test_frechet_gaussian_catches(wrong):
    assert not check_frechet_gaussian(wrong).passed


def _precision(pred, labels, n_classes=10):
    return torch.stack([(labels[pred == c] == c).float().mean() for c in range(n_classes)])


def _overall(pred, labels, n_classes=10):
    return (pred == labels).float().mean().expand(n_classes).clone()


def _fixed_ten(pred, labels, n_classes=10):
    return torch.stack([(pred[labels == c] == c).float().mean() for c in range(10)])


@pytest.mark.parametrize("wrong", [_precision, _overall, _fixed_ten])
def test_per_class_accuracy_catches(wrong):
    assert not check_per_class_accuracy(wrong).passed


@pytest.mark.parametrize("wrong", [
    lambda seconds, n, budget_s: round(budget_s * n / seconds),            # rounds up half the time
    lambda seconds, n, budget_s: budget_s * n / seconds,                   # a float
    lambda seconds, n, budget_s: int(budget_s * 16 / seconds),             # assumes 16 items
    lambda seconds, n, budget_s: math.ceil(budget_s * n / seconds) - 1,    # loses an exact fit
])
def test_samples_in_budget_catches(wrong):
    assert not check_samples_in_budget(wrong).passed
