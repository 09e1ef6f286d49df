"""The nb12 checks pass correct answers (the kit's own functions, and other correct routes) and catch the usual
wrong-but-plausible answers with a hint that names the mistake (tests/test_notebooks.py runs the notebook's
reference solutions and the stubs)."""

import numpy as np
import torch

from regen_lite.exercises.nb12_synthesis import check_length_regulator, check_phone_frames


def hints(result) -> str:
    return " ".join(h for ok, _, h in result.lines if not ok)


def _rounded(ends, total):
    b = [min(round(t * 125), total) for t in ends]
    b[-1] = total
    b = np.maximum.accumulate(b)
    return np.diff(np.concatenate([[0], b])).tolist()


def test_phone_frames_passes_a_numpy_answer_and_names_truncation_and_a_wrong_total():
    assert check_phone_frames(_rounded).passed
    r = check_phone_frames(lambda ends, total: np.diff([0] + [int(t * 125) for t in ends[:-1]] + [total]).tolist())
    assert not r.passed and "round each end to the nearest frame" in hints(r)
    r = check_phone_frames(lambda ends, total: np.diff([0] + [round(t * 125) for t in ends]).tolist())
    assert not r.passed and "add up to the clip's" in hints(r)
    assert not check_phone_frames(lambda ends, total: None).passed


def test_length_regulator_passes_two_routes_and_catches_a_missing_repeat():
    assert check_length_regulator(lambda h, d: torch.repeat_interleave(h, d, dim=0)).passed
    assert check_length_regulator(
        lambda h, d: torch.cat([h[i:i + 1].expand(int(n), -1) for i, n in enumerate(d)] or [h[:0]])).passed
    r = check_length_regulator(lambda h, d: h)
    assert not r.passed and "(6, 2)" in r.lines[0][1]
    r = check_length_regulator(lambda h, d: torch.repeat_interleave(h, d.clamp(min=1), dim=0))   # a 0 kept
    assert not r.passed
