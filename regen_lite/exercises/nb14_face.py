"""Checks for notebooks/14_talking_head.ipynb: the soft ellipse of the procedural face, the phone under each video
frame, and the pose leakage of the spurious-correlation experiment.

References: regen_lite.face.render.ellipse, the indexing inside regen_lite.face.data.mouth_track, and
regen_lite.face.metrics.video_metrics's pose_leakage. Each hint names the usual mistake when the answer matches it.
"""

from __future__ import annotations

import numpy as np
import torch

from regen_lite.exercises.checking import Check, CheckResult

from ..face.data import FPS, LEAN, talking_clips
from ..face.render import EDGE, SIZE, ellipse

__all__ = ["check_soft_ellipse", "check_phone_frames_index", "check_pose_leakage"]

# (cx, cy, a, b): a face, a wide mouth, a shut eye
SHAPES = [(0.0, 0.0, 0.6, 0.75), (0.1, 0.4, 0.2, 0.06), (-0.25, -0.14, 0.1, 0.03)]


def _grid():
    c = (torch.arange(SIZE) + 0.5) / SIZE * 2 - 1
    return c.view(1, SIZE).expand(SIZE, SIZE), c.view(SIZE, 1).expand(SIZE, SIZE)


def check_soft_ellipse(fn) -> CheckResult:
    """fn(x, y, cx, cy, a, b, edge) -> (H, W) mask: sigmoid(-(r - 1) / |grad r| / edge), r = sqrt(((x-cx)/a)² + ((y-cy)/b)²)."""
    check = Check("soft_ellipse")
    x, y = _grid()
    with check:
        for cx, cy, a, b in SHAPES:
            t = [torch.tensor(v).view(1, 1, 1) for v in (cx, cy, a, b)]
            ref = ellipse(x, y, *t)[0]
            out = check.call(fn, x, y, cx, cy, a, b, EDGE)
            what = f"an ellipse at ({cx}, {cy}) with half-axes {a} x {b}"
            out = None if out is None else torch.as_tensor(out, dtype=torch.float32).reshape(-1)
            if out is not None and out.numel() == ref.numel() and torch.allclose(out, ref.reshape(-1), atol=1e-3):
                check.expect(True, what)
                continue
            r = torch.sqrt(((x - cx) / a) ** 2 + ((y - cy) / b) ** 2)
            plain = torch.sigmoid(-(r - 1) / EDGE)
            if out is None or out.numel() != ref.numel():
                hint = f"return one value per pixel: shape {tuple(ref.shape)}"
            elif torch.allclose(out, 1 - ref.reshape(-1), atol=1e-3):
                hint = "inside is 1, outside 0: sigmoid(-distance / edge), with the minus sign"
            elif torch.allclose(out, plain.reshape(-1), atol=1e-3):
                hint = "r - 1 is not a distance: divide it by |grad r| (else the edge is a wide blur on big shapes)"
            else:
                hint = "grad r = sqrt(((x-cx)/a²)² + ((y-cy)/b²)²) / r; mask = sigmoid(-(r - 1) / grad / edge)"
            check.expect(False, what, hint)
    return check.result()


def _reference_index(ends: np.ndarray, frames: int) -> np.ndarray:
    centres = (np.arange(frames) + 0.5) / FPS
    return np.minimum(np.searchsorted(ends, centres), len(ends) - 1)


def check_phone_frames_index(fn) -> CheckResult:
    """fn(ends (P,) seconds, frames, fps) -> (frames,) the index of the phone under each video frame's centre
    (frame t covers [t / 25, (t + 1) / 25) s); frames past the last end keep the last phone."""
    check = Check("phone_frames_index")
    with check:
        for c in talking_clips("test")[:5]:
            ends = np.asarray(c.phone_ends)
            frames = int(np.ceil(c.frames / 16000 * FPS))
            ref = _reference_index(ends, frames)
            out = check.call(fn, ends.copy(), frames, FPS)
            what = f"“{c.word}”: {len(ends)} phones over {frames} frames"
            try:
                out = np.asarray(out).astype(np.int64).ravel()
            except (TypeError, ValueError):
                out = None
            if out is not None and out.shape == ref.shape and (out == ref).all():
                check.expect(True, what)
                continue
            starts = np.minimum(np.searchsorted(ends, np.arange(frames) / FPS), len(ends) - 1)
            if out is None or out.shape != ref.shape:
                hint = f"one index per frame: an array of length {frames}"
            elif (out == starts).all():
                hint = "use each frame's centre, (t + 0.5) / 25 seconds, not its start"
            elif out.max() >= len(ends):
                hint = "a frame after the last phone ends keeps the last phone: clip the index at P - 1"
            else:
                hint = "np.searchsorted(ends, centres): the first phone that ends after the centre"
            check.expect(False, what, hint)
    return check.result()


def check_pose_leakage(fn) -> CheckResult:
    """fn(roll (N,) each clip's mean read-back roll, voice (N,) 0 = A, 1 = B, lean) -> mean(roll * sign) / lean with
    sign -1 for voice A (trained to lean left) and +1 for voice B."""
    check = Check("pose_leakage")
    rng = np.random.default_rng(0)
    cases = {"a video that leans with the voice": 1.0, "a video that ignores the voice": 0.0,
             "a video that leans against the voice": -0.5}
    with check:
        for what, follow in cases.items():
            voice = rng.integers(0, 2, 40)
            roll = follow * LEAN * (2 * voice - 1) + rng.normal(0, 0.05, 40)
            ref = float(np.mean(roll * (2 * voice - 1)) / LEAN)
            try:
                out = float(check.call(fn, roll.copy(), voice.copy(), LEAN))
            except (TypeError, ValueError):
                out = None
            if out is not None and abs(out - ref) < 1e-6:
                check.expect(True, f"{what}: {ref:+.2f}")
                continue
            if out is None:
                hint = "return one number"
            elif abs(out - ref * LEAN) < 1e-6:
                hint = f"divide by the lean ({LEAN}) so that 1 means all of the training tie"
            elif abs(out + ref) < 1e-6:
                hint = "voice A (0) leaned left (negative roll): its sign is -1, voice B's +1"
            else:
                hint = "np.mean(roll * (2 * voice - 1)) / lean"
            check.expect(False, what, hint)
    return check.result()
