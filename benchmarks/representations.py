"""How good is each image representation Y'? Reconstruction quality, size, speed, training time.

    python benchmarks/representations.py            # full 10k test set when present, else the shipped 1k
    python benchmarks/representations.py --data sample

Prints a Markdown table and writes benchmarks/results/representations.{md,csv}. Encode+decode time is
measured in this run for every extractor (batches of 500 and single images, median of repeats) and is
also given as a ratio to the DCT baseline measured in the same run, since shared machines are noisy.

Two representations get more than one row. The residual VQ (rvq) is one model with S rates: a second table is
its ladder, the PSNR of decoding with the first n of its S code maps, beside the single-stage VQ-VAE and FSQ.
The diffusion autoencoder (diffae) renders by 50 network calls an image (25 guided DDIM steps), so it is
measured on the first 20 test images of each class (200), twice: from z alone with fresh noise (the details
invented), and from z with the DDIM-inverted x_T (which is itself as large as Y).
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from regen_lite.checkpoints import CheckpointError
from regen_lite.image.data import find_fashion_mnist_dir, load_fashion_mnist, to_float
from regen_lite.checkpoints import load_checkpoint, weights_dir
from regen_lite.image.metrics import diffae_metrics, reconstruction_metrics
from regen_lite.image.networks import Classifier
from regen_lite.image.recipes import REPRESENTATION_TARGETS as TARGETS
from regen_lite.registry import get_extractor, list_extractors
from report import markdown_table, write_results


def time_round_trip(e, y: torch.Tensor, repeats: int = 5) -> tuple[float, float]:
    """Median ms per image (encode + decode) for a batch of len(y), and median ms for one image alone."""
    def once(batch):
        t = time.perf_counter()
        with torch.no_grad():
            e.render(e.extract(batch))
        return time.perf_counter() - t
    once(y)  # warm-up
    batch_ms = statistics.median(once(y) for _ in range(repeats)) * 1000 / len(y)
    single_ms = statistics.median(once(y[i:i + 1]) for i in range(min(20, 4 * repeats))) * 1000
    return batch_ms, single_ms


def ladder_rows(rows: list[dict], m: dict, bits_per_stage: float) -> list[dict]:
    """The rvq ladder (PSNR after 1..S stages) with the one-rate code representations for reference."""
    out = [{"Y'": f"rvq, first {n} stage{'s' * (n > 1)}", "bits": round(n * bits_per_stage), "PSNR dB": round(p, 2)}
           for n, p in enumerate(m["psnr_by_stages"], 1)]
    return out + [{"Y'": r["Y'"], "bits": r["bits"], "PSNR dB": r["PSNR dB"]} for r in rows
                  if r["Y'"] in ("vqvae", "fsq", "dct_lowpass", "downsample_x4")]


def diffae_rows(e, y, labels, d: dict, info: dict) -> tuple[list[dict], dict]:
    keep = torch.cat([(labels == c).nonzero().flatten()[:20] for c in range(10)])
    clf, _ = load_checkpoint(weights_dir() / "classifier", Classifier)
    m = diffae_metrics(e, y[keep], labels[keep], clf)
    _, single_ms = time_round_trip(e, y[:1], repeats=1)   # one image: extract + a 25-step guided DDIM render
    common = {"kind": d["kind"], "type": "floats", "code usage": "", "perplexity": "", "us/img (batch 500)": "",
              "ms (1 image)": round(single_ms, 1), "train s": info.get("train_seconds", ""), "target": "see note",
              "met": ""}
    z_bits, x_bits = d["bits"], 784 * 32
    return [{"Y'": "diffae: z, fresh noise", "shape": "x".join(map(str, d["shape"])), "numbers": d["numel"],
             "bits": round(z_bits), "compression": round(d["compression"], 1), "PSNR dB": round(m["psnr_z"], 2),
             "SSIM": round(m["ssim_z"], 3), **common},
            {"Y'": "diffae: z + inverted x_T", "shape": f"{d['numel']} + 1x28x28", "numbers": d["numel"] + 784,
             "bits": round(z_bits + x_bits), "compression": round(784 * 8 / (z_bits + x_bits), 2),
             "PSNR dB": round(m["psnr_inverted"], 2), "SSIM": round(m["ssim_inverted"], 3), **common}], m


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", choices=["auto", "full", "sample"], default="auto")
    p.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    args = p.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    source = args.data if args.data != "auto" else ("full" if find_fashion_mnist_dir() else "sample")
    x, labels = load_fashion_mnist("test", source)
    y = to_float(x)
    rows, ladder, diffae_note, ladder_m = [], [], "", None
    for name in list_extractors("image"):
        try:
            e = get_extractor(name)
        except CheckpointError as err:
            print(f"skipping {name}: {str(err).splitlines()[0]}")
            continue
        d = e.describe()
        if name == "diffae":
            new, m = diffae_rows(e, y, labels, d, getattr(e, "info", {}) or {})
            rows += new
            diffae_note = (f"diffae on 200 test images (20 a class): the classifier puts {m['class_kept']:.1%} of the "
                           f"renders from z alone in the right class; two renders of one z with different noise are "
                           f"{m['psnr_seeds']:.2f} dB apart. ms (1 image) is one 25-step guided DDIM pass.")
            continue
        m = reconstruction_metrics(e, y)
        if "psnr_by_stages" in m:
            stages = len(m["psnr_by_stages"])
            ladder_m, ladder_bits = m, d["bits"] / stages
        batch_ms, single_ms = time_round_trip(e, y[:500])
        info = getattr(e, "info", {}) or {}
        psnr_t, usage_t = TARGETS.get(name, (None, None))
        ok = []
        if psnr_t is not None:
            ok.append(m["psnr"] >= psnr_t)
        if usage_t is not None:
            ok.append(m["usage"] >= usage_t)
        rows.append({
            "Y'": name, "kind": d["kind"], "shape": "x".join(map(str, d["shape"])),
            "type": "codes" if d["discrete"] else "floats", "numbers": d["numel"], "bits": round(d["bits"]),
            "compression": round(d["compression"], 1),
            "PSNR dB": round(m["psnr"], 2), "SSIM": round(m["ssim"], 3),
            "code usage": f"{m['usage']:.1%}" if "usage" in m else "",
            "perplexity": round(m["perplexity"], 1) if "perplexity" in m else "",
            "us/img (batch 500)": round(batch_ms * 1000, 1), "ms (1 image)": round(single_ms, 2),
            "train s": info.get("train_seconds", ""),
            "target": (f"PSNR>={psnr_t}" + (f", usage>={usage_t:.0%}" if usage_t else "")) if psnr_t else "baseline",
            "met": ("yes" if all(ok) else "NO") if ok else "",
        })
    base = next((r["us/img (batch 500)"] for r in rows if r["Y'"] == "dct_lowpass"), None)
    for r in rows:
        r["time vs dct"] = round(r["us/img (batch 500)"] / base, 1) if base and r["us/img (batch 500)"] != "" else ""
    if ladder_m is not None:
        ladder = ladder_rows(rows, ladder_m, ladder_bits)
    lines = [f"Image representations on the Fashion-MNIST {source} test set ({len(y)} images), "
             f"torch {torch.__version__}, {torch.get_num_threads()} threads, CPU. numbers = entries of Y' (Y has 784); "
             "bits count 32 per float and log2(K) per code; compression = 6272 bits of the 8-bit Y / bits of Y'; "
             "time = encode + decode; train s = training time recorded in the checkpoint.", "",
             markdown_table(rows)]
    if diffae_note:
        lines += ["", diffae_note]
    if ladder:
        lines += ["", "The residual-VQ ladder: one rvq model decoded from its first n code maps "
                  "(n x 8 bits a position), "
                  "beside the one-rate representations of similar size:", "", markdown_table(ladder)]
    table = "\n".join(lines)
    print(table)
    write_results("representations", table, rows)
    return rows


if __name__ == "__main__":
    main()
