"""How well does a melody set its lyrics? Measured against Bach's setting of the same text (the held-out chorales).

    syllable agreement   share of syllables sung syllabically (one note) where Bach sings one note, and as a
                         melisma (2+ notes) where Bach does; a syllable the melody never reaches counts as wrong
    fermata at punct.    recall: share of the syllables followed by punctuation that hold a fermata (a phrase
                         end where the text has one); precision: share of fermatas that fall on such syllables
    rhythm F1            onsets of the melody vs onsets of Bach's melody, step by step from the start
    length ratio         bars of the melody / bars of Bach's
    chord tones          the melody's notes in its own template's chord of the beat (two-stage only: the direct
                         model writes no chords)
    pc-histogram TV, stepwise motion: as in metrics.py

and `*_nll`: teacher-forced negative log-likelihood of Bach's settings, in nats per eighth-note step, for each
pipeline's models (what probability they give the real answer, not what they sample).
"""

from __future__ import annotations

import numpy as np
import torch

from .lyrics import Lyrics, notes_per_syllable
from .metrics import chord_tone_fraction, pc_histogram_distance, stepwise_fraction
from .song import Song


def onset_f1(songs: list[Song], references: list[Song]) -> float:
    """F1 of the melodies' onsets against the references' onsets, pooled, over the steps both have."""
    tp = fp = fn = 0
    for s, r in zip(songs, references):
        n = max(len(s.melody), len(r.melody))
        a = np.zeros(n, dtype=bool)
        b = np.zeros(n, dtype=bool)
        a[:len(s.melody)] = s.melody >= 2
        b[:len(r.melody)] = r.melody >= 2
        tp, fp, fn = tp + int((a & b).sum()), fp + int((a & ~b).sum()), fn + int((~a & b).sum())
    return 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 1.0


def syllable_counts(song: Song, lyrics: Lyrics) -> np.ndarray:
    """(S,) notes per syllable of a generated song (0 for syllables it never sang)."""
    steps = np.asarray(song.meta.get("syllable_steps", []), dtype=np.int64)
    out = np.zeros(len(lyrics), dtype=np.int64)
    if len(steps):
        out[:len(steps)] = notes_per_syllable(song.melody, steps)
    return out


def syllable_fermata(song: Song, lyrics: Lyrics) -> np.ndarray:
    """(S,) bool: the syllable's notes hold a fermata (False for unsung syllables)."""
    steps = list(song.meta.get("syllable_steps", []))
    out = np.zeros(len(lyrics), dtype=bool)
    for i, (a, b) in enumerate(zip(steps, steps[1:] + [song.n_steps])):
        out[i] = bool(song.fermata[a:b].any())
    return out


def bach_song(song: Song, lyrics: Lyrics) -> Song:
    """The chorale's own soprano with its syllables marked (the reference row)."""
    from dataclasses import replace

    return replace(song, meta={**song.meta, "syllable_steps": np.asarray(lyrics.steps)})


def setting_metrics(songs: list[Song], references: list[tuple[Song, Lyrics]], templates=None) -> dict:
    """All of the above for generated `songs`, one per (Bach's chorale, its lyrics) in `references`.
    templates: the two-stage templates (for chord tones), or None."""
    agree = total = 0
    punct_hit = punct_all = ferm_hit = ferm_all = 0
    for s, (bach, ly) in zip(songs, references):
        mine, his = syllable_counts(s, ly), syllable_counts(bach_song(bach, ly), ly)
        agree += int(((mine > 1) == (his > 1))[mine > 0].sum())
        total += len(ly)
        f = syllable_fermata(s, ly)
        punct = ly.punct > 0
        punct_hit, punct_all = punct_hit + int((f & punct).sum()), punct_all + int(punct.sum())
        ferm_hit, ferm_all = ferm_hit + int((f & punct).sum()), ferm_all + int(f.sum())
    bars = sum(s.n_steps for s in songs) / sum(b.n_steps for b, _ in references)
    out = {"syllable_agreement": agree / total, "fermata_recall": punct_hit / max(1, punct_all),
           "fermata_precision": ferm_hit / ferm_all if ferm_all else float("nan"),
           "rhythm_f1": onset_f1(songs, [b for b, _ in references]), "length_ratio": bars,
           "chord_tones": chord_tone_fraction(songs, templates) if templates is not None else float("nan"),
           "pc_hist_tv": pc_histogram_distance(songs), "stepwise": stepwise_fraction(songs),
           "notes_per_syllable": float(np.mean(np.concatenate(
               [syllable_counts(s, ly) for s, (_, ly) in zip(songs, references)]))),
           "n": len(songs)}
    return out


@torch.no_grad()
def two_stage_nll(net, chord_prior, renderer_model, pairs: list[tuple[Song, Lyrics]]) -> dict:
    """-log P(Y'|X) - log P(Y|Y') of Bach's settings per step, Y' = his template (four-part chords) with his
    syllable settings. The parts: settings (LyricsTemplateNet), chords (the chain), notes (the renderer). It
    bounds -log P(Y|X) from above: Y' also carries the chords, which Y alone does not fix."""
    from .lyric_template import setting_tensors
    from .renderers import training_tensors
    from .template import extract_template

    net.eval()
    per, n_syl, start_nll, _ = net.nll(*setting_tensors(pairs))
    settings = float(per.sum() + start_nll.sum())
    templates = [extract_template(s) for s, _ in pairs]
    chords = -sum(chord_prior.chord_log_prob(t) for t in templates)
    steps = sum(s.n_steps for s, _ in pairs)
    x = training_tensors([s for s, _ in pairs], templates, window=max(s.n_steps for s, _ in pairs), hop=10 ** 6)
    notes = float(renderer_model.eval()(*x)[1]) * steps             # the mean over every step, times the steps
    return {"settings": settings / steps, "chords": chords / steps, "notes": notes / steps,
            "total": (settings + chords + notes) / steps}


@torch.no_grad()
def direct_nll(model, pairs: list[tuple[Song, Lyrics]]) -> dict:
    """-log P(Y, syllable decisions | X) of Bach's settings per step, under the direct model."""
    from .lyric_direct import lyric_melody_tensors

    model.eval()
    mode, syl, tokens, syl_target = lyric_melody_tensors(pairs, window=max(s.n_steps for s, _ in pairs) + 1)
    (logits, syl_logits), _, _ = model(mode, syl, tokens, syl_target)
    tok = torch.nn.functional.cross_entropy(logits.flatten(0, 1), tokens.flatten(), ignore_index=-1, reduction="sum")
    syl_ = torch.nn.functional.cross_entropy(syl_logits.flatten(0, 1), syl_target.flatten(), ignore_index=-1,
                                             reduction="sum")
    steps = sum(s.n_steps for s, _ in pairs)
    return {"notes": float(tok) / steps, "syllables": float(syl_) / steps, "total": float(tok + syl_) / steps}
