"""Pick the compute device in one place: CUDA, then Apple MPS, then CPU; the CPU thread count; and
which process this is when training runs as several (data-parallel, under `accelerate launch`).

The user overrides the choice with `--device` on the CLI or the REGEN_LITE_DEVICE
environment variable. Nothing else in the kit names a device string.
"""

from __future__ import annotations

import os
from contextlib import contextmanager

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


@contextmanager
def one_thread():
    """Run the block with one torch thread, then restore the previous count. The kit's small models
    (the music and toy nets, the mel renderer) have matrix products too small to gain from a second
    thread, and on a busy 2-core machine the threads' synchronisation costs far more than it saves."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(n)


def world_size() -> int:
    """How many processes train together: N when launched as N processes (`accelerate launch` or `torchrun`
    set WORLD_SIZE), else 1."""
    return int(os.environ.get("WORLD_SIZE", "1"))


def is_main_process() -> bool:
    """True in a plain run and in process 0 of a launched one: the only process that measures and writes files."""
    return int(os.environ.get("RANK", "0")) == 0
