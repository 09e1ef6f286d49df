"""The nb15 checks pass correct answers (the notebook's reference solutions and other correct routes) and catch the
usual wrong-but-plausible answers with a hint that names the mistake (tests/test_notebooks.py runs the notebook's
reference solutions and the stubs)."""

import torch

from regen_lite.exercises.nb15_unpaired import check_balanced_subset, check_ddim_invert_step, check_residual_quantize
from regen_lite.image.label_efficiency import labelled_subset
from regen_lite.nn.quantizers import ResidualVQ


def hints(result) -> str:
    return " ".join(h for ok, _, h in result.lines if not ok)


def residual_quantize(z, codebooks):
    residual, out = z, []
    for book in codebooks:
        k = ((residual[:, None] - book[None]) ** 2).sum(-1).argmin(1)
        out.append(k)
        residual = residual - book[k]
    return torch.stack(out, 1)


def test_residual_quantize_agrees_with_the_library_and_names_the_missing_subtraction():
    assert check_residual_quantize(residual_quantize).passed
    # the kit's ResidualVQ, given the same codebooks, picks the same indices
    rvq = ResidualVQ(num_stages=3, num_codes=16, dim=4).eval()
    books = torch.randn(3, 16, 4)
    for stage, book in zip(rvq.stages, books):
        stage.embed.copy_(book)
    z = torch.randn(2, 4, 5, 5)
    ours = residual_quantize(z.permute(0, 2, 3, 1).reshape(-1, 4), books).view(2, 5, 5, 3).permute(0, 3, 1, 2)
    assert torch.equal(rvq(z)[2]["indices"], ours)
    r = check_residual_quantize(lambda z, books: torch.stack([torch.cdist(z, b).argmin(1) for b in books], 1))
    assert not r.passed and "subtract the chosen code" in hints(r)
    assert not check_residual_quantize(lambda z, books: residual_quantize(z, books)[:, :2]).passed


def test_ddim_invert_step_passes_and_names_the_missing_x0():
    def step(x_t, eps, a_t, a_next):
        x0 = (x_t - (1 - a_t).sqrt() * eps) / a_t.sqrt()
        return a_next.sqrt() * x0 + (1 - a_next).sqrt() * eps

    assert check_ddim_invert_step(step).passed
    r = check_ddim_invert_step(lambda x_t, eps, a_t, a_n: a_n.sqrt() * x_t + (1 - a_n).sqrt() * eps)
    assert not r.passed and "x_t is not x0" in hints(r)
    r = check_ddim_invert_step(lambda x_t, eps, a_t, a_n: step(x_t, torch.randn_like(eps), a_t, a_n))
    assert not r.passed and "no fresh noise" in hints(r)


def test_balanced_subset_passes_the_library_and_names_an_unbalanced_draw():
    assert check_balanced_subset(labelled_subset).passed

    def whole_set(labels, fraction, seed):
        k = sum(max(1, round(fraction * n)) for n in torch.bincount(labels).tolist())
        return torch.randperm(len(labels), generator=torch.Generator().manual_seed(seed))[:k]

    r = check_balanced_subset(whole_set)
    assert not r.passed and "not per class" in hints(r)
    r = check_balanced_subset(lambda labels, f, seed: labelled_subset(labels, f, 0))
    assert not r.passed and "seed" in hints(r)
