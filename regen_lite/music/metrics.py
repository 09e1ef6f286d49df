"""How well does a melody fit its template, and how Bach-like is it? (music counterpart of metrics.py)

    chord-tone fraction   share of melody notes whose pitch class is in the template's chord of the beat
                          where the note starts (beats with no chord are skipped); "strong" = notes
                          starting on beats 1 and 3 of the bar. For a chorale's own soprano this is near
                          1 on the beats by construction: the chord of a beat is read from a sonority that
                          contains the soprano note; between beats (passing tones) it is not
    rhythm F1             onsets of the melody vs onsets of the template rhythm (harmonic mean of
                          precision and recall; 1.0 = the same onsets)
    pc-histogram TV       total-variation distance 1/2 sum |p - q| between the pitch-class histogram of
                          the melodies (relative to their tonic, one count per note) and that of the
                          training chorales in the same mode; 0 = identical, 1 = disjoint
    stepwise fraction     share of melodic intervals of at most 2 semitones (Bach's sopranos: about 0.8)

All take Songs and Templates (see song.py, template.py) and return plain floats.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from .song import STEPS_PER_BAR, STEPS_PER_BEAT, Song, token_pitch
from .template import RHYTHM_ONSET, Template

STRONG_STEPS = (0, STEPS_PER_BAR // 2)     # beats 1 and 3 of a 4/4 bar


def chord_tone_counts(song: Song, template: Template, strong_only: bool = False) -> tuple[int, int]:
    """(melody notes in their beat's chord, melody notes on beats with a chord)."""
    pcs = template.chord_pcs()                                  # (B, 12) absolute pitch classes
    hits = total = 0
    for t, tok in enumerate(song.melody):
        b = t // STEPS_PER_BEAT
        if tok < 2 or b >= len(pcs) or not pcs[b].any():
            continue
        if strong_only and t % STEPS_PER_BAR not in STRONG_STEPS:
            continue
        total += 1
        hits += bool(pcs[b, token_pitch(tok) % 12])
    return hits, total


def chord_tone_fraction(songs, templates, strong_only: bool = False) -> float:
    """Pooled over a set: sum of hits / sum of counted notes (nan when no note is counted)."""
    songs, templates = _as_list(songs), _as_list(templates)
    h, n = np.sum([chord_tone_counts(s, t, strong_only) for s, t in zip(songs, templates)], axis=0)
    return float(h / n) if n else float("nan")


def rhythm_f1(songs, templates) -> float:
    """F1 of melody onsets against template onsets, pooled over the set."""
    tp = fp = fn = 0
    for s, t in zip(_as_list(songs), _as_list(templates)):
        n = min(len(s.melody), len(t.rhythm))
        a, b = s.melody[:n] >= 2, t.rhythm[:n] == RHYTHM_ONSET
        tp += int((a & b).sum())
        fp += int((a & ~b).sum())
        fn += int((~a & b).sum())
    return 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 1.0


def pc_histogram(songs) -> np.ndarray:
    """(12,) share of melody notes on each pitch class relative to the tonic (0 = tonic)."""
    h = np.zeros(12)
    for s in _as_list(songs):
        for tok in s.melody[s.melody >= 2]:
            h[(token_pitch(tok) - s.tonic) % 12] += 1
    return h / h.sum() if h.sum() else h


def tv_distance(p: np.ndarray, q: np.ndarray) -> float:
    return float(0.5 * np.abs(np.asarray(p) - np.asarray(q)).sum())


@lru_cache(maxsize=1)
def corpus_histograms() -> tuple[np.ndarray, np.ndarray]:
    """Pitch-class histograms of the training chorales' sopranos: (major, minor)."""
    from .song import load_chorales

    train = load_chorales("train")
    return tuple(pc_histogram([s for s in train if s.mode == m]) for m in (0, 1))


def pc_histogram_distance(songs, reference: tuple[np.ndarray, np.ndarray] | None = None) -> float:
    """TV distance to the corpus histogram of the same mode, averaged over the two modes weighted by notes."""
    songs = _as_list(songs)
    ref = reference if reference is not None else corpus_histograms()
    dist, weight = 0.0, 0
    for m in (0, 1):
        group = [s for s in songs if s.mode == m]
        n = sum(int((s.melody >= 2).sum()) for s in group)
        if n:
            dist += n * tv_distance(pc_histogram(group), ref[m])
            weight += n
    return dist / weight if weight else float("nan")


def stepwise_fraction(songs) -> float:
    steps = total = 0
    for s in _as_list(songs):
        p = np.array([pitch for _, _, pitch in s.notes()])
        d = np.abs(np.diff(p))
        steps += int((d <= 2).sum())
        total += len(d)
    return steps / total if total else float("nan")


def melody_metrics(songs, templates) -> dict:
    """All of the above for a set of melodies and the templates they should follow."""
    songs, templates = _as_list(songs), _as_list(templates)
    return {"chord_tones": chord_tone_fraction(songs, templates),
            "chord_tones_strong": chord_tone_fraction(songs, templates, strong_only=True),
            "rhythm_f1": rhythm_f1(songs, templates),
            "pc_hist_tv": pc_histogram_distance(songs),
            "stepwise": stepwise_fraction(songs),
            "notes": int(sum((s.melody >= 2).sum() for s in songs)), "n": len(songs)}


def _as_list(x):
    return list(x) if isinstance(x, (list, tuple)) else [x]
