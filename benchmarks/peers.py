"""The kit beside the code a student would otherwise pick: same machine, same CPU seconds, one run.

    python benchmarks/peers.py                        # both tables (about 55 minutes on a 2-core AMD EPYC)
    python benchmarks/peers.py --part autoencoders    # results/peers_autoencoders.{md,csv} alone (or: diffusion)
    python benchmarks/peers.py --quick                # the code path in about two minutes on the shipped 5k sample

Three pairs, each peer given the CPU seconds the kit's own recipe costs on *this* machine:

    kit ae / vae / vqvae   against  ClassicAE: stride-2 4x4 convolutions straight from 28x28, 64 channels,
                                    the same 4x7x7 latent, Adam 2e-3, batch 128 (the script a student writes)
    kit vqvae              against  the kit's VQ-VAE with vector-quantize-pytorch's VectorQuantize (EMA,
                                    k-means init, dead-code replacement) in place of the kit's quantizer
    kit prior_direct       against  the Hugging Face diffusion course's class-conditioned UNet2DModel
                                    (unit 2: channels 32/64/64 with attention) and diffusers' DDPM scheduler

How "equal CPU time" is set: the kit's recipe is timed here for a few optimizer steps through train.fit
(after a warm-up; the least of 3 tries; time.process_time, all threads) and its cost is that per-step CPU
time x the recipe's step count; its quality is measured on the shipped checkpoint, which that recipe remakes
bit for bit on any CPU. Each autoencoder peer is timed the same way (same warm-up, steps and tries) and
trains for as many steps as fit in that cost. Timing both sides alike matters on a shared machine, where
the cost of a step drifts a lot from one run to the next (the ae recipe: 259 CPU s by its timed steps,
456 CPU s in its recorded training run 20 minutes earlier): a budget timed in short tries and then spent
in one long run would hand whichever side ran in the slower minutes fewer steps. The diffusion peer still trains until this process has used the kit's CPU
seconds, its evaluation excluded (the course UNet's table was measured that way; see the README). Every
model is scored by the same code on the same test images; the diffusion models on the same number of
samples (DDIM 25 steps each), with the kit's Frechet distance (reference-classifier features) against the
10k test set and the classifier's accuracy.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from dataclasses import replace
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F

from regen_lite.checkpoints import load_checkpoint, read_info, weights_dir
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

def cost_per_step(train, warm: int, n: int, repeats: int = 3) -> tuple[float, float]:
    """(CPU, wall) seconds of one optimizer step of train(k) (a fresh model trained for k steps): the difference
    of k = warm + n and k = warm, over n; the least of `repeats` tries, as another job on the machine only
    ever slows a step down."""
    tries = []
    for _ in range(repeats):
        spent = {}
        for k in (warm, warm + n):
            c, w = time.process_time(), time.perf_counter()
            train(k)
            spent[k] = (time.process_time() - c, time.perf_counter() - w)
        tries.append(((spent[warm + n][0] - spent[warm][0]) / n, (spent[warm + n][1] - spent[warm][1]) / n))
    return min(t[0] for t in tries), min(t[1] for t in tries)


def kit_cost(name: str, source: str, warm: int, n: int, repeats: int = 3) -> dict:
    """Recipe `name` on this machine: CPU and wall seconds per optimizer step through train.fit, and the whole
    recipe's CPU seconds (per step x the shipped checkpoint's step count)."""
    recipe = RECIPES[name]
    torch.manual_seed(0)
    tensors, _ = recipe.data(recipe, recipe.build(), source, None)

    def train(k):
        torch.manual_seed(0)
        fit(recipe.build(), tensors, replace(recipe.train, max_steps=k, progress=False, device="cpu"))
    cpu_step, wall_step = cost_per_step(train, warm, n, repeats)
    steps = read_info(weights_dir() / name)["steps"]   # the shipped checkpoint's: the recipe on the full data
    return {"cpu_per_step": cpu_step, "wall_per_step": wall_step, "steps": steps, "cpu_s": cpu_step * steps,
            "images_per_s": recipe.train.batch_size / wall_step}


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


def train_classic(train: torch.Tensor, test: torch.Tensor, marks: dict[str, int], seed: int = 0) -> dict:
    """Train ClassicAE (Adam 2e-3, batch 128, shuffled epochs) until the largest step mark; at each mark
    (name -> optimizer steps) measure test PSNR. Returns {name: {"psnr", "steps", "cpu_s", "wall_s", "images_per_s"}}."""
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
            while pending and step >= pending[0][1]:
                name, _ = pending.pop(0)
                model.eval()
                out[name] = {"psnr": psnr_of(model, test), "steps": step, "cpu_s": budget.cpu,
                             "wall_s": budget.wall, "images_per_s": budget.images / budget.wall}
                model.train()
            if not pending:
                break
    return out


def classic_steps(train: torch.Tensor, budgets: dict[str, float], warm: int, n: int, repeats: int = 3) -> dict:
    """How many ClassicAE steps fit in each budget (name -> CPU seconds): its per-step CPU time timed exactly as
    the kit recipe's is (cost_per_step: the same warm-up, steps and tries), so both sides are timed alike."""
    def run(k):
        train_classic(train, train[:1], {"end": k})
    cpu_step, _ = cost_per_step(run, warm, n, repeats)
    return {name: max(1, round(cpu_s / cpu_step)) for name, cpu_s in budgets.items()}


def train_library_vq(source: str, test: torch.Tensor, cpu_s: float, warm: int, n: int) -> dict:
    """The kit's VQ-VAE with the library quantizer, trained by the kit's own recipe loop (train.fit, same
    TrainConfig) for as many steps as fit in cpu_s on this machine (its per-step cost timed first)."""
    recipe = RECIPES["vqvae"]
    tensors, _ = recipe.data(recipe, None, source, None)

    def train(k):
        torch.manual_seed(0)
        fit(library_vqvae(), tensors, replace(recipe.train, max_steps=k, progress=False, device="cpu"))
    steps = max(1, int(cpu_s / cost_per_step(train, warm, n)[0]))
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
    p.add_argument("--part", choices=["autoencoders", "diffusion", "all"], default="all",
                   help="one table (results/peers_autoencoders or peers_diffusion) or both, each from its own run")
    p.add_argument("--quick", action="store_true",
                   help="the code path only: shipped 5k sample, 0.3%% of each budget, 20 samples (numbers meaningless)")
    p.add_argument("--samples", type=int, default=1000, help="diffusion samples per model (a multiple of 10)")
    p.add_argument("--out", type=Path, default=RESULTS, help="the folder for the results")
    args = p.parse_args(argv)
    run = Run(args)
    if args.part in ("autoencoders", "all"):
        run.autoencoders()
    if args.part in ("diffusion", "all"):
        run.diffusion()


class Run:
    """One part of the benchmark: the kit's recipe timed here, then its peers, then the table."""

    def __init__(self, args):
        self.args, self.quick = args, args.quick
        self.source = "sample" if args.quick else "full"
        self.scale, self.n_samples = (0.003, 20) if args.quick else (1.0, args.samples)
        self.warm, self.n = (2, 3) if args.quick else (5, 30)
        train_x, self.train_labels = load_fashion_mnist("train", self.source)
        self.train, self.test = to_float(train_x), to_float(load_fashion_mnist("test", self.source)[0])

    def budget(self, names) -> dict:
        cost = {name: kit_cost(name, self.source, self.warm, self.n, 1 if self.quick else 3) for name in names}
        print("kit recipes, CPU s here:", {k: round(c["cpu_s"], 1) for k, c in cost.items()}, flush=True)
        return cost

    def write(self, part: str, title: str, rows: list[dict], started: float, peer_budget: str):
        text = header(title, self.quick, time.perf_counter() - started, peer_budget) + markdown_table(rows)
        print(text)
        flags = f" --part {part}" + (" --quick" if self.quick else "")
        write_results(f"peers_{part}", text, rows, out_dir=self.args.out, command=f"python benchmarks/peers.py{flags}")

    def autoencoders(self):
        started = time.perf_counter()
        cost = self.budget(("ae", "vae", "vqvae"))
        budget = {name: c["cpu_s"] * self.scale for name, c in cost.items()}
        steps = classic_steps(self.train, budget, self.warm, self.n, 1 if self.quick else 3)
        classic = train_classic(self.train, self.test, steps)
        print("ClassicAE:", classic, flush=True)
        library = train_library_vq(self.source, self.test, budget["vqvae"], self.warm, self.n)
        print("library VQ:", library, flush=True)
        rows = [ae_row(name, "ClassicAE (plain AE)", cost[name], kit_autoencoder(name, self.test), classic[name],
                       budget[name]) for name in ("ae", "vae", "vqvae")]
        rows.append(ae_row("vqvae", "kit VQ-VAE + vector-quantize-pytorch", cost["vqvae"],
                           kit_autoencoder("vqvae", self.test), library, budget["vqvae"]))
        self.write("autoencoders", f"Autoencoders: test PSNR on the {len(self.test)} test images; images/s = "
                   "training images per wall second (the kit's from its timed steps)", rows, started,
                   "each peer's per-step CPU time is timed the same way, and it trains for as many steps as fit in "
                   "those seconds (peer CPU s: what its training run then used)")

    def diffusion(self):
        started = time.perf_counter()
        c = self.budget(("prior_direct",))["prior_direct"]
        clf, _ = load_checkpoint(weights_dir() / "classifier", Classifier)
        labels = torch.arange(10).repeat_interleave(self.n_samples // 10)
        net, sched, unet = train_course_unet(self.train, self.train_labels, c["cpu_s"] * self.scale)
        print("course UNet:", unet, flush=True)
        t = time.perf_counter()
        kit_y = sample_kit_direct(labels)
        kit_sample_s = time.perf_counter() - t
        t = time.perf_counter()
        unet_y = sample_course_unet(net, sched, labels)
        unet_sample_s = time.perf_counter() - t
        kit_s, unet_s = score(clf, self.test, kit_y, labels), score(clf, self.test, unet_y, labels)
        n = self.n_samples
        rows = [
            {"model": "kit prior_direct (shipped)", "params": sum(p.numel() for p in RECIPES["prior_direct"].build().parameters()),
             "steps": c["steps"], "CPU s": round(c["cpu_s"] * self.scale, 1), "s per step": round(c["wall_per_step"], 3),
             "FD": round(kit_s["fd"], 2), "accuracy": f"{kit_s['accuracy']:.1%}", f"sample {n} s": round(kit_sample_s, 1)},
            {"model": "course UNet2DModel + DDPM", "params": sum(p.numel() for p in net.parameters()),
             "steps": unet["steps"], "CPU s": round(unet["cpu_s"], 1),
             "s per step": round(unet["wall_s"] / max(1, unet["steps"]), 3),
             "FD": round(unet_s["fd"], 2), "accuracy": f"{unet_s['accuracy']:.1%}", f"sample {n} s": round(unet_sample_s, 1)},
        ]
        self.write("diffusion", f"Pixel diffusion X = class -> Y: {n} samples each (DDIM 25 steps), FD in the "
                   f"reference classifier's features against the {len(self.test)} test images, the classifier's "
                   "accuracy on the samples", rows, started,
                   "the peer trains until this process has used that many CPU seconds (evaluation excluded)")


def ae_row(name, peer_name, cost, kit, peer, budget) -> dict:
    return {"kit model": name, "peer": peer_name, "CPU s (kit recipe here)": round(budget, 1), "kit steps": cost["steps"],
            "kit PSNR dB": round(kit["psnr"], 2), "peer PSNR dB": round(peer["psnr"], 2),
            "kit - peer dB": round(kit["psnr"] - peer["psnr"], 2),
            "kit code usage": "" if kit.get("usage") is None else f"{kit['usage']:.0%}",
            "peer code usage": "" if peer.get("usage") is None else f"{peer['usage']:.0%}",
            "kit images/s": round(cost["images_per_s"]), "peer images/s": round(peer["images_per_s"]),
            "kit/peer images/s": round(cost["images_per_s"] / peer["images_per_s"], 2),
            "peer steps": peer["steps"], "peer CPU s": round(peer["cpu_s"], 1)}


def header(title: str, quick: bool, seconds: float, peer_budget: str) -> str:
    return (f"# The kit beside its peers at equal CPU time. {title}\n\n"
            + ("**--quick run: the shipped 5k sample, 0.3% of each budget; the numbers only show the code path.**\n\n"
               if quick else "")
            + f"One run on one machine ({platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}, "
            f"{torch.get_num_threads()} threads), {seconds / 60:.0f} minutes. Each kit recipe's CPU seconds on this "
            "machine = its per-step CPU time through train.fit, timed here (the least of 3 tries), x its step count; "
            f"{peer_budget}. The kit's figures are measured here on its shipped checkpoint, which the recipe remakes "
            "bit for bit.\n\n")


if __name__ == "__main__":
    main()
