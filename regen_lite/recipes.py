"""Training recipes: one named function per shipped checkpoint, used by `regen-lite train NAME`.

Each recipe builds a model from its dataclass config, fits it with train.fit on Fashion-MNIST
(labels are used only by the classifier: the autoencoders are self-supervised on Y alone),
measures it, and writes data_samples/weights/NAME.{safetensors,json} with the metrics recorded.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import torch

from . import metrics
from .checkpoints import save_checkpoint, weights_dir
from .data import data_hash, load_fashion_mnist, to_float
from .extractors.autoencoders import AE, AEConfig, FSQVAE, FSQVAEConfig, VAE, VAEConfig, VQVAE, VQVAEConfig, AutoencoderExtractor
from .nn import Classifier, ClassifierConfig
from .train import TrainConfig, fit


@dataclass
class Recipe:
    name: str
    build: callable                 # () -> nn.Module
    train: TrainConfig
    supervised: bool = False        # only the classifier uses labels
    notes: str = ""


AE_SIZE = dict(ch=32, n_res=1)  # sized so each autoencoder trains on 60k images in < 10 min on 2 CPU cores

RECIPES = {
    "classifier": Recipe("classifier", lambda: Classifier(ClassifierConfig(ch=32)),
                         TrainConfig(epochs=5, lr=3e-3, weight_decay=5e-4), supervised=True,
                         notes="reference classifier for accuracy and Frechet distance"),
    "ae": Recipe("ae", lambda: AE(AEConfig(latent_ch=4, **AE_SIZE)), TrainConfig(epochs=5, lr=2e-3)),
    "vae": Recipe("vae", lambda: VAE(VAEConfig(latent_ch=4, beta=0.01, **AE_SIZE)), TrainConfig(epochs=5, lr=2e-3)),
    # weight EMA is off for the VQ-VAE: its codebook is itself an EMA of the *current* encoder's outputs,
    # and an averaged encoder would no longer match it.
    "vqvae": Recipe("vqvae", lambda: VQVAE(VQVAEConfig(code_dim=8, num_codes=512, **AE_SIZE)),
                    TrainConfig(epochs=5, lr=2e-3, ema_decay=0.0)),
    "fsq": Recipe("fsq", lambda: FSQVAE(FSQVAEConfig(levels=(8, 8, 8), **AE_SIZE)), TrainConfig(epochs=5, lr=2e-3)),
}


def evaluate(name: str, model, splits: dict[str, tuple[torch.Tensor, torch.Tensor]]) -> dict:
    """Metrics of a trained model on each named test split {"sample_test": (x_uint8, labels), ...}."""
    out = {}
    for split, (x, y) in splits.items():
        images = to_float(x)
        if name == "classifier":
            out[split] = {"accuracy": metrics.classifier_accuracy(model, images, y), "n": len(x)}
        else:
            out[split] = {**metrics.reconstruction_metrics(AutoencoderExtractor(name, model), images), "n": len(x)}
    return out


def run_recipe(name: str, *, epochs: int | None = None, data: str = "full", device: str = "auto",
               out_dir: str | Path | None = None, resume: bool = False, progress: bool = True,
               seed: int | None = None) -> tuple[Path, dict]:
    """Train recipe `name` and save its checkpoint. Returns (checkpoint stem, JSON info)."""
    if name not in RECIPES:
        raise KeyError(f"unknown recipe {name!r}; choose from {', '.join(RECIPES)}")
    r = RECIPES[name]
    cfg = replace(r.train, device=device, progress=progress,
                  **({"epochs": epochs} if epochs else {}), **({"seed": seed} if seed is not None else {}))
    x, y = load_fashion_mnist("train", data)
    images = to_float(x)
    batch = (images, y) if r.supervised else (images,)
    torch.manual_seed(cfg.seed)
    model = r.build()
    out_dir = Path(out_dir) if out_dir else weights_dir()
    state = Path(".regen-lite-state") / name
    t0 = time.perf_counter()
    result = fit(model, batch, cfg, state_path=state, resume=resume, desc=name)
    wall = time.perf_counter() - t0
    model = result.model.cpu().eval()
    splits = {"sample_test": load_fashion_mnist("test", "sample")}
    if data == "full":
        splits["full_test"] = load_fashion_mnist("test", "full")
    metric = evaluate(name, model, splits)
    command = f"regen-lite train {name} --epochs {cfg.epochs} --data {data}" + (f" --seed {cfg.seed}" if cfg.seed else "")
    stem = save_checkpoint(
        out_dir / name, model, model.cfg,
        metrics=metric, train_command=command, train_config=cfg.__dict__,
        train_seconds=round(result.seconds, 1), wall_seconds=round(wall, 1), steps=result.steps,
        skipped_steps=result.skipped_steps, history=result.history,
        data={"source": data, "n_train": len(x), "hash": data_hash(x, y)},
        torch=torch.__version__, threads=torch.get_num_threads(), notes=r.notes,
    )
    import json
    return stem, json.loads(stem.with_suffix(".json").read_text())
