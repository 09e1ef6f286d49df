"""The nb11 checks pass correct answers (the kit's own functions, and other correct routes) and catch the usual
wrong-but-plausible answers with a hint that names the mistake (tests/test_notebooks.py runs the notebook's
reference solutions and the stubs)."""

import itertools

import pytest
import torch
from torchmetrics.functional.text import word_error_rate

from regen_lite.exercises.nb11_recognition import (
    _blanks_first,
    _fits,
    check_collapse,
    check_min_frames,
    check_phoneme_error_rate,
)
from regen_lite.nn.ctc import collapse
from regen_lite.text.metrics import error_rate


def hints(result) -> str:
    return " ".join(h for ok, _, h in result.lines if not ok)


def test_collapse_passes_the_kit_and_an_itertools_answer():
    assert check_collapse(collapse).passed
    assert check_collapse(lambda p, blank=0: [k for k, _ in itertools.groupby(p) if k != blank]).passed
    assert check_collapse(lambda p, blank=0: torch.tensor(collapse(p, blank), dtype=torch.long)).passed


@pytest.mark.parametrize("wrong, words", [
    (_blanks_first, "dropped the blanks before merging"),
    (lambda p, blank=0: [k for k in p if k != blank], "did not merge runs"),
    (lambda p, blank=0: collapse(p), "uses the blank it is given"),
])
def test_collapse_names_the_mistake(wrong, words):
    r = check_collapse(wrong)
    assert not r.passed and (words in hints(r) or any(words in what for ok, what, _ in r.lines if not ok))


def test_fits_agrees_with_the_rule():
    for t in ([1], [1, 1], [1, 2, 1], [3, 3, 3]):
        need = len(t) + sum(a == b for a, b in zip(t, t[1:]))
        assert _fits(t, need) and not _fits(t, need - 1)


def test_min_frames_passes_the_rule_and_names_the_missing_blanks():
    assert check_min_frames(lambda t: len(t) + sum(a == b for a, b in zip(t, t[1:]))).passed
    r = check_min_frames(len)
    assert not r.passed and "one blank between each pair of equal neighbours" in hints(r)
    assert not check_min_frames(lambda t: 2 * len(t) + 1).passed          # every symbol with blanks around it


def test_phoneme_error_rate_passes_the_kit_and_torchmetrics_and_names_the_mean_of_rates():
    assert check_phoneme_error_rate(error_rate).passed
    assert check_phoneme_error_rate(
        lambda h, r: float(word_error_rate([" ".join(x) for x in h], [" ".join(x) for x in r]))).passed
    r = check_phoneme_error_rate(lambda h, r: sum(error_rate([a], [b]) for a, b in zip(h, r)) / len(r))
    assert not r.passed and "averaged each word's rate" in hints(r)
