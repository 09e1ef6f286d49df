"""Drawing speech: spectrograms and their Y' (log-mel, MFCC) as matplotlib figures or plain RGB arrays.

    show_spectrogram(wave)                     # |STFT| in dB, time in seconds, frequency in Hz
    show_y_prime(y_prime, "log_mel")           # Y' as the extractor returns it, axes labelled
    spectrogram_rgb(values)                    # (H, W, 3) uint8, low rows at the bottom: fast, no figure
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from .features import SpectrogramConfig, stft_magnitude

CFG = SpectrogramConfig()
ROW_LABEL = {"stft_magnitude": "frequency (Hz)", "log_mel": "mel band", "mfcc": "MFCC index", "spectrogram": "frequency (Hz)"}


def magnitude_to_db(magnitude: np.ndarray, top_db: float = 80.0) -> np.ndarray:
    """20 log10 |X|, clipped to top_db below its maximum (for display)."""
    db = 20.0 * np.log10(np.maximum(magnitude, 1e-10))
    return np.maximum(db, db.max() - top_db)


def display_values(y_prime: np.ndarray, name: str) -> np.ndarray:
    """What to draw for a Y': |STFT| in dB, log-mel as is (already dB, clipped 80 dB below its peak), MFCC as is."""
    y_prime = np.asarray(y_prime, dtype=np.float32)
    if name == "stft_magnitude":
        return magnitude_to_db(y_prime)
    if name == "log_mel":
        return np.maximum(y_prime, y_prime.max() - 80.0)
    return y_prime


def show_y_prime(y_prime, name: str, ax: Axes | None = None, title: str | None = None,
                 cfg: SpectrogramConfig = CFG) -> Figure:
    """Draw one Y' (F, N) with time in seconds on x; frequency rows in Hz for |STFT|, band/coefficient index otherwise."""
    values = display_values(y_prime, name)
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(7, 2.6))
    seconds = values.shape[1] / cfg.frames_per_second
    top = cfg.sr / 2 if name in ("stft_magnitude", "spectrogram") else values.shape[0]
    im = ax.imshow(values, origin="lower", aspect="auto", cmap="coolwarm" if name == "mfcc" else "magma",
                   extent=(0, seconds, 0, top), interpolation="nearest")
    ax.set_xlabel("time (s)")
    ax.set_ylabel(ROW_LABEL.get(name, "row"))
    fig.colorbar(im, ax=ax, pad=0.01, label="dB" if name != "mfcc" else "coefficient")
    ax.set_title(title or f"{name}: {values.shape[0]} x {values.shape[1]}", fontsize=9)
    return fig


def show_spectrogram(wave, ax: Axes | None = None, title: str | None = None, cfg: SpectrogramConfig = CFG) -> Figure:
    """The |STFT| of a wave in dB (80 dB range), time in seconds, frequency in Hz."""
    return show_y_prime(stft_magnitude(np.asarray(wave, dtype=np.float32), cfg), "stft_magnitude", ax,
                        title or "spectrogram |STFT| (dB)", cfg)


def spectrogram_rgb(values: np.ndarray, cmap: str = "magma", vmin: float | None = None,
                    vmax: float | None = None) -> np.ndarray:
    """A (F, N) map as an (F, N, 3) uint8 image, row 0 (lowest frequency) at the bottom, through a colour table."""
    v = np.asarray(values, dtype=np.float32)
    lo = float(v.min()) if vmin is None else vmin
    hi = float(v.max()) if vmax is None else vmax
    idx = np.clip((v - lo) / max(hi - lo, 1e-8) * 255, 0, 255).astype(np.uint8)
    lut = (plt.get_cmap(cmap)(np.arange(256))[:, :3] * 255).astype(np.uint8)
    return lut[idx[::-1]]
