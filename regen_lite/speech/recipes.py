"""Self-supervised training pairs, evaluation and the recipe of the learned mel renderer."""

from __future__ import annotations

import time
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np
import torch

from ..checkpoints import save_checkpoint, weights_dir
from ..recipes import Recipe
from ..train import fit
from .features import SpectrogramConfig, log_mel, stft_magnitude
from .renderers import MEL_RENDERER_TRAIN, TRAIN_THREADS, LearnedMelRenderer, MelToLinear, MelToLinearConfig

# ---------------------------------------------------------------- self-supervised pairs and training

def magnitude_db(y: np.ndarray, cfg: SpectrogramConfig = SpectrogramConfig()) -> np.ndarray:
    """20 log10 |X| with the same floor as log_mel (-100 dB): the training target."""
    return 10.0 * np.log10(np.maximum(stft_magnitude(y, cfg) ** 2, cfg.amin))


def training_pairs(waves, window: int = 64, stride: int = 16, cfg: SpectrogramConfig = SpectrogramConfig()):
    """(extract(y), |STFT(y)|) windows of `window` frames every `stride` frames from each wave:
    mel (S, n_mels, window) and magnitude dB (S, n_freq, window), float32 tensors."""
    mels, mags = [], []
    for y in waves:
        m, s = log_mel(y, cfg), magnitude_db(y, cfg)
        for t in range(0, m.shape[-1] - window + 1, stride):
            mels.append(m[:, t:t + window])
            mags.append(s[:, t:t + window])
    return torch.from_numpy(np.stack(mels)).float(), torch.from_numpy(np.stack(mags)).float()


def evaluate_mel_renderer(model: MelToLinear, split: str = "test", explicit: bool = True,
                          cfg: SpectrogramConfig = SpectrogramConfig()) -> dict:
    """On the shipped clips of `split`: L1 (dB) of the predicted log-magnitude, and LSD / MCD (dB) of the
    Griffin-Lim audio; with explicit=True the same for the explicit pseudo-inverse (the baseline to beat)."""
    from .data import load_speech_clips
    from .extractors import MelInverseRenderer
    from .features import griffin_lim
    from .metrics import log_spectral_distance, mel_cepstral_distortion

    renderers = {"": LearnedMelRenderer(model.cpu().eval(), cfg)}
    if explicit:
        renderers["explicit_"] = MelInverseRenderer(cfg)
    rows: dict[str, list] = {}
    clips = load_speech_clips(split)
    for clip in clips:
        y, mel, target = clip.wave, log_mel(clip.wave, cfg), magnitude_db(clip.wave, cfg)
        for prefix, r in renderers.items():
            mag = r.to_magnitude(mel)
            y_hat = griffin_lim(mag, cfg)
            for k, v in (("l1_db", np.abs(10 * np.log10(np.maximum(mag ** 2, cfg.amin)) - target).mean()),
                         ("lsd_db", log_spectral_distance(y_hat, y, cfg)), ("mcd_db", mel_cepstral_distortion(y_hat, y, cfg))):
                rows.setdefault(prefix + k, []).append(float(v))
    return {**{k: round(float(np.mean(v)), 4) for k, v in rows.items()}, "n": len(clips)}


def run_mel_renderer_recipe(recipe, *, epochs=None, device="auto", out_dir=None, resume=False, progress=True,
                            seed=None, max_steps=None, **_) -> tuple[Path, dict]:
    """`regen-lite train mel_renderer`: fit on windows of the train clips, measure train and held-out test
    clips, save OUT/mel_renderer.{safetensors,json} with the metrics. (--data does not apply: the
    speech clips always come from data_samples/speech.)"""
    import json

    from .data import load_speech_clips, speech_transcripts

    cfg = replace(recipe.train, device=device, progress=progress, **({"epochs": epochs} if epochs else {}),
                  **({"seed": seed} if seed is not None else {}), **({"max_steps": max_steps} if max_steps else {}))
    t_prep = time.perf_counter()
    train_clips = load_speech_clips("train")
    mel, mag = training_pairs([c.wave for c in train_clips])
    prep_seconds = time.perf_counter() - t_prep
    torch.manual_seed(cfg.seed)
    model = recipe.build()
    out_dir = Path(out_dir) if out_dir else weights_dir()
    state = out_dir / ".state" / recipe.name
    # one thread: this net is small, and on a shared CPU two OpenMP threads that wait for each other were
    # 20x slower per step than one (measured: 6.9 s vs 0.33 s at load average 13 on 2 cores)
    threads = torch.get_num_threads()
    torch.set_num_threads(TRAIN_THREADS)
    t0 = time.perf_counter()
    try:
        result = fit(model, (mel, mag), cfg, state_path=state, resume=resume, desc=recipe.name)
    finally:
        torch.set_num_threads(threads)
    wall = time.perf_counter() - t0
    model = result.model.cpu().eval()
    metrics = {"test": evaluate_mel_renderer(model, "test"), "train": evaluate_mel_renderer(model, "train", explicit=False)}
    command = f"regen-lite train {recipe.name}" + (f" --steps {cfg.max_steps}" if cfg.max_steps else f" --epochs {cfg.epochs}")
    command += f" --seed {cfg.seed}" if cfg.seed else ""
    files = [r["file"] for r in speech_transcripts("train")]
    stem = save_checkpoint(
        out_dir / recipe.name, model, model.cfg, metrics=metrics, train_command=command, train_config=asdict(cfg),
        train_seconds=round(result.seconds, 1), wall_seconds=round(wall, 1), prep_seconds=round(prep_seconds, 1),
        steps=result.steps, skipped_steps=result.skipped_steps, history=result.history,
        data={"source": "data_samples/speech", "split": "train", "n_clips": len(files), "n_windows": len(mel),
              "files": files},
        spectrogram=asdict(SpectrogramConfig()), torch=torch.__version__, threads=TRAIN_THREADS,
        notes=recipe.notes,
    )
    for suffix in (".safetensors", ".json"):
        state.with_suffix(suffix).unlink(missing_ok=True)
    return stem, json.loads(stem.with_suffix(".json").read_text())


# log-mel -> linear magnitude, self-supervised on the espeak-ng clips
RECIPES = {r.name: r for r in [
    Recipe("mel_renderer", MelToLinear, lambda: MelToLinear(MelToLinearConfig()), MEL_RENDERER_TRAIN, "speech", "log_mel",
           run=run_mel_renderer_recipe, notes="learned log-mel -> |STFT| renderer (then Griffin-Lim), trained on "
           "(extract(y), |STFT(y)|) pairs of the 48 training clips; the 12 held-out clips measure it"),
]}
