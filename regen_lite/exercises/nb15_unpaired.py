"""Checks for notebooks/15_unpaired_data.ipynb: residual quantization, one step of DDIM inversion, and the
class-balanced labelled subset of the label-efficiency study.

References: regen_lite.nn.quantizers.ResidualVQ, regen_lite.nn.diffusion.ddim_invert and
regen_lite.image.label_efficiency.labelled_subset. Each hint names the usual mistake when the answer matches it.
"""

from __future__ import annotations

import torch

from regen_lite.exercises.checking import Check, CheckResult

__all__ = ["check_residual_quantize", "check_ddim_invert_step", "check_balanced_subset"]


def _rvq_case(seed: int = 0, n: int = 64, stages: int = 3, codes: int = 16, dim: int = 4):
    g = torch.Generator().manual_seed(seed)
    codebooks = torch.randn(stages, codes, dim, generator=g) / torch.arange(1, stages + 1).view(-1, 1, 1)
    return torch.randn(n, dim, generator=g), codebooks


def _reference_rvq(z, codebooks):
    residual, out = z.clone(), []
    for book in codebooks:
        k = torch.cdist(residual, book).argmin(1)
        out.append(k)
        residual = residual - book[k]
    return torch.stack(out, 1)


def check_residual_quantize(fn) -> CheckResult:
    """fn(z (N, D), codebooks (S, K, D)) -> indices (N, S): stage s picks the code nearest to what stages 1..s-1
    left over, r_1 = z, r_{s+1} = r_s - e_{k_s}."""
    check = Check("residual_quantize")
    with check:
        for seed in (0, 1):
            z, books = _rvq_case(seed)
            ref = _reference_rvq(z, books)
            out = check.call(fn, z.clone(), books.clone())
            what = f"{len(z)} vectors of {z.shape[1]} numbers, {books.shape[0]} stages of {books.shape[1]} codes"
            try:
                out = torch.as_tensor(out).long()
            except (TypeError, ValueError, RuntimeError):
                out = None
            if out is not None and out.shape == ref.shape and torch.equal(out, ref):
                check.expect(True, what)
                continue
            each_alone = torch.stack([torch.cdist(z, b).argmin(1) for b in books], 1)
            if out is None or out.shape != ref.shape:
                hint = f"return one index per vector and stage: shape {tuple(ref.shape)}"
            elif torch.equal(out, each_alone):
                hint = ("every stage quantized z itself: subtract the chosen code, r = r - codebook[s][k], "
                        "before the next")
            elif torch.equal(out[:, 0], ref[:, 0]):
                hint = "stage 1 is right; the later stages must quantize the residual r_s, not z or the code"
            else:
                hint = "k_s = argmin_k ||r_s - codebooks[s][k]|| (torch.cdist(r, codebooks[s]).argmin(1))"
            check.expect(False, what, hint)
    return check.result()


def check_ddim_invert_step(fn) -> CheckResult:
    """fn(x_t, eps, abar_t, abar_next) -> x_next = sqrt(abar_next) x0 + sqrt(1 - abar_next) eps, with
    x0 = (x_t - sqrt(1 - abar_t) eps) / sqrt(abar_t): the DDIM update run towards more noise."""
    check = Check("ddim_invert_step")
    g = torch.Generator().manual_seed(0)
    with check:
        for a_t, a_next in ((0.99, 0.9), (0.6, 0.3), (0.2, 0.05)):
            x_t, eps = torch.randn(8, 1, 4, 4, generator=g), torch.randn(8, 1, 4, 4, generator=g)
            at, an = torch.tensor(a_t), torch.tensor(a_next)
            x0 = (x_t - (1 - at).sqrt() * eps) / at.sqrt()
            ref = an.sqrt() * x0 + (1 - an).sqrt() * eps
            out = check.call(fn, x_t.clone(), eps.clone(), at, an)
            what = f"from abar = {a_t} to {a_next}"
            out = None if out is None else torch.as_tensor(out, dtype=torch.float32)
            if out is not None and out.shape == ref.shape and torch.allclose(out, ref, atol=1e-5):
                # and it undoes the sampler's deterministic step from abar_next back to abar_t
                back = at.sqrt() * x0 + (1 - at).sqrt() * eps
                check.expect(torch.allclose(back, x_t, atol=1e-5), what)
                continue
            if out is None or out.shape != ref.shape:
                hint = f"return a tensor shaped like x_t {tuple(ref.shape)}"
            elif torch.allclose(out, an.sqrt() * x_t + (1 - an).sqrt() * eps, atol=1e-5):
                hint = "x_t is not x0: first recover x0 = (x_t - sqrt(1 - abar_t) eps) / sqrt(abar_t)"
            else:
                hint = "x_next = sqrt(abar_next) x0 + sqrt(1 - abar_next) eps: no fresh noise, the same eps"
            check.expect(False, what, hint)
    return check.result()


def check_balanced_subset(fn) -> CheckResult:
    """fn(labels (N,), fraction, seed) -> indices: round(fraction * n_c) distinct examples of every class c (at
    least one), different for different seeds, the same for the same seed."""
    check = Check("balanced_subset")
    g = torch.Generator().manual_seed(0)
    labels = torch.cat([torch.full((n,), c) for c, n in enumerate([300, 120, 200, 90, 150])])
    labels = labels[torch.randperm(len(labels), generator=g)]
    with check:
        for fraction in (0.01, 0.1, 0.5):
            out = check.call(fn, labels.clone(), fraction, 0)
            want = [max(1, round(fraction * n)) for n in torch.bincount(labels).tolist()]
            what = f"{fraction:.0%} of 860 labels in 5 unequal classes"
            try:
                idx = torch.as_tensor(out).long().flatten()
                got = torch.bincount(labels[idx], minlength=5).tolist()
            except (TypeError, ValueError, RuntimeError, IndexError):
                check.expect(False, what, "return a 1-D tensor of indices into labels")
                continue
            if got == want and len(set(idx.tolist())) == len(idx):
                check.expect(True, what + f": {want} of each class")
            elif len(set(idx.tolist())) != len(idx):
                hint = "an index appears twice: draw without replacement (torch.randperm), per class"
                check.expect(False, what, hint)
            elif sum(got) == sum(want):
                check.expect(False, what, f"the right number but not per class ({got} against {want}): "
                             "pick round(fraction * n_c) from each class c, not from the whole set")
            else:
                check.expect(False, what, f"per class {got}, wanted {want}: max(1, round(fraction * n_c))")
        a, b = check.call(fn, labels.clone(), 0.1, 0), check.call(fn, labels.clone(), 0.1, 0)
        c = check.call(fn, labels.clone(), 0.1, 1)
        same = lambda u, v: sorted(torch.as_tensor(u).tolist()) == sorted(torch.as_tensor(v).tolist())  # noqa: E731
        check.expect(same(a, b) and not same(a, c), "the seed fixes the subset (same seed, same images)",
                     "draw with torch.Generator().manual_seed(seed) and pass generator= to randperm")
    return check.result()
