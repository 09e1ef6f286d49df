"""Checks for notebooks/10_music_templates.ipynb: naming a triad, the chord-tone fraction, rhythm F1, and one
sampling step of the template prior's chord Markov chain.

The references are music21's chord analysis (`Chord.root()`, `Chord.quality`) and the kit's own code:
regen_lite.music.template.recognize_chord, regen_lite.music.metrics (chord_tone_counts, rhythm_f1) and
regen_lite.music.priors.TemplatePrior.transition_probs, run on the shipped Bach chorales and the shipped
template prior. Each hint names the usual mistake when the answer matches it.
"""

from __future__ import annotations

import numbers
from functools import lru_cache

import numpy as np
import torch

from regen_lite.exercises.checking import Check, CheckResult

from ..music.song import STEPS_PER_BEAT, Song, load_chorales, token_pitch
from ..music.template import (
    CHORD_TONES,
    N_CHORD,
    NQ,
    NUM_CHORDS,
    QUALITIES,
    QUALITY_NAMES,
    RHYTHM_ONSET,
    extract_template,
    recognize_chord,
)

__all__ = ["check_triad", "check_chord_tone_fraction", "check_rhythm_f1", "check_next_chord"]

TRIADS = ("maj", "min", "dim")           # the triads with one clear root (an augmented triad has three)


def _number(x):
    """float(x) for a Python/numpy number or a one-element tensor; None for anything else."""
    if torch.is_tensor(x):
        return float(x) if x.numel() == 1 and not x.is_complex() else None
    if isinstance(x, (numbers.Real, np.floating, np.integer)) and not isinstance(x, bool):
        return float(x)
    return None


@lru_cache(maxsize=1)
def _test_songs() -> tuple[Song, ...]:
    """The first 8 held-out test chorales (real four-part Bach)."""
    return tuple(load_chorales("test")[:8])


# ---------------------------------------------------------------------------------------------- triads

def _voicings() -> list[list[int]]:
    """MIDI pitches of real and made-up triads: every root-position, first- and second-inversion major, minor
    and diminished triad around middle C (some with a doubled note), and the exact triads sounding on the beats
    of the test chorales, voiced from their bass upwards."""
    out = []
    for root in range(12):
        for q in TRIADS:
            tones = [48 + root + i for i in QUALITIES[q]]
            out.append(tones)                                         # root position
            out.append(tones[1:] + [tones[0] + 12])                   # first inversion: the third in the bass
            out.append([tones[2] - 12, tones[0], tones[1], tones[0] + 12])   # second inversion, root doubled
    for s in _test_songs():
        for t in range(0, s.n_steps, STEPS_PER_BEAT):
            pcs = np.flatnonzero(s.chroma[t])
            found = recognize_chord(s.chroma[t]) if len(pcs) == 3 and s.bass[t] else None
            if found is None or QUALITY_NAMES[found[1]] not in TRIADS \
                    or (CHORD_TONES[found[0] * NQ + found[1]] != s.chroma[t]).any():    # three tones, not a triad
                continue
            bass = int(s.bass[t])
            upper = [bass + (int(pc) - bass) % 12 + 12 for pc in pcs if pc != bass % 12]
            voicing = [bass] + sorted(upper)
            if voicing not in out:
                out.append(voicing)
    return out


@lru_cache(maxsize=None)
def _music21_triad(pitches: tuple[int, ...]) -> tuple[int, str]:
    """music21's root and quality. A MIDI number has no spelling and music21 names a triad only when it is
    spelled as one (G#-D-F is "other", Ab-D-F a diminished triad), so try each note's enharmonic too."""
    from itertools import product

    from music21 import chord, pitch

    for spelling in product(*[(pitch.Pitch(midi=p), pitch.Pitch(midi=p).getEnharmonic()) for p in pitches]):
        c = chord.Chord(list(spelling))
        for name, test in (("maj", c.isMajorTriad), ("min", c.isMinorTriad), ("dim", c.isDiminishedTriad)):
            if test():
                return c.root().pitchClass, name
    raise ValueError(f"music21 finds no triad in {pitches}")


def check_triad(fn) -> CheckResult:
    """fn(pitches: list of MIDI ints) -> (root pitch class 0..11, "maj" | "min" | "dim")."""
    check = Check("triad")
    with check:
        cases = _voicings()
        wrong = []
        for pitches in cases:
            out = check.call(fn, list(pitches))
            ok_form = isinstance(out, tuple) and len(out) == 2 and _number(out[0]) is not None
            if not ok_form:
                check.expect(False, "returns a pair (root pitch class, quality name)",
                             f"for {pitches} you returned {out!r}; return e.g. (0, 'maj') for C major")
                return check.result()
            if (int(out[0]), out[1]) != _music21_triad(tuple(pitches)):
                wrong.append((pitches, out))
        n_real = len(cases) - 36 * 3
        what = f"agrees with music21's Chord.root() and .quality on {len(cases)} triads " \
               f"({n_real} of them sounding on the beats of Bach test chorales)"
        if not wrong:
            check.expect(True, what)
        else:
            pitches, out = wrong[0]
            ref = _music21_triad(tuple(pitches))
            if _number(out[0]) is not None and int(out[0]) >= 12:
                hint = f"return a pitch class 0..11 (pitch % 12), not a MIDI pitch: {pitches} -> {ref}"
            elif int(out[0]) == min(pitches) % 12 and int(out[0]) != ref[0]:
                hint = (f"the lowest note is the root only in root position; {pitches} is an inversion of "
                        f"{ref}: try every pitch class as a root and keep the one whose intervals are a triad's")
            elif int(out[0]) == ref[0] and {out[1], ref[1]} == {"maj", "min"}:
                hint = ("major and minor are swapped: a major triad is root, +4, +7 semitones "
                        "(major third then minor third), a minor triad root, +3, +7")
            elif isinstance(out[1], str) and out[1] not in TRIADS:
                hint = f"name the quality 'maj', 'min' or 'dim' (the kit's names), not {out[1]!r}"
            else:
                hint = f"{pitches}: you said {out!r}, music21 says {ref}; compare the set of pitch classes " \
                       "{(root + i) % 12 for i in intervals} with {p % 12 for p in pitches} for every root"
            check.expect(False, what, f"{len(wrong)} wrong, e.g. {hint}")
        # the library's recogniser, on the same pitch classes
        agree = True
        for pitches in cases[:: 7]:
            pcs = np.zeros(12, dtype=bool)
            pcs[[p % 12 for p in pitches]] = True
            root, q = recognize_chord(pcs)
            out = check.call(fn, list(pitches))
            agree &= (int(out[0]), out[1]) == (root, QUALITY_NAMES[q])
        check.expect(agree, "agrees with the kit's recognize_chord (regen_lite.music.template)")
    return check.result()


# ---------------------------------------------------------------------------------------- chord tones

def _chord_tone_cases():
    """(name, melody (T,), template) from real chorales: each soprano against its own template, against the
    template of another chorale (a poor fit), and against its own with every third chord unknown (N)."""
    from ..music.template import Template

    songs = _test_songs()
    cases = [(f"{s.name}: its soprano on its own chords", s.melody, extract_template(s)) for s in songs[:5]]
    a, b = songs[5], songs[6]
    n = min(a.n_steps, b.n_steps)
    tb = extract_template(b)
    cropped = Template(tb.chords[: n // STEPS_PER_BEAT], tb.rhythm[:n], tb.cadence[: n // STEPS_PER_BEAT],
                       tb.tonic, tb.mode)
    cases.append((f"{a.name}'s soprano on {b.name}'s chords", a.melody[:n], cropped))
    c = songs[7]
    tc = extract_template(c)
    gaps = tc.chords.copy()
    gaps[::3] = N_CHORD                                    # every third beat without a chord (N)
    cases.append((f"{c.name} with every third chord unknown", c.melody,
                  Template(gaps, tc.rhythm, tc.cadence, tc.tonic, tc.mode)))
    return cases


def check_chord_tone_fraction(fn) -> CheckResult:
    """fn(melody (T,) tokens, chord_pcs (B, 12) bool) -> the share of melody notes (onsets) whose pitch class
    is in the chord of the beat where they start; beats with no chord are left out."""
    from ..music.metrics import chord_tone_counts

    check = Check("chord_tone_fraction")
    with check:
        for name, melody, template in _chord_tone_cases():
            hits, total = chord_tone_counts(Song(melody), template)
            ref = hits / total
            pcs = template.chord_pcs()                                  # (B, 12) bool, absolute pitch classes
            out = _number(check.call(fn, melody.copy(), pcs.copy()))
            if out is None:
                check.expect(False, f"{name}: returns one number",
                             "return a float: chord-tone notes / notes counted")
                return check.result()
            what = f"{name}: {ref:.3f}, like regen_lite.music.metrics"
            if abs(out - ref) < 1e-6:
                check.expect(True, what)
                continue
            held = _steps_fraction(melody, pcs)
            with np.errstate(all="ignore"):
                mod12 = _fraction(melody, pcs, pc=lambda tok: tok % 12)
                per_step = _fraction(melody, pcs, beat=lambda t: min(t, len(pcs) - 1))
                all_beats = _fraction(melody, pcs, skip_empty=False)
            if abs(out - held) < 1e-6:
                hint = "you counted every step a note sounds (HOLD tokens too); count each note once, at its onset"
            elif abs(out - mod12) < 1e-6:
                hint = "a token is not a MIDI pitch: pitch = token - 2 + 36 (regen_lite.music.song.token_pitch), " \
                       "then take % 12"
            elif abs(out - per_step) < 1e-6:
                hint = "the chords are per beat and the melody per eighth note: the beat of step t is t // 2"
            elif abs(out - all_beats) < 1e-6:
                hint = "leave out notes on beats with no chord (all-False rows): they cannot be chord tones"
            else:
                hint = "for each t with melody[t] >= 2: b = t // 2; skip if not chord_pcs[b].any(); " \
                       "count, and count a hit if chord_pcs[b][(melody[t] - 2 + 36) % 12]"
            check.expect(False, what, f"you returned {out:.3f}; {hint}")
    return check.result()


def _fraction(melody, pcs, pc=lambda tok: token_pitch(tok) % 12, beat=lambda t: t // STEPS_PER_BEAT,
              skip_empty=True) -> float:
    hits = total = 0
    for t, tok in enumerate(melody):
        if tok < 2 or beat(t) >= len(pcs):
            continue
        row = pcs[beat(t)]
        if skip_empty and not row.any():
            continue
        total += 1
        hits += bool(row[pc(int(tok))])
    return hits / total if total else float("nan")


def _steps_fraction(melody, pcs) -> float:
    """The usual slip: every sounding step counts, holds included."""
    hits = total = 0
    last = None
    for t, tok in enumerate(melody):
        last = int(tok) if tok >= 2 else (last if tok == 1 else None)
        b = t // STEPS_PER_BEAT
        if last is None or b >= len(pcs) or not pcs[b].any():
            continue
        total += 1
        hits += bool(pcs[b][token_pitch(last) % 12])
    return hits / total if total else float("nan")


# ---------------------------------------------------------------------------------------- rhythm F1

def _rhythm_cases():
    """(name, melody (T,), rhythm (T,)) from real chorales: a soprano against its own rhythm, against the
    rhythm of another chorale, and with every other note merged into the one before (fewer onsets)."""
    songs = _test_songs()
    own = songs[0]
    cases = [(f"{own.name} on its own rhythm", own.melody, extract_template(own).rhythm)]
    for a, b in ((songs[1], songs[2]), (songs[3], songs[4]), (songs[5], songs[7])):
        n = min(a.n_steps, b.n_steps)
        cases.append((f"{a.name} on {b.name}'s rhythm", a.melody[:n], extract_template(b).rhythm[:n]))
    merged = songs[6].melody.copy()
    onsets = np.flatnonzero(merged >= 2)
    merged[onsets[1::2]] = 1                                   # HOLD: the note before goes on
    cases.append((f"{songs[6].name} with every other note merged", merged, extract_template(songs[6]).rhythm))
    return cases


def check_rhythm_f1(fn) -> CheckResult:
    """fn(melody (T,) tokens, rhythm (T,) 0 rest / 1 hold / 2 onset) -> F1 of the melody's onsets against the
    template's onsets."""
    from ..music.metrics import rhythm_f1
    from ..music.template import Template

    check = Check("rhythm_f1")
    with check:
        for name, melody, rhythm in _rhythm_cases():
            tp = Template(np.zeros(len(rhythm) // STEPS_PER_BEAT, dtype=np.int64), rhythm,
                          np.zeros(len(rhythm) // STEPS_PER_BEAT, dtype=bool))
            ref = rhythm_f1(Song(melody), tp)
            out = _number(check.call(fn, melody.copy(), rhythm.copy()))
            if out is None:
                check.expect(False, f"{name}: returns one number", "return a float: 2 TP / (2 TP + FP + FN)")
                return check.result()
            what = f"{name}: F1 = {ref:.3f}, like regen_lite.music.metrics.rhythm_f1"
            if abs(out - ref) < 1e-6:
                check.expect(True, what)
                continue
            a, b = melody >= 2, rhythm == RHYTHM_ONSET
            tp_, fp, fn_ = (a & b).sum(), (a & ~b).sum(), (~a & b).sum()
            sounding = melody >= 1
            f1_sounding = 2 * (sounding & b).sum() / (2 * (sounding & b).sum() + (sounding & ~b).sum()
                                                      + (~sounding & b).sum())
            if abs(out - (a == b).mean()) < 1e-6:
                hint = "that is the share of steps that agree (accuracy); most steps are not onsets, so it " \
                       "flatters a bad rhythm: use F1 = 2 TP / (2 TP + FP + FN) over onsets"
            elif abs(out - f1_sounding) < 1e-6:
                hint = "a HOLD (token 1) continues a note; an onset is a token >= 2 only"
            elif tp_ + fp and abs(out - tp_ / (tp_ + fp)) < 1e-6:
                hint = "that is the precision TP / (TP + FP); F1 also needs the recall TP / (TP + FN)"
            elif tp_ + fn_ and abs(out - tp_ / (tp_ + fn_)) < 1e-6:
                hint = "that is the recall TP / (TP + FN); F1 also needs the precision TP / (TP + FP)"
            else:
                hint = "a = melody >= 2, b = rhythm == 2; TP = (a & b).sum(), FP = (a & ~b).sum(), FN = (~a & b).sum()"
            check.expect(False, what, f"you returned {out:.3f}; {hint}")
    return check.result()


# ---------------------------------------------------------------------------------------- next chord

def _prior_contexts():
    """(name, counts (109,), seen (109,) bool, alpha, reference probabilities) from the shipped template prior."""
    from ..music.priors import load_template_prior
    from ..music.template import chord_id, chord_label

    prior = load_template_prior()
    out = []
    for mode, cadence, (root, q), alpha in ((0, False, (7, "maj"), 0.05), (0, True, (7, "maj"), 0.05),
                                            (1, False, (5, "min"), 0.05), (0, True, (5, "maj"), 1.0)):
        prev = chord_id(root, QUALITY_NAMES.index(q))
        seen = (prior.trans[mode].sum((0, 1)) + prior.trans[mode].sum((0, 2)) + prior.start[mode]) > 0
        counts = prior.trans[mode, int(cadence), prev].clone()
        ref = (counts + alpha * seen) / (counts + alpha * seen).sum()
        if alpha == prior.cfg.alpha:        # the library's own function gives the same numbers
            assert torch.allclose(ref, prior.transition_probs(mode, cadence, prev))
        name = f"after {chord_label(prev)} in {'major' if mode == 0 else 'minor'}" \
               f"{', at a cadence' if cadence else ''}, alpha = {alpha}"
        out.append((name, counts, seen, alpha, ref))
    return out


def check_next_chord(fn, draws: int = 2000) -> CheckResult:
    """fn(counts (109,), seen (109,) bool, alpha, generator) -> one chord id drawn from
    (counts + alpha * seen) / sum."""
    check = Check("next_chord")
    with check:
        for name, counts, seen, alpha, ref in _prior_contexts():
            g = torch.Generator().manual_seed(0)
            first = check.call(fn, counts.clone(), seen.clone(), alpha, g)
            if _number(first) is None or float(first) != int(float(first)) or not 0 <= int(float(first)) < NUM_CHORDS:
                check.expect(False, f"{name}: returns one chord id 0..{NUM_CHORDS - 1}",
                             f"got {first!r}; return int(torch.multinomial(p, 1, generator=generator))")
                return check.result()
            again = check.call(fn, counts.clone(), seen.clone(), alpha, torch.Generator().manual_seed(0))
            if not check.expect(int(first) == int(again), f"{name}: the same generator seed gives the same chord",
                                "draw with the generator you are given: torch.multinomial(p, 1, generator=generator)"):
                return check.result()
            g = torch.Generator().manual_seed(1)
            drawn = np.array([int(check.call(fn, counts, seen, alpha, g)) for _ in range(draws)])
            freq = np.bincount(drawn, minlength=NUM_CHORDS) / draws
            p = ref.numpy()
            tv = 0.5 * np.abs(freq - p).sum()
            what = f"{name}: {draws} draws follow the prior's P(c | prev) (TV distance {tv:.3f} < 0.12)"
            if tv < 0.12:         # sampling noise alone: 0.02-0.07 here; the usual mistakes: 0.3 and more
                check.expect(True, what)
                continue
            if len(set(drawn.tolist())) == 1 and drawn[0] == int(np.argmax(p)):
                hint = "you always take the most likely chord (argmax); a prior must sample, or every " \
                       "piece in a key gets the same chords"
            elif (freq[~seen.numpy()] > 0).any():
                hint = "you drew chords this mode never uses: add alpha only where seen is True"
            elif (freq[(counts == 0).numpy() & seen.numpy()] == 0).all() and (p[(counts == 0).numpy()] > 0.01).any():
                hint = "you never draw a chord that was not counted after this one: add alpha * seen to " \
                       "the counts (add-alpha smoothing) before normalising"
            else:
                hint = "p = (counts + alpha * seen) / (counts + alpha * seen).sum(); " \
                       "return int(torch.multinomial(p, 1, generator=generator))"
            check.expect(False, what, hint)
    return check.result()
