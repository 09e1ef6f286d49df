"""Checks for notebooks/00_paradigm.ipynb: the MSE optimum, the grid extractor, sampling the prior.

Each check compares the student's function with the reference in regen_lite.toy.pinwheel (or with torch's
own softmax) on fixed inputs, and names the usual mistake in its hint.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from regen_lite.exercises.checking import Check, CheckResult, close

from ..toy.pinwheel import GridConfig, GridExtractor, ToyConfig, conditional_mean, mode_points, mode_weights

__all__ = ["check_mse_optimum", "check_extract_cell", "check_sample_cells"]


def check_mse_optimum(fn) -> CheckResult:
    """fn(points (N, M, 2), weights (M,)) -> (N, 2): the point c minimising E||y - c||², i.e. Σ_m w_m p_m."""
    check = Check("mse_optimum")
    with check:
        g = torch.Generator().manual_seed(0)
        points = torch.randn(5, 3, 2, generator=g)                       # (N, M, 2)
        weights = torch.tensor([0.6, 0.3, 0.1])
        out = check.call(fn, points.clone(), weights.clone())
        ref = (weights[None, :, None] * points).sum(1)
        if not check.expect(torch.is_tensor(out) and out.shape == (5, 2), "returns one point per condition, (N, 2)",
                            f"got {tuple(out.shape) if torch.is_tensor(out) else type(out).__name__}; "
                            "average over the M axis (dim=1), not over the N conditions"):
            return check.result()
        unweighted = points.mean(1)
        check.expect(close(out, ref), "equals the probability-weighted average Σ_m w_m p_m",
                     "you took the plain mean of the arms: weight each arm by its probability w_m"
                     if close(out, unweighted) else "return (weights[None, :, None] * points).sum(1)")
        one_hot = check.call(fn, points.clone(), torch.tensor([0.0, 1.0, 0.0]))
        check.expect(close(one_hot, points[:, 1]), "with one certain arm it is that arm's point",
                     "when w = (0, 1, 0) the optimum is p_1 itself")
        cfg = ToyConfig(num_modes=3, skew=0.5)
        x = torch.linspace(0, 1, 7)[:, None]
        toy = check.call(fn, mode_points(x, cfg), mode_weights(cfg))
        check.expect(close(toy, conditional_mean(x, cfg)), "matches regen_lite.toy.pinwheel.conditional_mean on the toy",
                     "compare with conditional_mean(x, cfg) for the notebook's pinwheel")
        sym = check.call(fn, mode_points(x, ToyConfig(num_modes=4, skew=0.0)), torch.full((4,), 0.25))
        check.expect(close(sym, torch.zeros(7, 2)), "four equally likely, symmetric arms average to the origin",
                     "the mean of points spread evenly round a circle is its centre")
    return check.result()


def check_extract_cell(fn) -> CheckResult:
    """fn(y (N, 2), cells, extent) -> (N,) int64 cell index, row-major with the row from y[:, 1]."""
    check = Check("extract_cell")
    with check:
        g = torch.Generator().manual_seed(0)
        y = (torch.rand(200, 2, generator=g) - 0.5) * 5.0               # (200, 2): some points off the grid
        for cells, extent in ((8, 2.0), (5, 1.5), (16, 2.0)):
            ref = GridExtractor(GridConfig(cells, extent)).extract(y)
            out = check.call(fn, y.clone(), cells, extent)
            ok_type = torch.is_tensor(out) and out.shape == ref.shape and out.dtype == torch.long
            if not check.expect(ok_type, f"{cells}x{cells} grid: returns (N,) int64 indices",
                                "got " + (f"{tuple(out.shape)} {out.dtype}" if torch.is_tensor(out) else
                                          type(out).__name__) + "; use .floor().long() and return row * cells + col"):
                return check.result()
            col, row = ref % cells, ref // cells
            inside = (y.abs() < extent).all(1)
            if torch.equal(out, ref):
                check.expect(True, f"{cells}x{cells} grid over [-{extent}, {extent}]²: same cells as GridExtractor")
            elif torch.equal(out, col * cells + row):
                check.expect(False, f"{cells}x{cells} grid: same cells as GridExtractor",
                             "rows and columns are swapped: the row comes from y[:, 1], so index = row * cells + col")
            elif torch.equal(out[inside], ref[inside]):
                check.expect(False, f"{cells}x{cells} grid: points outside the grid go to the border cell",
                             "clamp the column and row to 0..cells-1 before combining them")
            else:
                check.expect(False, f"{cells}x{cells} grid: same cells as GridExtractor",
                             "col = floor((y[:, 0] + extent) / cell_size) with cell_size = 2 * extent / cells, "
                             "and the same for the row from y[:, 1]")
        edge = torch.tensor([[-2.0, -2.0], [0.0, 0.0], [1.999, 1.999]])
        out = check.call(fn, edge, 8, 2.0)
        check.expect(torch.is_tensor(out) and out.tolist() == [0, 36, 63],
                     "the corners and the centre land in cells 0, 36 and 63 of an 8x8 grid",
                     "the point (0, 0) is the lower-left corner of cell (row 4, col 4) = 36")
    return check.result()


def check_sample_cells(fn) -> CheckResult:
    """fn(logits (B, K), temperature, generator) -> (B,) int64, one draw from softmax(logits / T) per row."""
    check = Check("sample_cells")
    with check:
        logits = torch.tensor([[2.0, 1.0, 0.0, -1.0]]).repeat(20_000, 1)   # (B, K): the same 4-way choice
        out = check.call(fn, logits, 1.0, torch.Generator().manual_seed(0))
        ok = torch.is_tensor(out) and out.shape == (20_000,) and out.dtype == torch.long
        if not check.expect(ok, "returns (B,) int64 cell indices",
                            "got " + (f"{tuple(out.shape)} {out.dtype}" if torch.is_tensor(out) else type(out).__name__)
                            + "; torch.multinomial(probs, 1, generator=generator)[:, 0] gives (B,) int64"):
            return check.result()
        if not check.expect(bool(((out >= 0) & (out < 4)).all()), "every index is a valid cell (0..K-1)"):
            return check.result()
        if not check.expect(len(out.unique()) > 1, "draws differ: it samples, it does not take the argmax",
                            "taking the most likely cell always gives the same answer, so every sample lands on "
                            "one arm; draw from the distribution with torch.multinomial"):
            return check.result()
        for t in (1.0, 0.5, 3.0):
            out = check.call(fn, logits, t, torch.Generator().manual_seed(1))
            freq = torch.bincount(out, minlength=4).float() / len(out)
            probs = F.softmax(logits[0] / t, dim=-1)
            err = (freq - probs).abs().max().item()
            check.expect(err < 0.02, f"T = {t}: the frequencies match softmax(logits / T) "
                         f"(largest gap {err:.3f})",
                         "divide the logits by the temperature before the softmax" if t != 1.0 else
                         "probabilities are F.softmax(logits, dim=-1); sample from them, one draw per row")
        a = check.call(fn, logits[:50], 1.0, torch.Generator().manual_seed(7))
        b = check.call(fn, logits[:50], 1.0, torch.Generator().manual_seed(7))
        check.expect(torch.equal(a, b), "the same generator seed gives the same draws",
                     "pass generator=generator to torch.multinomial (or torch.rand)")
        mixed = torch.tensor([[0.0, 9.0, 0.0], [9.0, 0.0, 0.0], [0.0, 0.0, 9.0]])
        out = check.call(fn, mixed, 0.05, torch.Generator().manual_seed(0))
        check.expect(torch.is_tensor(out) and out.tolist() == [1, 0, 2], "each row uses its own logits",
                     "sample row by row: probs has shape (B, K) and softmax runs over the last dim")
    return check.result()
