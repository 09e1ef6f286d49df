"""Speech data: the shipped espeak-ng clips, and reading/validating audio a user uploads or records.

Waves everywhere in the kit are float32 numpy arrays in [-1, 1], mono, at SAMPLE_RATE = 16 kHz;
a batch of equal-length waves is a tensor (B, T). The shipped set (data_samples/speech/) is 20
sentences x 3 espeak-ng voices, 1.8-2.4 s each; the last 4 sentences are the held-out "test" split.
How they were made: data_samples/speech/make_speech.py.

    clips = load_speech_clips("train")           # [SpeechClip(wave, sr, text, voice), ...]
    audio = read_audio("upload.wav")             # AudioInput(wave, sr, notes): mono 16 kHz, <= 10 s
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path
from typing import NamedTuple

import numpy as np
import soundfile as sf

from ..paths import samples_dir

SAMPLE_RATE = 16_000
MAX_SECONDS = 10.0          # longer input is trimmed to this, with a notice
MIN_SECONDS = 0.1           # shorter input is refused
SILENCE_PEAK = 1e-3         # a peak below -60 dBFS counts as silence
MAX_FILE_BYTES = 50_000_000


class AudioError(ValueError):
    """Audio that cannot be used, with a message meant for the user (wrong format, silence, ...)."""


class SpeechClip(NamedTuple):
    wave: np.ndarray   # (T,) float32 in [-1, 1]
    sr: int            # 16000
    text: str          # the sentence espeak-ng spoke
    voice: str         # the espeak-ng voice, e.g. "en-us+f3"


class AudioInput(NamedTuple):
    wave: np.ndarray   # (T,) float32 mono in [-1, 1]
    sr: int            # always SAMPLE_RATE
    notes: list        # what was changed on the way in (resampled, mixed to mono, trimmed), for the user


def speech_dir() -> Path:
    """data_samples/speech: $REGEN_LITE_SAMPLES/speech, else the one beside the package."""
    return samples_dir() / "speech"


def speech_transcripts(split: str = "all") -> list[dict]:
    """Rows of transcripts.csv: {"file", "voice", "text", "split", "seconds"}; split "train", "test" or "all"."""
    if split not in ("train", "test", "all"):
        raise ValueError(f"split must be 'train', 'test' or 'all', not {split!r}")
    path = speech_dir() / "transcripts.csv"
    if not path.exists():
        raise FileNotFoundError(f"{path}: missing; remake the clips with: python data_samples/speech/make_speech.py")
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    return [r for r in rows if split == "all" or r["split"] == split]


def load_speech_clips(split: str = "all") -> list[SpeechClip]:
    """The shipped clips of one split, in transcripts.csv order (sentence-major, then voice)."""
    out = []
    for row in speech_transcripts(split):
        wave, sr = sf.read(speech_dir() / row["file"], dtype="float32")
        if sr != SAMPLE_RATE or wave.ndim != 1:
            raise ValueError(f"{row['file']}: expected mono {SAMPLE_RATE} Hz, found {wave.ndim}-D at {sr} Hz")
        out.append(SpeechClip(wave, sr, row["text"], row["voice"]))
    return out


# ---------------------------------------------------------------------------------------
# User audio: a file (path, bytes, file object) or an array with its rate (what a microphone gives)
# ---------------------------------------------------------------------------------------

def read_audio(source, *, max_seconds: float = MAX_SECONDS) -> AudioInput:
    """Read an audio file (WAV, FLAC, OGG, MP3: whatever libsndfile reads) and prepare it with
    `prepare_audio`. `source`: a path, the file's bytes, or a binary file object."""
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if not path.is_file():
            raise AudioError(f"{path.name}: file not found")
        size, label = path.stat().st_size, path.name
    else:
        data = bytes(source) if isinstance(source, (bytes, bytearray, memoryview)) else source.read()
        size, label, source = len(data), "the uploaded audio", io.BytesIO(data)
    if size == 0:
        raise AudioError(f"{label} is empty (0 bytes)")
    if size > MAX_FILE_BYTES:
        raise AudioError(f"{label} is {size / 1e6:.0f} MB; audio files up to {MAX_FILE_BYTES // 1_000_000} MB are accepted")
    try:
        wave, sr = sf.read(source, dtype="float32", always_2d=True)   # (T, channels)
    except (sf.LibsndfileError, RuntimeError, TypeError) as e:
        raise AudioError(f"{label} is not an audio file we can read (WAV, FLAC, OGG or MP3 are accepted): {e}") from e
    return prepare_audio(wave, sr, max_seconds=max_seconds)


def prepare_audio(wave, sr: int, *, max_seconds: float = MAX_SECONDS) -> AudioInput:
    """Check and convert an array to the kit's format: float32 mono in [-1, 1] at 16 kHz, at most
    max_seconds long. Accepts (T,), (T, C) or (C, T) arrays, integer PCM or floats, any sample rate
    from 4 kHz up. Raises AudioError (empty, too short, silent, NaN, ...); notes say what was changed."""
    notes = []
    a = np.asarray(wave)
    if not isinstance(sr, (int, np.integer)) or not 4_000 <= sr <= 384_000:
        raise AudioError(f"sample rate {sr!r} is not a usable audio rate (expected 4,000-384,000 Hz)")
    if a.dtype.kind in "iu":                        # PCM integers -> [-1, 1]
        info = np.iinfo(a.dtype)
        a = (a.astype(np.float64) - (info.max + 1 if a.dtype.kind == "u" else 0)) / (info.max + 1)
    elif a.dtype.kind != "f":
        raise AudioError(f"audio samples must be numbers, not {a.dtype}")
    if a.size == 0:                                 # before the channel mean, which would turn (0, C) into NaN
        raise AudioError("the audio is empty (no samples)")
    if a.ndim == 2:                                 # channels: the short axis
        if a.shape[0] < a.shape[1]:
            a = a.T                                 # (C, T) -> (T, C)
        if a.shape[1] > 1:
            notes.append(f"mixed {a.shape[1]} channels down to mono")
        a = a.mean(axis=1)
    elif a.ndim != 1:
        raise AudioError(f"audio must be a 1-D wave or a 2-D (samples, channels) array, not shape {a.shape}")
    if not np.isfinite(a).all():
        raise AudioError("the audio contains NaN or infinite samples")
    if a.size < MIN_SECONDS * sr:
        raise AudioError(f"the audio is {1000 * a.size / sr:.0f} ms long; at least {1000 * MIN_SECONDS:.0f} ms is needed")
    if a.size > max_seconds * sr:
        notes.append(f"trimmed from {a.size / sr:.1f} s to the first {max_seconds:g} s")
        a = a[: int(max_seconds * sr)]
    if sr != SAMPLE_RATE:
        import librosa

        a = librosa.resample(a.astype(np.float32), orig_sr=int(sr), target_sr=SAMPLE_RATE, res_type="soxr_hq")
        notes.append(f"resampled from {sr} Hz to {SAMPLE_RATE} Hz")
    peak = float(np.abs(a).max())
    if peak < SILENCE_PEAK:
        raise AudioError(f"the audio is silent (peak {20 * np.log10(max(peak, 1e-12)):.0f} dBFS); "
                         "record or upload some speech")
    if peak > 1.0:
        a = a / peak
        notes.append(f"scaled down by {peak:.2f} to fit in [-1, 1]")
    return AudioInput(a.astype(np.float32), SAMPLE_RATE, notes)


def audio_bytes(wave: np.ndarray, sr: int = SAMPLE_RATE) -> bytes:
    """A wave as the bytes of a 16-bit PCM WAV file (for an audio player or a download)."""
    buf = io.BytesIO()
    sf.write(buf, np.clip(np.asarray(wave, dtype=np.float32), -1, 1), sr, format="WAV", subtype="PCM_16")
    return buf.getvalue()
