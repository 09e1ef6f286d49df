"""The headline comparison: class-conditional Fashion-MNIST, X = class, Y = image.
Direct generation (pixel diffusion, Y' = Y) against two-stage pipelines X -> Y' -> Y,
every prior trained with the same optimizer-step budget (recipes.PRIOR_STEPS, batch 128).

    python benchmarks/direct_vs_regeneration.py                 # 5,000 samples per pipeline
    python benchmarks/direct_vs_regeneration.py --n 1000 --pipelines latent vq
    python benchmarks/direct_vs_regeneration.py --pipelines direct diffae --n 1000 --oracle-n 1000 --guidance 1 \
        --name direct_vs_diffae      # the diffusion autoencoder beside direct, in a file of its own

For each pipeline one row: Frechet distance (FD) in the reference classifier's feature space between
its samples and the 10k test set, the classifier's accuracy on them, the oracle-Y' FD (render(extract(y))
for real test images: the error of the rendering stage alone), sampling time for 16 images, parameters
and training time. A real-vs-real row gives the floor (10k training images vs the test set). A second
table gives accuracy per guidance weight. Results go to benchmarks/results/direct_vs_regeneration.{md,csv}.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import torch
from safetensors.torch import save_file

from regen_lite.checkpoints import CheckpointError, load_checkpoint, weights_dir
from regen_lite.image import metrics
from regen_lite.image.data import find_fashion_mnist_dir, load_fashion_mnist, to_float
from regen_lite.image.networks import Classifier
from regen_lite.image.pipelines import PIPELINES, build_pipeline
from regen_lite.image.recipes import RECIPES, extract_all
from report import RESULTS, markdown_table, write_results

SAMPLES = RESULTS / ".samples"


@torch.no_grad()
def generate(pipe, labels, kw, batch=500, seed=0):
    g = torch.Generator().manual_seed(seed)
    ys = [pipe.generate(labels[i:i + batch], generator=g, **kw)[1].cpu() for i in range(0, len(labels), batch)]
    return torch.cat(ys)


def time16(pipe, kw, repeats=3):
    def once():
        t = time.perf_counter()
        pipe.generate(torch.arange(16) % 10, generator=torch.Generator().manual_seed(1), **kw)
        return time.perf_counter() - t
    once()
    return statistics.median(once() for _ in range(repeats))


def mismatch_rows(clf, real, n, seed=0):
    """RQ10, training-inference mismatch of the low-res pipeline: the super-resolution renderer is trained
    on extracted Y' but at inference gets the prior's Y'. FD of the rendered images with oracle vs predicted
    Y', for the plain renderer and for one trained on noisy Y' (the remedy)."""
    from regen_lite.image.renderers import load_renderer

    base, spec = build_pipeline("lowres"), PIPELINES["lowres"]
    labels = torch.arange(10).repeat_interleave(n // 10)
    g = torch.Generator().manual_seed(seed)
    predicted = torch.cat([base.prior.sample(labels[i:i + 500], generator=g, **spec.sample_kw)
                           for i in range(0, len(labels), 500)])
    oracle = extract_all(base.extractor, real[:n])
    rows = []
    for name in ("sr_x4", "sr_x4_noisy"):
        try:
            renderer = load_renderer(name)
        except CheckpointError as e:
            print(f"skipping {name}: {e}")
            continue
        r = {"renderer": name}
        for which, yp in (("oracle Y'", oracle), ("predicted Y'", predicted)):
            y = torch.cat([renderer.render(b) for b in yp.split(500)])
            r[f"FD, {which}"] = round(metrics.frechet_distance(clf, real, y), 2)
        r["gap"] = round(r["FD, predicted Y'"] - r["FD, oracle Y'"], 2)
        rows.append(r)
    return rows


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=5000, help="samples per pipeline for FD and accuracy")
    p.add_argument("--pipelines", nargs="*", default=list(PIPELINES))
    p.add_argument("--guidance", nargs="*", type=float, default=[0.0, 1.0, 3.0])
    p.add_argument("--n-guidance", type=int, default=1000, help="samples per guidance weight")
    p.add_argument("--oracle-n", type=int, default=None,
                   help="test images rendered for the oracle-Y' FD (default: all; diffae renders by 25 DDIM steps)")
    p.add_argument("--name", default="direct_vs_regeneration", help="results file stem in benchmarks/results/")
    args = p.parse_args(argv)

    source = "full" if find_fashion_mnist_dir() else "sample"
    x_test, _ = load_fashion_mnist("test", source)
    real = to_float(x_test)
    clf, _ = load_checkpoint(weights_dir() / "classifier", Classifier)
    x_train, _ = load_fashion_mnist("train", source)
    floor = metrics.frechet_distance(clf, real, to_float(x_train[: len(real)]))
    rows = [{"pipeline": "real vs real (floor)", "Y'": "-", "FD": round(floor, 2), "oracle-Y' FD": "",
             "accuracy": "", "16 samples s": "", "prior params": "", "prior steps": "", "prior train s": ""}]
    guidance_rows = []
    labels = torch.arange(10).repeat_interleave(args.n // 10)
    for name in args.pipelines:
        try:
            pipe, spec = build_pipeline(name), PIPELINES[name]
        except CheckpointError as e:
            print(f"skipping {name}: {e}")
            continue
        _, info = load_checkpoint(weights_dir() / spec.prior, RECIPES[spec.prior].model)
        t0 = time.perf_counter()
        fake = generate(pipe, labels, spec.sample_kw)
        gen_s = time.perf_counter() - t0
        if args.name == "direct_vs_regeneration":       # the main run's samples: kept for benchmarks/same_steps.py
            SAMPLES.mkdir(parents=True, exist_ok=True)  # (git-ignored)
            save_file({"y": fake.contiguous(), "labels": labels}, SAMPLES / f"{name}.safetensors")
        some = real[: args.oracle_n]
        oracle = torch.cat([pipe.renderer.render(yp, generator=torch.Generator().manual_seed(0))
                            for yp in extract_all(pipe.extractor, some).split(1000)])
        rows.append({
            "pipeline": name, "Y'": spec.extractor,
            "FD": round(metrics.frechet_distance(clf, real, fake), 2),
            "oracle-Y' FD": round(metrics.frechet_distance(clf, real, oracle), 2) + 0.0,   # + 0.0: no "-0.0"
            "accuracy": f"{metrics.classifier_accuracy(clf, fake, labels):.1%}",
            "16 samples s": round(time16(pipe, spec.sample_kw), 3),
            "prior params": f"{sum(q.numel() for q in pipe.prior.parameters()) / 1e6:.2f}M",
            "prior steps": info["steps"], "prior train s": info["train_seconds"],
        })
        print(rows[-1], f"({gen_s:.0f} s to generate {len(labels)})")
        g_labels = torch.arange(10).repeat_interleave(args.n_guidance // 10)
        for w in args.guidance:
            if w == spec.sample_kw["guidance"]:   # the default weight: reuse the main row's samples
                n, acc = len(labels), metrics.classifier_accuracy(clf, fake, labels)
            else:
                kw = {**spec.sample_kw, "guidance": w}
                n, acc = len(g_labels), metrics.classifier_accuracy(clf, generate(pipe, g_labels, kw, seed=1), g_labels)
            guidance_rows.append({"pipeline": name, "guidance": w, "accuracy": f"{acc:.1%}", "samples": n})
    mismatch = mismatch_rows(clf, real, args.n) if "lowres" in args.pipelines else []
    oracle_n = len(real) if args.oracle_n is None else min(args.oracle_n, len(real))
    lines = [f"Class-conditional Fashion-MNIST, {args.n} samples per pipeline vs the {len(real)}-image {source} "
             "test set; "
             f"oracle-Y' FD from the first {oracle_n} test images; "
             f"FD in the reference classifier's feature space; CPU, {torch.get_num_threads()} threads", ""]
    for table in (rows, guidance_rows, mismatch):
        if not table:
            continue
        lines += [markdown_table(table), ""]
    text = "\n".join(lines)
    print(text)
    command = None if args.name == "direct_vs_regeneration" else \
        "python benchmarks/direct_vs_regeneration.py " + " ".join(argv if argv is not None else sys.argv[1:])
    write_results(args.name, text, rows, command=command)


if __name__ == "__main__":
    main()
