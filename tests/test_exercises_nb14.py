"""The nb14 checks pass correct answers (the notebook's reference solutions and other correct routes) and catch the
usual wrong-but-plausible answers with a hint that names the mistake (tests/test_notebooks.py runs the notebook's
reference solutions and the stubs)."""

import numpy as np
import torch

from regen_lite.exercises.nb14_face import check_phone_frames_index, check_pose_leakage, check_soft_ellipse


def hints(result) -> str:
    return " ".join(h for ok, _, h in result.lines if not ok)


def test_soft_ellipse_passes_and_names_the_sign_and_the_missing_gradient():
    def mask(x, y, cx, cy, a, b, edge):
        r = torch.sqrt(((x - cx) / a) ** 2 + ((y - cy) / b) ** 2 + 1e-8)
        grad = torch.sqrt(((x - cx) / a ** 2) ** 2 + ((y - cy) / b ** 2) ** 2 + 1e-8) / r
        return torch.sigmoid(-(r - 1) / grad / edge)

    assert check_soft_ellipse(mask).passed
    r = check_soft_ellipse(lambda *args: 1 - mask(*args))
    assert not r.passed and "minus sign" in hints(r)

    def plain(x, y, cx, cy, a, b, edge):
        return torch.sigmoid(-(torch.sqrt(((x - cx) / a) ** 2 + ((y - cy) / b) ** 2) - 1) / edge)

    r = check_soft_ellipse(plain)
    assert not r.passed and "grad r" in hints(r)
    assert not check_soft_ellipse(lambda *args: mask(*args)[:10]).passed


def test_phone_frames_index_passes_two_routes_and_names_frame_starts_and_the_last_phone():
    def centres(ends, frames, fps):
        return np.minimum(np.searchsorted(ends, (np.arange(frames) + 0.5) / fps), len(ends) - 1)

    def loop(ends, frames, fps):
        out = []
        for t in range(frames):
            c = (t + 0.5) / fps
            out.append(next((i for i, e in enumerate(ends) if e >= c), len(ends) - 1))
        return out

    assert check_phone_frames_index(centres).passed and check_phone_frames_index(loop).passed
    r = check_phone_frames_index(lambda ends, frames, fps: np.minimum(np.searchsorted(ends, np.arange(frames) / fps),
                                                                 len(ends) - 1))
    assert not r.passed and "centre" in hints(r)
    r = check_phone_frames_index(lambda ends, frames, fps: np.searchsorted(ends, (np.arange(frames) + 0.5) / fps))
    assert not r.passed and "last phone" in hints(r)


def test_pose_leakage_passes_and_names_the_scale_and_the_sign():
    assert check_pose_leakage(lambda roll, voice, lean: np.mean(roll * (2 * voice - 1)) / lean).passed
    r = check_pose_leakage(lambda roll, voice, lean: np.mean(roll * (2 * voice - 1)))
    assert not r.passed and "divide by the lean" in hints(r)
    r = check_pose_leakage(lambda roll, voice, lean: np.mean(roll * (1 - 2 * voice)) / lean)
    assert not r.passed and "sign is -1" in hints(r)
