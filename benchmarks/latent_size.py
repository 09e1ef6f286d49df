"""RQ4, the size trade-off of Y': how big should the latent be?

A bigger latent is easier to *render* from (the decoder sees more of Y) but harder to *predict* (the prior
X -> Y' has more to model). For VAE latents of C x 7 x 7 with C in --channels, each VAE and its latent
diffusion prior are trained with the shipped recipes (`vae`, `prior_vae`: same epochs, steps and model
sizes; only the latent channels change), then we measure

    render error   FD of render(extract(y)) for the test images   (oracle Y': the renderer's share)
    total error    FD of render(prior sample)                     (generated Y': renderer + prior)
    prior error    total - render

The shipped C=4 pair is reused; the others are trained once into benchmarks/.cache/ (7 to 14 minutes
per size on 2 cores). Writes benchmarks/results/latent_size.{md,csv,png}.

    python benchmarks/latent_size.py                    # C = 2, 4, 8; 2,000 samples per size
    python benchmarks/latent_size.py --channels 1 2 4 8 --n 5000
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

import torch

from regen_lite.checkpoints import CheckpointError, load_checkpoint, weights_dir
from regen_lite.core import Regenerator
from regen_lite.image import metrics
from regen_lite.image.autoencoders import VAE, VAEConfig
from regen_lite.image.data import find_fashion_mnist_dir, load_fashion_mnist, to_float
from regen_lite.image.extractors import AutoencoderExtractor
from regen_lite.image.networks import Classifier
from regen_lite.image.pipelines import PIPELINES
from regen_lite.image.priors import DiffusionPrior
from regen_lite.recipes import run_recipe
from regen_lite.image.recipes import AE_SIZE, RECIPES, extract_all
from report import RESULTS, markdown_table, write_results

HERE = Path(__file__).resolve().parent
CACHE = HERE / ".cache" / "latent_size"
COMMAND = "python benchmarks/latent_size.py"


def vae_and_prior(c: int, data: str):
    """(extractor, prior, vae info, prior info) for a C x 7 x 7 VAE latent: shipped for C=4, else trained."""
    if c == 4:
        d, vae_name, prior_name = weights_dir(), "vae", "prior_vae"
    else:
        d, vae_name, prior_name = CACHE, f"vae_c{c}", f"prior_vae_c{c}"
        shipped_vae, shipped_prior = RECIPES["vae"], RECIPES["prior_vae"]
        if not (d / f"{vae_name}.json").exists():
            run_recipe(replace(shipped_vae, name=vae_name, command=COMMAND,
                               build=lambda: VAE(VAEConfig(latent_ch=c, beta=0.01, **AE_SIZE))),
                       out_dir=d, data=data, progress=False)
        vae, _ = load_checkpoint(d / vae_name, VAE)
        if not (d / f"{prior_name}.json").exists():
            # the shipped prior's network with C input channels
            cfg = replace(shipped_prior.build().cfg, shape=(c, 7, 7))
            run_recipe(replace(shipped_prior, name=prior_name, command=COMMAND, extractor=vae_name,
                               build=lambda: DiffusionPrior(cfg)),
                       out_dir=d, data=data, progress=False, extractor=AutoencoderExtractor(vae_name, vae))
    vae, vae_info = load_checkpoint(d / vae_name, VAE)
    prior, prior_info = load_checkpoint(d / prior_name, DiffusionPrior)
    return AutoencoderExtractor(vae_name, vae), prior.eval(), vae_info, prior_info


def plot(rows, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x = [r["Y' numbers"] for r in rows]
    render = [r["render FD (oracle Y')"] for r in rows]
    total = [r["total FD (generated Y')"] for r in rows]
    fig, ax = plt.subplots(figsize=(5.5, 3.6), dpi=120)
    ax.plot(x, render, "o-", label="render error: FD with oracle Y'")
    ax.plot(x, total, "s-", label="total error: FD with generated Y'")
    ax.fill_between(x, render, total, alpha=0.15, label="prior error (the gap)")
    ax.set_xscale("log", base=2)
    ax.set_xticks(x, [r["Y'"] + f"\n({n})" for r, n in zip(rows, x)])
    ax.set_xlabel("VAE latent Y' (numbers per image)")
    ax.set_ylabel("Frechet distance (classifier features)")
    ax.set_title("RQ4: size of Y' vs the error of each stage")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--channels", nargs="*", type=int, default=[2, 4, 8])
    p.add_argument("--n", type=int, default=2000, help="generated samples per size")
    args = p.parse_args(argv)

    source = "full" if find_fashion_mnist_dir() else "sample"
    x_test, _ = load_fashion_mnist("test", source)
    real = to_float(x_test)
    clf, _ = load_checkpoint(weights_dir() / "classifier", Classifier)
    labels = torch.arange(10).repeat_interleave(args.n // 10)
    kw = PIPELINES["latent"].sample_kw
    rows = []
    for c in sorted(args.channels):
        try:
            ext, prior, vae_info, prior_info = vae_and_prior(c, source)
        except CheckpointError as e:
            print(f"skipping C={c}: {e}")
            continue
        pipe = Regenerator(ext, prior)
        g = torch.Generator().manual_seed(0)
        fake = torch.cat([pipe.generate(labels[i:i + 500], generator=g, **kw)[1] for i in range(0, len(labels), 500)])
        oracle = torch.cat([pipe.renderer.render(b) for b in extract_all(ext, real).split(1000)])
        render_fd = metrics.frechet_distance(clf, real, oracle)
        total_fd = metrics.frechet_distance(clf, real, fake)
        rows.append({
            "Y'": f"{c}x7x7", "Y' numbers": c * 49,
            "render PSNR dB": round(metrics.psnr(oracle, real), 2),
            "render FD (oracle Y')": round(render_fd, 2), "total FD (generated Y')": round(total_fd, 2),
            "prior error (gap)": round(total_fd - render_fd, 2),
            "accuracy": f"{metrics.classifier_accuracy(clf, fake, labels):.1%}",
            "VAE train s": vae_info["train_seconds"], "prior train s": prior_info["train_seconds"],
            "prior steps": prior_info["steps"],
        })
        print(rows[-1], flush=True)
    if not rows:
        return
    text = "\n".join([
        f"VAE latent size vs the error of each stage; {args.n} generated samples per size (DDIM {kw['steps']} steps, "
        f"guidance {kw['guidance']}) vs the {len(real)}-image {source} test set; FD in the reference classifier's "
        "feature space. Every VAE and prior uses the shipped recipe; only C changes.", "",
        markdown_table(rows), "", "![latent size](latent_size.png)"])
    print(text)
    write_results("latent_size", text, rows)
    plot(rows, RESULTS / "latent_size.png")


if __name__ == "__main__":
    main()
