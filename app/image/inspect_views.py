"""The app's logic without the UI: plain functions that app/image/inspect.py calls.

    load_extractors     build every registered image extractor; keep the reason for any that fail
    load_samples        a small gallery of shipped Fashion-MNIST test images (two per class)
    prepare_upload      any image file -> Y, a (1, 1, 28, 28) tensor in [0, 1], plus notices
    inspect             Y -> Y' -> Y_hat, with pictures of each and a table of numbers
    draw_y_prime        a picture of Y' that suits it (code map, channels, DCT heat map, ...)

Nothing here builds a model: every Y' comes from `regen_lite.registry.get_extractor(name)`.
"""

from __future__ import annotations

import math
import os
import tempfile
import traceback
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps

from app.pictures import draw_channels, draw_code_map, draw_code_stack, draw_dct, draw_vector
from regen_lite.checkpoints import CheckpointError
from regen_lite.core import Extractor
from regen_lite.image.data import FASHION_CLASSES, load_fashion_mnist, to_float
from regen_lite.image.metrics import psnr, ssim
from regen_lite.registry import extractor_summary, get_extractor, list_extractors

SIZE = 28                    # Fashion-MNIST images are 28 x 28
DISPLAY_SCALE = 10           # show each pixel as a 10 x 10 block (280 x 280 on screen)
MAX_UPLOAD_MB = 20           # larger files are refused before they are decoded
MAX_SIDE = 4096              # larger images are refused: decoding them would cost too much memory


class UploadError(ValueError):
    """An uploaded file cannot be used. The message says why, in words meant for the user."""


# ---------------------------------------------------------------------------------------
# Extractors: build them all once; a missing checkpoint disables one, never the app
# ---------------------------------------------------------------------------------------

@dataclass
class ExtractorSet:
    """The image extractors the app can use, and why the others are unavailable."""

    available: dict[str, Extractor] = field(default_factory=dict)
    unavailable: dict[str, str] = field(default_factory=dict)   # name -> reason
    descriptions: dict[str, dict] = field(default_factory=dict)  # name -> extractor.describe()

    @property
    def names(self) -> list[str]:
        return list(self.available)


def load_extractor(name: str, device: torch.device | str = "cpu") -> Extractor:
    """get_extractor(name), with any learned model moved to `device`."""
    return get_extractor(name).to(device)


def load_extractors(device: torch.device | str = "cpu", modality: str = "image") -> ExtractorSet:
    """Build every registered extractor of `modality`. One that fails is listed with its reason."""
    found = ExtractorSet()
    for name in list_extractors(modality):
        try:
            extractor = load_extractor(name, device)
            found.descriptions[name] = extractor.describe()
        except CheckpointError as e:         # weights not trained yet, or unreadable
            found.unavailable[name] = str(e)
            continue
        except Exception as e:               # any other failure must not take the app down
            traceback.print_exc()
            found.unavailable[name] = f"{type(e).__name__}: {e}"
            continue
        found.available[name] = extractor
    return found


def status_markdown(extractors: ExtractorSet) -> str:
    """A Markdown list: each extractor with its summary, or with the reason it is disabled."""
    here = str(Path.cwd()) + os.sep                     # show paths relative to where the app runs
    lines = ["**Extractors**"]
    for name in extractors.available:
        lines.append(f"- `{name}`: {extractor_summary(name)}")
    for name, reason in extractors.unavailable.items():
        lines.append(f"- `{name}`: **disabled**. {' '.join(reason.replace(here, '').split())}")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------
# Inputs: shipped samples and uploaded files, both turned into Y of shape (1, 1, 28, 28)
# ---------------------------------------------------------------------------------------

def load_samples(per_class: int = 2) -> tuple[np.ndarray, list[str]]:
    """The first `per_class` images of each class in the shipped test subset: (uint8 (N, 28, 28), captions)."""
    images, labels = load_fashion_mnist("test", "sample")
    picked = [i for c in range(len(FASHION_CLASSES)) for i in np.flatnonzero(labels.numpy() == c)[:per_class]]
    captions = [FASHION_CLASSES[int(labels[i])] for i in picked]
    return images[picked].numpy(), captions


def sample_tensor(images: np.ndarray, index: int) -> torch.Tensor:
    """Shipped sample number `index` as Y: float (1, 1, 28, 28) in [0, 1]."""
    if not 0 <= index < len(images):
        raise UploadError(f"sample index {index} is out of range 0..{len(images) - 1}")
    return to_float(torch.from_numpy(images[index : index + 1]))


def open_image(path: str | os.PathLike) -> tuple[Image.Image, list[str]]:
    """Open an uploaded file as a PIL image, refusing files that are too big, not images, or corrupt."""
    notices = []
    name = os.path.basename(str(path))
    try:
        size_mb = os.path.getsize(path) / 2**20   # MB as Gradio's max_file_size counts them
    except OSError as e:
        raise UploadError(f"{name}: cannot read the file ({e.strerror or e})") from e
    if size_mb == 0:                              # said plainly, as the Speech tab says it
        raise UploadError(f"{name} is empty (0 bytes).")
    if size_mb > MAX_UPLOAD_MB:
        raise UploadError(f"{name} is {size_mb:.0f} MB; the largest file the app accepts is {MAX_UPLOAD_MB} MB. "
                          "Shrink the image first: the app only uses 28 x 28 pixels of it.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # we check the size ourselves
            img = Image.open(path)
        width, height = img.size                  # read from the header; nothing is decoded yet
        if max(width, height) > MAX_SIDE:
            raise UploadError(f"{name} is {width} x {height} pixels; the largest the app accepts is "
                              f"{MAX_SIDE} px a side. Shrink it first: the app only uses 28 x 28 pixels of it.")
        if getattr(img, "n_frames", 1) > 1:
            notices.append(f"{name} has {img.n_frames} frames; the first one is used.")
        img.load()                                # decode now, so corrupt data fails here
    except UploadError:
        raise
    except Image.DecompressionBombError as e:
        raise UploadError(f"{name} is far too large to decode safely ({e}).") from e
    except Exception as e:                        # PIL raises many types for broken files
        detail = str(e).replace(str(path), name)  # the server's temp path means nothing to the user
        raise UploadError(f"{name} could not be read as an image: it is not an image file, or it is "
                          f"truncated or corrupt ({type(e).__name__}: {detail}).") from e
    return ImageOps.exif_transpose(img), notices


def to_greyscale(img: Image.Image) -> tuple[np.ndarray, list[str]]:
    """Any PIL image -> float (H, W) in [0, 1]. Transparent parts become white, colour becomes grey."""
    notices = []
    if img.mode in ("I", "I;16", "I;16B", "I;16L", "F"):     # 16/32-bit greyscale: scale by its own range
        arr = np.asarray(img, dtype=np.float64)
        lo, hi = arr.min(), arr.max()
        return (arr - lo) / (hi - lo) if hi > lo else np.zeros_like(arr), notices
    has_alpha = img.mode in ("RGBA", "LA", "PA") or "transparency" in img.info
    if has_alpha:
        rgba = img.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        img = Image.alpha_composite(white, rgba)
        notices.append("The image has transparency; transparent parts were filled with white.")
    if img.mode not in ("L", "1"):
        notices.append(f"The {img.mode} image was converted to greyscale.")
    return np.asarray(img.convert("L"), dtype=np.float64) / 255.0, notices


def background_is_light(grey: np.ndarray) -> bool:
    """Guess the background from the border pixels: Fashion-MNIST's background is black (0)."""
    border = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
    return float(np.median(border)) > 0.5


def fit_to_28(grey: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Pad to a square with black (keeps the aspect ratio), then resize to 28 x 28 by area averaging."""
    notices = []
    h, w = grey.shape
    if h != w:
        side = max(h, w)
        square = np.zeros((side, side))
        top, left = (side - h) // 2, (side - w) // 2
        square[top : top + h, left : left + w] = grey
        grey = square
        notices.append(f"The {w} x {h} image was padded with black to a {side} x {side} square.")
    side = grey.shape[0]
    if side != SIZE:
        resample = Image.Resampling.BOX if side > SIZE else Image.Resampling.BICUBIC
        img = Image.fromarray(np.round(grey * 255).astype(np.uint8)).resize((SIZE, SIZE), resample)
        grey = np.asarray(img, dtype=np.float64) / 255.0
        verb = "downscaled" if side > SIZE else "upscaled"
        notices.append(f"The {side} x {side} image was {verb} to {SIZE} x {SIZE}, the size the extractors expect.")
    return grey, notices


def prepare_upload(path: str | os.PathLike) -> tuple[torch.Tensor, list[str]]:
    """An image file -> Y (1, 1, 28, 28) in [0, 1] like Fashion-MNIST, and notices saying what changed.

    Steps: open (with size limits) -> greyscale (alpha on white) -> invert if the background is
    light (Fashion-MNIST is a light object on black) -> pad to square -> resize to 28 x 28.
    Raises UploadError with a readable message when the file cannot be used.
    """
    img, notices = open_image(path)
    grey, more = to_greyscale(img)
    notices += more
    if background_is_light(grey):
        grey = 1.0 - grey
        notices.append("The background is light, so the image was inverted: Fashion-MNIST shows a light "
                       "object on a black background.")
    grey, more = fit_to_28(grey)
    notices += more
    y = torch.from_numpy(grey).float().clamp(0, 1).view(1, 1, SIZE, SIZE)
    return y, notices


def sketch_to_file(value: dict | None, folder: str | os.PathLike) -> str:
    """A Sketchpad value {"composite": (H, W, 4) uint8, ...} -> a PNG file in `folder`, which then goes
    through prepare_upload like any other image (so the drawing is inverted and downscaled to 28 x 28).
    Raises UploadError for an empty canvas."""
    composite = None if value is None else value.get("composite")
    if composite is None:
        raise UploadError("The sketch is empty: draw a piece of clothing on the canvas first.")
    grey, _ = to_greyscale(Image.fromarray(np.asarray(composite, dtype=np.uint8)))
    if grey.max() - grey.min() < 0.05:
        raise UploadError("The sketch is empty: draw a piece of clothing on the canvas first.")
    with tempfile.NamedTemporaryFile(dir=folder, prefix="sketch-", suffix=".png", delete=False) as f:
        Image.fromarray(np.round(grey * 255).astype(np.uint8)).save(f, format="PNG")
    return f.name


# ---------------------------------------------------------------------------------------
# Pictures
# ---------------------------------------------------------------------------------------

def upscale(image01: np.ndarray | torch.Tensor, size: int = SIZE * DISPLAY_SCALE) -> np.ndarray:
    """A small (h, w) image in [0, 1] (or uint8) -> uint8 (size, size) with sharp square pixels."""
    if isinstance(image01, torch.Tensor):
        image01 = image01.detach().cpu().float().numpy()
    image01 = np.asarray(image01).squeeze()
    if image01.dtype == np.uint8:
        image01 = image01 / 255.0
    h, w = image01.shape
    rows = np.arange(size) * h // size
    cols = np.arange(size) * w // size
    return np.round(image01[rows][:, cols].clip(0, 1) * 255).astype(np.uint8)


def y_prime_style(extractor: Extractor, y_prime: torch.Tensor) -> str:
    """How to draw this Y': "codes", "dct", "image" (a picture, maybe low-res), "vector" or "channels"."""
    return {"frequencies": "dct"}.get(extractor.layout, extractor.layout)


def draw_y_prime(extractor: Extractor, y_prime: torch.Tensor) -> np.ndarray:
    """A picture of one Y' (batch of 1) that suits its kind. Returns an RGB or greyscale uint8 array."""
    one = y_prime[0].detach().cpu()
    style = y_prime_style(extractor, y_prime)
    if style == "codes" and one.dim() == 3:    # residual VQ: (S, h, w), one code map per stage
        return draw_code_stack(one.long().numpy(), int(extractor.model.num_codes))
    if style == "codes":
        return draw_code_map(one.long().numpy(), int(extractor.model.num_codes))
    if style == "vector":
        return draw_vector(one.float().flatten().numpy())
    if style == "dct":
        return draw_dct(one.float().numpy().reshape(one.shape[-2], one.shape[-1]))
    if style == "image":
        return upscale(one[0])
    z = one.float().numpy()
    return draw_channels(z if z.ndim == 3 else z.reshape(1, *z.shape[-2:]))


# ---------------------------------------------------------------------------------------
# Y -> Y' -> Y_hat, and the numbers that describe it
# ---------------------------------------------------------------------------------------

@dataclass
class Inspection:
    """Everything the Inspect view shows for one image and one extractor."""

    y: np.ndarray             # input, upscaled for display
    y_prime: np.ndarray       # a picture of Y'
    y_hat: np.ndarray         # render(extract(y)), upscaled for display
    table: list[list[str]]    # rows of [quantity, value]
    psnr: float
    ssim: float


def format_psnr(value: float) -> str:
    return "inf dB (exact copy)" if math.isinf(value) else f"{value:.2f} dB"


def summary_rows(description: dict, psnr_db: float, ssim_value: float, num_codes: int | None) -> list[list[str]]:
    """The numbers table: size of Y' against the 8-bit 28 x 28 image, and quality of the reconstruction."""
    shape = " x ".join(str(s) for s in description["shape"])
    values = f"discrete codes (K={num_codes})" if description["discrete"] else "continuous (real values)"
    return [
        ["extractor", f"{description['name']} ({description['kind']})"],
        ["shape of Y'", shape],
        ["values", values],
        ["numbers in Y'", f"{description['numel']} (Y has {SIZE * SIZE})"],
        ["bits", f"{description['bits']:g}"],
        ["compression vs 8-bit Y", f"{description['compression']:.2f}x"],
        ["PSNR", format_psnr(psnr_db)],
        ["SSIM", f"{ssim_value:.3f}"],
    ]


@torch.no_grad()
def inspect(extractor: Extractor, y: torch.Tensor, description: dict | None = None) -> Inspection:
    """Y -> Y' = extract(Y) -> Y_hat = render(Y'), with pictures of all three and the numbers table."""
    y_prime = extractor.extract(y)
    # a fixed seed: a stochastic renderer (diffae's DDIM decoder) then draws the same details on every visit
    y_hat = extractor.render(y_prime, generator=torch.Generator().manual_seed(0)).detach().cpu().float().clamp(0, 1)
    psnr_db, ssim_value = psnr(y_hat, y), ssim(y_hat, y)
    num_codes = int(extractor.model.num_codes) if extractor.discrete else None
    table = summary_rows(description or extractor.describe(), psnr_db, ssim_value, num_codes)
    return Inspection(upscale(y[0, 0]), draw_y_prime(extractor, y_prime), upscale(y_hat[0, 0]),
                      table, psnr_db, ssim_value)


def compare_all(extractors: ExtractorSet, y: torch.Tensor) -> tuple[list[tuple[np.ndarray, str]], list[list[str]]]:
    """Every available extractor on the same Y. Returns gallery items (Y' picture, then its rendering, for
    each extractor in registry order) and one table row per extractor."""
    items, rows = [], []
    for name, extractor in extractors.available.items():
        d = extractors.descriptions[name]
        r = inspect(extractor, y, d)
        items += [(r.y_prime, f"{name}: Y'"), (r.y_hat, f"{name}: render(Y')")]
        rows.append([name, " x ".join(str(s) for s in d["shape"]), f"{d['bits']:g}", f"{d['compression']:.2f}x",
                     format_psnr(r.psnr), f"{r.ssim:.3f}"])
    return items, rows


COMPARE_HEADERS = ["extractor", "shape of Y'", "bits", "compression", "PSNR", "SSIM"]
