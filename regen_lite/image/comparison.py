"""Comparing generation pipelines at a small budget (notebooks 06 and 07).

The full-budget comparison lives in benchmarks/ (5,000 samples per pipeline, 50 CPU-minutes). These are
the small pieces a notebook needs to repeat it with ~100 samples and to read the result honestly:

    balanced_labels     X for n samples of every class: (0, 0, ..., 1, 1, ..., 9)
    generate_balanced   Y' and Y from any Regenerator for balanced labels, with the seconds it took
    fd_floor            Frechet distance between two sets of *real* images of size n: what FD reads
                        when nothing is wrong (its bias at n), and how much it moves from draw to draw
    accuracy_stderr     the binomial standard error of an accuracy measured on n samples
    per_class_accuracy  recall of each class: the fraction of class-c images the classifier calls c
    frechet_gaussian    ||mu_1 - mu_2||^2 + Tr(S_1 + S_2 - 2 (S_1 S_2)^{1/2}), the formula behind FD
    samples_in_budget   how many whole items (samples, optimizer steps) fit in a time budget
    add_noise           Y' + std * eps: the corruption a noise-robust renderer is trained with
    shipped_results     a measured table from benchmarks/results/NAME.csv as a list of dicts
    shipped_markdown_table  a table that a benchmark wrote only to benchmarks/results/NAME.md
"""

from __future__ import annotations

import csv
import math
import time
from pathlib import Path

import torch

RESULTS_DIR = Path(__file__).resolve().parents[2] / "benchmarks" / "results"


def balanced_labels(per_class: int, n_classes: int = 10) -> torch.Tensor:
    """(n_classes * per_class,) int64 labels in class order: per_class zeros, then ones, ..."""
    return torch.arange(n_classes).repeat_interleave(per_class)


def first_per_class(labels: torch.Tensor, per_class: int, n_classes: int = 10) -> torch.Tensor:
    """Indices of the first `per_class` items of every class, in class order: a balanced subset."""
    return torch.cat([torch.nonzero(labels == c).flatten()[:per_class] for c in range(n_classes)])


@torch.no_grad()
def generate_balanced(pipe, per_class: int, *, seed: int = 0, batch: int = 500, n_classes: int = 10,
                      **sample_kw) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, float]:
    """`per_class` samples of every class from a Regenerator (X = class label), one seeded generator.
    Returns (y_prime, y (N, 1, 28, 28), labels (N,), seconds)."""
    labels = balanced_labels(per_class, n_classes)
    g = torch.Generator().manual_seed(seed)
    t0 = time.perf_counter()
    yps, ys = [], []
    for i in range(0, len(labels), batch):
        yp, y = pipe.generate(labels[i:i + batch], generator=g, **sample_kw)
        yps.append(yp.cpu())
        ys.append(y.cpu())
    return torch.cat(yps), torch.cat(ys), labels, time.perf_counter() - t0


@torch.no_grad()
def fd_floor(classifier, real: torch.Tensor, pool: torch.Tensor, pool_labels: torch.Tensor, per_class: int,
             repeats: int = 5, n_classes: int = 10) -> torch.Tensor:
    """FD between `real` and `repeats` disjoint class-balanced draws of per_class * n_classes images from
    `pool` (other real images). Returns (repeats,): the value FD takes at this sample size when the
    'generator' is perfect. Its mean is the bias of FD at that size, its spread the sampling noise."""
    from . import (
        metrics,  # here, not at the top: torchmetrics takes seconds to import (exercise checks import this module)
    )

    out = []
    for r in range(repeats):
        idx = torch.cat([torch.nonzero(pool_labels == c).flatten()[r * per_class:(r + 1) * per_class]
                         for c in range(n_classes)])
        if len(idx) < per_class * n_classes:
            raise ValueError(f"the pool has fewer than {repeats} x {per_class} images of some class")
        out.append(metrics.frechet_distance(classifier, real, pool[idx]))
    return torch.tensor(out)


def accuracy_stderr(p: float, n: int) -> float:
    """Standard error sqrt(p (1 - p) / n) of an accuracy p measured on n independent samples."""
    return math.sqrt(max(p * (1 - p), 0.0) / n)


def per_class_accuracy(pred: torch.Tensor, labels: torch.Tensor, n_classes: int = 10) -> torch.Tensor:
    """(n_classes,) float: for each class c, the fraction of items labelled c that are predicted c
    (recall; nan for a class with no items)."""
    hits = torch.bincount(labels[pred == labels], minlength=n_classes).float()
    total = torch.bincount(labels, minlength=n_classes).float()
    return hits / total


def frechet_gaussian(mu1: torch.Tensor, sigma1: torch.Tensor, mu2: torch.Tensor, sigma2: torch.Tensor) -> float:
    """Frechet (2-Wasserstein) distance between N(mu1, sigma1) and N(mu2, sigma2), squared:
    ||mu1 - mu2||^2 + Tr(sigma1 + sigma2 - 2 (sigma1 sigma2)^{1/2}).

    Tr((S1 S2)^{1/2}) is the sum of the square roots of the eigenvalues of S1 S2 (real and >= 0 for two
    covariance matrices; tiny negative or complex parts are round-off), as in torchmetrics' FID."""
    mu1, mu2, sigma1, sigma2 = (t.double() for t in (mu1, mu2, sigma1, sigma2))
    tr_sqrt = torch.linalg.eigvals(sigma1 @ sigma2).sqrt().real.sum()
    return ((mu1 - mu2).square().sum() + sigma1.trace() + sigma2.trace() - 2 * tr_sqrt).item()


def samples_in_budget(seconds: float, n: int, budget_s: float) -> int:
    """n items took `seconds`; how many *whole* items fit in budget_s at that rate (rounded down)."""
    return int(math.floor(budget_s * n / seconds))


def add_noise(y_prime: torch.Tensor, std: float, generator: torch.Generator | None = None) -> torch.Tensor:
    """Y' + std * eps, eps ~ N(0, I): the training-time corruption of a noise-robust renderer
    (SuperResConfig.noise_aug), and a crude stand-in for the errors of a predicted Y'."""
    eps = torch.randn(y_prime.shape, generator=generator, dtype=y_prime.dtype)
    return y_prime + std * eps.to(y_prime.device)


def shipped_results(name: str) -> list[dict]:
    """The rows of benchmarks/results/NAME.csv (strings, as written by the benchmark scripts)."""
    path = RESULTS_DIR / f"{name}.csv"
    if not path.exists():
        raise FileNotFoundError(f"{path}: no shipped results; run `python benchmarks/{name}.py` to make them")
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def shipped_markdown_table(name: str, first_column: str) -> list[dict]:
    """The rows (strings) of the table in benchmarks/results/NAME.md whose header starts with `first_column`,
    e.g. shipped_markdown_table("direct_vs_regeneration", "renderer") for the mismatch table (RQ10)."""
    path = RESULTS_DIR / f"{name}.md"
    if not path.exists():
        raise FileNotFoundError(f"{path}: no shipped results; run `python benchmarks/{name}.py` to make them")
    lines = [ln.strip() for ln in path.read_text().splitlines()]
    cells = [[c.strip() for c in ln.strip("|").split("|")] if ln.startswith("|") else None for ln in lines]
    for i, row in enumerate(cells):
        if row and row[0] == first_column:
            out = []
            for body in cells[i + 2:]:                 # skip the |---| line
                if body is None:
                    break
                out.append(dict(zip(row, body)))
            return out
    raise KeyError(f"{path}: no table whose first column is {first_column!r}")
