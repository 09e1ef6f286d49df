"""Label efficiency (the paper's RQ3 and RQ9): Y' -> Y needs no labels, so only X -> Y' pays for them.

Here the labelled pairs are (class, image), and only a fraction of the 60k training images keep their label.
Each method trains one prior X -> Y' on what it may use, with the same CPU time, and is scored like the
shipped priors (reference-classifier accuracy and Frechet distance of its samples):

    method         Y'                    prior trains on                          Y' -> Y (label-free, shipped)
    direct         Y (pixels)            the labelled images                      -
    direct+null    Y (pixels)            the labelled images, plus every          -
                                         unlabelled one as the null class (CFG)
    latent         VAE latent 4x7x7      the labelled images' latents             VAE decoder (60k images)
    lowres         7x7 block means       the labelled images' 7x7 versions        super-resolution (60k images)

The two-stage rows lean on an extractor and a renderer trained once on all 60k images without labels; the
direct+null row is the honest way for direct generation to use the same unlabelled images.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import torch

from ..train import TrainConfig, fit
from . import metrics
from .pipelines import PIPELINES, build_pipeline
from .priors import DiffusionPrior
from .recipes import RECIPES, extract_all


@dataclass(frozen=True)
class Method:
    name: str
    pipeline: str               # the shipped pipeline whose extractor, renderer and prior shape it uses
    use_unlabelled: bool = False


METHODS = {m.name: m for m in [Method("direct", "direct"), Method("direct+null", "direct", use_unlabelled=True),
                               Method("latent", "latent"), Method("lowres", "lowres")]}
BATCH = 128


def labelled_subset(labels: torch.Tensor, fraction: float, seed: int = 0) -> torch.Tensor:
    """Indices of a class-balanced `fraction` of the examples: round(fraction * n_c) of each class c (at least 1),
    drawn with `seed`. Sorted, so that the same seed and fraction always give the same subset."""
    if not 0 < fraction <= 1:
        raise ValueError(f"fraction must be in (0, 1], not {fraction}")
    g = torch.Generator().manual_seed(seed)
    picked = []
    for c in labels.unique():
        members = (labels == c).nonzero().flatten()
        k = max(1, round(fraction * len(members)))
        picked.append(members[torch.randperm(len(members), generator=g)[:k]])
    return torch.cat(picked).sort().values


def with_null_class(y_prime: torch.Tensor, labels: torch.Tensor, labelled: torch.Tensor, null: int = 10):
    """The direct+null training set: the labelled examples repeated so that they fill about half of every batch,
    then every other example with the null label (what classifier-free guidance's unconditional branch learns)."""
    mask = torch.ones(len(labels), dtype=torch.bool)
    mask[labelled] = False
    unlabelled = mask.nonzero().flatten()
    repeat = max(1, math.ceil(len(unlabelled) / len(labelled)))
    idx = torch.cat([labelled.repeat(repeat), unlabelled])
    return y_prime[idx], torch.cat([labels[labelled].repeat(repeat), torch.full((len(unlabelled),), null)])


class Study:
    """One run of the study: the training images, their Y' for each method (extracted once), and the scorer."""

    def __init__(self, images: torch.Tensor, labels: torch.Tensor, real: torch.Tensor, classifier,
                 methods=tuple(METHODS)):
        self.images, self.labels, self.real, self.classifier = images, labels, real, classifier
        self.methods = [METHODS[m] for m in methods]
        self.pipes = {m.pipeline: build_pipeline(m.pipeline) for m in self.methods}   # shipped parts, prior unused
        self.y_prime = {p: extract_all(pipe.extractor, images) for p, pipe in self.pipes.items()}

    def new_prior(self, method: Method) -> DiffusionPrior:
        prior = RECIPES[PIPELINES[method.pipeline].prior].build()   # the shipped prior's architecture
        prior.set_normalization(self.y_prime[method.pipeline])        # Y' statistics need no labels: all images
        return prior

    def seconds_per_step(self, method: Method, repeats: int = 4) -> float:
        """Median wall time of one optimizer step at batch 128: what turns the CPU budget into steps."""
        prior, yp = self.new_prior(method), self.y_prime[method.pipeline]
        opt, times = torch.optim.AdamW(prior.parameters(), lr=1e-4), []
        for i in range(repeats + 2):
            t0 = time.perf_counter()
            _, loss, _ = prior(yp[:BATCH], self.labels[:BATCH])
            opt.zero_grad()
            loss.backward()
            opt.step()
            if i >= 2:                                                  # the first steps warm up
                times.append(time.perf_counter() - t0)
        return sorted(times)[len(times) // 2]

    def train(self, method: Method, fraction: float, seed: int, steps: int) -> tuple[DiffusionPrior, dict]:
        labelled = labelled_subset(self.labels, fraction, seed)
        yp = self.y_prime[method.pipeline]
        if method.use_unlabelled and fraction < 1:
            data = with_null_class(yp, self.labels, labelled)
        else:
            data = (yp[labelled], self.labels[labelled])
        cfg = TrainConfig(epochs=10 ** 6, max_steps=steps, batch_size=BATCH, lr=1e-3,
                          warmup_steps=min(50, steps // 10), seed=seed, progress=False)
        result = fit(self.new_prior(method), data, cfg, desc=method.name)
        return result.model.eval(), {"labelled": len(labelled), "steps": result.steps,
                                     "train_s": round(result.seconds, 1)}

    @torch.no_grad()
    def score(self, method: Method, prior, n: int, seed: int = 0, **sample_kw) -> dict:
        """n samples (n/10 of each class), rendered by the shipped label-free renderer: FD and accuracy."""
        pipe = build_pipeline(method.pipeline, prior=prior)
        labels = torch.arange(10).repeat_interleave(n // 10)
        g = torch.Generator().manual_seed(seed)
        kw = {**PIPELINES[method.pipeline].sample_kw, **sample_kw}
        y = torch.cat([pipe.generate(labels[i:i + 500], generator=g, **kw)[1].cpu()
                       for i in range(0, len(labels), 500)])
        return {"FD": metrics.frechet_distance(self.classifier, self.real, y),
                "accuracy": metrics.classifier_accuracy(self.classifier, y, labels), "samples": len(labels)}

    def point(self, method: str, fraction: float, seed: int, train_steps: int, n: int, **sample_kw) -> dict:
        """Train and score one point of the curve: a row of the benchmark's table."""
        m = METHODS[method]
        prior, info = self.train(m, fraction, seed, train_steps)
        return {"fraction": fraction, "method": method, "seed": seed, **info, **self.score(m, prior, n, **sample_kw)}
