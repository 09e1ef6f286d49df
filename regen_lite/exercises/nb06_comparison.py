"""Checks for notebooks/06_direct_vs_regeneration.ipynb: the Frechet distance between two Gaussians,
the classifier's accuracy per class, and equal-time accounting (how many samples or steps fit in a budget).

Each check compares the student's function with a reference (torchmetrics' FID formula, scipy's sqrtm,
regen_lite.image.metrics.frechet_distance on real classifier features, torchmetrics' per-class accuracy,
regen_lite.image.comparison) and tests the properties that catch the usual slips: Tr(sqrt(S1) sqrt(S2)) for
Tr(sqrt(S1 S2)), precision for recall, rounding up a sample that does not fit in the budget.
"""

from __future__ import annotations

import numbers

import torch

from regen_lite.exercises.checking import Check, CheckResult

from ..image.comparison import samples_in_budget

__all__ = ["check_frechet_gaussian", "check_per_class_accuracy", "check_samples_in_budget"]


def _number(x):
    """float(x) for a Python/numpy number or a one-element tensor; None for anything else (complex too)."""
    if torch.is_tensor(x):
        if x.numel() != 1 or x.is_complex():
            return None
        return float(x)
    if isinstance(x, complex):
        return None
    try:
        return float(x)
    except (TypeError, ValueError):
        return None


def _spd(d: int, seed: int) -> torch.Tensor:
    """A random symmetric positive-definite (d, d) float64 matrix, well conditioned."""
    g = torch.Generator().manual_seed(seed)
    a = torch.randn(d, d, generator=g, dtype=torch.float64)
    return a @ a.T / d + 0.1 * torch.eye(d, dtype=torch.float64)


def _classifier_moments(n: int = 200):
    """Mean and covariance (unbiased, like torchmetrics) of the reference classifier's features for n real test
    images and n real training images, plus the images themselves and the classifier."""
    from regen_lite.checkpoints import load_checkpoint, pretrained_path

    from ..image.networks import Classifier

    from ..image.data import load_fashion_mnist, to_float
    from ..image.metrics import ClassifierFeatures

    clf, _ = load_checkpoint(pretrained_path("classifier"), Classifier)
    real = to_float(load_fashion_mnist("test", "sample")[0][:n])
    other = to_float(load_fashion_mnist("train", "sample")[0][:n])
    feats = ClassifierFeatures(clf)
    with torch.no_grad():
        f1, f2 = feats(real).double(), feats(other).double()      # (n, 128)
    return clf, real, other, (f1.mean(0), torch.cov(f1.T)), (f2.mean(0), torch.cov(f2.T))


def check_frechet_gaussian(fn) -> CheckResult:
    """fn(mu1, sigma1, mu2, sigma2) -> ||mu1 - mu2||^2 + Tr(sigma1 + sigma2 - 2 (sigma1 sigma2)^{1/2}), a number."""
    from scipy.linalg import sqrtm
    from torchmetrics.image.fid import _compute_fid

    check = Check("frechet_gaussian")
    with check:
        # 1-D: FD(N(1, 2^2), N(-1, 1^2)) = (1 - (-1))^2 + (2 - 1)^2 = 5
        one = check.call(fn, torch.tensor([1.0], dtype=torch.float64), torch.tensor([[4.0]], dtype=torch.float64),
                         torch.tensor([-1.0], dtype=torch.float64), torch.tensor([[1.0]], dtype=torch.float64))
        v = _number(one)
        if not check.expect(v is not None, "returns one real number",
                            f"got {type(one).__name__}; sum everything to a scalar, and take the real part of "
                            "sqrtm's result (it can carry a round-off imaginary part): .real"):
            return check.result()
        check.expect(abs(v - 5.0) < 1e-6, f"in 1-D it is (mu1 - mu2)^2 + (s1 - s2)^2 (5 for N(1, 4) vs N(-1, 1); "
                     f"got {v:.4g})", "sigma is a covariance (variance 4 means s = 2): the matrix square root "
                     "of sigma1 sigma2 is s1 s2, not sigma1 sigma2")

        d = 6
        mu1 = torch.linspace(-1, 1, d, dtype=torch.float64)
        mu2 = torch.linspace(0.5, -0.5, d, dtype=torch.float64)
        s1, s2 = _spd(d, 1), _spd(d, 2)          # do not commute: S1 S2 != S2 S1
        same = _number(check.call(fn, mu1, s1, mu1.clone(), s1.clone()))
        check.expect(same is not None and abs(same) < 1e-6, "is 0 for two identical Gaussians",
                     "Tr(S + S - 2 (S S)^{1/2}) = 0 because (S S)^{1/2} = S")
        ab = _number(check.call(fn, mu1, s1, mu2, s2))
        ba = _number(check.call(fn, mu2, s2, mu1, s1))
        ref = _compute_fid(mu1, s1, mu2, s2).item()
        sq = sqrtm((s1 @ s2).numpy())
        scipy_ref = ((mu1 - mu2).square().sum() + s1.trace() + s2.trace()).item() - 2 * float(sq.trace().real)
        ok = ab is not None and abs(ab - ref) < 1e-6 * max(1.0, abs(ref))
        check.expect(ok, f"matches torchmetrics' FID formula and scipy's sqrtm for 6-D Gaussians whose covariances "
                     f"do not commute ({ref:.4f}, scipy {scipy_ref:.4f}; got {ab if ab is None else round(ab, 4)})",
                     "use the square root of the *product*, Tr(sqrtm(S1 @ S2)), not sqrtm(S1) @ sqrtm(S2) or an "
                     "elementwise sqrt; and remember the factor 2")
        check.expect(ab is not None and ba is not None and abs(ab - ba) < 1e-6 * max(1.0, abs(ab)),
                     "is symmetric: FD(P, Q) = FD(Q, P)", "square the mean difference: (mu1 - mu2)^2, summed")

        # the real thing: Gaussians fitted to the reference classifier's features of real images
        clf, real, other, (m1, c1), (m2, c2) = _classifier_moments()
        from ..image.metrics import frechet_distance
        fd_lib = frechet_distance(clf, real, other)
        fd = _number(check.call(fn, m1, c1, m2, c2))
        check.expect(fd is not None and abs(fd - fd_lib) < 1e-3 * max(1.0, fd_lib),
                     f"matches regen_lite.image.metrics.frechet_distance on 128-d classifier features of 200 test vs 200 "
                     f"training images ({fd_lib:.3f}; got {fd if fd is None else round(fd, 3)})",
                     "the same formula must hold in 128 dimensions: use matrix operations (@, trace), not "
                     "elementwise ones")
    return check.result()


def check_per_class_accuracy(fn) -> CheckResult:
    """fn(pred, labels, n_classes=10) -> (n_classes,) float: the fraction of class-c items predicted c."""
    from torchmetrics.functional.classification import multiclass_accuracy

    check = Check("per_class_accuracy")
    with check:
        labels = torch.tensor([0, 0, 0, 0, 1, 1, 2, 2])
        pred = torch.tensor([0, 0, 0, 1, 1, 1, 2, 0])
        out = check.call(fn, pred, labels, n_classes=3)
        if not check.expect(torch.is_tensor(out) and out.shape == (3,) and out.is_floating_point(),
                            "returns a float tensor with one entry per class, shape (n_classes,)",
                            f"got {type(out).__name__} {tuple(out.shape) if torch.is_tensor(out) else ''}; "
                            "divide float counts, e.g. torch.bincount(...).float()"):
            return check.result()
        want = torch.tensor([3 / 4, 2 / 2, 1 / 2])
        check.expect(torch.allclose(out, want), f"a small hand example: {want.tolist()} (got {out.tolist()})",
                     "divide by the number of items *labelled* c (recall), not by the number *predicted* c "
                     "(that would be precision: [0.75, 0.667, 1.0] here)")

        g = torch.Generator().manual_seed(0)
        labels = torch.randint(0, 10, (500,), generator=g)
        pred = torch.where(torch.rand(500, generator=g) < 0.7, labels, torch.randint(0, 10, (500,), generator=g))
        out = check.call(fn, pred, labels)
        ref = multiclass_accuracy(pred, labels, num_classes=10, average=None)
        check.expect(torch.is_tensor(out) and out.shape == (10,) and torch.allclose(out.float(), ref, atol=1e-6),
                     "matches torchmetrics' multiclass_accuracy(average=None) on 500 random predictions",
                     "for each class c: (pred[labels == c] == c).float().mean()")

        bal = torch.arange(10).repeat_interleave(20)
        bpred = torch.where(torch.rand(200, generator=g) < 0.6, bal, (bal + 1) % 10)
        out = check.call(fn, bpred, bal)
        overall = (bpred == bal).float().mean()
        check.expect(torch.is_tensor(out) and out.shape == (10,) and torch.allclose(out.float().mean(), overall, atol=1e-6),
                     "on a class-balanced set the mean over classes is the overall accuracy",
                     "each entry should be that class's own accuracy, not the overall one")
        perm = torch.randperm(200, generator=g)
        out_p = check.call(fn, bpred[perm], bal[perm])
        check.expect(torch.is_tensor(out_p) and torch.allclose(out_p.float(), out.float()),
                     "does not depend on the order of the items",
                     "count by label value (e.g. a mask labels == c), not by position")
        out12 = check.call(fn, torch.tensor([11, 11, 3]), torch.tensor([11, 10, 3]), n_classes=12)
        check.expect(torch.is_tensor(out12) and out12.shape == (12,) and out12[11] == 1 and out12[10] == 0,
                     "uses n_classes (here 12 classes)", "make the output length n_classes, e.g. "
                     "torch.bincount(labels, minlength=n_classes)")
    return check.result()


def check_samples_in_budget(fn) -> CheckResult:
    """fn(seconds, n, budget_s) -> int: n items took `seconds`; how many whole items fit in budget_s."""
    check = Check("samples_in_budget")
    with check:
        out = check.call(fn, 2.182, 16, 60.0)
        if not check.expect(isinstance(out, numbers.Integral) and not isinstance(out, bool),
                            "returns an int (a count of whole samples)",
                            f"got {type(out).__name__}; wrap the result in int(math.floor(...))"):
            return check.result()
        check.expect(out == 439, f"direct pipeline: 16 samples in 2.182 s, so 439 in 60 s (got {out})",
                     "the rate is n / seconds items per second; multiply by the budget")
        latent = check.call(fn, 0.501, 16, 60.0)
        check.expect(latent == samples_in_budget(0.501, 16, 60.0) == 1916,
                     f"latent pipeline: 16 in 0.501 s, so 1916 in 60 s (got {latent})", "budget_s * n / seconds")
        down = check.call(fn, 0.7, 16, 1.0)
        check.expect(down == 22, f"rounds down: 16 in 0.7 s gives 22.86 per second, so 22 whole samples (got {down})",
                     "a sample you cannot finish in time does not count: round down with math.floor, not round()")
        exact = check.call(fn, 0.5, 16, 1.0)
        check.expect(exact == 32, f"an exact fit counts: 16 in 0.5 s gives 32 in 1 s (got {exact})",
                     "floor(32.0) is 32: do not subtract one")
        steps = check.call(fn, 462.9, 480, 467.7)
        check.expect(steps == 484, "works for optimizer steps too: 480 steps in 462.9 s, so 484 in 467.7 s "
                     f"(got {steps})", "the function should not assume 16 items: use n")
        check.expect(check.call(fn, 2.182, 16, 0.0) == 0, "a zero budget fits no sample", "")
    return check.result()
