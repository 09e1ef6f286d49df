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


def show_channels(z, label: str | None = None, axes=None, size: float = 1.0, limit: float | None = None) -> Figure:
    """Draw the C channels of one latent map z (C, H, W) side by side on one symmetric colour scale
    (blue < 0 < red, white = 0), each titled with its index and std. `label` names the row;
    `axes`: C Axes to draw into (default: a new one-row figure)."""
    z = torch.as_tensor(z).detach().cpu().float()
    limit = limit or max(float(z.abs().max()), 1e-6)
    if axes is None:
        fig, axes = plt.subplots(1, len(z), figsize=(size * 1.3 * len(z) + 0.6, size * 1.6), squeeze=False)
        axes = axes[0]
    axes = list(axes)
    fig = axes[0].figure
    for c, (a, ch) in enumerate(zip(axes, z)):
        im = a.imshow(ch.numpy(), cmap="RdBu_r", vmin=-limit, vmax=limit)
        a.set_title(f"ch {c} (std {ch.std().item():.2f})", fontsize=8)
        a.set_xticks([])
        a.set_yticks([])
    fig.colorbar(im, ax=axes, shrink=0.8, pad=0.02)
    if label:
        axes[0].set_ylabel(label, fontsize=9)
    return fig


def show_code_map(codes, num_codes: int | None = None, ax: Axes | None = None, title: str | None = None,
                  annotate: bool = True, size: float = 2.2) -> Figure:
    """Draw a map of integer codes (H, W): one colour per code index, and the index written in each cell."""
    c = torch.as_tensor(codes).detach().cpu().long()
    k = num_codes or int(c.max()) + 1
    fig, ax = _axes(ax, figsize=(size, size))
    cmap = plt.get_cmap("nipy_spectral")
    ax.imshow(c.numpy(), cmap=cmap, vmin=0, vmax=max(k - 1, 1))
    if annotate:
        for (i, j), v in np.ndenumerate(c.numpy()):
            r, g, b, _ = cmap(v / max(k - 1, 1))
            ax.text(j, i, str(v), ha="center", va="center", fontsize=6,
                    color="black" if 0.3 * r + 0.6 * g + 0.1 * b > 0.5 else "white")
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title, fontsize=9)
    return fig


def show_y_prime(y_prime, layout: str, ax: Axes | None = None, title: str | None = None,
                 num_codes: int | None = None, size: float = 1.6) -> Figure:
    """Draw ONE Y' in a single Axes, whatever its kind (`layout` is the extractor's `layout` attribute):
    "image" (1, h, w) in grey, "codes" (h, w) as a code map, "channels"/"frequencies" (C, h, w) as the
    channels tiled side by side (two rows when C >= 4) on one symmetric colour scale (blue < 0 < red)."""
    z = torch.as_tensor(y_prime).detach().cpu()
    fig, ax = _axes(ax, figsize=(size, size))
    if layout == "codes":
        show_code_map(z.reshape(z.shape[-2:]), num_codes=num_codes, ax=ax, annotate=False)
    elif layout == "image":
        ax.imshow(z.float().reshape(z.shape[-2:]).clamp(0, 1), cmap="gray", vmin=0, vmax=1)
    else:
        z = z.float().reshape(-1, *z.shape[-2:])                   # (C, h, w)
        cols = int(np.ceil(len(z) / 2)) if len(z) >= 4 else len(z)
        tiles = list(z) + [torch.full_like(z[0], float("nan"))] * (-len(z) % cols)
        rows = [torch.cat(tiles[r:r + cols], dim=1) for r in range(0, len(tiles), cols)]
        limit = max(float(z.abs().max()), 1e-6)
        ax.imshow(torch.cat(rows, dim=0), cmap="RdBu_r", vmin=-limit, vmax=limit)
        for k in range(1, cols):                                    # thin lines between the channels
            ax.axvline(k * z.shape[-1] - 0.5, color="k", lw=0.5)
        for k in range(1, len(rows)):
            ax.axhline(k * z.shape[-2] - 0.5, color="k", lw=0.5)
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title, fontsize=9)
    return fig
