"""The recipes of the speech modality (run by recipes.run_recipe): the learned mel renderer (self-supervised pairs,
evaluation) and the two text-to-speech models, tts_mel (X -> Y', the two-stage pipeline) and tts_wave (X -> Y, the
direct baseline), with their evaluation on held-out words."""

from __future__ import annotations

import hashlib
from dataclasses import asdict

import numpy as np
import torch

from ..recipes import Recipe
from ..train import TrainConfig
from .data import load_speech_clips, speech_transcripts
from .features import SpectrogramConfig, log_mel, stft_magnitude
from .metrics import log_spectral_distance, mel_cepstral_distortion
from .renderers import LearnedMelRenderer, MelToLinear, MelToLinearConfig, load_mel_renderer
from .synthesis import TextToSpeech, TTSConfig
from .synthesis_data import durations_of, encode_x, tts_clips, tts_tensors
from .words import load_waves

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


# ---------------------------------------------------------------- text-to-speech

TTS_SPLITS = ("heard", "unheard")     # flite clips of words heard in training (a new voice setting), and unheard words
SMALL_EVERY = 10                      # the small fixed subset that the tests re-measure


def tts_data(recipe: Recipe, model: TextToSpeech, source: str, extractor=None) -> tuple[tuple[torch.Tensor, ...], dict]:
    """(phonemes, voice, setting, durations, target, frames) of the flite training clips; --data sample: every 20th."""
    clips = tts_clips("train")[:: 20 if source == "sample" else 1]
    h = hashlib.sha256("".join(f"{c.clip}{c.start}{c.frames}" for c in clips).encode()).hexdigest()[:16]
    info = {"source": source, "n_train": len(clips), "hash": h, "corpus": "data_samples/speech/words",
            "voices": sorted({c.voice for c in clips}), "seconds": round(sum(c.seconds for c in clips), 1),
            "target": "log-mel (80 bands, dB)" if model.cfg.output == "mel" else "wave (16 kHz)"}
    return tts_tensors(clips, model.cfg.output), info


def synthesize_waves(model: TextToSpeech, clips, renderer=None, oracle_durations: bool = True, batch: int = 64):
    """Each clip's X -> a wave (numpy): through the mel renderer for a mel model, directly for a wave model.
    oracle_durations: the engine's durations (so frames align with the recording), else the predicted ones.
    Returns (waves, durations used per clip)."""
    waves, used = [], []
    for i in range(0, len(clips), batch):
        part = clips[i:i + batch]
        x = encode_x(part)
        out, d = model.synthesize(*x, durations=durations_of(part) if oracle_durations else None)
        for y, dd in zip(out, d):
            waves.append((renderer.render(y) if renderer is not None else y).numpy())
            used.append(dd)
    return waves, used


def tts_scores(model: TextToSpeech, clips, renderer=None) -> dict:
    """LSD and MCD (dB) of the synthesised wave against the engine's recording, with the engine's durations (the
    frames line up, no DTW needed); and the duration predictor's error: mean |predicted - true| frames per phoneme,
    and the predicted length over the true one."""
    waves, _ = synthesize_waves(model, clips, renderer)
    refs = load_waves(clips)
    lsd = [log_spectral_distance(y, r) for y, r in zip(waves, refs)]
    mcd = [mel_cepstral_distortion(y, r) for y, r in zip(waves, refs)]
    true = durations_of(clips)
    with torch.no_grad():
        _, mask, log_d = model.encode(*encode_x(clips))
    pred = model.predict_durations(log_d, mask)
    err = ((pred - true).abs().float() * mask).sum() / mask.sum()
    ratio = (pred.sum(1).float() / true.sum(1).float()).mean()
    return {"lsd_db": round(float(np.mean(lsd)), 3), "mcd_db": round(float(np.mean(mcd)), 3),
            "duration_error_frames": round(float(err), 3), "length_ratio": round(float(ratio), 3), "n": len(clips)}


def tts_renderer(model: TextToSpeech):
    """Y' -> Y for a mel model: the shipped learned mel renderer + Griffin-Lim (trained on other clips, no text)."""
    return load_mel_renderer() if model.cfg.output == "mel" else None


def evaluate_tts(recipe: Recipe, model: TextToSpeech, source: str, extractor=None, small_only: bool = False) -> dict:
    """Recipe.evaluate: tts_scores on the heard and unheard flite clips, and on their small subsets (each subset
    synthesised in its own batches, as the tests re-measure it)."""
    renderer, out = tts_renderer(model), {}
    for split in TTS_SPLITS:
        clips = tts_clips(split)
        if not small_only:
            out[split] = tts_scores(model, clips, renderer)
        out[split + "_small"] = tts_scores(model, clips[::SMALL_EVERY], renderer)
    return out


# the two TTS models: the same encoder, durations and regulator, batch 32; steps set so that both take about the
# same CPU time. Measured on a 2-core AMD EPYC: a mel step costs 0.39 CPU-s, a wave step 1.30 CPU-s (its transposed
# convolutions write 128 samples per frame and its loss takes three STFTs), so 1,500 mel steps ~ 450 wave steps.
TTS_MEL_TRAIN = TrainConfig(epochs=1000, max_steps=1500, batch_size=32, lr=2e-3, warmup_steps=100, weight_decay=0.01)
TTS_WAVE_TRAIN = TrainConfig(epochs=1000, max_steps=450, batch_size=32, lr=2e-3, warmup_steps=100, weight_decay=0.01)

# log-mel -> linear magnitude, self-supervised on the espeak-ng clips; one thread: this net is small, and on
# a shared CPU two OpenMP threads that wait for each other are slower per step than one
RECIPES = {r.name: r for r in [
    Recipe("mel_renderer", MelToLinear, lambda: MelToLinear(MelToLinearConfig()), MEL_RENDERER_TRAIN, clips_data,
           evaluate, "renderer", "log_mel", threads=1,
           notes="learned log-mel -> |STFT| renderer (then Griffin-Lim), trained on (extract(y), |STFT(y)|) pairs "
           "of the 48 training clips; the 12 held-out clips measure it"),
    Recipe("tts_mel", TextToSpeech, lambda: TextToSpeech(TTSConfig(output="mel")), TTS_MEL_TRAIN, tts_data,
           evaluate_tts, "prior", "log_mel", sources=("full", "sample"),
           notes="text-to-speech X -> Y' = log-mel (FastSpeech-style: durations, length regulator, conv decoder); "
           "the mel renderer makes the wave"),
    Recipe("tts_wave", TextToSpeech, lambda: TextToSpeech(TTSConfig(output="wave")), TTS_WAVE_TRAIN, tts_data,
           evaluate_tts, "prior", "wave", sources=("full", "sample"),
           notes="text-to-speech X -> Y = the wave directly (same encoder and durations, upsampling decoder, "
           "multi-resolution STFT loss): the direct baseline"),
]}
