"""The nb10 checks pass the reference answers and the kit's own functions, and catch the usual wrong-but-plausible
answers with the hint that names the slip (tests/test_notebooks.py covers the notebook's solution cells and stubs)."""

import numpy as np
import torch

from regen_lite.exercises import check_chord_tone_fraction, check_next_chord, check_rhythm_f1, check_triad
from regen_lite.music.template import QUALITY_NAMES, recognize_chord


def hints(result) -> str:
    return " ".join(h for ok, _, h in result.lines if not ok)


# ------------------------------------------------------------------------------------------------ triads

INTERVALS = {"maj": (0, 4, 7), "min": (0, 3, 7), "dim": (0, 3, 6)}


def triad_of(pitches):
    pcs = {p % 12 for p in pitches}
    for root in range(12):
        for name, iv in INTERVALS.items():
            if {(root + i) % 12 for i in iv} == pcs:
                return root, name


def test_triad_accepts_the_reference_and_the_kits_recogniser():
    assert check_triad(triad_of).passed

    def with_library(pitches):
        pcs = np.zeros(12, dtype=bool)
        pcs[[p % 12 for p in pitches]] = True
        root, q = recognize_chord(pcs)
        return root, QUALITY_NAMES[q]
    assert check_triad(with_library).passed


def test_triad_names_the_bass_as_root_the_swapped_qualities_and_midi_roots():
    def bass_is_root(pitches):
        low = min(pitches)
        pcs = {(p - low) % 12 for p in pitches}
        return low % 12, next((n for n, iv in INTERVALS.items() if set(iv) == pcs), "maj")
    r = check_triad(bass_is_root)
    assert not r.passed and "root position" in hints(r)

    def swapped(pitches):
        root, q = triad_of(pitches)
        return root, {"maj": "min", "min": "maj"}.get(q, q)
    r = check_triad(swapped)
    assert not r.passed and "swapped" in hints(r)

    def midi_root(pitches):
        root, q = triad_of(pitches)
        return min(p for p in pitches if p % 12 == root), q
    r = check_triad(midi_root)
    assert not r.passed and "pitch class 0..11" in hints(r)

    r = check_triad(lambda pitches: "C major")
    assert not r.passed and "returns a pair" in " ".join(w for _, w, _ in r.lines)


# ------------------------------------------------------------------------------------------- chord tones

def chord_tone_fraction(melody, chord_pcs, *, step=lambda t: t // 2, pc=lambda tok: (tok - 2 + 36) % 12,
                        skip_empty=True):
    hits = total = 0
    for t, tok in enumerate(melody):
        b = step(t)
        if tok < 2 or b >= len(chord_pcs) or (skip_empty and not chord_pcs[b].any()):
            continue
        total += 1
        hits += bool(chord_pcs[b, pc(tok)])
    return hits / total


def test_chord_tone_fraction_catches_mod12_tokens_per_step_beats_empty_beats_and_holds():
    assert check_chord_tone_fraction(chord_tone_fraction).passed

    r = check_chord_tone_fraction(lambda m, c: chord_tone_fraction(m, c, pc=lambda tok: tok % 12))
    assert not r.passed and "not a MIDI pitch" in hints(r)

    r = check_chord_tone_fraction(lambda m, c: chord_tone_fraction(m, c, step=lambda t: min(t, len(c) - 1)))
    assert not r.passed and "t // 2" in hints(r)

    r = check_chord_tone_fraction(lambda m, c: chord_tone_fraction(m, c, skip_empty=False))
    assert not r.passed and "no chord" in hints(r)

    def every_step(melody, chord_pcs):          # a held note counted at every step it sounds
        hits = total = 0
        last = None
        for t, tok in enumerate(melody):
            last = tok if tok >= 2 else (last if tok == 1 else None)
            if last is None or not chord_pcs[t // 2].any():
                continue
            total += 1
            hits += bool(chord_pcs[t // 2, (last - 2 + 36) % 12])
        return hits / total
    r = check_chord_tone_fraction(every_step)
    assert not r.passed and "HOLD" in hints(r)


# --------------------------------------------------------------------------------------------- rhythm F1

def rhythm_f1(melody, rhythm):
    a, b = melody >= 2, rhythm == 2
    tp, fp, fn = (a & b).sum(), (a & ~b).sum(), (~a & b).sum()
    return 2 * tp / (2 * tp + fp + fn)


def test_rhythm_f1_catches_accuracy_holds_as_onsets_precision_and_recall():
    assert check_rhythm_f1(rhythm_f1).passed
    assert check_rhythm_f1(lambda m, r: torch.tensor(rhythm_f1(m, r))).passed     # a 0-d tensor is a number too

    r = check_rhythm_f1(lambda m, r: ((m >= 2) == (r == 2)).mean())
    assert not r.passed and "accuracy" in hints(r)

    r = check_rhythm_f1(lambda m, r: rhythm_f1(np.minimum(m, 2) + (m == 1), r))     # HOLD counted as an onset
    assert not r.passed and "HOLD" in hints(r)

    r = check_rhythm_f1(lambda m, r: ((m >= 2) & (r == 2)).sum() / (m >= 2).sum())
    assert not r.passed and "precision" in hints(r)

    r = check_rhythm_f1(lambda m, r: ((m >= 2) & (r == 2)).sum() / (r == 2).sum())
    assert not r.passed and "recall" in hints(r)


# -------------------------------------------------------------------------------------------- next chord

def sample_next_chord(counts, seen, alpha, generator):
    p = counts + alpha * seen.float()
    return int(torch.multinomial(p / p.sum(), 1, generator=generator))


def test_next_chord_catches_argmax_no_smoothing_smoothing_everything_and_a_global_rng():
    assert check_next_chord(sample_next_chord).passed

    r = check_next_chord(lambda c, s, a, g: int((c + a * s).argmax()))
    assert not r.passed and "argmax" in hints(r)

    r = check_next_chord(lambda c, s, a, g: int(torch.multinomial(c / c.sum(), 1, generator=g)))
    assert not r.passed and "add alpha * seen" in hints(r)

    r = check_next_chord(lambda c, s, a, g: int(torch.multinomial(c + a, 1, generator=g)))
    assert not r.passed and "never uses" in hints(r)

    r = check_next_chord(lambda c, s, a, g: int(torch.multinomial(c + a * s, 1)))
    assert not r.passed and "generator you are given" in hints(r)

    r = check_next_chord(lambda c, s, a, g: torch.multinomial(c + a * s, 2, generator=g))
    assert not r.passed and "one chord id" in " ".join(w for _, w, _ in r.lines)
