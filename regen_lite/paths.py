"""Where the shipped data lives, and the error every loader raises when a dataset is missing."""

from __future__ import annotations

import os
from pathlib import Path


class DataError(RuntimeError):
    """A dataset is missing, truncated or malformed. The message says which file and why."""


def samples_dir() -> Path:
    """The `data_samples/` folder: $REGEN_LITE_SAMPLES, else the one beside the package."""
    env = os.environ.get("REGEN_LITE_SAMPLES")
    return Path(env) if env else Path(__file__).resolve().parent.parent / "data_samples"


def weights_dir() -> Path:
    """Where shipped weights live: $REGEN_LITE_WEIGHTS, else data_samples/weights beside the package."""
    env = os.environ.get("REGEN_LITE_WEIGHTS")
    return Path(env) if env else Path(__file__).resolve().parent.parent / "data_samples" / "weights"


def results_dir() -> Path:
    """benchmarks/results beside the package: the measured tables and plots the notebooks quote (a notebook opened
    from notebooks/ or notebooks/exercises/ finds them alike)."""
    return Path(__file__).resolve().parent.parent / "benchmarks" / "results"
