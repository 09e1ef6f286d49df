"""The Lyrics tab's logic without the UI: X = lyrics + key -> template Y' -> melody, beside lyrics -> melody directly.

    lyric_chorales      the held-out chorales that have lyrics: their German text (hyphenated) and key
    set_lyrics          X -> both pipelines (regen_lite.music.pipelines: lyrics_template, lyrics_direct), one seed
    draw_lyrics_roll    a melody's piano roll with each syllable written under the step where it is sung
    lyrics_table        the numbers of each melody: syllables, melismas, fermatas at punctuation, length, ...

Both pipelines are one `regen_lite.core.Regenerator` each, assembled from the shared MusicModels (the Music tab
loads the same ones). Errors meant for the user are `MusicError` or regen_lite's `LyricsError`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch
from PIL import Image, ImageDraw

from app.music import views as mv
from app.pictures import font
from regen_lite.music.lyric_metrics import syllable_counts, syllable_fermata
from regen_lite.music.lyric_template import LyricTemplate
from regen_lite.music.lyrics import Lyrics, LyricsError, LyricsKey, load_lyric_chorales, split_lyrics
from regen_lite.music.metrics import stepwise_fraction
from regen_lite.music.pipelines import MusicModels, assemble
from regen_lite.music.song import Song, key_name

TABLE_HEADERS = ["melody", "bars", "syllables sung", "melismas", "fermatas", "at punctuation", "stepwise", "notes"]
MAX_CHARS = 2_000


@lru_cache(maxsize=1)
def lyric_chorales() -> dict[str, tuple[Song, Lyrics]]:
    """The 39 held-out chorales with lyrics (no model has seen their tunes), by name."""
    return {s.name: (s, ly) for s, ly in load_lyric_chorales("test")}


def chorale_text(name: str) -> tuple[str, str]:
    """(the chorale's lyrics as hyphenated words, its key) for the text box."""
    got = lyric_chorales()
    if name not in got:
        raise mv.MusicError(f"There is no held-out chorale with lyrics called {name!r}; pick one of the list "
                            f"(e.g. {', '.join(list(got)[:3])}).")
    song, ly = got[name]
    return ly.words(), key_name(song.tonic, song.mode)


@dataclass
class LyricsResult:
    lyrics: Lyrics
    template: LyricTemplate      # Y' of the two-stage pipeline
    two_stage: Song
    direct: Song
    bach: Song | None            # the chorale's own melody when the text is a chorale's, unchanged
    notes: list[str]


def set_lyrics(models: MusicModels, text: str | None, key: str | None, seed: int, temperature: float,
               chorale: str | None = None) -> LyricsResult:
    """X = (lyrics, key) -> Y' -> Y with the two-stage pipeline, and X -> Y with the direct one (same seed)."""
    if text is not None and len(text) > MAX_CHARS:
        raise LyricsError(f"the lyrics are {len(text):,} characters long; the limit is {MAX_CHARS:,}")
    lyrics = split_lyrics(text or "")
    tonic, mode = mv.parse_key(key)
    x = LyricsKey(lyrics, tonic, mode)
    template, two_stage = assemble("lyrics_template", models, temperature).generate(
        x, generator=torch.Generator().manual_seed(seed))
    _, direct = assemble("lyrics_direct", models, temperature).generate(
        x, generator=torch.Generator().manual_seed(seed))
    notes = [f"{len(lyrics)} syllables in {lyrics.phrases()} phrases (punctuation marks a phrase end)"]
    bach = None
    if chorale in lyric_chorales() and chorale_text(chorale)[0] == lyrics.words():
        song, ly = lyric_chorales()[chorale]
        bach = Song(song.melody, song.tonic, song.mode, fermata=song.fermata, name="Bach",
                    meta={"syllable_steps": ly.steps})
        if (tonic, mode) != (song.tonic, song.mode):
            notes.append(f"Bach set this text in {song.key}; the models were asked for {key}")
    if direct.meta.get("unsung"):
        notes.append(f"the direct model stopped before singing the last {direct.meta['unsung']} syllables")
    return LyricsResult(lyrics, template, two_stage, direct, bach, notes)


def lyrics_table(result: LyricsResult) -> list[list[str]]:
    rows = [("two-stage: X → Y′ → Y", result.two_stage), ("direct: X → Y", result.direct)]
    if result.bach is not None:
        rows.append(("Bach", result.bach))
    out, punct = [], result.lyrics.punct > 0
    for label, song in rows:
        counts, ferm = syllable_counts(song, result.lyrics), syllable_fermata(song, result.lyrics)
        out.append([label, str(song.n_bars), f"{int((counts > 0).sum())} / {len(counts)}", str(int((counts > 1).sum())),
                    str(int(ferm.sum())), f"{int((ferm & punct).sum())} / {int(punct.sum())}",
                    f"{stepwise_fraction(song):.2f}", str(len(song.notes()))])
    return out


def draw_lyrics_roll(song: Song, lyrics: Lyrics, template=None, low: int | None = None,
                     high: int | None = None) -> np.ndarray:
    """The piano roll of mv.draw_piano_roll with a strip below it: each syllable at the step where it starts
    (two lines, alternating, so that neighbours do not overlap), fermata syllables in red, marked ^."""
    roll = Image.fromarray(mv.draw_piano_roll(song, template, low, high))
    cell = mv.step_width(song.n_steps)
    strip = Image.new("RGB", (roll.width, 34), mv.WHITE)
    draw = ImageDraw.Draw(strip)
    steps = list(song.meta.get("syllable_steps", []))
    fermata = np.zeros(len(steps), dtype=bool)
    for i, (a, b) in enumerate(zip(steps, steps[1:] + [song.n_steps])):
        fermata[i] = bool(song.fermata[a:b].any())
    for i, (t, f) in enumerate(zip(steps, fermata)):
        if i >= len(lyrics):
            break
        text = lyrics.text[i] + ("^" if f else "")
        draw.text((mv.LEFT + t * cell, 3 + 15 * (i % 2)), text, fill=mv.CADENCE if f else mv.INK, font=font(11))
    out = Image.new("RGB", (roll.width, roll.height + strip.height), mv.WHITE)
    out.paste(roll, (0, 0))
    out.paste(strip, (0, roll.height))
    return np.asarray(out)


def template_lines(result: LyricsResult) -> str:
    s = result.template.summary()
    cad = ", ".join(str(b + 1) for b in s["cadence_beats"]) or "none"
    return "\n".join([
        f"**Y′ = template** written for the lyrics: {s['key']}, {s['bars']} bars, {s['onsets']} note onsets",
        f"- chords per beat, from the chord chain given the cadences: {s['chord_names']}",
        f"- cadences (fermatas) at beats: {cad}",
        f"- the syllables start at steps: {', '.join(str(int(t)) for t in result.template.syllable_steps[:24])}"
        + (" …" if len(result.template.syllable_steps) > 24 else ""),
    ])
