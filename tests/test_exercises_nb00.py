"""The nb00 checks catch the usual wrong-but-plausible answers (tests/test_notebooks.py covers the reference
solutions and the stubs)."""

import torch
import torch.nn.functional as F

from regen_lite.exercises.nb00_paradigm import check_extract_cell, check_mse_optimum, check_sample_cells


def hints(result) -> str:
    return " ".join(h for ok, _, h in result.lines if not ok)


def _cells(y, cells, extent, clamp=True, swap=False, rounding="floor"):
    ij = (y + extent) / (2 * extent / cells)
    ij = (ij.floor() if rounding == "floor" else ij.round()).long()
    if clamp:
        ij = ij.clamp(0, cells - 1)
    col, row = (ij[:, 1], ij[:, 0]) if swap else (ij[:, 0], ij[:, 1])
    return row * cells + col


def test_mse_optimum_catches_the_unweighted_mean_and_the_wrong_axis():
    plain = check_mse_optimum(lambda p, w: p.mean(1))
    assert not plain.passed and "weight each arm" in hints(plain)
    wrong_axis = check_mse_optimum(lambda p, w: (w[None, :, None] * p).sum(0))
    assert not wrong_axis.passed and len(wrong_axis.lines) == 1 and "M axis" in hints(wrong_axis)


def test_extract_cell_names_swapped_axes_missing_clamp_and_rounding():
    swapped = check_extract_cell(lambda y, c, e: _cells(y, c, e, swap=True))
    assert not swapped.passed and "swapped" in hints(swapped)
    unclamped = check_extract_cell(lambda y, c, e: _cells(y, c, e, clamp=False))
    assert not unclamped.passed and "clamp" in hints(unclamped)
    rounded = check_extract_cell(lambda y, c, e: _cells(y, c, e, rounding="round"))
    assert not rounded.passed and "floor" in hints(rounded)
    as_float = check_extract_cell(lambda y, c, e: _cells(y, c, e).float())
    assert not as_float.passed and "int64" in " ".join(w for _, w, _ in as_float.lines)


def test_sample_cells_catches_argmax_ignored_temperature_and_ignored_generator():
    argmax = check_sample_cells(lambda logits, t, g: logits.argmax(-1))
    assert not argmax.passed and "argmax" in " ".join(w for _, w, _ in argmax.lines)
    no_temp = check_sample_cells(lambda logits, t, g: torch.multinomial(F.softmax(logits, -1), 1, generator=g)[:, 0])
    assert not no_temp.passed and "temperature" in hints(no_temp)
    unseeded = check_sample_cells(lambda logits, t, g: torch.multinomial(F.softmax(logits / t, -1), 1)[:, 0])
    assert not unseeded.passed and "generator" in hints(unseeded)
    # the Gumbel-max trick is a correct sampler too: the check compares frequencies, not exact draws
    def gumbel(logits, t, g):
        u = torch.rand(logits.shape, generator=g).clamp(1e-9, 1 - 1e-9)
        return (logits / t - torch.log(-torch.log(u))).argmax(-1)
    assert check_sample_cells(gumbel).passed
