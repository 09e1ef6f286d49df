"""matplotlib figures for the notebooks: each function draws into an Axes (made if not given) and
returns the Figure, so a notebook cell shows it and a test can inspect it. Nothing here trains or
samples; pass in tensors you already have.

    show_images     a grid of images (B, 1, H, W) or (B, H, W) in [0, 1], with optional captions
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure


def _axes(ax: Axes | None, figsize=(6, 4)) -> tuple[Figure, Axes]:
    if ax is None:
        fig, ax = plt.subplots(figsize=figsize)
        return fig, ax
    return ax.figure, ax


def image_grid(images, nrow: int | None = None, pad: int = 2, pad_value: float = 0.5) -> np.ndarray:
    """(B, 1, H, W) or (B, H, W) images in [0, 1] -> one (rows*(H+pad)+pad, nrow*(W+pad)+pad) array."""
    x = torch.as_tensor(images).detach().cpu().float()
    if x.ndim == 4:
        x = x[:, 0]
    b, h, w = x.shape
    nrow = nrow or int(np.ceil(np.sqrt(b)))
    rows = int(np.ceil(b / nrow))
    grid = np.full((rows * (h + pad) + pad, nrow * (w + pad) + pad), pad_value, dtype=np.float32)
    for i in range(b):
        r, c = divmod(i, nrow)
        grid[pad + r * (h + pad): pad + r * (h + pad) + h, pad + c * (w + pad): pad + c * (w + pad) + w] = \
            x[i].clamp(0, 1).numpy()
    return grid


def show_images(images, nrow: int | None = None, title: str | None = None, ax: Axes | None = None,
                captions: list[str] | None = None, size: float = 1.0) -> Figure:
    """Draw a batch of images as a grid. With `captions` (one per image), draw one row of panels instead."""
    x = torch.as_tensor(images).detach().cpu().float()
    if captions is not None:
        fig, axes = plt.subplots(1, len(x), figsize=(size * 1.4 * len(x), size * 1.7), squeeze=False)
        for a, img, cap in zip(axes[0], x, captions):
            a.imshow(img.reshape(img.shape[-2:]).clamp(0, 1), cmap="gray", vmin=0, vmax=1)
            a.set_title(cap, fontsize=9)
            a.axis("off")
        if title:
            fig.suptitle(title)
        return fig
    grid = image_grid(x, nrow)
    fig, ax = _axes(ax, figsize=(size * grid.shape[1] / 30, size * grid.shape[0] / 30))
    ax.imshow(grid, cmap="gray", vmin=0, vmax=1)
    ax.axis("off")
    if title:
        ax.set_title(title)
    return fig
