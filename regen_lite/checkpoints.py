"""Weights as safetensors + a JSON sidecar (config, training command, recorded metrics, data hash).

    data_samples/weights/vqvae.safetensors   tensors only: nothing is ever unpickled
    data_samples/weights/vqvae.json          {"format": "regen-lite/1", "model": "VQVAE", "config": {...}, ...}

The JSON names the model class and its dataclass config, so a checkpoint rebuilds its own model.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, fields
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from .paths import weights_dir

FORMAT = "regen-lite/1"


class CheckpointError(RuntimeError):
    """A checkpoint is missing, corrupt, foreign or does not match its model."""


def _stem(path: str | os.PathLike) -> Path:
    p = Path(path)
    return p.with_suffix("") if p.suffix in (".safetensors", ".json") else p


def save_checkpoint(path, model: torch.nn.Module, config, **meta) -> Path:
    """Write `path`.safetensors and `path`.json. meta: metrics, train_command, data_hash, ..."""
    stem = _stem(path)
    stem.parent.mkdir(parents=True, exist_ok=True)
    tensors = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    save_file(tensors, str(stem.with_suffix(".safetensors")))
    info = {"format": FORMAT, "model": type(model).__name__, "config": asdict(config), **meta}
    stem.with_suffix(".json").write_text(json.dumps(info, indent=2, default=str) + "\n")
    return stem


def read_info(path) -> dict:
    """The JSON sidecar of a checkpoint, validated."""
    stem = _stem(path)
    js = stem.with_suffix(".json")
    if not js.exists():
        raise CheckpointError(f"{js}: missing; a regen-lite checkpoint is a .safetensors file with a .json beside it")
    try:
        info = json.loads(js.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise CheckpointError(f"{js}: not valid JSON ({e})") from e
    if not isinstance(info, dict) or info.get("format") != FORMAT:
        raise CheckpointError(f"{js}: not a regen-lite checkpoint (expected \"format\": \"{FORMAT}\")")
    return info


def load_checkpoint(path, model_class: type, *, device="cpu"):
    """Rebuild the `model_class` saved at `path` and load its weights. Returns (model in eval mode, info).

    model_class: the class the caller needs (e.g. VQVAE), with a `Config` dataclass attribute; a checkpoint
    of any other class is refused. (To load by the name in the JSON, use registry.load_pretrained.)
    """
    stem = _stem(path)
    if Path(path).suffix in (".pt", ".pth", ".pkl", ".ckpt", ".bin"):
        raise CheckpointError(f"{path}: pickle-based files are never loaded; use a .safetensors + .json checkpoint")
    if not stem.with_suffix(".safetensors").exists() and not stem.with_suffix(".json").exists():
        raise CheckpointError(f"no checkpoint at {stem}.safetensors")
    info = read_info(stem)
    name = info.get("model")
    cls = model_class
    if name != cls.__name__:
        raise CheckpointError(f"{stem}: holds a {name} but a {cls.__name__} was asked for")
    known = {f.name for f in fields(cls.Config)}
    cfg_dict = info.get("config", {})
    unknown = set(cfg_dict) - known
    if unknown:
        raise CheckpointError(f"{stem}: config fields {sorted(unknown)} are not fields of {cls.__name__}.Config")
    cfg = cls.Config(**{k: (tuple(v) if isinstance(v, list) else v) for k, v in cfg_dict.items()})
    model = cls(cfg)
    st = stem.with_suffix(".safetensors")
    if not st.exists():
        raise CheckpointError(f"{st}: weights file missing")
    try:
        tensors = load_file(str(st), device=str(device))
    except (SafetensorError, OSError, ValueError) as e:
        raise CheckpointError(f"{st}: corrupt or not a safetensors file ({e})") from e
    try:
        model.load_state_dict(tensors, strict=True)
    except RuntimeError as e:
        raise CheckpointError(f"{st}: weights do not match {cls.__name__}({cfg}): {str(e).splitlines()[0]}") from e
    return model.to(device).eval(), info


def pretrained_path(name: str) -> Path:
    return weights_dir() / name


def list_pretrained() -> dict[str, dict]:
    """name -> JSON info of every checkpoint in weights_dir() (unreadable ones report their error)."""
    out = {}
    d = weights_dir()
    for js in sorted(d.glob("*.json")) if d.exists() else []:
        try:
            out[js.stem] = read_info(js)
        except CheckpointError as e:
            out[js.stem] = {"error": str(e)}
    return out
