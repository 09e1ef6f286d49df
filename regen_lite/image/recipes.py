"""Training recipes: one named entry per shipped checkpoint, used by `regen-lite train NAME`.

Each recipe builds a model from its dataclass config, fits it with train.fit on Fashion-MNIST,
measures it, and writes data_samples/weights/NAME.{safetensors,json} with the metrics recorded.
Labels are used only where X is the class: the classifier and the priors X -> Y'. The autoencoders
and the super-resolution renderer are self-supervised on Y alone.
"""

from __future__ import annotations

import json
import time
from dataclasses import replace
from pathlib import Path

import torch

from ..checkpoints import load_checkpoint, save_checkpoint, weights_dir
from . import metrics
from .autoencoders import (
    AE,
    FSQVAE,
    VAE,
    VQVAE,
    AEConfig,
    AutoencoderExtractor,
    FSQVAEConfig,
    VAEConfig,
    VQVAEConfig,
)
from .data import data_hash, load_fashion_mnist, to_float
from .networks import Classifier, ClassifierConfig
from .priors import CodePrior, CodePriorConfig, DiffusionPrior, DiffusionPriorConfig
from .renderers import LearnedRenderer, SuperResConfig, SuperResolution
from ..recipes import Recipe
from ..train import TrainConfig, fit
from .extractors import EXTRACTORS


AE_SIZE = dict(ch=32, n_res=1)  # sized so each autoencoder trains on 60k images in < 10 min on 2 CPU cores
# targets of the shipped representations on the full 10k test set: (min PSNR dB, min fraction of codes used)
REPRESENTATION_TARGETS = {"ae": (25.0, None), "vae": (23.0, None), "vqvae": (23.0, 0.95), "fsq": (22.0, 0.95)}
# optimizer steps of each prior X -> Y', chosen so that each trains in about 8 CPU-minutes on 2 cores
PRIOR_STEPS = {"prior_direct": 480, "prior_vae": 2000, "prior_lowres": 2000, "prior_vqvae": 1200, "prior_fsq": 1200}

RECIPES = {r.name: r for r in [
    Recipe("classifier", Classifier, lambda: Classifier(ClassifierConfig(ch=32)),
           TrainConfig(epochs=5, lr=3e-3, weight_decay=5e-4), "classifier",
           notes="reference classifier for accuracy and Frechet distance"),
    Recipe("ae", AE, lambda: AE(AEConfig(latent_ch=4, **AE_SIZE)), TrainConfig(epochs=4, lr=2e-3), "autoencoder"),
    Recipe("vae", VAE, lambda: VAE(VAEConfig(latent_ch=4, beta=0.01, **AE_SIZE)), TrainConfig(epochs=4, lr=2e-3), "autoencoder"),
    # weight EMA is off for the VQ-VAE: its codebook is itself an EMA of the *current* encoder's outputs,
    # and an averaged encoder would no longer match it.
    Recipe("vqvae", VQVAE, lambda: VQVAE(VQVAEConfig(code_dim=8, num_codes=512, **AE_SIZE)),
           TrainConfig(epochs=4, lr=2e-3, ema_decay=0.0), "autoencoder"),
    Recipe("fsq", FSQVAE, lambda: FSQVAE(FSQVAEConfig(levels=(8, 8, 8), **AE_SIZE)), TrainConfig(epochs=4, lr=2e-3), "autoencoder"),
    Recipe("sr_x4", SuperResolution, lambda: SuperResolution(SuperResConfig()), TrainConfig(epochs=3, lr=2e-3), "renderer",
           notes="learned super-resolution renderer for downsample_x4"),
    # the same renderer trained on noisy Y': a remedy for the train/inference mismatch (it sees extracted Y'
    # in training but the prior's imperfect Y' at inference)
    Recipe("sr_x4_noisy", SuperResolution, lambda: SuperResolution(SuperResConfig(noise_aug=0.05)), TrainConfig(epochs=3, lr=2e-3),
           "renderer", notes="super-resolution renderer trained with Gaussian noise (std 0.05) on Y'"),
    # priors X -> Y': each gets the same CPU time (about 8 minutes on 2 cores, batch 128), written down as a
    # step count so the command is reproducible; steps and seconds are both recorded in the JSON.
    # (At equal *steps* the pixel-space model would need ~4.5x the time of the latent one: that is the point.)
    Recipe("prior_direct", DiffusionPrior, lambda: DiffusionPrior(DiffusionPriorConfig(shape=(1, 28, 28), ch=32, ch_mult=(1, 2, 2))),
           TrainConfig(epochs=100, max_steps=PRIOR_STEPS["prior_direct"], lr=1e-3, warmup_steps=50), "prior", "identity",
           notes="direct baseline: pixel-space diffusion, Y' = Y"),
    Recipe("prior_vae", DiffusionPrior, lambda: DiffusionPrior(DiffusionPriorConfig(shape=(4, 7, 7), ch=64, ch_mult=(1, 2))),
           TrainConfig(epochs=100, max_steps=PRIOR_STEPS["prior_vae"], lr=1e-3, warmup_steps=50), "prior", "vae",
           notes="latent diffusion on the VAE"),
    Recipe("prior_lowres", DiffusionPrior, lambda: DiffusionPrior(DiffusionPriorConfig(shape=(1, 7, 7), ch=64, ch_mult=(1, 2))),
           TrainConfig(epochs=100, max_steps=PRIOR_STEPS["prior_lowres"], lr=1e-3, warmup_steps=50), "prior",
           "downsample_x4", notes="diffusion over the 7x7 block-mean image"),
    Recipe("prior_vqvae", CodePrior, lambda: CodePrior(CodePriorConfig(vocab=512)),
           TrainConfig(epochs=100, max_steps=PRIOR_STEPS["prior_vqvae"], lr=1e-3, warmup_steps=50, weight_decay=0.01),
           "prior", "vqvae", notes="autoregressive transformer over VQ-VAE codes"),
    Recipe("prior_fsq", CodePrior, lambda: CodePrior(CodePriorConfig(vocab=512)),
           TrainConfig(epochs=100, max_steps=PRIOR_STEPS["prior_fsq"], lr=1e-3, warmup_steps=50, weight_decay=0.01),
           "prior", "fsq", notes="autoregressive transformer over FSQ codes"),
]}


@torch.no_grad()
def extract_all(extractor, images: torch.Tensor, batch_size: int = 1000) -> torch.Tensor:
    return torch.cat([extractor.extract(images[i:i + batch_size]).cpu() for i in range(0, len(images), batch_size)])


def evaluate(recipe: str | Recipe, model, splits: dict[str, tuple[torch.Tensor, torch.Tensor]],
             extractor=None) -> dict:
    """Metrics of a trained model on each named test split {"sample_test": (x_uint8, labels), ...}.
    `extractor`: the Y' a prior models, when it is not a registered one (see benchmarks/latent_size.py)."""
    r = RECIPES[recipe] if isinstance(recipe, str) else recipe
    name = r.name
    out = {}
    for split, (x, y) in splits.items():
        images = to_float(x)
        if r.kind == "classifier":
            out[split] = {"accuracy": metrics.classifier_accuracy(model, images, y), "n": len(x)}
        elif r.kind == "autoencoder":
            out[split] = {**metrics.reconstruction_metrics(AutoencoderExtractor(name, model), images), "n": len(x)}
        elif r.kind == "renderer":
            ext = EXTRACTORS["downsample_x4"][0]()   # (factory, summary)
            y_hat = LearnedRenderer(model).render(ext.extract(images))
            out[split] = {"psnr": metrics.psnr(y_hat, images), "ssim": metrics.ssim(y_hat, images),
                          "bicubic_psnr": metrics.psnr(ext.render(ext.extract(images)), images), "n": len(x)}
        elif r.kind == "prior":
            out[split] = evaluate_prior(name, model, images, extractor=extractor, extractor_name=r.extractor)
    return out


def evaluate_prior(name: str, prior, real: torch.Tensor, per_class: int = 20, seed: int = 0,
                   extractor=None, extractor_name: str | None = None) -> dict:
    """Generate per_class samples of each class with a fixed seed, render them, and score them with the
    reference classifier: accuracy (does a 'sneaker' look like a sneaker?) and Frechet distance to `real`.
    The prior of a shipped pipeline is plugged into it; otherwise into Regenerator(extractor, prior)."""
    from ..core import Regenerator
    from .pipelines import PIPELINE_OF_PRIOR, PIPELINES, build_pipeline

    if extractor is None:   # a shipped prior, or a variant of one (found by the Y' it models)
        pipeline = PIPELINE_OF_PRIOR.get(name) or next((s.name for s in PIPELINES.values() if s.extractor == extractor_name), None)
        if pipeline is None:
            raise KeyError(f"no pipeline samples Y' = {extractor_name!r} for prior {name!r}; pass its extractor= instead")
        pipe, spec = build_pipeline(pipeline, prior=prior)
    else:   # a variant prior (e.g. over another latent size): default sampling of its family
        pipe, spec = Regenerator(extractor, prior), PIPELINES["latent" if isinstance(prior, DiffusionPrior) else "vq"]
    clf, _ = load_checkpoint(weights_dir() / "classifier", Classifier)
    labels = torch.arange(10).repeat_interleave(per_class)
    g = torch.Generator().manual_seed(seed)
    _, y = pipe.generate(labels, generator=g, **spec.sample_kw)
    return {"accuracy": metrics.classifier_accuracy(clf, y, labels),
            "frechet": metrics.frechet_distance(clf, real, y), "n": len(labels), "seed": seed,
            "sample_kw": spec.sample_kw}


def train_image_recipe(recipe: str | Recipe, *, epochs: int | None = None, data: str = "full", device: str = "auto",
               out_dir: str | Path | None = None, resume: bool = False, progress: bool = True,
               seed: int | None = None, max_steps: int | None = None, extractor=None) -> tuple[Path, dict]:
    """Train a recipe (a name in RECIPES, or a Recipe object for a study variant) and save its checkpoint
    as OUT/NAME.{safetensors,json}. A prior over an unregistered Y' gets it as `extractor`.
    Returns (checkpoint stem, JSON info)."""
    if isinstance(recipe, str) and recipe not in RECIPES:
        raise KeyError(f"unknown recipe {recipe!r}; choose from {', '.join(RECIPES)}")
    r = RECIPES[recipe] if isinstance(recipe, str) else recipe
    name = r.name
    cfg = replace(r.train, device=device, progress=progress,
                  **({"epochs": epochs} if epochs else {}), **({"seed": seed} if seed is not None else {}),
                  **({"max_steps": max_steps} if max_steps else {}))
    x, y = load_fashion_mnist("train", data)
    images = to_float(x)
    torch.manual_seed(cfg.seed)
    model = r.build()
    t_prep = time.perf_counter()
    if r.kind == "classifier":
        batch = (images, y)
    elif r.kind == "prior":
        y_prime = extract_all(extractor or EXTRACTORS[r.extractor][0](), images)
        if isinstance(model, DiffusionPrior):
            model.set_normalization(y_prime)
        batch = (y_prime, y)
    else:
        batch = (images,)
    prep_seconds = time.perf_counter() - t_prep
    out_dir = Path(out_dir) if out_dir else weights_dir()
    state = out_dir / ".state" / name   # resumable training state, removed once the checkpoint is saved
    t0 = time.perf_counter()
    result = fit(model, batch, cfg, state_path=state, resume=resume, desc=name)
    wall = time.perf_counter() - t0
    model = result.model.cpu().eval()
    splits = {"sample_test": load_fashion_mnist("test", "sample")}
    if data == "full" and r.kind != "prior":
        splits["full_test"] = load_fashion_mnist("test", "full")
    metric = evaluate(r, model, splits, extractor=extractor)
    command = f"regen-lite train {name}" + (f" --epochs {cfg.epochs}" if cfg.max_steps is None else f" --steps {cfg.max_steps}")
    command += f" --data {data}" + (f" --seed {cfg.seed}" if cfg.seed else "")
    command = r.command or command
    stem = save_checkpoint(
        out_dir / name, model, model.cfg,
        metrics=metric, train_command=command, train_config=cfg.__dict__,
        train_seconds=round(result.seconds, 1), wall_seconds=round(wall, 1), prep_seconds=round(prep_seconds, 1),
        steps=result.steps, skipped_steps=result.skipped_steps, history=result.history,
        data={"source": data, "n_train": len(x), "hash": data_hash(x, y)}, extractor=r.extractor,
        torch=torch.__version__, threads=torch.get_num_threads(), notes=r.notes,
    )
    for suffix in (".safetensors", ".json"):
        state.with_suffix(suffix).unlink(missing_ok=True)
    return stem, json.loads(stem.with_suffix(".json").read_text())


for _r in RECIPES.values():     # every image recipe trains with train_image_recipe
    _r.run = train_image_recipe
