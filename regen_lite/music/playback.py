"""Seeing and hearing a Song: a piano-roll array and figure, a template chart, and a small additive
synthesiser (numpy, 16 kHz) so the notebook and the app can play melodies without a MIDI synth.

    piano_roll(song)              (P, T) uint8 array: 0 silent, 1 held, 2 onset; rows from `low` up
    plot_piano_roll(song, tmpl)   the roll, with the template's chord tones shaded, chord names, cadences
    plot_template(tmpl)           Y' on its own: chord tones per beat, chord names, rhythm, cadences
    annotate_syllables(ax, s, l)  lyrics under a piano roll, each syllable where it is sung
    synthesize(song, tmpl)        float32 audio in [-1, 1]: triangle-wave melody (+ soft sine chords)

MIDI export lives in song.py (write_midi).
"""

from __future__ import annotations

import numpy as np

from .song import PITCH_NAMES, STEPS_PER_BAR, STEPS_PER_BEAT, Song
from .template import RHYTHM_ONSET, Template

SAMPLE_RATE = 16_000


def piano_roll(song: Song, low: int | None = None, high: int | None = None) -> tuple[np.ndarray, int]:
    """(roll, low): roll[p - low, t] = 2 at a note's onset, 1 while it is held, 0 when silent.
    low/high default to the melody's own range (one octave if it has no notes)."""
    notes = song.notes()
    pitches = [p for _, _, p in notes] or [60]
    low = min(pitches) if low is None else low
    high = max(pitches) if high is None else high
    roll = np.zeros((high - low + 1, song.n_steps), dtype=np.uint8)
    for on, dur, p in notes:
        if low <= p <= high:
            roll[p - low, on:on + dur] = 1
            roll[p - low, on] = 2
    return roll, low


def _axes(ax, figsize):
    import matplotlib.pyplot as plt
    if ax is None:
        fig, ax = plt.subplots(figsize=figsize)
        return fig, ax
    return ax.figure, ax


def plot_piano_roll(song: Song, template: Template | None = None, ax=None, title: str | None = None,
                    labels: bool = True):
    """The melody as a piano roll. With a template: its chord tones shaded per beat (a note on a shaded
    row is a chord tone), chord names above each beat, cadences as red lines. Returns the Figure."""
    roll, low = piano_roll(song)
    low, high = low - 2, low + roll.shape[0] + 1
    roll, _ = piano_roll(song, low, high)
    fig, ax = _axes(ax, (max(6.0, song.n_steps / 12), 3.2))
    img = np.ones((*roll.shape, 3))
    if template is not None:
        pcs = template.chord_pcs()                                           # (B, 12)
        for t in range(min(song.n_steps, len(pcs) * STEPS_PER_BEAT)):
            rows = pcs[t // STEPS_PER_BEAT][(np.arange(low, high + 1)) % 12]
            img[rows, t] = (0.86, 0.93, 1.0)
    img[roll == 1] = (0.2, 0.35, 0.7)
    img[roll == 2] = (0.05, 0.15, 0.45)
    ax.imshow(img, origin="lower", aspect="auto", interpolation="nearest",
              extent=(-0.5, song.n_steps - 0.5, low - 0.5, high + 0.5))
    for t in range(0, song.n_steps + 1, STEPS_PER_BAR):
        ax.axvline(t - 0.5, color="0.6", lw=0.6)
    if template is not None:
        for b in np.flatnonzero(template.cadence):
            ax.axvline(b * STEPS_PER_BEAT + STEPS_PER_BEAT - 0.5, color="tab:red", lw=1.2)
        if labels:
            for b, name in enumerate(template.labels(absolute=True)):
                if name != "N":
                    ax.text(b * STEPS_PER_BEAT + 0.5, high + 0.9, name, ha="center", va="bottom", fontsize=6,
                            rotation=90)
    octaves = [p for p in range(low, high + 1) if p % 12 == 0]
    ax.set_yticks(octaves, [f"C{p // 12 - 1}" for p in octaves])
    bars = range(0, song.n_steps, STEPS_PER_BAR)
    ax.set_xticks(list(bars), [str(i + 1) for i in range(len(bars))], fontsize=7)
    ax.set_xlabel("bar")
    if title:
        ax.set_title(title, pad=24 if template is not None and labels else 6)
    return fig


def plot_template(template: Template, ax=None, title: str | None = None):
    """Y' drawn on its own: a 12-row chart of each beat's chord tones (absolute pitch classes), the chord
    names, the rhythm as ticks underneath (tall = onset, short = held) and the cadences in red."""
    fig, ax = _axes(ax, (max(6.0, template.n_beats / 6), 2.8))
    pcs = template.chord_pcs().T.astype(float)                                  # (12, B)
    ax.imshow(pcs, origin="lower", aspect="auto", cmap="Blues", vmin=0, vmax=1.6, interpolation="nearest",
              extent=(-0.5, template.n_beats - 0.5, -0.5, 11.5))
    ax.set_yticks(range(12), PITCH_NAMES, fontsize=7)
    r = template.rhythm
    steps = np.arange(len(r)) / STEPS_PER_BEAT - 0.25
    ax.vlines(steps[r == RHYTHM_ONSET], -2.6, -0.9, color="k", lw=1.0)
    ax.vlines(steps[r == 1], -2.6, -2.0, color="0.5", lw=0.8)
    for b in np.flatnonzero(template.cadence):
        ax.axvline(b + 0.5, color="tab:red", lw=1.2)
    for b in range(0, template.n_beats + 1, STEPS_PER_BAR // STEPS_PER_BEAT):
        ax.axvline(b - 0.5, color="0.6", lw=0.6)
    for b, name in enumerate(template.labels(absolute=True)):
        if name != "N":
            ax.text(b, 12.0, name, ha="center", va="bottom", fontsize=6, rotation=90)
    ax.set_ylim(-2.8, 11.5)
    ax.set_xticks([])
    ax.set_xlabel("beats (chord tones shaded; rhythm below: tall = onset; red = cadence)", fontsize=8)
    if title:
        ax.set_title(title, pad=26)
    return fig


def _envelope(n: int, sr: int, attack=0.01, decay=0.08, sustain=0.7, release=0.04) -> np.ndarray:
    """Linear ADSR fitted inside n samples (the release ends at the note's end)."""
    a, d, r = int(attack * sr), int(decay * sr), int(release * sr)
    env = np.full(n, sustain, dtype=np.float64)
    a = min(a, n)
    env[:a] = np.linspace(0, 1, a, endpoint=False)
    d = min(d, n - a)
    env[a:a + d] = np.linspace(1, sustain, d, endpoint=False)
    r = min(r, n - a - d)
    if r > 0:
        env[n - r:] *= np.linspace(1, 0, r)
    return env


def _tone(midi: int, n: int, sr: int, harmonics=(1, 3, 5, 7)) -> np.ndarray:
    """A band-limited triangle wave: odd harmonics k with amplitude (-1)^((k-1)/2) / k^2."""
    f = 440.0 * 2 ** ((midi - 69) / 12)
    t = np.arange(n) / sr
    wave = sum(((-1) ** ((k - 1) // 2)) / k ** 2 * np.sin(2 * np.pi * k * f * t) for k in harmonics if k * f < sr / 2)
    return wave * (8 / np.pi ** 2)


def annotate_syllables(ax, song: Song, syllables: list[str]) -> None:
    """Write each syllable under a plot_piano_roll axis, at the step where it starts (song.meta["syllable_steps"]),
    on two alternating lines; a syllable holding a fermata in red."""
    steps = list(song.meta.get("syllable_steps", []))
    low = ax.get_ylim()[0]
    for i, (a, b) in enumerate(zip(steps, steps[1:] + [song.n_steps])):
        if i >= len(syllables):
            break
        red = bool(song.fermata is not None and song.fermata[a:b].any())
        ax.text(a - 0.4, low - 1.2 - 2.2 * (i % 2), syllables[i], fontsize=6.5, ha="left", va="top",
                color="tab:red" if red else "0.1")


def synthesize(song: Song, template: Template | None = None, sr: int = SAMPLE_RATE, tempo: float = 96.0,
               chord_gain: float = 0.35, tail: float = 0.3) -> np.ndarray:
    """Render the melody (and, with a template, its chords as soft sines an octave below middle C) to
    mono float32 audio in [-1, 1] at `sr` Hz. tempo: quarter notes per minute."""
    step = 60.0 / tempo / STEPS_PER_BEAT                                     # seconds per grid step
    n_total = int(round((song.n_steps * step + tail) * sr))
    out = np.zeros(n_total)
    for on, dur, p in song.notes():
        i0, n = int(round(on * step * sr)), int(round(dur * step * sr))
        out[i0:i0 + n] += _tone(p, n, sr) * _envelope(n, sr)
    if template is not None:
        for b, pitches in enumerate(template.chord_pitches()):
            i0, n = int(round(b * STEPS_PER_BEAT * step * sr)), int(round(STEPS_PER_BEAT * step * sr))
            for p in pitches:
                env = _envelope(n, sr, attack=0.02, decay=0.1, sustain=0.6, release=0.05)
                out[i0:i0 + n] += chord_gain / len(pitches) * _tone(p, n, sr, (1,)) * env
    peak = np.abs(out).max()
    if peak > 0:
        out *= 0.9 / peak
    return out.astype(np.float32)


def midi_to_name(midi: int) -> str:
    return f"{PITCH_NAMES[midi % 12]}{midi // 12 - 1}"


def describe_song(song: Song) -> dict:
    """A short summary for display: key, bars, notes, range."""
    notes = song.notes()
    pitches = [p for _, _, p in notes]
    return {"key": song.key, "bars": song.n_bars, "notes": len(notes),
            "range": f"{midi_to_name(min(pitches))}-{midi_to_name(max(pitches))}" if pitches else "",
            "has_texture": song.chroma is not None, "name": song.name}

