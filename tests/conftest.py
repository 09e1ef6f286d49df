import os

import pytest
import torch

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from regen_lite.image.data import load_fashion_mnist, to_float  # noqa: E402


@pytest.fixture(scope="session")
def test_images():
    """The shipped 1,000 real Fashion-MNIST test images as float (N, 1, 28, 28) and labels."""
    x, y = load_fashion_mnist("test", "sample")
    return to_float(x), y


@pytest.fixture(scope="session")
def small_batch(test_images):
    return test_images[0][:64], test_images[1][:64]


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)
