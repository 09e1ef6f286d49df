"""The comparison at equal optimizer *steps* (the shipped priors are equal in CPU *time*).

The direct pixel-space prior ships with recipes.PRIOR_STEPS["prior_direct"] steps (batch 128), which is
what fits in its CPU budget. Here every two-stage prior is retrained with that same number of steps (and
the same recipe otherwise) into benchmarks/.cache/, and sampled with its pipeline's default settings.
The direct row reuses the samples saved by benchmarks/direct_vs_regeneration.py (a class-balanced
subset), or generates them if that has not been run.

    python benchmarks/same_steps.py               # 2,000 samples per pipeline
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

import torch
from safetensors.torch import load_file

from regen_lite.checkpoints import load_checkpoint, weights_dir
from regen_lite.image import metrics
from regen_lite.image.data import find_fashion_mnist_dir, load_fashion_mnist, to_float
from regen_lite.image.networks import Classifier
from regen_lite.image.pipelines import PIPELINES, build_pipeline
from regen_lite.recipes import run_recipe
from regen_lite.image.recipes import PRIOR_STEPS, RECIPES
from report import RESULTS, markdown_table, write_results

HERE = Path(__file__).resolve().parent
CACHE, SAMPLES = HERE / ".cache" / "same_steps", RESULTS / ".samples"
COMMAND = "python benchmarks/same_steps.py"


def balanced(y, labels, n):
    """The first n/10 samples of each class."""
    idx = torch.cat([torch.nonzero(labels == c).flatten()[: n // 10] for c in range(10)])
    return y[idx], labels[idx]


@torch.no_grad()
def generate(pipe, labels, kw, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.cat([pipe.generate(labels[i:i + 500], generator=g, **kw)[1].cpu() for i in range(0, len(labels), 500)])


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=2000, help="samples per pipeline")
    p.add_argument("--pipelines", nargs="*", default=list(PIPELINES))
    args = p.parse_args(argv)

    source = "full" if find_fashion_mnist_dir() else "sample"
    real = to_float(load_fashion_mnist("test", source)[0])
    clf, _ = load_checkpoint(weights_dir() / "classifier", Classifier)
    steps = PRIOR_STEPS["prior_direct"]
    labels = torch.arange(10).repeat_interleave(args.n // 10)
    rows = []
    for name in args.pipelines:
        spec = PIPELINES[name]
        if name == "direct":   # the shipped direct prior already has `steps` steps
            prior, info = load_checkpoint(weights_dir() / spec.prior, RECIPES[spec.prior].model)
            saved = SAMPLES / "direct.safetensors"
            if saved.exists():
                d = load_file(saved)
                fake, lab = balanced(d["y"], d["labels"], args.n)
            else:
                pipe = build_pipeline(name, prior=prior)
                fake, lab = generate(pipe, labels, spec.sample_kw), labels
        else:
            stem = CACHE / f"{spec.prior}_{steps}"
            if not stem.with_suffix(".json").exists():
                r = replace(RECIPES[spec.prior], name=stem.name, command=COMMAND)
                run_recipe(r, out_dir=CACHE, data=source, max_steps=steps, progress=False)
            prior, info = load_checkpoint(stem, RECIPES[spec.prior].model)
            pipe = build_pipeline(name, prior=prior)
            fake, lab = generate(pipe, labels, spec.sample_kw), labels
        shipped = load_checkpoint(weights_dir() / spec.prior, RECIPES[spec.prior].model)[1]
        rows.append({"pipeline": name, "prior steps": info["steps"], "prior train s": info["train_seconds"],
                     "FD": round(metrics.frechet_distance(clf, real, fake), 2),
                     "accuracy": f"{metrics.classifier_accuracy(clf, fake, lab):.1%}",
                     "shipped steps (equal time)": shipped["steps"]})
        print(rows[-1], flush=True)
    text = "\n".join([
        f"Every prior trained for {steps} optimizer steps (batch 128); {args.n} samples per pipeline vs the "
        f"{len(real)}-image {source} test set; FD in the reference classifier's feature space.", "",
        markdown_table(rows)])
    print(text)
    write_results("same_steps", text, rows)


if __name__ == "__main__":
    main()
