"""Names -> components: the one place that looks things up by name (the CLI, the app and the notebooks).

Each modality package keeps its own tables, as DiT's train.py reads `DiT_models`:

    regen_lite/<modality>/extractors.py   EXTRACTORS = {name: (factory(**kw) -> Extractor, summary)}
    regen_lite/<modality>/pipelines.py    PIPELINES  = {name: PipelineSpec}
    regen_lite/<modality>/recipes.py      RECIPES    = {name: Recipe}   (one per shipped checkpoint)

This module reads them, importing a modality only when it is asked about: list_extractors("image")
never loads the speech, text or music code. Nothing in regen_lite imports this module (it is the leaf
of the import graph), so a modality never reaches another one through it.
"""

from __future__ import annotations

import importlib
from pathlib import Path

MODALITIES = ("image", "speech", "text", "music", "face")


def _table(modality: str, role: str, table: str) -> dict:
    if modality not in MODALITIES:
        raise KeyError(f"unknown modality {modality!r}; choose from {', '.join(MODALITIES)}")
    return getattr(importlib.import_module(f"regen_lite.{modality}.{role}"), table)


def _find(role: str, table: str, name: str, what: str, modality: str | None = None):
    """(modality, entry) of `name` in the table of `role`, searching one modality or all of them."""
    for m in (modality,) if modality else MODALITIES:
        entries = _table(m, role, table)
        if name in entries:
            return m, entries[name]
    known = [n for m in ((modality,) if modality else MODALITIES) for n in _table(m, role, table)]
    raise KeyError(f"unknown {what} {name!r}; choose from: {', '.join(known)}")


# ---------------------------------------------------------------- extractors Y -> Y'

def list_extractors(modality: str | None = None) -> list[str]:
    return [n for m in ((modality,) if modality else MODALITIES) for n in _table(m, "extractors", "EXTRACTORS")]


def extractor_summary(name: str, modality: str | None = None) -> str:
    return _find("extractors", "EXTRACTORS", name, "extractor", modality)[1][1]


def get_extractor(name: str, modality: str | None = None, **kw):
    """Build an extractor by name, e.g. get_extractor("vqvae"); kw go to its factory."""
    return _find("extractors", "EXTRACTORS", name, "extractor", modality)[1][0](**kw)


# ---------------------------------------------------------------- pipelines X -> Y' -> Y

def list_pipelines(modality: str | None = None) -> list[str]:
    return [n for m in ((modality,) if modality else MODALITIES) for n in _table(m, "pipelines", "PIPELINES")]


def get_pipeline(name: str, modality: str | None = None):
    """The PipelineSpec of a named pipeline, in whichever modality defines it."""
    return _find("pipelines", "PIPELINES", name, "pipeline", modality)[1]


def pipelines_module(name: str):
    """The pipelines.py of the modality that defines pipeline `name`: its build_pipeline, round_trip, ..."""
    return importlib.import_module(f"regen_lite.{get_pipeline(name).modality}.pipelines")


def build_pipeline(name: str, device="cpu", **kw):
    """The Regenerator of a named pipeline, built from shipped checkpoints by its modality's build_pipeline
    (the same class for the direct baseline and every two-stage pipeline); kw go to that function."""
    return pipelines_module(name).build_pipeline(name, device=device, **kw)


def round_trip(name: str, y, **kw):
    """Y -> Y' -> render(Y') along a named pipeline: a core.RoundTrip with the modality's metrics."""
    return pipelines_module(name).round_trip(name, y, **kw)


# ---------------------------------------------------------------- recipes and shipped checkpoints

def list_recipes(modality: str | None = None) -> list[str]:
    return [n for m in ((modality,) if modality else MODALITIES) for n in _table(m, "recipes", "RECIPES")]


def get_recipe(name: str, modality: str | None = None):
    return _find("recipes", "RECIPES", name, "recipe", modality)[1]


def load_pretrained(name: str, *, path: str | Path | None = None, device="cpu"):
    """Load the shipped checkpoint `name` (or the one at `path` made by recipe `name`) with the model
    class its recipe builds. Returns (model in eval mode, info)."""
    from .checkpoints import load_checkpoint, pretrained_path

    recipe = get_recipe(name)
    return load_checkpoint(path or pretrained_path(name), recipe.model, device=device)
