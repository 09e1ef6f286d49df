"""Checks for notebooks/13_lyrics_to_melody.ipynb: notes per syllable, the position in the bar the lyrics model
sees, and the fermata-at-punctuation recall.

References: regen_lite.music.lyrics.notes_per_syllable, regen_lite.music.lyric_template.setting_tensors (the
positions the model is trained on) and regen_lite.music.lyric_metrics.setting_metrics, run on the held-out
chorales with lyrics. Each hint names the usual mistake when the answer matches it.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from regen_lite.exercises.checking import Check, CheckResult

from ..music.lyric_template import PATTERNS, pattern_id
from ..music.lyrics import load_lyric_chorales, notes_per_syllable, syllable_settings
from ..music.song import STEPS_PER_BAR

__all__ = ["check_notes_per_syllable", "check_bar_positions", "check_fermata_recall"]


@lru_cache(maxsize=1)
def _pairs():
    """The first 6 held-out chorales with lyrics."""
    return tuple(load_lyric_chorales("test")[:6])


def _as_ints(x):
    try:
        return np.asarray(x).astype(np.int64).ravel()
    except (TypeError, ValueError):
        return None


def check_notes_per_syllable(fn) -> CheckResult:
    """fn(melody (T,) tokens, steps (S,) the step where each syllable starts) -> (S,) notes (onsets) per syllable:
    syllable i owns the onsets from steps[i] up to (not including) steps[i + 1]; the last one, to the end."""
    check = Check("notes_per_syllable")
    with check:
        for song, ly in _pairs():
            ref = notes_per_syllable(song.melody, ly.steps)
            out = _as_ints(check.call(fn, song.melody.copy(), ly.steps.copy()))
            what = f"{song.name}: {len(ref)} syllables, {int((ref > 1).sum())} melismas"
            if out is not None and out.shape == ref.shape and (out == ref).all():
                check.expect(True, what)
                continue
            steps = list(ly.steps) + [song.n_steps]
            spans = np.diff(steps)
            if out is None or out.shape != ref.shape:
                hint = f"return one count per syllable: an array of length {len(ref)}"
            elif (out == spans).all():
                hint = "you counted steps (holds too); count onsets only: tokens >= 2"
            elif (out[:-1] == ref[:-1]).all():
                hint = "the last syllable runs to the end of the melody: it has no steps[i + 1]"
            else:
                hint = "for each i: onsets = np.flatnonzero(melody >= 2); count those in [steps[i], steps[i + 1])"
            check.expect(False, what, hint)
    return check.result()


def _positions(song, ly):
    patterns, _, start = syllable_settings(song, ly)
    lengths = [len(PATTERNS[pattern_id(p)]) for p in patterns]
    return start, lengths, (start + np.concatenate([[0], np.cumsum(lengths)[:-1]])) % STEPS_PER_BAR


def check_bar_positions(fn) -> CheckResult:
    """fn(start, lengths) -> (S,) the step within its bar (0..7) where each syllable starts, given where the first
    one starts (start, 0..7) and the number of steps of every syllable's pattern (lengths (S,))."""
    from ..music.lyric_template import setting_tensors

    check = Check("bar_positions")
    with check:
        for i, (song, ly) in enumerate(_pairs()):
            start, lengths, ref = _positions(song, ly)
            assert (ref == setting_tensors([(song, ly)])[1][0, :len(ly)].numpy()).all()
            out = _as_ints(check.call(fn, start, list(lengths)))
            what = f"{song.name}: {len(ref)} positions, as the lyrics model is trained on (setting_tensors)"
            if out is not None and out.shape == ref.shape and (out == ref).all():
                check.expect(True, what)
                continue
            inclusive = (start + np.cumsum(lengths)) % STEPS_PER_BAR
            unwrapped = start + np.concatenate([[0], np.cumsum(lengths)[:-1]])
            if out is None or out.shape != ref.shape:
                hint = f"return one position per syllable ({len(ref)})"
            elif (out == inclusive).all():
                hint = "that is where each syllable *ends*; a syllable starts after the earlier ones only"
            elif (out == unwrapped).all():
                hint = "positions are within the bar: take them % 8"
            elif (out == ref - start).all() or (out == (ref - start) % STEPS_PER_BAR).all():
                hint = "the first syllable starts at `start`, not at 0 (most chorales begin with a pickup)"
            else:
                hint = "pos[0] = start; pos[i] = (pos[i - 1] + lengths[i - 1]) % 8"
            check.expect(False, what, hint)
    return check.result()


def check_fermata_recall(fn) -> CheckResult:
    """fn(fermata (S,) bool, punct (S,) int 0 none / 1 comma / 2 stop) -> the share of syllables followed by
    punctuation that hold a fermata."""
    check = Check("fermata_recall")
    with check:
        for song, ly in _pairs():
            fermata = syllable_settings(song, ly)[1]
            punct = ly.punct > 0
            ref = (fermata & punct).sum() / punct.sum()
            try:
                out = float(check.call(fn, fermata.copy(), ly.punct.copy()))
            except (TypeError, ValueError):
                out = None
            what = f"{song.name}: Bach puts a fermata on {int((fermata & punct).sum())} of {int(punct.sum())}"
            if out is not None and abs(out - ref) < 1e-6:
                check.expect(True, what)
                continue
            precision = (fermata & punct).sum() / max(1, fermata.sum())
            stops = (fermata & (ly.punct == 2)).sum() / max(1, (ly.punct == 2).sum())
            if out is None:
                hint = "return one number"
            elif abs(out - precision) < 1e-6:
                hint = "that is the precision (share of fermatas at punctuation); divide by the punctuation count"
            elif abs(out - stops) < 1e-6:
                hint = "a comma (1) is punctuation too: use punct > 0"
            else:
                hint = "(fermata & (punct > 0)).sum() / (punct > 0).sum()"
            check.expect(False, what, hint)
    return check.result()
