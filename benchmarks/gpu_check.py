"""Does the kit run right on a GPU, and how much faster? One short script, CPU and GPU side by side.

    python benchmarks/gpu_check.py                        # on a CUDA machine: the table, and results/gpu_check.md
    python benchmarks/gpu_check.py --device cpu --steps 5 --samples 20 --data sample   # the code path, no GPU

1. Training: the `ae` recipe for --steps optimizer steps from the same seed, on the CPU and on the device;
   the final training losses agree within a tolerance (GPU convolutions sum in another order), and the
   seconds give the speed-up.
2. Numerics: every image pipeline's round trip render(extract(Y)) on 500 test images (PSNR agrees to 0.05 dB)
   and its prior's training loss on one fixed batch with fixed noise (agrees to 1%).
3. Sampling: --samples images of every image pipeline on each device (the two random streams differ, so the
   comparison is of the reference classifier's accuracy on them, within 10 points), timed.
Exit status 1 when a check fails; each row says which.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace

import torch

from regen_lite.checkpoints import load_checkpoint, weights_dir
from regen_lite.device import get_device
from regen_lite.image import metrics
from regen_lite.image.data import load_fashion_mnist, to_float
from regen_lite.image.networks import Classifier
from regen_lite.image.pipelines import PIPELINES, build_pipeline
from regen_lite.image.recipes import RECIPES
from regen_lite.train import fit
from report import markdown_table, write_results

TOLERANCE = {"train loss (relative)": 0.05, "round-trip PSNR dB": 0.05, "prior loss (relative)": 0.01,
             "sample accuracy": 0.10}


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def train_ae(device, steps: int, source: str):
    """`ae` recipe for `steps` steps on `device`: (final epoch-mean loss, seconds)."""
    recipe = RECIPES["ae"]
    torch.manual_seed(0)
    model = recipe.build()
    tensors, _ = recipe.data(recipe, model, source, None)
    t = time.perf_counter()
    result = fit(model, tensors, replace(recipe.train, max_steps=steps, progress=False, device=str(device)))
    sync(device)
    return result.history[-1]["loss"], time.perf_counter() - t


@torch.no_grad()
def prior_loss(pipe, y, labels, device) -> float:
    """The prior's training loss on one batch with the noise and timesteps drawn on the CPU (same on both)."""
    y_prime = pipe.extractor.extract(y.to(device))
    if hasattr(pipe.prior, "diffusion"):   # diffusion prior: fix t and the noise by drawing them on the CPU
        g = torch.Generator().manual_seed(0)
        x0 = pipe.prior.normalize(y_prime)
        t = torch.randint(0, pipe.prior.diffusion.T, (len(x0),), generator=g).to(device)
        noise = torch.randn(x0.shape, generator=g).to(device)
        eps = pipe.prior.net(pipe.prior.diffusion.q_sample(x0, t, noise), t, labels.to(device))
        return torch.nn.functional.mse_loss(eps, noise).item()
    flat = y_prime.flatten(1)                                  # code prior: teacher forcing, no label dropout
    logits = pipe.prior.net(flat[:, :-1], labels.to(device))
    return torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), flat.reshape(-1)).item()


def generator_on(device, seed=0):
    return torch.Generator(device=device).manual_seed(seed)


@torch.no_grad()
def pipeline_rows(name, devices, test, labels, clf, n_samples) -> list[dict]:
    spec, rows = PIPELINES[name], []
    y, lab = test[:500], labels[:500]
    wanted = torch.arange(10).repeat_interleave(max(1, n_samples // 10))
    for device in devices:
        pipe = build_pipeline(name, device=device)
        y_hat = metrics.batched(lambda b: pipe.reconstruct(b.to(device))[1].cpu(), y)
        sync(device)
        t = time.perf_counter()
        samples = pipe.generate(wanted.to(device), generator=generator_on(device), **spec.sample_kw)[1].cpu()
        sync(device)
        seconds = time.perf_counter() - t
        rows.append({"pipeline": name, "device": str(device), "round-trip PSNR dB": metrics.psnr(y_hat, y),
                     "prior loss": prior_loss(pipe, y[:128], lab[:128], device),
                     "sample accuracy": metrics.classifier_accuracy(clf, samples.clamp(0, 1), wanted),
                     "sample s": seconds})
    return rows


def check(cpu: dict, dev: dict) -> list[str]:
    """The names of the quantities that differ by more than TOLERANCE between the CPU row and the device row."""
    bad = []
    if abs(cpu["round-trip PSNR dB"] - dev["round-trip PSNR dB"]) > TOLERANCE["round-trip PSNR dB"]:
        bad.append("round-trip PSNR")
    if abs(cpu["prior loss"] - dev["prior loss"]) > TOLERANCE["prior loss (relative)"] * abs(cpu["prior loss"]):
        bad.append("prior loss")
    if abs(cpu["sample accuracy"] - dev["sample accuracy"]) > TOLERANCE["sample accuracy"]:
        bad.append("sample accuracy")
    return bad


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--device", default="cuda", help="the device checked against the CPU (default cuda)")
    p.add_argument("--steps", type=int, default=300, help="optimizer steps of the `ae` recipe on each device")
    p.add_argument("--samples", type=int, default=200, help="samples per pipeline and device (a multiple of 10)")
    p.add_argument("--data", choices=["full", "sample"], default="full")
    p.add_argument("--pipelines", nargs="+", choices=list(PIPELINES), default=list(PIPELINES))
    args = p.parse_args(argv)
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        print("gpu_check: CUDA is not available on this machine; run it where it is, or pass --device cpu "
              "to walk the code path", file=sys.stderr)
        return 2
    device, cpu = get_device(args.device), torch.device("cpu")

    (cpu_loss, cpu_s), (dev_loss, dev_s) = train_ae(cpu, args.steps, args.data), train_ae(device, args.steps, args.data)
    train_ok = abs(cpu_loss - dev_loss) <= TOLERANCE["train loss (relative)"] * cpu_loss
    batch = RECIPES["ae"].train.batch_size
    train_row = {"what": f"train `ae`, {args.steps} steps x {batch}", "CPU s": round(cpu_s, 2), f"{device} s": round(dev_s, 3),
                 "speed-up": round(cpu_s / dev_s, 1), "CPU": f"loss {cpu_loss:.5f}", str(device): f"loss {dev_loss:.5f}",
                 "agrees": "yes" if train_ok else "NO: training loss"}

    x, labels = load_fashion_mnist("test", "sample")
    test = to_float(x)
    clf, _ = load_checkpoint(weights_dir() / "classifier", Classifier)
    rows, failures = [train_row], int(not train_ok)
    for name in args.pipelines:
        c, d = pipeline_rows(name, [cpu, device], test, labels, clf, args.samples)
        bad = check(c, d)
        failures += bool(bad)
        rows.append({"what": f"{name}: sample {args.samples}", "CPU s": round(c["sample s"], 2),
                     f"{device} s": round(d["sample s"], 3), "speed-up": round(c["sample s"] / d["sample s"], 1),
                     "CPU": f"PSNR {c['round-trip PSNR dB']:.2f}, loss {c['prior loss']:.4f}, acc {c['sample accuracy']:.0%}",
                     str(device): f"PSNR {d['round-trip PSNR dB']:.2f}, loss {d['prior loss']:.4f}, "
                                  f"acc {d['sample accuracy']:.0%}",
                     "agrees": "yes" if not bad else "NO: " + ", ".join(bad)})
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else str(device)
    text = (f"# The kit on {name} against the CPU ({torch.get_num_threads()} threads), torch {torch.__version__}\n\n"
            f"Tolerances: {TOLERANCE}. PSNR: render(extract(Y)) on 500 test images; loss: the prior's training "
            f"loss on one batch with fixed noise; acc: the reference classifier on the samples.\n\n"
            + markdown_table(rows))
    print(text)
    if device.type == "cuda":
        write_results("gpu_check", text, rows)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
