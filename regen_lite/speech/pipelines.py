"""The named speech pipelines Y -> Y' -> Y, compared in benchmarks/speech_representations.py. There is no
X yet (no text-to-speech prior): each pipeline is a Regenerator without a prior, so it only reconstructs.

    name              extractor (Y -> Y')    renderer (Y' -> Y)
    stft+gl           stft_magnitude          Griffin-Lim (only the phase is missing)
    mel+inverse+gl    log_mel                 filterbank pseudo-inverse -> Griffin-Lim
    mel+learned+gl    log_mel                 learned mel -> |STFT| net (mel_renderer) -> Griffin-Lim
    mfcc+inverse+gl   mfcc                    inverse DCT -> pseudo-inverse -> Griffin-Lim
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..core import PipelineSpec, Regenerator, RoundTrip
from .data import AudioError, load_speech_clips, read_audio, speech_transcripts
from .extractors import EXTRACTORS
from .metrics import cached_pitch, pitch_kept, speech_metrics

PIPELINES = {s.name: s for s in [
    PipelineSpec("stft+gl", "speech", "stft_magnitude", None, None, {},
                 "|STFT| (257 bins) -> Griffin-Lim"),
    PipelineSpec("mel+inverse+gl", "speech", "log_mel", None, None, {},
                 "log-mel (80 bands) -> pseudo-inverse -> Griffin-Lim"),
    PipelineSpec("mel+learned+gl", "speech", "log_mel", None, "mel_renderer", {},
                 "log-mel (80 bands) -> learned mel-to-|STFT| net -> Griffin-Lim"),
    PipelineSpec("mfcc+inverse+gl", "speech", "mfcc", None, None, {},
                 "MFCC (20 coefficients) -> inverse DCT -> mel inverse -> Griffin-Lim"),
]}


def _spec(name: str) -> PipelineSpec:
    if name not in PIPELINES:
        raise KeyError(f"unknown speech pipeline {name!r}; choose from {', '.join(PIPELINES)}")
    return PIPELINES[name]


def build_pipeline(name: str, *, device="cpu", cfg=None) -> Regenerator:
    """The extractor of pipeline `name` carrying its renderer (the learned mel renderer's weights load here),
    as a Regenerator without a prior. `cfg`: a SpectrogramConfig other than the default."""
    spec = _spec(name)
    renderer = "learned" if spec.renderer else "explicit"
    return Regenerator(EXTRACTORS[spec.extractor][0](renderer=renderer, cfg=cfg).to(device))   # (factory, summary)


def round_trip(name: str, y, *, pipe: Regenerator | None = None, pitch: bool = True) -> RoundTrip:
    """Y (T,) -> Y' (F, N) -> render(Y') (T',), numpy float32, with LSD and MCD (dB) of render(Y') against Y
    and, with pitch=True, how many of Y's voiced frames keep their pitch (pYIN; the first call compiles it).
    Griffin-Lim starts from the config's seeded phases, so one Y always renders to the same wave."""
    spec = _spec(name)
    pipe = pipe or build_pipeline(name)
    cfg = pipe.extractor.cfg
    rt = RoundTrip.run(pipe, np.asarray(y, dtype=np.float32))
    rt.y_prime, rt.y_hat = rt.y_prime.numpy(), rt.y_hat.numpy().astype(np.float32)
    rt.metrics = speech_metrics(rt.y_hat, rt.y, cfg)
    if pitch:
        rt.metrics.update(pitch_kept(cached_pitch(rt.y, cfg), cached_pitch(rt.y_hat, cfg)))
    rt.notes.append(f"no X: {spec.name} only reconstructs ({spec.summary})")
    return rt


def speech_input(source: str | None = None) -> tuple[np.ndarray, str]:
    """Y for a round trip: a shipped clip by name ("us_00"; the first held-out clip if None) or an audio file.
    Returns (wave (T,) float32 at 16 kHz, the source in words). Raises AudioError with a message."""
    if source is None:
        row, clip = speech_transcripts("test")[0], load_speech_clips("test")[0]
        return clip.wave, f"shipped clip {Path(row['file']).stem} ({clip.voice}): {clip.text!r}"
    names = [Path(r["file"]).stem for r in speech_transcripts("all")]
    if source in names:
        clip = load_speech_clips("all")[names.index(source)]
        return clip.wave, f"shipped clip {source} ({clip.voice}): {clip.text!r}"
    if not Path(source).is_file():
        raise AudioError(f"{source!r} is neither an audio file nor a shipped clip ({names[0]} ... {names[-1]})")
    audio = read_audio(source)
    return audio.wave, f"{Path(source).name}" + (f" ({'; '.join(audio.notes)})" if audio.notes else "")
