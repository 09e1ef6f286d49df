"""The kit beside the code a student would otherwise pick: same machine, same CPU seconds, one run.

    python benchmarks/peers.py            # the full table (about 50 minutes on a 2-core AMD EPYC)
    python benchmarks/peers.py --quick    # the code path in about a minute on the shipped 5k sample

Three pairs, each peer given the CPU seconds the kit's own recipe costs on *this* machine:

    kit ae / vae / vqvae   against  ClassicAE: stride-2 4x4 convolutions straight from 28x28, 64 channels,
                                    the same 4x7x7 latent, Adam 2e-3, batch 128 (the script a student writes)
    kit vqvae              against  the kit's VQ-VAE with vector-quantize-pytorch's VectorQuantize (EMA,
                                    k-means init, dead-code replacement) in place of the kit's quantizer
    kit prior_direct       against  the Hugging Face diffusion course's class-conditioned UNet2DModel
                                    (unit 2: channels 32/64/64 with attention) and diffusers' DDPM scheduler

How "equal CPU time" is set: the kit's recipe is timed here for its first optimizer steps through train.fit
(after a warm-up) and its cost is that per-step CPU time x the recipe's step count; its quality is measured
on the shipped checkpoint, which that recipe remakes bit for bit on any CPU. Each peer then trains until
this process has used that many CPU seconds (time.process_time, all threads: another job on the machine
does not eat into a peer's budget), its evaluation excluded. Every model is scored by the same code on the
same test images; the diffusion models on the same number of samples (DDIM 25 steps each), with the kit's
Frechet distance (reference-classifier features) against the 10k test set and the classifier's accuracy.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F

from regen_lite.checkpoints import load_checkpoint, weights_dir
from regen_lite.image import metrics
from regen_lite.image.data import load_fashion_mnist, to_float
from regen_lite.image.networks import Classifier
from regen_lite.image.pipelines import PIPELINES, build_pipeline
from regen_lite.image.recipes import RECIPES
from regen_lite.train import fit
from report import RESULTS, markdown_table, write_results


# ---------------------------------------------------------------- the peers

class ClassicAE(nn.Module):
    """The classic conv autoencoder: (B, 1, 28, 28) -> (B, 4, 7, 7) -> (B, 1, 28, 28), 134k parameters."""

    def __init__(self, ch: int = 64, latent_ch: int = 4):
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Conv2d(1, ch, 4, stride=2, padding=1), nn.ReLU(),          # (B, 64, 14, 14)
            nn.Conv2d(ch, ch, 4, stride=2, padding=1), nn.ReLU(),         # (B, 64, 7, 7)
            nn.Conv2d(ch, latent_ch, 1))                                  # (B, 4, 7, 7)
        self.decoder = nn.Sequential(
            nn.Conv2d(latent_ch, ch, 3, padding=1), nn.ReLU(),            # (B, 64, 7, 7)
            nn.ConvTranspose2d(ch, ch, 4, stride=2, padding=1), nn.ReLU(),  # (B, 64, 14, 14)
            nn.ConvTranspose2d(ch, 1, 4, stride=2, padding=1))            # (B, 1, 28, 28)

    def forward(self, y):
        return self.decoder(self.encoder(y))


class LibraryQuantizer(nn.Module):
    """vector-quantize-pytorch's VectorQuantize behind the kit quantizer's interface:
    z_e (B, D, H, W) -> (z_q (B, D, H, W), commitment loss, {"indices": (B, H, W)})."""

    def __init__(self, num_codes: int, dim: int, beta: float, decay: float):
        super().__init__()
        from vector_quantize_pytorch import VectorQuantize
        self.vq = VectorQuantize(dim=dim, codebook_size=num_codes, decay=decay, commitment_weight=beta,
                                 kmeans_init=True, kmeans_iters=10, threshold_ema_dead_code=2,
                                 accept_image_fmap=True)

    def forward(self, z_e):
        z_q, indices, loss = self.vq(z_e)
        return z_q, loss, {"indices": indices}


def library_vqvae():
    """The shipped VQ-VAE recipe's model with the library quantizer in place of the kit's."""
    model = RECIPES["vqvae"].build()
    c = model.cfg
    model.quantizer = LibraryQuantizer(c.num_codes, c.code_dim, c.beta, c.decay)
    return model


def course_unet():
    """The diffusion course's class-conditioned UNet (unit 2): the class is embedded in 4 numbers and
    concatenated to the noisy image as extra channels."""
    from diffusers import UNet2DModel

    class ClassConditionedUnet(nn.Module):
        def __init__(self, num_classes=10, class_emb_size=4):
            super().__init__()
            self.class_emb = nn.Embedding(num_classes, class_emb_size)
            self.model = UNet2DModel(
                sample_size=28, in_channels=1 + class_emb_size, out_channels=1, layers_per_block=2,
                block_out_channels=(32, 64, 64),
                down_block_types=("DownBlock2D", "AttnDownBlock2D", "AttnDownBlock2D"),
                up_block_types=("AttnUpBlock2D", "AttnUpBlock2D", "UpBlock2D"))

        def forward(self, x, t, labels):
            emb = self.class_emb(labels)[:, :, None, None].expand(-1, -1, *x.shape[2:])
            return self.model(torch.cat([x, emb], 1), t).sample

    return ClassConditionedUnet()


# ---------------------------------------------------------------- equal CPU time

def kit_cost(name: str, source: str, warm: int, n: int) -> dict:
    """CPU and wall seconds per optimizer step of recipe `name` through train.fit on this machine, from
    fitting warm + n steps and warm steps, and its whole recipe's CPU seconds (per step x recipe steps)."""
    recipe = RECIPES[name]
    info = {}
    for k in (warm, warm + n):
        torch.manual_seed(0)
        model = recipe.build()
        tensors, _ = recipe.data(recipe, model, source, None)
        cfg = replace(recipe.train, max_steps=k, progress=False, device="cpu")
        c, w = time.process_time(), time.perf_counter()
        fit(model, tensors, cfg)
        info[k] = (time.process_time() - c, time.perf_counter() - w)
    cpu_step = (info[warm + n][0] - info[warm][0]) / n
    wall_step = (info[warm + n][1] - info[warm][1]) / n
    steps = recipe_steps(name)
    return {"cpu_per_step": cpu_step, "wall_per_step": wall_step, "steps": steps, "cpu_s": cpu_step * steps,
            "images_per_s": recipe.train.batch_size / wall_step}


def recipe_steps(name: str) -> int:
    """The optimizer steps of the shipped checkpoint (its JSON), i.e. of the recipe on the full data."""
    return load_checkpoint_info(name)["steps"]


def load_checkpoint_info(name: str) -> dict:
    import json
    return json.loads((weights_dir() / f"{name}.json").read_text())


class Budget:
    """Counts this process's CPU seconds spent inside `with budget:` blocks only (training, not evaluation)."""

    def __init__(self):
        self.cpu, self.wall, self.images = 0.0, 0.0, 0

    def __enter__(self):
        self._c, self._w = time.process_time(), time.perf_counter()

    def __exit__(self, *exc):
        self.cpu += time.process_time() - self._c
        self.wall += time.perf_counter() - self._w


# ---------------------------------------------------------------- autoencoders

@torch.no_grad()
def psnr_of(fn, images: torch.Tensor) -> float:
    return metrics.psnr(metrics.batched(fn, images), images)


def train_classic(train: torch.Tensor, test: torch.Tensor, marks: dict[str, float], seed: int = 0) -> dict:
    """Train ClassicAE (Adam 2e-3, batch 128, shuffled epochs) until the largest CPU mark; at each mark
    (name -> CPU seconds) measure test PSNR. Returns {name: {"psnr", "steps", "cpu_s", "wall_s", "images_per_s"}}."""
    torch.manual_seed(seed)
    model, budget, out, step = ClassicAE(), Budget(), {}, 0
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    g = torch.Generator().manual_seed(seed)
    pending = sorted(marks.items(), key=lambda kv: kv[1])
    while pending:
        perm = torch.randperm(len(train), generator=g)
        for i in range(0, len(train), 128):
            with budget:
                y = train[perm[i:i + 128]]
                loss = F.mse_loss(model(y), y)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
            step, budget.images = step + 1, budget.images + len(y)
            while pending and budget.cpu >= pending[0][1]:
                name, _ = pending.pop(0)
                model.eval()
                out[name] = {"psnr": psnr_of(model, test), "steps": step, "cpu_s": budget.cpu,
                             "wall_s": budget.wall, "images_per_s": budget.images / budget.wall}
                model.train()
            if not pending:
                break
    return out


def train_library_vq(source: str, test: torch.Tensor, cpu_s: float, warm: int, n: int) -> dict:
    """The kit's VQ-VAE with the library quantizer, trained by the kit's own recipe loop (train.fit, same
    TrainConfig) for as many steps as fit in cpu_s on this machine (its per-step cost timed first)."""
    recipe = RECIPES["vqvae"]
    tensors, _ = recipe.data(recipe, None, source, None)
    per = {}
    for k in (warm, warm + n):
        torch.manual_seed(0)
        c = time.process_time()
        fit(library_vqvae(), tensors, replace(recipe.train, max_steps=k, progress=False, device="cpu"))
        per[k] = time.process_time() - c
    steps = max(1, int(cpu_s / ((per[warm + n] - per[warm]) / n)))
    torch.manual_seed(0)
    model = library_vqvae()
    c, w = time.process_time(), time.perf_counter()
    result = fit(model, tensors, replace(recipe.train, max_steps=steps, epochs=10_000, progress=False, device="cpu"))
    cpu, wall = time.process_time() - c, time.perf_counter() - w
    model = result.model.eval()

    @torch.no_grad()
    def codes(y):
        return model.quantizer(model.encoder(y))[2]["indices"]

    @torch.no_grad()
    def recon(y):
        return model.decoder(model.quantizer(model.encoder(y))[0])
    usage = metrics.codebook_usage(metrics.batched(codes, test), model.cfg.num_codes)["usage"]
    return {"psnr": psnr_of(recon, test), "usage": usage, "steps": steps, "cpu_s": cpu, "wall_s": wall,
            "images_per_s": steps * recipe.train.batch_size / wall}


def kit_autoencoder(name: str, test: torch.Tensor) -> dict:
    """The shipped checkpoint's test PSNR (and code usage), measured here."""
    from regen_lite.image.extractors import EXTRACTORS
    ext = EXTRACTORS[name][0]()
    m = metrics.reconstruction_metrics(ext, test)
    return {"psnr": m["psnr"], "usage": m.get("usage")}


# ---------------------------------------------------------------- pixel diffusion

def train_course_unet(train: torch.Tensor, labels: torch.Tensor, cpu_s: float, seed: int = 0):
    """The course's loop: DDPM noise-prediction MSE, Adam 1e-3, batch 128, images in [-1, 1]."""
    from diffusers import DDPMScheduler
    torch.manual_seed(seed)
    net, budget, step = course_unet(), Budget(), 0
    sched = DDPMScheduler(num_train_timesteps=1000, beta_schedule="squaredcos_cap_v2")
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    g = torch.Generator().manual_seed(seed)
    while budget.cpu < cpu_s:
        perm = torch.randperm(len(train), generator=g)
        for i in range(0, len(train), 128):
            with budget:
                x0, c = train[perm[i:i + 128]] * 2 - 1, labels[perm[i:i + 128]]
                noise = torch.randn_like(x0)
                t = torch.randint(0, 999, (len(x0),))
                loss = F.mse_loss(net(sched.add_noise(x0, noise, t), t, c), noise)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
            step, budget.images = step + 1, budget.images + len(x0)
            if budget.cpu >= cpu_s:
                break
    return net.eval(), sched, {"steps": step, "cpu_s": budget.cpu, "wall_s": budget.wall,
                               "images_per_s": budget.images / budget.wall}


@torch.no_grad()
def sample_course_unet(net, sched, labels: torch.Tensor, steps: int = 25, batch: int = 250, seed: int = 0):
    """DDIM (eta 0) with `steps` steps from diffusers' DDIMScheduler, configured like the training DDPM."""
    from diffusers import DDIMScheduler
    ddim = DDIMScheduler.from_config(sched.config)
    ddim.set_timesteps(steps)
    g, out = torch.Generator().manual_seed(seed), []
    for i in range(0, len(labels), batch):
        c = labels[i:i + batch]
        x = torch.randn((len(c), 1, 28, 28), generator=g)
        for t in ddim.timesteps:
            x = ddim.step(net(x, t, c), t, x).prev_sample
        out.append(((x + 1) / 2).clamp(0, 1))
    return torch.cat(out)


@torch.no_grad()
def sample_kit_direct(labels: torch.Tensor, batch: int = 250, seed: int = 0):
    pipe, kw = build_pipeline("direct"), PIPELINES["direct"].sample_kw
    g = torch.Generator().manual_seed(seed)
    return torch.cat([pipe.generate(labels[i:i + batch], generator=g, **kw)[1].clamp(0, 1)
                      for i in range(0, len(labels), batch)])


def score(clf, real, y, labels) -> dict:
    return {"fd": metrics.frechet_distance(clf, real, y), "accuracy": metrics.classifier_accuracy(clf, y, labels)}


# ---------------------------------------------------------------- the run

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true",
                   help="the code path only: shipped 5k sample, 1%% of each budget, 50 samples (numbers meaningless)")
    p.add_argument("--samples", type=int, default=1000, help="diffusion samples per model (a multiple of 10)")
    p.add_argument("--out", type=Path, default=RESULTS, help="where peers.md and peers.csv go")
    args = p.parse_args(argv)
    source = "sample" if args.quick else "full"
    scale, n_samples = (0.01, 50) if args.quick else (1.0, args.samples)
    warm, n = (2, 3) if args.quick else (5, 30)
    t_start = time.perf_counter()

    train_x, train_labels = load_fashion_mnist("train", source)
    test_x, _ = load_fashion_mnist("test", source)
    train, test = to_float(train_x), to_float(test_x)

    # 1. the kit's recipes: CPU seconds on this machine
    cost = {name: kit_cost(name, source, warm, n) for name in ("ae", "vae", "vqvae", "prior_direct")}
    budget = {name: c["cpu_s"] * scale for name, c in cost.items()}
    print("kit recipes, CPU s here:", {k: round(v, 1) for k, v in budget.items()}, flush=True)

    # 2. autoencoders
    classic = train_classic(train, test, {name: budget[name] for name in ("ae", "vae", "vqvae")})
    print("ClassicAE:", classic, flush=True)
    library = train_library_vq(source, test, budget["vqvae"], warm, n)
    print("library VQ:", library, flush=True)
    rows = []
    for name in ("ae", "vae", "vqvae"):
        kit, peer = kit_autoencoder(name, test), classic[name]
        rows.append(ae_row(name, "ClassicAE (plain AE)", cost[name], kit, peer, budget[name]))
    rows.append(ae_row("vqvae", "kit VQ-VAE + vector-quantize-pytorch", cost["vqvae"],
                       kit_autoencoder("vqvae", test), library, budget["vqvae"]))

    # 3. pixel diffusion
    clf, _ = load_checkpoint(weights_dir() / "classifier", Classifier)
    real = to_float(load_fashion_mnist("test", source)[0])
    labels = torch.arange(10).repeat_interleave(n_samples // 10)
    net, sched, unet = train_course_unet(train, train_labels, budget["prior_direct"])
    print("course UNet:", unet, flush=True)
    t = time.perf_counter()
    kit_y = sample_kit_direct(labels)
    kit_sample_s = time.perf_counter() - t
    t = time.perf_counter()
    unet_y = sample_course_unet(net, sched, labels)
    unet_sample_s = time.perf_counter() - t
    kit_s, unet_s = score(clf, real, kit_y, labels), score(clf, real, unet_y, labels)
    kit_params = sum(p.numel() for p in RECIPES["prior_direct"].build().parameters())
    unet_params = sum(p.numel() for p in net.parameters())
    c = cost["prior_direct"]
    diff_rows = [
        {"model": "kit prior_direct (shipped)", "params": kit_params, "steps": c["steps"],
         "CPU s": round(c["cpu_s"] * scale, 1), "s per step": round(c["wall_per_step"], 3),
         "FD": round(kit_s["fd"], 2), "accuracy": f"{kit_s['accuracy']:.1%}",
         f"sample {n_samples} s": round(kit_sample_s, 1)},
        {"model": "course UNet2DModel + DDPM", "params": unet_params, "steps": unet["steps"],
         "CPU s": round(unet["cpu_s"], 1), "s per step": round(unet["wall_s"] / max(1, unet["steps"]), 3),
         "FD": round(unet_s["fd"], 2), "accuracy": f"{unet_s['accuracy']:.1%}",
         f"sample {n_samples} s": round(unet_sample_s, 1)},
    ]
    text = report(rows, diff_rows, source, n_samples, args.quick, time.perf_counter() - t_start)
    print(text)
    write_results("peers", text, rows + diff_rows, cols=list(rows[0]) + [k for k in diff_rows[0] if k not in rows[0]],
                  out_dir=args.out, command="python benchmarks/peers.py" + (" --quick" if args.quick else ""))


def ae_row(name, peer_name, cost, kit, peer, budget) -> dict:
    return {"kit model": name, "peer": peer_name, "CPU s (kit recipe here)": round(budget, 1),
            "kit PSNR dB": round(kit["psnr"], 2), "peer PSNR dB": round(peer["psnr"], 2),
            "kit - peer dB": round(kit["psnr"] - peer["psnr"], 2),
            "kit code usage": "" if kit.get("usage") is None else f"{kit['usage']:.0%}",
            "peer code usage": "" if peer.get("usage") is None else f"{peer['usage']:.0%}",
            "kit images/s": round(cost["images_per_s"]), "peer images/s": round(peer["images_per_s"]),
            "kit/peer images/s": round(cost["images_per_s"] / peer["images_per_s"], 2),
            "peer steps": peer["steps"], "peer CPU s": round(peer["cpu_s"], 1)}


def report(rows, diff_rows, source, n_samples, quick, seconds) -> str:
    import os
    import platform
    head = ("# The kit beside its peers at equal CPU time\n\n"
            + ("**--quick run: the shipped 5k sample, 1% of each budget; the numbers only show the code path.**\n\n"
               if quick else "")
            + f"One run on one machine ({platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}, "
            f"{torch.get_num_threads()} threads), {seconds / 60:.0f} minutes in all. Each kit recipe's CPU seconds "
            "on this machine = its per-step CPU time through train.fit, timed here, x its step count; each peer "
            "trains for that many CPU seconds of this process (evaluation excluded). The kit's figures are "
            "measured here on its shipped checkpoint, which the recipe remakes bit for bit.\n\n"
            f"## Autoencoders: test PSNR on the {'1k sample' if source == 'sample' else '10k'} test images\n\n"
            "images/s = training images per wall second (the kit's from its timed steps).\n\n")
    return (head + markdown_table(rows)
            + f"\n\n## Pixel diffusion X = class -> Y: {n_samples} samples each (DDIM 25 steps), FD in the "
            "reference classifier's features against the test set, the classifier's accuracy\n\n"
            + markdown_table(diff_rows))


if __name__ == "__main__":
    main()
