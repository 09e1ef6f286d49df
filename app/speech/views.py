"""The Speech tab's logic without the UI: plain functions that app/speech/tab.py calls.

    load_paths        the four speech pipelines Y -> Y' -> Y of regen_lite; a missing checkpoint disables one
    clip_choices      the shipped espeak-ng clips as dropdown entries (transcript, voice)
    load_input        a shipped clip or an uploaded / recorded file -> a 16 kHz mono wave, plus notices
    inspect           Y -> Y' -> render(Y'): players, pictures and a table of numbers
    compare_all       every available path on the same Y: one table, one rendered wave each
    draw_map          a (F, N) time-frequency map as a labelled picture (numpy + PIL, a few ms)

Nothing here builds or runs a model: every path is `regen_lite.speech.pipelines.build_pipeline(name)` and every
number comes from its `round_trip(name, y)`.
"""

from __future__ import annotations

import os
import traceback
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from app.pictures import BACKGROUND, INK, caption, colour_bar, colourise, font
from regen_lite.checkpoints import CheckpointError
from regen_lite.speech.data import SAMPLE_RATE, AudioError, load_speech_clips, read_audio, speech_transcripts
from regen_lite.speech.features import SpectrogramConfig, stft_magnitude
from regen_lite.speech.pipelines import PATHS, build_pipeline, round_trip
from regen_lite.speech.viz import display_values, magnitude_to_db

DEFAULT_PATH = "mel+learned+gl"     # the regeneration-learning path: a compact Y', a learned renderer
ROWS = {"stft_magnitude": "frequency bins", "log_mel": "mel bands", "mfcc": "MFCCs"}
PITCH_LOST = 0.5                    # below this fraction of voiced frames kept, the notes say the pitch is gone
CFG = SpectrogramConfig()


# ---------------------------------------------------------------------------------------
# Paths: build them once; a missing checkpoint disables one path, never the tab
# ---------------------------------------------------------------------------------------

@dataclass
class SpeechPaths:
    """The speech paths the app can run, and why the others are unavailable."""

    available: dict = field(default_factory=dict)     # path name -> Regenerator (extractor carrying its renderer)
    unavailable: dict = field(default_factory=dict)   # path name -> reason

    @property
    def names(self) -> list[str]:
        return list(self.available)


def load_paths() -> SpeechPaths:
    """build_pipeline(name) for every speech pipeline (the learned mel renderer's weights load here)."""
    found = SpeechPaths()
    for name in PATHS:
        try:
            found.available[name] = build_pipeline(name)
        except CheckpointError as e:
            found.unavailable[name] = str(e)
        except Exception as e:                    # any other failure must not take the app down
            traceback.print_exc()
            found.unavailable[name] = f"{type(e).__name__}: {e}"
    return found


# ---------------------------------------------------------------------------------------
# Inputs: a shipped clip, or a file the user uploaded or recorded
# ---------------------------------------------------------------------------------------

def clip_choices() -> list[tuple[str, str]]:
    """Dropdown entries (label, clip name) for the 60 shipped clips: ("us_00 · en-us · The red boat ...", "us_00")."""
    return [(f"{Path(r['file']).stem} · {r['voice']} · {r['text']}", Path(r["file"]).stem)
            for r in speech_transcripts("all")]


@lru_cache(maxsize=1)
def _clips() -> dict:
    """clip name (file name without .wav) -> SpeechClip, read once (60 clips, 4.5 MB)."""
    return dict(zip((Path(r["file"]).stem for r in speech_transcripts("all")), load_speech_clips("all")))


@dataclass
class SpeechInput:
    wave: np.ndarray          # (T,) float32 mono 16 kHz in [-1, 1]
    source: str               # in words, for the notes
    notes: list[str]          # what was changed on the way in (mono, resampled, trimmed)
    text: str | None = None   # the transcript of a shipped clip


def load_input(upload: str | None, clip: str | None) -> SpeechInput:
    """The audio to inspect: the uploaded / recorded file if there is one, else the shipped clip `clip`.
    Raises AudioError with a message meant for the user."""
    if upload:
        name = os.path.basename(str(upload))
        try:
            audio = read_audio(upload)
        except AudioError as e:
            raise AudioError(str(e).replace(str(upload), name)) from e   # the server's temp path means nothing
        return SpeechInput(audio.wave, f"your audio `{name}` (uploaded or recorded)", list(audio.notes))
    if not clip:
        raise AudioError("there is nothing to listen to: pick a shipped clip, upload an audio file or record one")
    clips = _clips()
    if clip not in clips:
        raise AudioError(f"{clip!r} is not one of the shipped clips (us_00 ... usf_19, {len(clips)} in data_samples/speech)")
    c = clips[clip]
    return SpeechInput(c.wave, f"shipped clip `{clip}` (espeak-ng voice {c.voice}): “{c.text}”", [], c.text)


def pcm16(wave: np.ndarray) -> tuple[int, np.ndarray]:
    """A wave in [-1, 1] as what gr.Audio plays: (sample rate, int16 samples)."""
    return SAMPLE_RATE, np.round(np.clip(wave, -1, 1) * 32767).astype(np.int16)


# ---------------------------------------------------------------------------------------
# Pictures: a time-frequency map with time and row ticks and a colour bar
# ---------------------------------------------------------------------------------------

PLOT_W, PLOT_H = 600, 140        # the map itself, in pixels, whatever the clip length or number of rows
LEFT, TOP, RIGHT, BOTTOM = 74, 22, 86, 44


def _resize_axis(img: Image.Image, size: tuple[int, int]) -> Image.Image:
    """Stretch with sharp blocks (NEAREST) when enlarging, average (BOX) when shrinking, per axis."""
    w, h = img.size
    img = img.resize((size[0], h), Image.Resampling.NEAREST if size[0] >= w else Image.Resampling.BOX)
    return img.resize(size, Image.Resampling.NEAREST if size[1] >= h else Image.Resampling.BOX)


def row_ticks(kind: str, rows: int) -> list[tuple[float, str]]:
    """(fraction of the height, label) for the y axis: Hz for |STFT|, band number (and its centre) for mel."""
    if kind == "stft_magnitude":
        return [(f / (CFG.sr / 2), f"{f / 1000:g} kHz") for f in (0, 2000, 4000, 6000, 8000)]
    if kind == "log_mel":
        centres = _mel_centres(rows)
        return [((b + 0.5) / rows, f"{b} ({centres[b] / 1000:.2g}k)") for b in (0, 20, 40, 60, rows - 1)]
    return [((c + 0.5) / rows, f"c{c}") for c in range(0, rows, 5)]


@lru_cache(maxsize=4)
def _mel_centres(n_mels: int) -> np.ndarray:
    import librosa

    return librosa.mel_frequencies(n_mels + 2, fmin=0.0, fmax=CFG.sr / 2)[1:-1]


def draw_map(values: np.ndarray, kind: str, title: str, *, vmin: float | None = None, vmax: float | None = None,
             unit: str = "dB", cmap: str = "magma") -> np.ndarray:
    """A (F, N) map, row 0 at the bottom, time in seconds along x, as an RGB uint8 picture of fixed size.
    kind: "stft_magnitude" (rows are 0-8 kHz), "log_mel" or "mfcc" (rows are bands / coefficients)."""
    values = np.asarray(values, dtype=np.float32)
    rows, frames = values.shape
    lo = float(values.min()) if vmin is None else vmin
    hi = float(values.max()) if vmax is None else vmax
    level = (values[::-1] - lo) / max(hi - lo, 1e-6)                        # (F, N) in [0, 1], low rows at the bottom
    plot = _resize_axis(Image.fromarray(colourise(level, cmap, 1)), (PLOT_W, PLOT_H))
    canvas = Image.new("RGB", (LEFT + PLOT_W + RIGHT, TOP + PLOT_H + BOTTOM), BACKGROUND)
    canvas.paste(plot, (LEFT, TOP))
    draw = ImageDraw.Draw(canvas)
    draw.rectangle((LEFT - 1, TOP - 1, LEFT + PLOT_W, TOP + PLOT_H), outline=INK)
    seconds = frames / CFG.frames_per_second
    step = 0.5 if seconds <= 4 else 1.0 if seconds <= 8 else 2.0
    for s in np.arange(0, seconds + 1e-9, step):
        x = LEFT + s / seconds * PLOT_W
        draw.line([(x, TOP + PLOT_H), (x, TOP + PLOT_H + 4)], fill=INK)
        draw.text((x, TOP + PLOT_H + 6), f"{s:g}", fill=INK, font=font(11), anchor="mt")
    draw.text((LEFT + PLOT_W // 2, TOP + PLOT_H + 22), "time (s)", fill=INK, font=font(11), anchor="mt")
    for fraction, text in row_ticks(kind, rows):
        y = TOP + PLOT_H - fraction * PLOT_H
        draw.line([(LEFT - 5, y), (LEFT - 1, y)], fill=INK)
        draw.text((LEFT - 7, y), text, fill=INK, font=font(11), anchor="rm")
    bar = (LEFT + PLOT_W + 14, TOP, LEFT + PLOT_W + 28, TOP + PLOT_H)
    colour_bar(draw, canvas, bar, cmap, [(0, f"{lo:.0f}"), (0.5, f"{(lo + hi) / 2:.0f}"), (1, f"{hi:.0f}")], unit)
    draw.text((LEFT, TOP - 6), title, fill=INK, font=font(12), anchor="ls")
    caption(draw, canvas.width, TOP + PLOT_H + BOTTOM - 6, f"{rows} {ROWS.get(kind, 'rows')} x {frames} frames")
    return np.asarray(canvas)


def draw_spectrogram(wave: np.ndarray, title: str, top_db: float | None = None) -> tuple[np.ndarray, float]:
    """|STFT(wave)| in dB as a picture, 80 dB deep. Pass `top_db` (the loudest dB of another wave) to draw
    two waves on one colour scale. Returns (picture, the dB value at the top of the scale)."""
    db = magnitude_to_db(stft_magnitude(wave, CFG))
    hi = float(db.max()) if top_db is None else top_db
    return draw_map(db, "stft_magnitude", title, vmin=hi - 80.0, vmax=hi), hi


def draw_y_prime(y_prime: np.ndarray, kind: str) -> np.ndarray:
    """Y' as the extractor returns it: |STFT| and log-mel in dB (80 dB deep), MFCC on a symmetric scale
    clipped at the 98th percentile of |c1..| (c0, the loudness, is far larger and saturates)."""
    values = display_values(y_prime, kind)
    if kind == "mfcc":
        bound = float(np.percentile(np.abs(values[1:]), 98)) or 1.0
        return draw_map(values, kind, "Y' = MFCC (c0 = loudness, saturated)", vmin=-bound, vmax=bound,
                        unit="coef", cmap="coolwarm")
    title = {"stft_magnitude": "Y' = |STFT| (dB)", "log_mel": "Y' = log-mel (dB)"}[kind]
    return draw_map(values, kind, title)


# ---------------------------------------------------------------------------------------
# Numbers: size of Y', spectral distances, and whether the pitch survived
# ---------------------------------------------------------------------------------------

def format_pitch(m: dict) -> str:
    return f"{100 * m['voiced_kept']:.0f}% ({m['kept']} of {m['voiced']})" if m["voiced"] else "n/a (Y has no voiced frames)"


def format_cents(m: dict) -> str:
    return "n/a (< 10 frames voiced in both)" if m["f0_cents"] is None else f"{m['f0_cents']:.0f} cents"


def summary_rows(path: str, extractor, wave: np.ndarray, y_prime: np.ndarray, m: dict) -> list[list[str]]:
    """The numbers table of one path on one input (short values: the table sits in a narrow column)."""
    d = extractor.describe()            # per second of audio
    rows, frames = y_prime.shape
    return [
        ["path", path],
        ["Y (input)", f"{len(wave) / SAMPLE_RATE:.2f} s ({len(wave):,} samples)"],
        ["shape of Y'", f"{rows} x {frames} ({ROWS[d['name']]} x frames)"],
        ["frames per second", f"{d['frames_per_second']:g} (every {1000 / d['frames_per_second']:g} ms)"],
        ["numbers per second of audio", f"{d['values_per_second']:,.0f} (Y: {SAMPLE_RATE:,})"],
        ["compression vs 16-bit audio", f"{d['compression']:.2f}x"],
        ["LSD (log-spectral distance)", f"{m['lsd_db']:.2f} dB"],
        ["MCD (mel-cepstral distortion)", f"{m['mcd_db']:.2f} dB"],
        ["voiced frames that keep their pitch", format_pitch(m)],
        ["pitch error (median)", format_cents(m)],
    ]


@dataclass
class SpeechInspection:
    """Everything the Speech tab shows for one input and one path."""

    y_audio: tuple            # (sr, int16 (T,)) for gr.Audio
    y_spec: np.ndarray        # picture of |STFT(Y)|
    y_prime: np.ndarray       # picture of Y'
    y_hat_audio: tuple        # (sr, int16 (T',))
    y_hat_spec: np.ndarray    # picture of |STFT(render(Y'))| on Y's colour scale
    table: list[list[str]]    # rows of [quantity, value]
    metrics: dict             # lsd_db, mcd_db, voiced, kept, voiced_kept, f0_cents
    shape: tuple              # Y' (F, N)


def inspect(path: str, pipe, wave: np.ndarray) -> SpeechInspection:
    """Y -> Y' -> render(Y') along one path (a Regenerator of load_paths), with players, pictures and numbers."""
    rt = round_trip(path, wave, pipe=pipe)
    extractor, y_prime, y_hat, m = pipe.extractor, rt.y_prime, rt.y_hat, rt.metrics
    y_spec, top = draw_spectrogram(wave, "Y: |STFT| of the input (dB)")
    y_hat_spec, _ = draw_spectrogram(y_hat, "render(Y'): |STFT| (dB, same scale as Y)", top_db=top)
    return SpeechInspection(pcm16(wave), y_spec, draw_y_prime(y_prime, extractor.name), pcm16(y_hat), y_hat_spec,
                            summary_rows(path, extractor, wave, y_prime, m), m, y_prime.shape)


def pitch_note(m: dict, name: str) -> str | None:
    """A sentence for the notes when render(Y') lost the pitch (MFCC does by design: it keeps only the envelope)."""
    if not m["voiced"] or m["voiced_kept"] >= PITCH_LOST:
        return None
    kept = f"Only {100 * m['voiced_kept']:.0f}% of the voiced frames of Y are voiced in render(Y')"
    if name == "mfcc":
        return (f"{kept}: MFCCs keep the smooth spectral envelope (which vowel) but not the harmonics (which note), "
                "so render(Y') sounds whispered or buzzy. Listen, then switch to a mel path.")
    return f"{kept}: the pitch did not survive this path on this input."


COMPARE_HEADERS = ["path", "shape of Y'", "numbers / s", "compression", "LSD dB", "MCD dB", "voiced frames kept",
                   "pitch error"]


def compare_all(paths: SpeechPaths, wave: np.ndarray) -> tuple[dict[str, tuple], list[list[str]]]:
    """Every available path on the same Y: ({path: (sr, int16) rendered wave}, one table row per path)."""
    audio, rows = {}, []
    for name, pipe in paths.available.items():
        rt = round_trip(name, wave, pipe=pipe)
        m, d = rt.metrics, pipe.extractor.describe()
        audio[name] = pcm16(rt.y_hat)
        rows.append([name, " x ".join(map(str, rt.y_prime.shape)), f"{d['values_per_second']:,.0f}",
                     f"{d['compression']:.2f}x", f"{m['lsd_db']:.2f}", f"{m['mcd_db']:.2f}", format_pitch(m),
                     format_cents(m)])
    return audio, rows

