"""Label efficiency: FD and accuracy against the fraction of labelled training images, at equal CPU time.

    python benchmarks/label_efficiency.py                      # fractions 1, 5, 20, 100 %; 90 s of training a point
    python benchmarks/label_efficiency.py --budget 240 --n 1000
    python benchmarks/label_efficiency.py --quick              # the code path on the shipped 5k subset (a test runs it)

X = class, Y = Fashion-MNIST image. For each labelled fraction (class-balanced, seed s) every method of
regen_lite.image.label_efficiency trains a fresh prior X -> Y' for the same CPU time: each method's seconds per
step at batch 128 are measured first, in this run, and the budget becomes a step count (so the points are
reproducible, and noise from other work on the machine changes their wall time, not their steps). The
extractors and renderers are the shipped ones, trained once without labels on all 60k images. Samples are
scored like the shipped priors: reference-classifier accuracy and Frechet distance to the 10k test set, n
samples a point (n/10 a class). The smallest fraction gets two seeds; the table gives each point, then the mean
over seeds. At 100% no image is unlabelled, so direct+null trains on what direct trains on (with its own
measured step count): the pair shows the noise of one point. The budget is fixed as steps before any point trains, so other work on the machine changes train_s (wall time),
never the steps. Results: benchmarks/results/label_efficiency.{md,csv,png}.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from regen_lite.checkpoints import load_checkpoint, weights_dir
from regen_lite.image.data import find_fashion_mnist_dir, load_fashion_mnist, to_float
from regen_lite.image.label_efficiency import METHODS, Study
from regen_lite.image.networks import Classifier
from report import RESULTS, markdown_table, write_results

FRACTIONS = [0.01, 0.05, 0.2, 1.0]
SEEDS = {0.01: 2}                 # seeds per fraction where the noise is large (1 elsewhere)


def summary(rows: list[dict]) -> list[dict]:
    """Mean FD and accuracy over seeds: one row per fraction, two columns per method."""
    out = []
    for f in sorted({r["fraction"] for r in rows}):
        row = {"labelled": f"{f:.0%} ({next(r['labelled'] for r in rows if r['fraction'] == f)} images)"}
        for m in dict.fromkeys(r["method"] for r in rows):
            pts = [r for r in rows if r["fraction"] == f and r["method"] == m]
            row[f"{m} FD"] = round(statistics.mean(r["FD"] for r in pts), 2)
            row[f"{m} acc"] = f"{statistics.mean(r['accuracy'] for r in pts):.1%}"
        out.append(row)
    return out


def plot(rows: list[dict], path, title: str):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(9, 3.6), dpi=120)
    for m in dict.fromkeys(r["method"] for r in rows):
        pts = [r for r in rows if r["method"] == m]
        fs = sorted({r["fraction"] for r in pts})
        for ax, key in zip(axes, ("FD", "accuracy")):
            ax.scatter([r["fraction"] for r in pts], [r[key] for r in pts], s=10, alpha=0.4)
            ax.plot(fs, [statistics.mean(r[key] for r in pts if r["fraction"] == f) for f in fs], "o-", label=m)
    for ax, label in zip(axes, ("Frechet distance (lower is better)", "classifier accuracy (higher is better)")):
        ax.set_xscale("log")
        ax.set_xlabel("fraction of training images with a label")
        ax.set_ylabel(label)
    axes[0].legend(fontsize=8)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--budget", type=float, default=90.0, help="CPU seconds of training per point (made steps)")
    p.add_argument("--n", type=int, default=300, help="samples per point for FD and accuracy")
    p.add_argument("--fractions", nargs="*", type=float, default=FRACTIONS)
    p.add_argument("--methods", nargs="*", default=list(METHODS), choices=list(METHODS))
    p.add_argument("--quick", action="store_true",
                   help="the code path only: shipped subset, 3 steps a point, 20 samples, 5 DDIM steps")
    p.add_argument("--out", default=str(RESULTS))
    args = p.parse_args(argv)

    source = "sample" if args.quick or not find_fashion_mnist_dir() else "full"
    x, labels = load_fashion_mnist("train", source)
    x_test, _ = load_fashion_mnist("test", source)
    clf, _ = load_checkpoint(weights_dir() / "classifier", Classifier)
    t0 = time.perf_counter()
    study = Study(to_float(x), labels, to_float(x_test), clf, args.methods)
    fractions = [0.1, 1.0] if args.quick else args.fractions
    n, sample_kw = (20, {"steps": 5}) if args.quick else (args.n, {})
    cost = {m: study.seconds_per_step(METHODS[m], repeats=1 if args.quick else 5) for m in args.methods}
    steps = {m: 3 if args.quick else max(1, round(args.budget / s)) for m, s in cost.items()}
    print("seconds per step:", {m: round(s, 3) for m, s in cost.items()}, "-> steps:", steps)
    rows = []
    for f in fractions:
        for seed in range(1 if args.quick else SEEDS.get(f, 1)):
            for m in args.methods:
                r = study.point(m, f, seed, steps[m], n, **sample_kw)
                rows.append({**r, "FD": round(r["FD"], 2), "accuracy": round(r["accuracy"], 4)})
                print(rows[-1])
    budget = "3 steps a point (--quick: the code path, not a result)" if args.quick else \
        f"{args.budget:g} s of training a point at batch 128 (the steps column; measured s/step: " + \
        ", ".join(f"{m} {s:.3f}" for m, s in cost.items()) + ")"
    title = (f"Label efficiency on {source} Fashion-MNIST ({len(x)} training images): {budget}; "
             f"{n} samples a point vs the {len(x_test)}-image test set; CPU, {torch.get_num_threads()} threads")
    text = "\n".join([title, "", "Mean over seeds:", "", markdown_table(summary(rows)), "", "Every point:", "",
                      markdown_table(rows), "", f"Total run time {time.perf_counter() - t0:.0f} s."])
    print(text)
    name = "label_efficiency_quick" if args.quick else "label_efficiency"
    command = "python benchmarks/label_efficiency.py" + (" --quick" if args.quick else "")
    md = write_results(name, text, rows, out_dir=args.out, command=command)
    plot(rows, md.with_suffix(".png"), title.split(":")[0])


if __name__ == "__main__":
    main()
