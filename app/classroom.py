"""How the app shares one machine between many users: the default settings, and the classroom mode.

By default (one user, `regen-lite app`) every event has its own queue that runs one request at a time,
and PyTorch uses every core. With thirty students on one server that makes a cheap "Inspect" wait
behind everyone's sampling, and thirty sampling loops run one after another. The classroom mode
(`regen-lite app --classroom`) changes four things, all here:

- cheap views (image inspect, text, music inspect) share their own group of workers, `cheap_workers`
  at a time, so they never queue behind sampling or behind the heavier views (each keeps its own queue);
- generation requests go through one SamplingQueue (app/batching.py): requests that can share a loop
  are sampled as one batch, each with its own seed (the same images as alone);
- that queue is bounded: when `max_waiting` requests wait, a new one is told "busy, try again in N s";
- PyTorch's threads are set from the cores: `torch_threads` = cores, since one sampling loop runs at a
  time (measured on 2 cores with 30 students: 2 threads answered Generate in 3.2 s at the median and served a
  burst of 30 requests at 29.8 images/s; 1 thread, leaving a core to the rest, 7.0 s and 22.6 images/s, with
  inspect's p95 about 2.1 s either way).
"""

from __future__ import annotations

import ctypes
import os
import sys
from dataclasses import dataclass, field

import torch

from app.batching import SamplingQueue

CHEAP, SAMPLING = "cheap", "sampling"    # the two kinds of event the tabs mark
M_ARENA_MAX = -8                          # glibc mallopt() parameter (malloc.h)


@dataclass
class ServerSettings:
    classroom: bool = False
    cheap_workers: int = 2                 # cheap views running at once (classroom mode)
    max_batch: int = 8                     # generation requests sampled in one loop
    max_waiting: int = 48                  # generation requests waiting; more are told "busy"
    torch_threads: int | None = None       # None: PyTorch's default (one per core)
    sampling: SamplingQueue | None = field(default=None, repr=False)

    @classmethod
    def for_classroom(cls, cores: int | None = None, **overrides) -> "ServerSettings":
        """Settings for one server shared by a class, from the number of cores."""
        cores = cores or os.cpu_count() or 1
        settings = cls(classroom=True, cheap_workers=4 * cores, torch_threads=cores)
        for name, value in overrides.items():
            if not hasattr(settings, name):
                raise TypeError(f"ServerSettings has no setting {name!r}")
            if value is not None:
                setattr(settings, name, value)
        settings.sampling = SamplingQueue(max_batch=settings.max_batch, max_waiting=settings.max_waiting)
        return settings

    def events(self, kind: str) -> dict:
        """Keyword arguments for a Gradio event listener of `kind` (CHEAP or SAMPLING): its group of
        workers in classroom mode; nothing by default (one queue per event, one request at a time)."""
        if not self.classroom:
            return {}
        if kind == CHEAP:
            return {"concurrency_id": CHEAP, "concurrency_limit": self.cheap_workers}
        if kind == SAMPLING:   # let every admitted request reach the SamplingQueue, which batches and bounds them
            return {"concurrency_id": SAMPLING, "concurrency_limit": self.max_waiting + self.max_batch}
        raise ValueError(f"kind must be {CHEAP!r} or {SAMPLING!r}, not {kind!r}")

    def apply(self) -> None:
        """Set PyTorch's threads and cap glibc's malloc arenas (process-wide; call once, before the server
        starts). By default glibc may give each request thread its own arena, and freed memory stays in
        them: measured with one user and every tab used, the peak was 1.55 GB, 1.45 GB with two arenas."""
        if self.torch_threads is not None:
            torch.set_num_threads(self.torch_threads)
        if sys.platform.startswith("linux"):
            try:
                ctypes.CDLL("libc.so.6").mallopt(M_ARENA_MAX, 2)
            except (OSError, AttributeError):   # not glibc (e.g. musl): nothing to cap
                pass

    def launch_options(self) -> dict:
        """Extra keyword arguments for `demo.launch`: enough worker threads for the requests waiting in the
        SamplingQueue (each holds one) besides the cheap views and the other tabs (Gradio's default is 40)."""
        if not self.classroom:
            return {}
        return {"max_threads": 40 + self.max_waiting + self.max_batch + self.cheap_workers}

    def describe(self) -> str:
        if not self.classroom:
            return "default mode: one request at a time per view, PyTorch on every core"
        return (f"classroom mode: {self.cheap_workers} cheap views at a time; generation batched up to "
                f"{self.max_batch} requests a loop, {self.max_waiting} may wait; {self.torch_threads} PyTorch "
                f"thread(s) of {os.cpu_count()} cores")
