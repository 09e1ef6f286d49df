"""One Recipe shape for every shipped model, and the one runner behind `regen-lite train NAME`.

Each modality lists its recipes in its own `recipes.py` (RECIPES = {name: Recipe}); regen_lite.registry
finds them by name. A recipe says which model class it builds, how it trains and how it is measured; the
checkpoint it writes (data_samples/weights/NAME.{safetensors,json}) records the command that remakes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .train import TrainConfig


@dataclass
class Recipe:
    name: str
    model: type                     # the class it builds: load_checkpoint(path, model) rebuilds it
    build: Callable                 # () -> an untrained model
    train: TrainConfig
    kind: str                       # "classifier" | "autoencoder" | "renderer" | "prior"
    extractor: str | None = None    # for priors: the Y' they model
    notes: str = ""
    command: str = ""               # how to reproduce it, for study variants outside RECIPES
    run: Callable | None = None     # a modality's own trainer (data, fit, metrics, save), called by run_recipe


def run_recipe(recipe: Recipe, **kw) -> tuple[Path, dict]:
    """Train `recipe` and save its checkpoint. Returns (checkpoint stem, JSON info)."""
    return recipe.run(recipe, **kw)
