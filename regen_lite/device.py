"""Pick the compute device in one place: CUDA, then Apple MPS, then CPU.

The user overrides the choice with `--device` on the CLI or the REGEN_LITE_DEVICE
environment variable. Nothing else in the kit names a device string.
"""

from __future__ import annotations

import os

import torch


def get_device(preferred: str | None = None) -> torch.device:
    """Return the device to run on.

    preferred: "auto" / None (CUDA > MPS > CPU), or an explicit "cpu", "cuda", "cuda:1", "mps".
    The REGEN_LITE_DEVICE environment variable is used when `preferred` is None or "auto".
    """
    choice = preferred if preferred not in (None, "", "auto") else os.environ.get("REGEN_LITE_DEVICE", "auto")
    choice = choice.strip().lower()
    if choice == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if choice.startswith("cuda") and not torch.cuda.is_available():
        raise RuntimeError(f"device {choice!r} was requested but CUDA is not available on this machine; use 'cpu' or 'auto'")
    if choice == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise RuntimeError("device 'mps' was requested but Apple MPS is not available on this machine; use 'cpu' or 'auto'")
    try:
        return torch.device(choice)
    except RuntimeError as e:
        raise RuntimeError(f"unknown device {choice!r}: use auto, cpu, cuda, cuda:N or mps") from e
