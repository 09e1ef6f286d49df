import gzip
import shutil

import numpy as np
import pytest
import torch

from regen_lite.image import data
from regen_lite.image.data import find_fashion_mnist_dir, load_digits_images, load_fashion_mnist, read_idx
from regen_lite.paths import DataError


def test_sample_subset_is_stratified_real_fashion_mnist():
    x, y = load_fashion_mnist("train", "sample")
    assert x.shape == (5000, 28, 28) and x.dtype == torch.uint8
    assert torch.bincount(y, minlength=10).tolist() == [500] * 10
    xt, yt = load_fashion_mnist("test", "sample")
    assert xt.shape == (1000, 28, 28) and torch.bincount(yt, minlength=10).tolist() == [100] * 10
    # real images: dark background, a bright object in the middle
    assert x[:, 0, 0].float().mean() < 5 and x[:, 10:18, 10:18].float().mean() > 60


@pytest.mark.skipif(find_fashion_mnist_dir() is None, reason="full Fashion-MNIST not installed")
def test_full_set_and_sample_rows_match_the_original():
    x, y = load_fashion_mnist("train", "full")
    assert x.shape == (60000, 28, 28) and len(y) == 60000
    xt, _ = load_fashion_mnist("test", "full")
    assert xt.shape == (10000, 28, 28)
    with np.load(data.samples_dir() / data.SAMPLE_FILE) as z:
        idx = z["train_source_index"]
        assert np.array_equal(z["train_images"], x.numpy()[idx])
        assert np.array_equal(z["train_labels"], y.numpy()[idx])


def test_missing_full_set_names_all_three_ways(tmp_path, monkeypatch):
    monkeypatch.setenv("REGEN_LITE_DATA", str(tmp_path))
    monkeypatch.setattr(data, "DEBIAN_DIR", tmp_path / "nope")
    with pytest.raises(DataError) as e:
        load_fashion_mnist("train", "full")
    msg = str(e.value)
    assert "REGEN_LITE_DATA" in msg and "apt-get install dataset-fashion-mnist" in msg and "regen-lite data download" in msg


def _write_idx(path, arr, magic=None):
    header = bytes([0, 0, 8, arr.ndim]) if magic is None else magic
    header += b"".join(int(d).to_bytes(4, "big") for d in arr.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + arr.astype(np.uint8).tobytes())


def test_idx_reader_round_trip(tmp_path):
    arr = np.random.default_rng(0).integers(0, 256, (5, 28, 28))
    _write_idx(tmp_path / "a.gz", arr)
    assert np.array_equal(read_idx(tmp_path / "a.gz"), arr)


def test_bad_magic_number(tmp_path):
    _write_idx(tmp_path / "a.gz", np.zeros((3, 28, 28)), magic=bytes([0x1F, 0x8B, 8, 3]))
    with pytest.raises(DataError, match="magic number"):
        read_idx(tmp_path / "a.gz")


def test_truncated_gzip(tmp_path):
    _write_idx(tmp_path / "a.gz", np.zeros((50, 28, 28)))
    raw = (tmp_path / "a.gz").read_bytes()
    (tmp_path / "b.gz").write_bytes(raw[: len(raw) // 2])
    with pytest.raises(DataError, match="truncated or corrupt"):
        read_idx(tmp_path / "b.gz")


def test_short_body(tmp_path):
    arr = np.zeros((4, 28, 28), dtype=np.uint8)
    header = bytes([0, 0, 8, 3]) + b"".join(int(d).to_bytes(4, "big") for d in (5, 28, 28))  # promises 5 images
    with gzip.open(tmp_path / "a.gz", "wb") as f:
        f.write(header + arr.tobytes())
    with pytest.raises(DataError, match="promises"):
        read_idx(tmp_path / "a.gz")


def test_label_image_count_mismatch(tmp_path):
    _write_idx(tmp_path / "train-images-idx3-ubyte.gz", np.zeros((6, 28, 28)))
    _write_idx(tmp_path / "train-labels-idx1-ubyte.gz", np.zeros((5,)))
    with pytest.raises(DataError, match="6 images but .* 5 labels"):
        data.read_idx_pair(tmp_path, "train")


def test_corrupt_folder_via_env(tmp_path, monkeypatch):
    """A REGEN_LITE_DATA folder whose files are all present but one is garbage gives a clear error."""
    src = find_fashion_mnist_dir()
    if src is None:
        pytest.skip("full Fashion-MNIST not installed")
    for pair in data.IDX_FILES.values():
        for n in pair:
            shutil.copy(src / n, tmp_path / n)
    (tmp_path / "t10k-labels-idx1-ubyte.gz").write_bytes(b"this is not gzip")
    monkeypatch.setenv("REGEN_LITE_DATA", str(tmp_path))
    with pytest.raises(DataError, match="t10k-labels"):
        load_fashion_mnist("test", "full")


def test_sklearn_digits():
    x, y = load_digits_images()
    assert x.shape == (1797, 1, 8, 8) and 0 <= x.min() and x.max() <= 1 and set(y.tolist()) == set(range(10))
