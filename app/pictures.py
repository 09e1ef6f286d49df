"""Pictures of Y' for the app, drawn with numpy + PIL so that one costs a few milliseconds.

    draw_code_map    discrete Y' (h, w): a coloured grid with each cell's code index and a codebook legend
    draw_channels    continuous Y' (C, h, w): one greyscale panel per channel on a shared scale
    draw_dct         DCT coefficients (k, k): |coefficient| as a log-scale heat map
    draw_code_stack  residual-VQ Y' (S, h, w): one code map per stage, side by side
    draw_vector      a real vector Y' (D,): one bar per number (the diffusion autoencoder's z)

matplotlib draws the same figures more prettily (regen_lite's notebooks use it), but a figure with
a colour bar costs 100-150 ms to lay out, which alone would break the app's 150 ms inspect target.
Here each picture is a colour lookup table applied to an upscaled array, plus a few text labels.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from matplotlib import colormaps
from PIL import Image, ImageDraw, ImageFont

BACKGROUND = (255, 255, 255)
INK = (30, 30, 30)


@lru_cache(maxsize=None)
def lut(name: str) -> np.ndarray:
    """A matplotlib colour map as a (256, 3) uint8 lookup table."""
    return np.round(colormaps[name](np.linspace(0, 1, 256))[:, :3] * 255).astype(np.uint8)


@lru_cache(maxsize=None)
def font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.load_default(size=size)   # Pillow's bundled font: nothing to install or download


def colourise(values01: np.ndarray, cmap: str, cell: int) -> np.ndarray:
    """(h, w) values in [0, 1] -> (h*cell, w*cell, 3) uint8, each value a cell x cell block of colour."""
    index = np.round(np.clip(values01, 0, 1) * 255).astype(np.intp)
    return np.repeat(np.repeat(lut(cmap)[index], cell, axis=0), cell, axis=1)


def ink_on(rgb) -> tuple[int, int, int]:
    """Black or white, whichever reads better on the colour `rgb`."""
    r, g, b = (int(v) for v in rgb)
    return (0, 0, 0) if 0.299 * r + 0.587 * g + 0.114 * b > 128 else (255, 255, 255)


def colour_bar(draw: ImageDraw.ImageDraw, canvas: Image.Image, box: tuple[int, int, int, int], cmap: str,
               labels: list[tuple[float, str]], title: str) -> None:
    """A vertical colour bar in `box` (left, top, right, bottom), low values at the bottom, with tick
    labels at fractions of its height and a title above it."""
    left, top, right, bottom = box
    ramp = np.linspace(1, 0, bottom - top)[:, None].repeat(right - left, axis=1)
    canvas.paste(Image.fromarray(colourise(ramp, cmap, 1)), (left, top))
    draw.rectangle(box, outline=INK)
    for fraction, text in labels:
        y = bottom - fraction * (bottom - top)
        draw.line([(right, y), (right + 4, y)], fill=INK)
        draw.text((right + 6, y), text, fill=INK, font=font(11), anchor="lm")
    draw.text((left, top - 6), title, fill=INK, font=font(11), anchor="ls")


def caption(draw: ImageDraw.ImageDraw, width: int, y: int, text: str) -> None:
    draw.text((width // 2, y), text, fill=INK, font=font(13), anchor="mm")


def draw_code_map(codes: np.ndarray, num_codes: int, side: int = 280) -> np.ndarray:
    """A discrete Y' (h, w) of code indices in [0, K) as a coloured grid, each cell labelled with its
    index, and a legend mapping colour to code index. Returns RGB uint8."""
    h, w = codes.shape
    cell = max(side // max(h, w), 8)
    grid = colourise(codes / max(num_codes - 1, 1), "turbo", cell)                 # (h*cell, w*cell, 3)
    canvas = Image.new("RGB", (w * cell + 110, h * cell + 50), BACKGROUND)
    canvas.paste(Image.fromarray(grid), (10, 20))
    draw = ImageDraw.Draw(canvas)
    if cell >= 18:                                                                 # room for the numbers
        size = 12 if cell >= 28 else 9
        for (r, c), k in np.ndenumerate(codes):
            centre = (10 + c * cell + cell // 2, 20 + r * cell + cell // 2)
            draw.text(centre, str(int(k)), fill=ink_on(grid[r * cell, c * cell]), font=font(size), anchor="mm")
    bar = (w * cell + 30, 20, w * cell + 48, 20 + h * cell)
    colour_bar(draw, canvas, bar, "turbo", [(0, "0"), (0.5, str((num_codes - 1) // 2)), (1, str(num_codes - 1))],
               "code")
    caption(draw, canvas.width, h * cell + 35, f"Y': {h}x{w} code indices (K={num_codes})")
    return np.asarray(canvas)


def draw_code_stack(codes: np.ndarray, num_codes: int, side: int = 196) -> np.ndarray:
    """A residual-VQ Y' (S, h, w): the S stages' code maps side by side, each titled with its stage."""
    panels = [draw_code_map(c, num_codes, side) for c in codes]
    height = max(p.shape[0] for p in panels) + 20
    canvas = Image.new("RGB", (sum(p.shape[1] for p in panels), height), BACKGROUND)
    draw, left = ImageDraw.Draw(canvas), 0
    for s, p in enumerate(panels):
        canvas.paste(Image.fromarray(p), (left, 20))
        draw.text((left + 10, 12), f"stage {s + 1}" + (" (coarse)" if s == 0 else " (residual)"), fill=INK,
                  font=font(12), anchor="lm")
        left += p.shape[1]
    return np.asarray(canvas)


def draw_vector(z: np.ndarray, bar: int = 18, height: int = 160) -> np.ndarray:
    """A real vector Y' (D,) as D bars up or down from zero, on the scale [-max|z|, +max|z|]."""
    bound = float(np.abs(z).max()) or 1.0
    width = len(z) * bar + 80
    canvas = Image.new("RGB", (width, height + 60), BACKGROUND)
    draw = ImageDraw.Draw(canvas)
    zero = 20 + height // 2
    draw.line([(40, zero), (40 + len(z) * bar, zero)], fill=INK)
    for i, v in enumerate(z):
        top = zero - v / bound * (height // 2)
        draw.rectangle([40 + i * bar + 2, min(top, zero), 40 + (i + 1) * bar - 2, max(top, zero)],
                       fill=tuple(lut("coolwarm")[int(round((v / bound + 1) / 2 * 255))]))
        draw.text((40 + i * bar + bar // 2, 20 + height + 10), str(i), fill=INK, font=font(9), anchor="mm")
    draw.text((36, 20), f"{bound:+.2g}", fill=INK, font=font(10), anchor="rm")
    draw.text((36, 20 + height), f"{-bound:+.2g}", fill=INK, font=font(10), anchor="rm")
    caption(draw, width, height + 45, f"Y': a vector of {len(z)} real numbers")
    return np.asarray(canvas)


def draw_channels(z: np.ndarray, panel: int = 112) -> np.ndarray:
    """A continuous Y' (C, h, w) as a row of greyscale panels, one per channel, all on one scale
    [-max|z|, +max|z|] so that channels can be compared. Returns RGB uint8."""
    channels, h, w = z.shape
    bound = float(np.abs(z).max()) or 1.0
    cell = max(panel // max(h, w), 1)
    gap = 8
    width = channels * (w * cell + gap) + 90
    canvas = Image.new("RGB", (width, h * cell + 70), BACKGROUND)
    draw = ImageDraw.Draw(canvas)
    for c in range(channels):
        left = 10 + c * (w * cell + gap)
        canvas.paste(Image.fromarray(colourise((z[c] / bound + 1) / 2, "gray", cell)), (left, 20))
        draw.text((left + w * cell // 2, 20 + h * cell + 12), f"channel {c}", fill=INK, font=font(11), anchor="mm")
    bar = (width - 70, 20, width - 56, 20 + h * cell)
    colour_bar(draw, canvas, bar, "gray", [(0, f"{-bound:.2g}"), (0.5, "0"), (1, f"{bound:.2g}")], "value")
    caption(draw, width, h * cell + 55, f"Y': {channels} real-valued {h}x{w} channels")
    return np.asarray(canvas)


def draw_dct(coeffs: np.ndarray, side: int = 280, decades: int = 4) -> np.ndarray:
    """DCT coefficients (k, k) as a heat map of |coefficient| on a log scale spanning `decades` powers
    of ten below the largest; top-left is the lowest frequency. Returns RGB uint8."""
    k = coeffs.shape[0]
    top = max(float(np.abs(coeffs).max()), 1e-3)
    level = (np.log10(np.maximum(np.abs(coeffs), top * 10.0**-decades) / top) + decades) / decades   # in [0, 1]
    cell = max(side // k, 4)
    canvas = Image.new("RGB", (k * cell + 160, k * cell + 70), BACKGROUND)
    canvas.paste(Image.fromarray(colourise(level, "magma", cell)), (60, 20))
    draw = ImageDraw.Draw(canvas)
    draw.text((60 + k * cell // 2, 20 + k * cell + 12), "horizontal frequency (low at left)", fill=INK,
              font=font(11), anchor="mm")
    draw.text((56, 20 + k * cell // 2), "vertical", fill=INK, font=font(11), anchor="rm")
    bar = (k * cell + 80, 20, k * cell + 96, 20 + k * cell)
    ticks = [(i / decades, f"{top * 10.0 ** (i - decades):.0e}") for i in range(0, decades + 1, 2)]
    colour_bar(draw, canvas, bar, "magma", ticks, "|coef|")
    caption(draw, canvas.width, k * cell + 55, f"Y': {k}x{k} lowest DCT frequencies (log scale)")
    return np.asarray(canvas)
