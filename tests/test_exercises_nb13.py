"""The nb13 checks pass correct answers (the notebook's reference solutions and other correct routes) and catch the
usual wrong-but-plausible answers with a hint that names the mistake (tests/test_notebooks.py runs the notebook's
reference solutions and the stubs)."""

import numpy as np

from regen_lite.exercises.nb13_lyrics import check_bar_positions, check_fermata_recall, check_notes_per_syllable


def hints(result) -> str:
    return " ".join(h for ok, _, h in result.lines if not ok)


def test_notes_per_syllable_passes_two_routes_and_names_counting_holds_and_the_last_syllable():
    def by_masks(melody, steps):
        onsets = np.flatnonzero(np.asarray(melody) >= 2)
        bounds = list(steps) + [len(melody)]
        return np.array([((onsets >= a) & (onsets < b)).sum() for a, b in zip(bounds, bounds[1:])])

    def by_search(melody, steps):                       # each onset's syllable, then a histogram
        onsets = np.flatnonzero(np.asarray(melody) >= 2)
        owner = np.searchsorted(steps, onsets, side="right") - 1
        return np.bincount(owner[owner >= 0], minlength=len(steps))

    assert check_notes_per_syllable(by_masks).passed
    assert check_notes_per_syllable(by_search).passed
    r = check_notes_per_syllable(lambda melody, steps: np.diff(list(steps) + [len(melody)]))
    assert not r.passed and "counted steps" in hints(r)

    def no_last(melody, steps):                          # the last syllable stops at its own start
        out = by_masks(melody, steps)
        out[-1] = 0
        return out

    r = check_notes_per_syllable(no_last)
    assert not r.passed and "last syllable" in hints(r)
    r = check_notes_per_syllable(lambda melody, steps: by_masks(melody, steps)[:-1])
    assert not r.passed and "one count per syllable" in hints(r)


def test_bar_positions_passes_and_names_inclusive_cumsum_no_modulo_and_a_zero_start():
    assert check_bar_positions(lambda start, lengths: (start + np.concatenate([[0], np.cumsum(lengths)[:-1]])) % 8).passed

    def loop(start, lengths):
        out, pos = [], start
        for n in lengths:
            out.append(pos)
            pos = (pos + n) % 8
        return out

    assert check_bar_positions(loop).passed
    r = check_bar_positions(lambda start, lengths: (start + np.cumsum(lengths)) % 8)
    assert not r.passed and "ends" in hints(r)
    r = check_bar_positions(lambda start, lengths: start + np.concatenate([[0], np.cumsum(lengths)[:-1]]))
    assert not r.passed and "% 8" in hints(r)
    r = check_bar_positions(lambda start, lengths: np.concatenate([[0], np.cumsum(lengths)[:-1]]) % 8)
    assert not r.passed and "pickup" in hints(r)


def test_fermata_recall_passes_and_names_precision_and_forgotten_commas():
    def recall(fermata, punct):
        p = np.asarray(punct) > 0
        return float((np.asarray(fermata) & p).sum() / p.sum())

    assert check_fermata_recall(recall).passed
    r = check_fermata_recall(lambda f, p: float((f & (p > 0)).sum() / f.sum()))
    assert not r.passed and "precision" in hints(r)
    r = check_fermata_recall(lambda f, p: float((f & (p == 2)).sum() / (p == 2).sum()))
    assert not r.passed and "comma" in hints(r)
    assert not check_fermata_recall(lambda f, p: None).passed
