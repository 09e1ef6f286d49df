import math

import pytest
import torch

from regen_lite.image import metrics
from regen_lite.image.networks import Classifier
from regen_lite.registry import get_extractor


def test_psnr_matches_its_definition(small_batch):
    y = small_batch[0][:8]
    noisy = (y + 0.05 * torch.randn_like(y)).clamp(0, 1)
    per_image = [10 * math.log10(1 / (noisy[i] - y[i]).pow(2).mean().item()) for i in range(8)]
    assert metrics.psnr(noisy, y) == pytest.approx(sum(per_image) / 8, rel=1e-4)


def test_ssim_is_one_for_identical_images(small_batch):
    y = small_batch[0][:8]
    assert metrics.ssim(y, y) == pytest.approx(1.0, abs=1e-4)
    assert metrics.ssim(torch.rand_like(y), y) < 0.2


def test_codebook_usage_and_perplexity():
    idx = torch.arange(8).repeat(10)
    u = metrics.codebook_usage(idx, 16)
    assert u["usage"] == 0.5 and u["perplexity"] == pytest.approx(8.0)
    assert metrics.codebook_usage(torch.zeros(50, dtype=torch.long), 4)["perplexity"] == pytest.approx(1.0)


def test_frechet_distance_small_for_same_distribution_large_for_noise(test_images):
    torch.manual_seed(0)
    clf = Classifier().eval()   # random features still give a valid metric space
    y = test_images[0]
    same = metrics.frechet_distance(clf, y[:500], y[500:])
    noise = metrics.frechet_distance(clf, y[:500], torch.rand(500, 1, 28, 28))
    assert 0 <= same < noise / 10


def test_reconstruction_metrics_of_an_explicit_extractor(test_images):
    y = test_images[0][:200]
    m4 = metrics.reconstruction_metrics(get_extractor("downsample_x4"), y)
    m2 = metrics.reconstruction_metrics(get_extractor("downsample_x2"), y)
    assert 10 < m4["psnr"] < m2["psnr"] and 0 < m4["ssim"] < m2["ssim"] <= 1
    assert metrics.bits_per_image(get_extractor("identity")) == 784 * 8
