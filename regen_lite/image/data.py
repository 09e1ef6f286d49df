"""Datasets: a shipped real subset of Fashion-MNIST, the full set when present, and sklearn digits.

Images everywhere in the kit are float tensors in [0, 1] with shape (N, 1, H, W); labels are
int64 tensors of shape (N,). The raw loaders return uint8 so callers choose when to convert.

Where the full Fashion-MNIST comes from, in order:
  1. the folder named by the REGEN_LITE_DATA environment variable,
  2. /usr/share/datasets/fashion-mnist (Debian: `apt-get install dataset-fashion-mnist`),
  3. nowhere else: no loader downloads. `regen-lite data download` (torchvision's downloader) fetches
     the files only when a user types it, and says where to point REGEN_LITE_DATA.
Each folder holds the four standard IDX files (`train-images-idx3-ubyte.gz`, ...).
"""

from __future__ import annotations

import gzip
import hashlib
import os
from pathlib import Path

import numpy as np
import torch

from ..paths import DataError, samples_dir

FASHION_CLASSES = [
    "t-shirt/top", "trouser", "pullover", "dress", "coat",
    "sandal", "shirt", "sneaker", "bag", "ankle boot",
]
# short, URL- and CLI-friendly names ("--class sneaker")
CLASS_SLUGS = ["tshirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "boot"]

IDX_FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}
DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")
SAMPLE_FILE = "fashion_mnist_subset.npz"




# ---------------------------------------------------------------------------------------
# IDX reading (the format of MNIST / Fashion-MNIST): big-endian header, then raw uint8
# ---------------------------------------------------------------------------------------

def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read one IDX file (gzipped or not) into a uint8 array, checking every header field.

    Header: 2 zero bytes, a type byte (0x08 = uint8), a byte giving the number of dimensions,
    then one big-endian int32 per dimension. Images are (N, 28, 28), labels (N,).
    """
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path}: file not found")
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError, gzip.BadGzipFile) as e:  # truncated or not gzip at all
        raise DataError(f"{path}: cannot decompress ({e}); the file is truncated or corrupt - download it again") from e
    if len(raw) < 4:
        raise DataError(f"{path}: only {len(raw)} bytes, too short for an IDX header")
    zero, dtype_code, ndim = int.from_bytes(raw[:2], "big"), raw[2], raw[3]
    if zero != 0 or dtype_code != 0x08 or ndim not in (1, 3):
        raise DataError(
            f"{path}: bad IDX magic number 0x{raw[:4].hex()} (expected 0x00000801 for labels or 0x00000803 "
            "for images); this is not a Fashion-MNIST IDX file"
        )
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DataError(f"{path}: header truncated")
    dims = [int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    expected = int(np.prod(dims))
    body = len(raw) - header
    if body != expected:
        raise DataError(f"{path}: header promises {dims} = {expected} bytes of data but the file holds {body}; "
                        "it is truncated or corrupt")
    return np.frombuffer(bytearray(raw), dtype=np.uint8, offset=header).reshape(dims)  # writable copy


def read_idx_pair(folder: Path, split: str) -> tuple[np.ndarray, np.ndarray]:
    img_name, lab_name = IDX_FILES[split]
    images, labels = read_idx(folder / img_name), read_idx(folder / lab_name)
    if images.ndim != 3 or labels.ndim != 1:
        raise DataError(f"{folder}: {img_name} must hold images (N, H, W) and {lab_name} labels (N,)")
    if len(images) != len(labels):
        raise DataError(f"{folder}: {img_name} has {len(images)} images but {lab_name} has {len(labels)} labels")
    if labels.max(initial=0) > 9:
        raise DataError(f"{folder}/{lab_name}: label {labels.max()} is out of range 0..9")
    return images, labels


def find_fashion_mnist_dir() -> Path | None:
    """The first folder holding all four IDX files: $REGEN_LITE_DATA, then Debian's folder."""
    candidates = []
    if os.environ.get("REGEN_LITE_DATA"):
        candidates.append(Path(os.environ["REGEN_LITE_DATA"]))
    candidates.append(DEBIAN_DIR)
    for c in candidates:
        if all((c / n).exists() for pair in IDX_FILES.values() for n in pair):
            return c
    return None


def _missing_full_set_message() -> str:
    return (
        "The full Fashion-MNIST set was not found. Get it in one of three ways:\n"
        "  1. point REGEN_LITE_DATA at a folder holding the four IDX .gz files "
        "(train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz);\n"
        "  2. on Debian/Ubuntu: sudo apt-get install dataset-fashion-mnist "
        f"(installs them in {DEBIAN_DIR});\n"
        "  3. on a connected machine: `regen-lite data download` (uses torchvision's downloader).\n"
        "Or use the shipped subset: data='sample'."
    )


def download_fashion_mnist(root: str | os.PathLike) -> Path:
    """Fetch the IDX files with torchvision (needs internet): only `regen-lite data download` calls it."""
    from torchvision.datasets import FashionMNIST

    root = Path(root)
    for train in (True, False):
        FashionMNIST(str(root), train=train, download=True)
    return root / "FashionMNIST" / "raw"


# ---------------------------------------------------------------------------------------
# Public loaders
# ---------------------------------------------------------------------------------------

def load_fashion_mnist(split: str = "train", source: str = "sample", *,
                       folder: str | os.PathLike | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Fashion-MNIST as (images uint8 (N, 28, 28), labels int64 (N,)).

    source: "sample" = the shipped stratified subset (500 per class train, 100 per class test);
            "full"   = all 60k / 10k images from a local folder (see module docstring).
    """
    if split not in IDX_FILES:
        raise ValueError(f"split must be 'train' or 'test', not {split!r}")
    if source == "sample":
        path = samples_dir() / SAMPLE_FILE
        if not path.exists():
            raise DataError(f"{path}: the shipped Fashion-MNIST subset is missing; restore data_samples/ from the repository")
        try:
            with np.load(path) as z:
                x, y = z[f"{split}_images"], z[f"{split}_labels"]
        except (OSError, ValueError, KeyError) as e:
            raise DataError(f"{path}: cannot read the shipped subset ({e})") from e
    elif source == "full":
        root = Path(folder) if folder else find_fashion_mnist_dir()
        if root is None:
            raise DataError(_missing_full_set_message())
        x, y = read_idx_pair(root, split)
    else:
        raise ValueError(f"source must be 'sample' or 'full', not {source!r}")
    return torch.from_numpy(np.ascontiguousarray(x)), torch.from_numpy(y.astype(np.int64))


def to_float(images: torch.Tensor) -> torch.Tensor:
    """uint8 (N, H, W) -> float32 (N, 1, H, W) in [0, 1]."""
    return images.unsqueeze(1).float().div_(255.0)


def image_dataset(split: str = "train", source: str = "sample") -> torch.utils.data.TensorDataset:
    """A TensorDataset of (float image (1, 28, 28) in [0, 1], label)."""
    x, y = load_fashion_mnist(split, source)
    return torch.utils.data.TensorDataset(to_float(x), y)


def load_digits_images() -> tuple[torch.Tensor, torch.Tensor]:
    """scikit-learn's handwritten digits (1,797 real 8x8 images) as (float (N, 1, 8, 8) in [0, 1], labels)."""
    from sklearn.datasets import load_digits

    d = load_digits()
    x = torch.tensor(d.images, dtype=torch.float32).unsqueeze(1) / 16.0  # pixel values are 0..16
    return x, torch.tensor(d.target, dtype=torch.int64)


def data_hash(images: torch.Tensor, labels: torch.Tensor) -> str:
    """A short SHA-256 of the data a model was trained on, recorded beside its weights."""
    h = hashlib.sha256(images.numpy().tobytes())
    h.update(labels.numpy().tobytes())
    return h.hexdigest()[:16]


def make_sample_subset(out: str | os.PathLike, per_class_train: int = 500, per_class_test: int = 100,
                       seed: int = 0) -> Path:
    """Write the shipped stratified subset from the full set (the command in data_samples/README.md)."""
    rng = np.random.default_rng(seed)
    arrays = {}
    root = find_fashion_mnist_dir()
    if root is None:
        raise DataError(_missing_full_set_message())
    for split, per_class in (("train", per_class_train), ("test", per_class_test)):
        x, y = read_idx_pair(root, split)
        idx = np.concatenate([rng.choice(np.flatnonzero(y == c), per_class, replace=False) for c in range(10)])
        idx.sort()
        arrays[f"{split}_images"], arrays[f"{split}_labels"] = x[idx], y[idx]
        arrays[f"{split}_source_index"] = idx.astype(np.int32)  # row in the original IDX file
    out = Path(out)
    np.savez_compressed(out, **arrays)
    return out
