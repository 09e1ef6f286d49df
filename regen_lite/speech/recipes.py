"""Self-supervised training pairs, evaluation and the recipe of the learned mel renderer (run by recipes.run_recipe)."""

from __future__ import annotations

import hashlib
from dataclasses import asdict

import numpy as np
import torch

from ..recipes import Recipe
from ..train import TrainConfig
from .data import load_speech_clips, speech_transcripts
from .features import SpectrogramConfig, log_mel, stft_magnitude
from .renderers import LearnedMelRenderer, MelToLinear, MelToLinearConfig

# 300 steps of 32 windows of 64 frames (a trial of the smooth-base variant gained only 0.15 dB of training L1
# from 300 more steps); the JSON records the measured training time
MEL_RENDERER_TRAIN = TrainConfig(epochs=1000, max_steps=300, batch_size=32, lr=2e-3, warmup_steps=50)

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


def clips_data(recipe: Recipe, model: MelToLinear, source: str, extractor=None) -> tuple[tuple[torch.Tensor, ...], dict]:
    """(mel windows, magnitude windows) of the 48 training clips in data_samples/speech (never the held-out ones)."""
    clips = load_speech_clips("train")
    mel, mag = training_pairs([c.wave for c in clips])
    files = [r["file"] for r in speech_transcripts("train")]
    h = hashlib.sha256(b"".join(c.wave.tobytes() for c in clips)).hexdigest()[:16]
    info = {"source": "data_samples/speech", "n_train": len(clips), "hash": h, "split": "train",
            "n_windows": len(mel), "files": files, "spectrogram": asdict(SpectrogramConfig())}
    return (mel, mag), info


def evaluate(recipe: Recipe, model: MelToLinear, source: str, extractor=None) -> dict:
    """Recipe.evaluate: the held-out test clips (and the explicit inverse beside them), then the train clips."""
    return {"test": evaluate_mel_renderer(model, "test"), "train": evaluate_mel_renderer(model, "train", explicit=False)}


# log-mel -> linear magnitude, self-supervised on the espeak-ng clips; one thread: this net is small, and on
# a shared CPU two OpenMP threads that wait for each other are slower per step than one
RECIPES = {r.name: r for r in [
    Recipe("mel_renderer", MelToLinear, lambda: MelToLinear(MelToLinearConfig()), MEL_RENDERER_TRAIN, clips_data,
           evaluate, "renderer", "log_mel", threads=1,
           notes="learned log-mel -> |STFT| renderer (then Griffin-Lim), trained on (extract(y), |STFT(y)|) pairs "
           "of the 48 training clips; the 12 held-out clips measure it"),
]}
