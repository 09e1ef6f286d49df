"""The named speech pipelines. Four reconstruct only, Y -> Y' -> Y (no prior; compared in
benchmarks/speech_representations.py); two are text-to-speech, X = typed text -> Y' -> Y, the two-stage pipeline and
its direct baseline (speech/synthesis.py; compared in benchmarks/speech_synthesis.py).

    name              extractor (Y -> Y')    prior (X -> Y')       renderer (Y' -> Y)
    stft+gl           stft_magnitude          -                     Griffin-Lim (only the phase is missing)
    mel+inverse+gl    log_mel                 -                     filterbank pseudo-inverse -> Griffin-Lim
    mel+learned+gl    log_mel                 -                     learned mel -> |STFT| net (mel_renderer) -> GL
    mfcc+inverse+gl   mfcc                    -                     inverse DCT -> pseudo-inverse -> Griffin-Lim
    tts               log_mel                 tts_mel               learned mel -> |STFT| net -> Griffin-Lim
    tts_direct        wave (identity)         tts_wave (the wave)   nothing: Y' = Y
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..checkpoints import load_checkpoint, weights_dir
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
    PipelineSpec("tts", "speech", "log_mel", "tts_mel", "mel_renderer", {},
                 "text -> phonemes -> durations -> log-mel (Y') -> learned renderer -> Griffin-Lim", baseline="tts_direct"),
    PipelineSpec("tts_direct", "speech", "wave", "tts_wave", None, {},
                 "text -> phonemes -> durations -> the wave itself (Y' = Y)", direct=True),
]}

# the four round-trip paths Y -> Y' -> Y, without a prior: the Speech tab, notebook 8, speech_representations.py
PATHS = {name: spec for name, spec in PIPELINES.items() if spec.prior is None}


def _spec(name: str) -> PipelineSpec:
    if name not in PIPELINES:
        raise KeyError(f"unknown speech pipeline {name!r}; choose from {', '.join(PIPELINES)}")
    return PIPELINES[name]


def build_pipeline(name: str, *, device="cpu", cfg=None) -> Regenerator:
    """The extractor of pipeline `name` carrying its renderer (the learned mel renderer's weights load here),
    as a Regenerator without a prior. `cfg`: a SpectrogramConfig other than the default."""
    spec = _spec(name)
    renderer = "learned" if spec.renderer else "explicit"
    extractor = EXTRACTORS[spec.extractor][0](renderer=renderer, cfg=cfg).to(device)   # (factory, summary)
    if spec.prior is None:
        return Regenerator(extractor)
    from .synthesis import TextToSpeech

    prior, _ = load_checkpoint(weights_dir() / spec.prior, TextToSpeech, device=device)
    return Regenerator(extractor, prior.eval())


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
    rt.notes.append(f"oracle Y': {spec.name} reconstructs Y ({spec.summary})" if spec.prior else
                    f"no X: {spec.name} only reconstructs ({spec.summary})")
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


def synthesize_text(name: str, text: str, voice: str = "kal16", stretch: float = 1.0, f0: float = 90.0, *,
                    pipe: Regenerator | None = None) -> dict:
    """Typed text -> both halves of a TTS pipeline: {"phonemes", "durations" (frames per phoneme), "y_prime"
    (log-mel (80, N) in dB, or the wave itself), "wave" (T,) numpy float32, "seconds" (both stages), "notices"
    (what reading the text changed, e.g. a long text trimmed to text_to_x's max_words)}.
    Raises text.lexicon.TextError for empty, non-English or numbers-only text."""
    import time

    from .synthesis_data import text_to_x

    pipe = pipe or build_pipeline(name)
    phonemes, x, notices = text_to_x(text, voice, stretch, f0)
    t0 = time.perf_counter()
    y_prime, wave = pipe.generate(x)            # the one Regenerator: prior.sample(X), then renderer.render(Y')
    return {"phonemes": phonemes, "durations": pipe.prior.durations(*x)[0].tolist(), "y_prime": y_prime.numpy(),
            "wave": wave.numpy().astype(np.float32), "seconds": time.perf_counter() - t0, "notices": notices}
