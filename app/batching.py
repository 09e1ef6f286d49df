"""One sampling loop for many users: the classroom server's generation queue.

Thirty students pressing "Generate" at once would otherwise run thirty sampling loops one after another
(or fight over the cores). Here each request waits in a bounded queue; whoever finds the sampler free
takes the oldest request and every waiting one that can share its loop (same `key`: pipeline, steps,
guidance), up to `max_batch` of them, runs them as ONE batch, and hands each its own result. Requests are
served oldest first; a full queue answers at once with `Busy` ("try again in N s") instead of hanging.

No threads of its own: the request threads of the web server take turns being the one that samples.

    queue = SamplingQueue(max_batch=8, max_waiting=32)
    result = queue.submit(key, request, run_batch)   # run_batch(list of requests) -> list of results
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable


class Busy(RuntimeError):
    """The queue is full; `seconds` is an estimate of when there will be room."""

    def __init__(self, waiting: int, seconds: float):
        self.waiting, self.seconds = waiting, seconds
        super().__init__(f"The server is busy: {waiting} generation requests are waiting. "
                         f"Try again in about {seconds:.0f} s.")


@dataclass(eq=False)       # compared by identity: two users may ask for the same thing
class _Ticket:
    key: Any
    request: Any
    size: int                              # images asked for (for the estimate)
    done: bool = False
    result: Any = None
    error: BaseException | None = None


@dataclass
class SamplingQueue:
    max_batch: int = 8                     # requests sampled together in one loop
    max_waiting: int = 32                  # requests waiting for the sampler; more are told Busy
    images_per_second: float = 20.0        # updated after every loop; only for the "try again" estimate
    waiting: list = field(default_factory=list)
    running: bool = False
    loops: int = 0                         # diagnostics: loops run and requests served
    served: int = 0
    lock: threading.Condition = field(default_factory=threading.Condition)

    def retry_after(self) -> float:
        """Seconds until the requests waiting now are likely served (at the recent images per second)."""
        images = sum(t.size for t in self.waiting)
        return max(1.0, math.ceil(images / max(self.images_per_second, 1e-3)))

    def submit(self, key, request, run_batch: Callable[[list], list], size: int = 1):
        """Wait for `request`'s turn and return its result (or raise its error, or Busy at once)."""
        ticket = _Ticket(key, request, size)
        with self.lock:
            if len(self.waiting) >= self.max_waiting:
                raise Busy(len(self.waiting), self.retry_after())
            self.waiting.append(ticket)
            while not ticket.done:
                if self.running:
                    self.lock.wait()
                    continue
                batch = self._take_batch()
                self.running = True
                self.lock.release()        # sample without holding the lock, so that new requests can queue
                try:
                    self._run(batch, run_batch)
                finally:
                    self.lock.acquire()
                    self.running = False
                    self.lock.notify_all()
        if ticket.error is not None:
            raise ticket.error
        return ticket.result

    def _take_batch(self) -> list[_Ticket]:
        """The oldest waiting request and the next ones that share its key, up to max_batch (lock held)."""
        key = self.waiting[0].key
        batch = [t for t in self.waiting if t.key == key][: self.max_batch]
        self.waiting = [t for t in self.waiting if t not in batch]
        return batch

    def _run(self, batch: list[_Ticket], run_batch) -> None:
        t0 = time.perf_counter()
        try:
            results = run_batch([t.request for t in batch])
            for t, r in zip(batch, results, strict=True):
                t.result = r
        except Exception as e:             # noqa: BLE001 - every request of the batch gets the error
            for t in batch:
                t.error = e
        seconds = time.perf_counter() - t0
        self.images_per_second = 0.5 * self.images_per_second + 0.5 * sum(t.size for t in batch) / max(seconds, 1e-6)
        self.loops, self.served = self.loops + 1, self.served + len(batch)
        for t in batch:
            t.done = True
