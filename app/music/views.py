"""The Music tab's logic without the UI: melody Y -> chord/rhythm/cadence template Y' -> melody.

    input_song          a shipped test chorale or an uploaded MIDI / MusicXML file -> (Song, notices, source)
    inspect_song        Y -> Y' = extract(Y) -> render(Y'), and the direct model on Y's key and length
    generate_song       X = (key, bars) -> Y' ~ prior -> render(Y'), and the direct model on X
    draw_piano_roll     a melody as an RGB picture, its template's chord tones shaded (numpy + PIL)
    draw_template       Y' as an RGB chart: chord tones per beat with names, the rhythm, the cadences

Both pipelines are `regen_lite.core.Regenerator`s assembled in regen_lite.music.pipelines (load_music_models,
render_both): the template one with the `chord_template` extractor, the direct one with `melody_identity`
(Y' = Y). Every error meant for the user is a `MusicError` (or regen_lite's `MusicInputError`).
The pictures are drawn with numpy + PIL: regen_lite's matplotlib plot_piano_roll + savefig took 0.6-0.8 s
a figure on the (busy) 2-core machine where this was written, these 20-50 ms there.
"""

from __future__ import annotations

import math
import os
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw

from app.pictures import font
from regen_lite.music.metrics import melody_metrics
from regen_lite.music.pipelines import KEYS, MusicModels, render_both
from regen_lite.music.playback import SAMPLE_RATE, midi_to_name, synthesize
from regen_lite.music.song import (
    MAX_BARS,
    PITCH_NAMES,
    STEPS_PER_BAR,
    STEPS_PER_BEAT,
    KeyLength,
    Song,
    load_chorales,
    load_song,
    write_midi,
)
from regen_lite.music.template import RHYTHM_HOLD, RHYTHM_ONSET, Template

MAX_SEED = 2**31 - 1
TEMPERATURE_RANGE = (0.1, 2.0)
METRIC_HEADERS = ["melody", "chord tones", "on beats 1+3", "rhythm F1", "pc-histogram TV", "stepwise", "notes"]


class MusicError(ValueError):
    """A request the tab cannot answer; the message says why, for the user."""


# ---------------------------------------------------------------------------------------
# Inputs
# ---------------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def test_chorales() -> dict[str, Song]:
    """The 42 held-out chorales (never seen by the renderer or the prior), by name."""
    return {s.name: s for s in load_chorales("test")}


def input_song(chorale: str | None, upload: str | None) -> tuple[Song, list[str], str]:
    """The melody to inspect: an uploaded file if given, else the shipped test chorale `chorale`.
    Returns (song, notices about what was changed, the source in words)."""
    if upload:
        name = os.path.basename(str(upload))
        song, notices = load_song(upload)               # MusicInputError with a message for the user
        parts = song.meta.get("n_parts", 1)
        return song, notices, f"uploaded file `{name}` ({parts} part{'s' if parts != 1 else ''})"
    if not chorale:
        raise MusicError("Nothing to inspect: pick a shipped chorale or upload a MIDI / MusicXML file.")
    songs = test_chorales()
    if chorale not in songs:
        raise MusicError(f"There is no shipped test chorale {chorale!r}; pick one of the list "
                         f"(e.g. {', '.join(list(songs)[:3])}).")
    return songs[chorale], [], f"shipped test chorale `{chorale}` (four voices)"


def parse_key(text: str | None) -> tuple[int, int]:
    """'G major' -> (7, 0)."""
    if text not in KEYS:
        raise MusicError(f"Unknown key {text!r}: choose one like 'C major' or 'A minor'.")
    i = KEYS.index(text)
    return i % 12, i // 12


def check_settings(seed, temperature) -> tuple[int, float]:
    if seed is None or not float(seed).is_integer() or not 0 <= seed <= MAX_SEED:
        raise MusicError(f"The seed must be a whole number 0..{MAX_SEED}, not {seed!r}.")
    lo, hi = TEMPERATURE_RANGE
    if temperature is None or not lo <= float(temperature) <= hi:
        raise MusicError(f"The temperature must be between {lo} and {hi}, not {temperature!r}.")
    return int(seed), float(temperature)


# ---------------------------------------------------------------------------------------
# The two pipelines (regen_lite.music.pipelines.render_both)
# ---------------------------------------------------------------------------------------

@dataclass
class MusicResult:
    y: Song | None               # None when Y' was sampled from the prior (there is no Y)
    template: Template
    rendered: Song
    direct: Song
    notes: list[str]             # lines for the notes panel
    name: str                    # used in file names


def inspect_song(models: MusicModels, song: Song, seed: int, temperature: float) -> MusicResult:
    """Y -> Y' (oracle template) -> render(Y'); and the direct model for contrast."""
    template = models.extractor.extract(song)
    rendered, direct = render_both(models, template, seed, temperature)
    how = ("chords read from all the voices at each beat" if song.chroma is not None else
           "no accompaniment in the file: chords **guessed from the melody alone** "
           "(a weaker guess than from four voices)")
    return MusicResult(song, template, rendered, direct, [how], song.name or "melody")


def generate_song(models: MusicModels, key: str, bars, seed: int, temperature: float) -> MusicResult:
    """X = (key, bars) -> Y' ~ template prior -> render(Y'); the full two-stage generation."""
    tonic, mode = parse_key(key)
    if bars is None or not float(bars).is_integer() or not 1 <= bars <= MAX_BARS:
        raise MusicError(f"The length must be a whole number of bars 1..{MAX_BARS}, not {bars!r}.")
    x = KeyLength(tonic, mode, int(bars))
    template = models.prior.sample(x, generator=torch.Generator().manual_seed(seed))
    rendered, direct = render_both(models, template, seed, temperature)
    note = f"no Y: Y' was sampled from the template prior for X = {key}, {int(bars)} bars (seed {seed})"
    name = f"{PITCH_NAMES[tonic]}{'m' if mode else ''}_{int(bars)}bars"
    return MusicResult(None, template, rendered, direct, [note], name)


# ---------------------------------------------------------------------------------------
# Numbers, sound, files
# ---------------------------------------------------------------------------------------

def metrics_table(result: MusicResult, seed: int, temperature: float) -> list[list[str]]:
    """One row per melody, each measured against the same template Y'."""
    rows = []
    if result.y is not None:
        rows.append(("Y (input)", result.y))
    rows += [(f"render(Y') (seed {seed}, T={temperature:g})", result.rendered),
             (f"direct, no Y' (seed {seed}, T={temperature:g})", result.direct)]
    out = []
    for label, song in rows:
        m = melody_metrics(song, result.template)
        cells = [m[k] for k in ("chord_tones", "chord_tones_strong", "rhythm_f1", "pc_hist_tv", "stepwise")]
        out.append([label] + ["n/a" if math.isnan(v) else f"{v:.3f}" for v in cells] + [str(m["notes"])])
    return out


def audio(song: Song, template: Template | None) -> tuple[int, np.ndarray]:
    """(sample rate, int16 samples) for gr.Audio: the melody, with the template's chords if given."""
    return SAMPLE_RATE, np.round(synthesize(song, template) * 32767).astype(np.int16)


def midi_file(song: Song, out_dir: str | os.PathLike, stem: str) -> str:
    """The melody as a MIDI file in a fresh folder under `out_dir`; returns its path. (Without the chords:
    music21 takes about 0.7 s to build a chorale's chord part, against 40 ms for the melody.)"""
    path = Path(tempfile.mkdtemp(dir=out_dir)) / f"{stem}.mid"
    write_midi(song, path)
    return str(path)


def template_markdown(template: Template, describe: dict) -> str:
    s = template.summary()
    cad = ", ".join(str(b + 1) for b in s["cadence_beats"]) or "none"
    bits_y = describe["bits"] * describe["compression"]
    return "\n".join([
        f"**Y' = template** in {s['key']}, {s['bars']} bars, {s['onsets']} note onsets",
        f"- chords per beat (relative to the key): {s['chords']}",
        f"- the same chords by name: {s['chord_names']}",
        f"- cadences (phrase ends) at beats: {cad}",
        f"- size: {describe['bits']:.1f} bits per bar for Y' against {bits_y:.1f} for the melody Y",
    ])


def song_line(song: Song) -> str:
    pitches = [p for _, _, p in song.notes()]
    span = f", {midi_to_name(min(pitches))}-{midi_to_name(max(pitches))}" if pitches else ""
    return f"{song.key}, {song.n_bars} bars, {len(pitches)} notes{span}"


# ---------------------------------------------------------------------------------------
# Pictures (numpy + PIL); the piano rolls and the template share one time axis
# ---------------------------------------------------------------------------------------

LEFT, RIGHT = 40, 12          # margins: pitch names on the left
TOP = 40                      # room for the label and buttons that Gradio lays over the picture's top
MIN_WIDTH = 560               # short pieces: room for the legend (and the same width for every picture)
ROW = 7                       # pixels per semitone in a piano roll
PC_ROW = 10                   # pixels per pitch class in the template chart
WHITE, INK, GRID = (255, 255, 255), (30, 30, 30), (170, 170, 170)
SHADE, HELD, ONSET, CADENCE = (214, 232, 255), (70, 110, 190), (15, 40, 115), (214, 39, 40)


def step_width(n_steps: int) -> int:
    """Pixels per eighth-note step: a piece fills about 900 px, within 3..12 px a step."""
    return int(np.clip(round(900 / max(n_steps, 1)), 3, 12))


def pitch_range(songs: list[Song]) -> tuple[int, int]:
    """(low, high) MIDI pitches covering every song's notes with two semitones to spare."""
    pitches = [p for s in songs for _, _, p in s.notes()] or [60, 72]
    return min(pitches) - 2, max(pitches) + 2


def _bar_axis(draw: ImageDraw.ImageDraw, n_steps: int, cell: int, top: int, bottom: int, numbers_y: int):
    every = 1 if STEPS_PER_BAR * cell >= 24 else 4
    for i, t in enumerate(range(0, n_steps + 1, STEPS_PER_BAR)):
        x = LEFT + t * cell
        draw.line([(x, top), (x, bottom)], fill=GRID)
        if t < n_steps and i % every == 0:
            draw.text((x + 2, numbers_y), str(i + 1), fill=INK, font=font(10), anchor="lt")


def _cadences(draw: ImageDraw.ImageDraw, template: Template | None, cell: int, top: int, bottom: int):
    if template is None:
        return
    for b in np.flatnonzero(template.cadence):
        x = LEFT + (b + 1) * STEPS_PER_BEAT * cell
        draw.line([(x, top), (x, bottom)], fill=CADENCE, width=2)


def draw_piano_roll(song: Song, template: Template | None = None, low: int | None = None,
                    high: int | None = None) -> np.ndarray:
    """A melody as (H, W, 3) uint8: one row per semitone (high at the top), notes as bars (darker at the
    onset), the template's chord tones of each beat shaded, bar lines and numbers, cadences in red."""
    if low is None or high is None:
        low, high = pitch_range([song])
    n, cell = song.n_steps, step_width(song.n_steps)
    pitches = np.arange(high, low - 1, -1)                                     # (P,) top row first
    rows = np.zeros((len(pitches), n, 3), dtype=np.uint8) + np.uint8(255)
    if template is not None:
        steps = np.repeat(template.chord_pcs(), STEPS_PER_BEAT, axis=0)[:n]    # (T, 12)
        shade = np.zeros((len(pitches), n), dtype=bool)
        shade[:, :len(steps)] = steps[:, pitches % 12].T
        rows[shade] = SHADE
    body = np.repeat(np.repeat(rows, ROW, axis=0), cell, axis=1)
    width, top = max(LEFT + n * cell + RIGHT, MIN_WIDTH), TOP
    height = top + len(pitches) * ROW + 16
    canvas = Image.new("RGB", (width, height), WHITE)
    canvas.paste(Image.fromarray(body), (LEFT, top))
    draw = ImageDraw.Draw(canvas)
    bottom = top + len(pitches) * ROW
    for i, p in enumerate(pitches):                                            # octave lines and names
        if p % 12 == 0:
            y = top + (i + 1) * ROW
            draw.line([(LEFT, y), (LEFT + n * cell, y)], fill=(225, 225, 225))
            draw.text((LEFT - 4, y - ROW // 2), midi_to_name(int(p)), fill=INK, font=font(10), anchor="rm")
    _bar_axis(draw, n, cell, top, bottom, bottom + 3)
    for on, dur, p in song.notes():
        if low <= p <= high:
            y = top + (high - p) * ROW
            x0, x1 = LEFT + on * cell, LEFT + (on + dur) * cell - 1
            draw.rectangle([x0 + 1, y + 1, x1 - 1, y + ROW - 1], fill=HELD)
            draw.rectangle([x0 + 1, y + 1, x0 + max(1, cell // 2), y + ROW - 1], fill=ONSET)
    _cadences(draw, template, cell, top, bottom)
    draw.rectangle([LEFT, top, LEFT + n * cell, bottom], outline=GRID)
    return np.asarray(canvas)


@lru_cache(maxsize=512)
def _vertical_label(text: str, size: int = 10) -> Image.Image:
    """`text` written bottom-to-top, as an 'L' mask."""
    f = font(size)
    box = f.getbbox(text)
    img = Image.new("L", (box[2] + 2, size + 4), 0)
    ImageDraw.Draw(img).text((1, 1), text, fill=255, font=f)
    return img.rotate(90, expand=True)


def draw_template(template: Template) -> np.ndarray:
    """Y' as (H, W, 3) uint8 on the piano rolls' time axis: 12 pitch-class rows with each beat's chord
    tones shaded and the chord's name above it (where it changes), the rhythm underneath (dark = onset,
    light = held), bar lines and cadences (red)."""
    n, cell = template.n_steps, step_width(template.n_steps)
    beat = STEPS_PER_BEAT * cell
    labels = template.labels(absolute=True)
    shown = [b for b, name in enumerate(labels)                                # chord names where they change
             if name != "N" and (b == 0 or labels[b - 1] != name or b % 4 == 0)]
    if beat < 12:                                    # no room for one upright name per beat: one per bar
        shown = [b for b in shown if b % (STEPS_PER_BAR // STEPS_PER_BEAT) == 0]
    across = all(font(10).getlength(labels[b]) + 2 <= beat for b in shown)    # room to write them across?
    label_h = 14 if across else 4 + max([_vertical_label(labels[b]).height for b in shown] + [12])
    top = TOP + label_h
    grid = np.repeat(template.chord_pcs()[:, ::-1].T, STEPS_PER_BEAT, axis=1)   # (12, T), B at the top
    body = np.where(grid[..., None], np.array((120, 160, 225), np.uint8), np.array(WHITE, np.uint8))
    body = np.repeat(np.repeat(body, PC_ROW, axis=0), cell, axis=1).astype(np.uint8)
    bottom = top + 12 * PC_ROW
    rhythm_top, rhythm_bottom = bottom + 4, bottom + 16
    canvas = Image.new("RGB", (max(LEFT + n * cell + RIGHT, MIN_WIDTH), rhythm_bottom + 32), WHITE)
    canvas.paste(Image.fromarray(body), (LEFT, top))
    draw = ImageDraw.Draw(canvas)
    for i, name in enumerate(reversed(PITCH_NAMES)):
        draw.text((LEFT - 4, top + i * PC_ROW + PC_ROW // 2), name, fill=INK, font=font(9), anchor="rm")
    for b in shown:
        name, x = labels[b], LEFT + b * beat
        if across:
            draw.text((x + beat // 2, top - 3), name, fill=INK, font=font(10), anchor="ms")
        else:
            label = _vertical_label(name)
            canvas.paste(INK, (x + (beat - label.width) // 2, top - 2 - label.height), label)
    draw.text((LEFT - 4, (rhythm_top + rhythm_bottom) // 2), "rhythm", fill=INK, font=font(9), anchor="rm")
    for t, r in enumerate(template.rhythm):
        x = LEFT + t * cell
        if r == RHYTHM_ONSET:
            draw.rectangle([x + 1, rhythm_top, x + max(1, cell - 1), rhythm_bottom], fill=ONSET)
        elif r == RHYTHM_HOLD:
            draw.rectangle([x, rhythm_top + 4, x + cell - 1, rhythm_bottom - 4], fill=HELD)
    _bar_axis(draw, n, cell, top, rhythm_bottom, rhythm_bottom + 3)
    _cadences(draw, template, cell, top, rhythm_bottom)
    draw.rectangle([LEFT, top, LEFT + n * cell, bottom], outline=GRID)
    draw.text((LEFT, rhythm_bottom + 17), "shaded: chord tones of each beat   rhythm: dark = onset, light = held"
              "   red line: cadence", fill=(90, 90, 90), font=font(10), anchor="lt")
    return np.asarray(canvas)
