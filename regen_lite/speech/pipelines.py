"""The named speech round trips Y -> Y' -> Y: one extractor and one renderer each."""

from __future__ import annotations

import numpy as np

from .extractors import EXTRACTORS
from .features import _np, griffin_lim

# the four Y' -> Y paths compared in benchmarks/speech_representations.py: name -> (extractor, renderer)
SPEECH_PATHS = {
    "stft+gl": ("stft_magnitude", "explicit"),
    "mel+inverse+gl": ("log_mel", "explicit"),
    "mel+learned+gl": ("log_mel", "learned"),
    "mfcc+inverse+gl": ("mfcc", "explicit"),
}


def speech_path(path: str):
    """The extractor of one SPEECH_PATHS entry, carrying that path's renderer (learned weights load here)."""
    if path not in SPEECH_PATHS:
        raise KeyError(f"unknown speech path {path!r}; choose from {', '.join(SPEECH_PATHS)}")
    name, renderer = SPEECH_PATHS[path]
    return EXTRACTORS[name][0](renderer=renderer)     # (factory, summary)


def round_trip(wave, path: str, extractor=None) -> dict:
    """Y -> Y' -> Y along one path, with what happened in between (for figures, players and tables):
    {"y_prime" (F, N), "magnitude" (257, N) the |X| handed to Griffin-Lim, "y_hat" (T',), "extract_s", "render_s"}."""
    import time

    e = extractor or speech_path(path)
    t0 = time.perf_counter()
    y_prime = e.extract(_np(wave))
    t1 = time.perf_counter()
    magnitude = e.renderer.to_magnitude(y_prime.numpy())
    y_hat = griffin_lim(magnitude, e.cfg)
    t2 = time.perf_counter()
    return {"y_prime": y_prime.numpy(), "magnitude": magnitude, "y_hat": y_hat.astype(np.float32),
            "extract_s": t1 - t0, "render_s": t2 - t1}
