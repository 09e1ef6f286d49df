"""Every registered extractor round-trips Y -> Y' -> Y with the promised shapes; explicit ones are exact where they should be."""

import numpy as np
import pytest
import scipy.fft
import torch

from regen_lite.checkpoints import pretrained_path
from regen_lite.core import Extractor, Regenerator, Sizes
from regen_lite.image.extractors import DCTLowpass, Downsample, dct_matrix
from regen_lite.registry import MODALITIES, get_extractor, list_extractors

IMAGE_EXTRACTORS = list_extractors("image")
LEARNED = ("ae", "vae", "vqvae", "fsq", "rvq", "diffae")
SHIPPED = [n for n in IMAGE_EXTRACTORS if n in LEARNED]


def _available(name):
    return name not in SHIPPED or pretrained_path(name).with_suffix(".safetensors").exists()


def test_registry_lists_explicit_then_learned():
    assert IMAGE_EXTRACTORS[:4] == ["identity", "downsample_x2", "downsample_x4", "dct_lowpass"]
    assert set(SHIPPED) == set(LEARNED)
    with pytest.raises(KeyError, match="unknown extractor 'nope'"):
        get_extractor("nope")


def test_the_base_extractor_knows_no_modality():
    """No image defaults on the base: sizes() is each modality's, and describe() is built on it."""
    assert not any(hasattr(Extractor, a) for a in ("input_shape", "input_bits_per_value", "code_shape", "modality"))

    class Half(Extractor):                         # a made-up modality: Y is 10 bytes, Y' the first 5
        name, modality, layout = "half", "bytes", "sequence"

        def extract(self, y):
            return y[:5]

    with pytest.raises(NotImplementedError, match="Half must implement sizes"):
        Half().describe()
    Half.sizes = lambda self: Sizes([5], 5, 40, 10, 80, extra={"per": "one record"})
    d = Half().describe()
    assert d["dim_ratio"] == 2 and d["compression"] == 2 and d["per"] == "one record"
    assert list(d)[-1] == "notes" and d["modality"] == "bytes"


@pytest.mark.parametrize("where", [f"{m}/{n}" for m in MODALITIES for n in list_extractors(m)])
def test_every_extractor_describes_itself_from_its_sizes(where):
    modality, name = where.split("/")
    if modality == "image" and not _available(name):
        pytest.fail(f"shipped weights for {name} are missing from data_samples/weights")
    e = get_extractor(name, modality)
    s, d = e.sizes(), e.describe()
    assert d["modality"] == modality and d["numel"] == s.numel and d["bits"] == s.bits
    assert d["compression"] == pytest.approx(s.y_bits / s.bits) and d["dim_ratio"] == pytest.approx(s.y_numel / s.numel)


@pytest.mark.parametrize("name", IMAGE_EXTRACTORS)
def test_round_trip_shape_and_dtype(name, small_batch):
    if not _available(name):
        pytest.fail(f"shipped weights for {name} are missing from data_samples/weights")
    y = small_batch[0]
    e = get_extractor(name)
    y_prime = e.extract(y)
    d = e.describe()
    assert list(y_prime.shape[1:]) == d["shape"] and y_prime.shape[0] == len(y)
    assert y_prime.dtype == (torch.int64 if e.discrete else torch.float32)
    y_hat = e.render(y_prime, generator=torch.Generator().manual_seed(0))   # diffae's renderer draws noise
    assert y_hat.shape == y.shape and y_hat.dtype == torch.float32
    assert 0 <= y_hat.min() and y_hat.max() <= 1
    assert d["compression"] == pytest.approx(784 * 8 / d["bits"])
    # the Regenerator's oracle path is exactly extract then render
    yp2, yh2 = Regenerator(e).reconstruct(y, generator=torch.Generator().manual_seed(0))
    assert torch.equal(yp2, y_prime) and torch.allclose(yh2, y_hat)


def test_identity_is_lossless(small_batch):
    y = small_batch[0]
    _, y_hat = Regenerator(get_extractor("identity")).reconstruct(y)
    assert torch.equal(y_hat, y)
    assert get_extractor("identity").describe()["compression"] == 1.0


def test_dct_matrix_is_orthonormal_and_matches_scipy(small_batch):
    D = dct_matrix(28)
    assert torch.allclose(D @ D.T, torch.eye(28, dtype=D.dtype), atol=1e-12)
    y = small_batch[0][:4].double()
    ours = D @ y @ D.T
    ref = scipy.fft.dctn(y.numpy(), type=2, norm="ortho", axes=(-2, -1))
    np.testing.assert_allclose(ours.numpy(), ref, atol=1e-10)


def test_dct_round_trip_is_exact_with_all_coefficients(small_batch):
    y = small_batch[0]
    e = DCTLowpass(k=28)
    assert torch.allclose(e.render(e.extract(y)), y, atol=1e-5)


def test_dct_error_falls_as_k_grows(small_batch):
    y = small_batch[0]
    errs = [(DCTLowpass(k=k).render(DCTLowpass(k=k).extract(y)) - y).pow(2).mean().item() for k in (4, 7, 14, 28)]
    assert errs == sorted(errs, reverse=True) and errs[-1] < 1e-10


def test_downsample_is_block_mean_and_keeps_the_mean(small_batch):
    y = small_batch[0]
    e = Downsample(4)
    yp = e.extract(y)
    assert yp.shape == (len(y), 1, 7, 7)
    assert torch.allclose(yp[:, 0, 2, 3], y[:, 0, 8:12, 12:16].mean((-1, -2)))
    assert torch.allclose(yp.mean((1, 2, 3)), y.mean((1, 2, 3)), atol=1e-6)
    with pytest.raises(ValueError, match="divide"):
        Downsample(5)
