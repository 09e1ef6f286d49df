"""How good is each image representation Y'? Reconstruction quality, size, speed, training time.

    python benchmarks/representations.py            # full 10k test set when present, else the shipped 1k
    python benchmarks/representations.py --data sample

Prints a Markdown table and writes benchmarks/results/representations.{md,csv}. Encode+decode time is
measured in this run for every extractor (batches of 500 and single images, median of repeats) and is
also given as a ratio to the DCT baseline measured in the same run, since shared machines are noisy.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from regen_lite.checkpoints import CheckpointError
from regen_lite.image.data import find_fashion_mnist_dir, load_fashion_mnist, to_float
from regen_lite.image.metrics import reconstruction_metrics
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
    single_ms = statistics.median(once(y[i:i + 1]) for i in range(20)) * 1000
    return batch_ms, single_ms


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", choices=["auto", "full", "sample"], default="auto")
    p.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    args = p.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    source = args.data if args.data != "auto" else ("full" if find_fashion_mnist_dir() else "sample")
    x, _ = load_fashion_mnist("test", source)
    y = to_float(x)
    rows = []
    for name in list_extractors("image"):
        try:
            e = get_extractor(name)
        except CheckpointError as err:
            print(f"skipping {name}: {str(err).splitlines()[0]}")
            continue
        d = e.describe()
        m = reconstruction_metrics(e, y)
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
        r["time vs dct"] = round(r["us/img (batch 500)"] / base, 1) if base else ""
    lines = [f"Image representations on the Fashion-MNIST {source} test set ({len(y)} images), "
             f"torch {torch.__version__}, {torch.get_num_threads()} threads, CPU. numbers = entries of Y' (Y has 784); "
             "bits count 32 per float and log2(K) per code; compression = 6272 bits of the 8-bit Y / bits of Y'; "
             "time = encode + decode; train s = training time recorded in the checkpoint.", "",
             markdown_table(rows)]
    table = "\n".join(lines)
    print(table)
    write_results("representations", table, rows)
    return rows


if __name__ == "__main__":
    main()
