"""Checks for notebooks/12_text_to_speech.ipynb: phone end times -> whole frames per phone, and the length
regulator.

The references are regen_lite.speech.synthesis_data.clip_durations (on the corpus's own clips) and
regen_lite.speech.synthesis.length_regulate (itself tested against torch.repeat_interleave). Each hint names the
usual mistake when the answer matches it.
"""

from __future__ import annotations

import numpy as np
import torch

from regen_lite.exercises.checking import Check, CheckResult

from ..speech.synthesis import length_regulate
from ..speech.synthesis_data import FRAMES_PER_SECOND, clip_durations, n_frames, tts_clips

__all__ = ["check_phone_frames", "check_length_regulator"]


def _as_ints(x):
    try:
        return [int(v) for v in x]
    except (TypeError, ValueError):
        return None


def check_phone_frames(fn) -> CheckResult:
    """fn(ends, total) -> list of ints: phone end times in seconds and the clip's frame count -> frames per phone."""
    check = Check("phone_frames")
    with check:
        out = _as_ints(check.call(fn, [0.2, 0.296, 0.348, 0.441], 56))
        if not check.expect(out is not None, "returns a list of whole frames", "return a list of ints"):
            return check.result()
        check.expect(out == [25, 12, 7, 12], "“to”: ends 0.2, 0.296, 0.348, 0.441 s in 56 frames -> [25, 12, 7, 12]",
                     f"got {out}")
        clips = tts_clips("heard")
        got = [_as_ints(check.call(fn, list(c.phone_ends), n_frames(c.frames))) for c in clips]
        ref = [clip_durations(c) for c in clips]
        wrong = [(c, g, r) for c, g, r in zip(clips, got, ref) if g != r]
        hint = ""
        if wrong:
            c, g, r = wrong[0]
            hint = f"for {c.word!r} (ends {list(c.phone_ends)}, {n_frames(c.frames)} frames) expected {r}, got {g}"
            if g is not None and sum(g) != n_frames(c.frames):
                hint += f"; the frames should add up to the clip's {n_frames(c.frames)} (let the last phone end there)"
            elif g is not None and all(
                    g_ == list(np.diff([0] + [int(t * FRAMES_PER_SECOND) for t in c_.phone_ends[:-1]]
                                       + [n_frames(c_.frames)])) for c_, g_ in zip(clips, got) if g_ is not None):
                hint += "; round each end to the nearest frame, do not truncate"
        check.expect(not wrong, f"matches the kit's durations on all {len(clips)} heard flite clips", hint)
    return check.result()


def check_length_regulator(fn) -> CheckResult:
    """fn(h, durations) -> tensor: h (L, d) phoneme vectors, durations (L,) ints -> (sum d, d) frame vectors."""
    check = Check("length_regulator")
    with check:
        h = torch.arange(8.0).reshape(4, 2)
        d = torch.tensor([2, 0, 3, 1])
        out = check.call(fn, h, d)
        if not check.expect(torch.is_tensor(out) and out.shape == (6, 2), "returns (sum of durations, d) = (6, 2)",
                            f"got {getattr(out, 'shape', type(out).__name__)}"):
            return check.result()
        want = length_regulate(h[None], d[None])[0][0]
        check.expect(torch.equal(out, want), "repeats phoneme i durations[i] times, in order (a 0 drops it)",
                     f"expected {want.tolist()}, got {out.tolist()}")
        g = torch.Generator().manual_seed(12)
        ok = True
        for _ in range(20):
            L = int(torch.randint(1, 9, (1,), generator=g))
            hh, dd = torch.randn(L, 3, generator=g), torch.randint(0, 5, (L,), generator=g)
            got = check.call(fn, hh, dd)
            ok &= torch.is_tensor(got) and torch.equal(got, length_regulate(hh[None], dd[None])[0][0, :int(dd.sum())])
        check.expect(ok, "agrees with regen_lite.speech.synthesis.length_regulate on 20 random sequences",
                     "build the list of phoneme indices, each repeated by its duration, and index h with it")
    return check.result()
