"""One Recipe shape for every shipped model, and the one runner behind `regen-lite train NAME`.

Each modality lists its recipes in its own `recipes.py` (RECIPES = {name: Recipe}); regen_lite.registry
finds them by name. A recipe says what it builds, what it trains on and how it is measured; run_recipe
does the rest the same way for every model:

    override the TrainConfig -> seed -> build -> data -> fit (timed) -> evaluate (timed)
    -> save OUT/NAME.{safetensors,json} with METADATA_KEYS -> remove the resumable state

The JSON records the command that remakes the checkpoint. This module knows no modality: the
modality's own functions (recipe.data, recipe.evaluate, recipe.fit) are handed the recipe.
"""

from __future__ import annotations

import os
import time
from contextlib import nullcontext
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Callable

import torch

from .checkpoints import read_info, save_checkpoint
from .device import is_main_process, one_thread
from .paths import weights_dir
from .train import TrainConfig, fit


@dataclass
class Recipe:
    name: str
    model: type                 # the class it builds: load_checkpoint(path, model) rebuilds it
    build: Callable             # () -> an untrained model
    train: TrainConfig | None   # the optimizer run of train.fit (None when `fit` counts instead)
    data: Callable              # (recipe, model, source, extractor) -> (training tensors, data_info dict)
    evaluate: Callable          # (recipe, model, source, extractor) -> {split: {metric: value}}
    kind: str                   # its role: "classifier" | "autoencoder" | "extractor" | "renderer" | "prior"
    extractor: str | None = None          # the Y' it reads or writes (priors: the Y' they model)
    sources: tuple[str, ...] = ("full",)  # the --data it trains on: "full", and "sample" where a subset ships
    fit: Callable | None = None           # (model, data) -> fitted model, in closed form (by counting)
    threads: int | None = None            # 1: fit and measure on one torch thread (small nets, device.one_thread)
    any_extractor: bool = False           # run_recipe(extractor=...) may swap in another Y' (study variants)
    notes: str = ""                       # one line for `regen-lite train --help`
    command: str = ""                     # how to reproduce it, for study variants outside RECIPES


# every checkpoint's JSON holds exactly these keys after "format", "model" and "config" (null: not recorded)
METADATA_KEYS = (
    "metrics",         # {split: {metric: value}}, from recipe.evaluate
    "train_command",   # the command that remakes this checkpoint
    "train_config",    # asdict(TrainConfig), or null for a model fitted by counting
    "train_seconds",   # seconds inside the fit loop (train.fit's epochs, or the counting)
    "wall_seconds",    # wall-clock seconds of the whole fit call
    "cpu_seconds",     # CPU seconds of all threads during the fit: on a busy machine, what an idle one would take
    "prep_seconds",    # seconds to build the training tensors (e.g. extracting Y' for a prior)
    "eval_seconds",    # seconds of recipe.evaluate
    "steps",           # optimizer steps taken (null when fitted by counting)
    "skipped_steps",   # steps skipped by the NaN guard
    "history",         # one dict of mean training stats per epoch
    "data",            # {"source", "n_train", "hash", ...}: what it was trained on
    "extractor",       # the Y' it belongs to, or null
    "params",          # number of parameters
    "threads",         # torch threads while fitting
    "load_average",    # 1-minute load average after the fit: a busy machine explains slow seconds
    "torch",           # torch version
    "notes",           # the recipe's one-line note
)


def check_flags(recipe: Recipe, *, epochs=None, max_steps=None, data="full", device="auto", resume=False,
                seed=None, extractor=None):
    """Refuse, with a message, a flag that does not apply to `recipe` (instead of silently ignoring it)."""
    name = recipe.name
    if data not in recipe.sources:
        raise ValueError(f"recipe {name!r} trains on --data {' or '.join(recipe.sources)} only; "
                         f"--data {data} does not apply")
    if recipe.fit is not None:
        given = [f for f, v in (("--epochs", epochs), ("--steps", max_steps), ("--resume", resume),
                                ("--seed", seed is not None), ("--device", device not in ("auto", "cpu"))) if v]
        if given:
            raise ValueError(f"recipe {name!r} is fitted by counting on the CPU, in one pass and with nothing random: "
                             f"{', '.join(given)} does not apply")
    for flag, v in (("--epochs", epochs), ("--steps", max_steps)):
        if v is not None and v < 1:
            raise ValueError(f"{flag} must be at least 1, got {v}")
    if extractor is not None and not recipe.any_extractor:
        raise ValueError(f"recipe {name!r} cannot swap its extractor (only the image priors take extractor=)")


def train_command(recipe: Recipe, cfg: TrainConfig | None, data: str) -> str:
    """The `regen-lite train` line that remakes the checkpoint: the step budget that binds, the data
    (where there is a choice) and a non-default seed."""
    if recipe.command:
        return recipe.command
    cmd = f"regen-lite train {recipe.name}"
    if cfg is not None:
        cmd += f" --epochs {cfg.epochs}" if cfg.max_steps is None else f" --steps {cfg.max_steps}"
        if cfg.max_steps is not None and cfg.epochs != recipe.train.epochs:
            cmd += f" --epochs {cfg.epochs}"
    if len(recipe.sources) > 1:
        cmd += f" --data {data}"
    if cfg is not None and cfg.seed:
        cmd += f" --seed {cfg.seed}"
    return cmd


def run_recipe(recipe: Recipe, *, epochs: int | None = None, max_steps: int | None = None, data: str = "full",
               device: str = "auto", out_dir: str | Path | None = None, resume: bool = False, progress: bool = True,
               seed: int | None = None, extractor=None) -> tuple[Path, dict]:
    """Train `recipe` and save OUT/NAME.{safetensors,json} (OUT defaults to data_samples/weights).

    epochs, max_steps, seed: override the recipe's TrainConfig. data: one of recipe.sources.
    resume: continue from OUT/.state/NAME. extractor: a prior's Y' when it is not a registered one.
    Returns (checkpoint stem, JSON info). Launched as several processes (train.fit runs data-parallel), only
    process 0 measures and saves; the others return (None, {}) once training ends."""
    check_flags(recipe, epochs=epochs, max_steps=max_steps, data=data, device=device, resume=resume,
                seed=seed, extractor=extractor)
    cfg = None
    if recipe.fit is None:
        given = {"epochs": epochs, "max_steps": max_steps, "seed": seed}
        cfg = replace(recipe.train, device=device, progress=progress, **{k: v for k, v in given.items() if v is not None})
    out_dir = Path(out_dir) if out_dir else weights_dir()
    state = out_dir / ".state" / recipe.name    # resumable training state, removed once the checkpoint is saved
    with one_thread() if recipe.threads == 1 else nullcontext():
        torch.manual_seed(cfg.seed if cfg else 0)
        model = recipe.build()
        t = time.perf_counter()
        tensors, data_info = recipe.data(recipe, model, data, extractor)
        prep_seconds = time.perf_counter() - t

        t, c = time.perf_counter(), time.process_time()
        if cfg is None:
            model, result = recipe.fit(model, tensors), None
        else:
            result = fit(model, tensors, cfg, state_path=state, resume=resume, desc=recipe.name)
            model = result.model
        wall, cpu = time.perf_counter() - t, time.process_time() - c
        if not is_main_process():
            return None, {}
        threads = torch.get_num_threads()
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None

        model = model.cpu().eval()
        t = time.perf_counter()
        metrics = recipe.evaluate(recipe, model, data, extractor)
        eval_seconds = time.perf_counter() - t

    meta = {
        "metrics": metrics, "train_command": train_command(recipe, cfg, data),
        "train_config": asdict(cfg) if cfg else None,
        "train_seconds": round(result.seconds if result else wall, 1), "wall_seconds": round(wall, 1),
        "cpu_seconds": round(cpu, 1), "prep_seconds": round(prep_seconds, 1), "eval_seconds": round(eval_seconds, 1),
        "steps": result.steps if result else None, "skipped_steps": result.skipped_steps if result else None,
        "history": result.history if result else None, "data": data_info, "extractor": recipe.extractor,
        "params": sum(p.numel() for p in model.parameters()), "threads": threads, "load_average": load,
        "torch": torch.__version__, "notes": recipe.notes,
    }
    assert tuple(meta) == METADATA_KEYS
    stem = save_checkpoint(out_dir / recipe.name, model, model.cfg, **meta)
    for suffix in (".safetensors", ".json"):
        state.with_suffix(suffix).unlink(missing_ok=True)
    return stem, read_info(stem)
