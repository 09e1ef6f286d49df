"""Checks for notebooks/11_speech_recognition.ipynb: CTC's collapse B (merge repeats, then drop blanks), the fewest
frames a CTC label sequence needs, and the phoneme error rate of a batch.

The references are regen_lite.nn.ctc.collapse, torch's ctc_loss (a label sequence that cannot fit gives an infinite
loss) and torchmetrics' word_error_rate over phoneme tokens. Each hint names the usual mistake when the answer
matches it.
"""

from __future__ import annotations

import random

import torch
import torch.nn.functional as F

from regen_lite.exercises.checking import Check, CheckResult

from ..nn.ctc import collapse
from ..text.lexicon import ARPABET

__all__ = ["check_collapse", "check_min_frames", "check_phoneme_error_rate"]


def _paths(n: int = 60):
    rng = random.Random(11)
    cases = [[0, 3, 3, 0, 1, 1, 0, 3], [2, 0, 2], [2, 2, 2], [0, 0], [], [1], [1, 0, 0, 1, 1, 2, 0]]
    for _ in range(n):
        cases.append([rng.choice([0, 0, 1, 2, 3]) for _ in range(rng.randint(0, 12))])
    return cases


def _blanks_first(path, blank=0):
    kept = [k for k in path if k != blank]
    return [k for i, k in enumerate(kept) if i == 0 or k != kept[i - 1]]


def _as_list(x):
    try:
        return [int(v) for v in x]
    except (TypeError, ValueError):
        return None


def check_collapse(fn) -> CheckResult:
    """fn(path, blank=0) -> list: CTC's B, e.g. [0, 3, 3, 0, 1, 1, 0, 3] -> [3, 1, 3]."""
    check = Check("collapse")
    with check:
        out = _as_list(check.call(fn, [0, 3, 3, 0, 1, 1, 0, 3]))
        if not check.expect(out is not None, "returns a list of symbols", "return a list of ints"):
            return check.result()
        check.expect(out == [3, 1, 3], "[0, 3, 3, 0, 1, 1, 0, 3] -> [3, 1, 3]", f"got {out}")
        cases = _paths()
        got = [_as_list(check.call(fn, p)) for p in cases]
        wrong = [(p, g) for p, g in zip(cases, got) if g != collapse(p)]
        hint = ""
        if wrong:
            p, g = wrong[0]
            hint = f"collapse({p}) should be {collapse(p)}, you returned {g}"
            if all(g_ == _blanks_first(p_) for p_, g_ in zip(cases, got)):
                hint = ("you dropped the blanks before merging: then [2, 0, 2] gives [2], but a blank between two equal "
                        "symbols is how CTC writes a double letter, so merge repeats first")
            elif all(g_ == [k for k in p_ if k != 0] for p_, g_ in zip(cases, got)):
                hint = "you dropped the blanks but did not merge runs of the same symbol: [3, 3] is one 3"
        check.expect(not wrong, f"matches regen_lite.nn.ctc.collapse on {len(cases)} paths (empty ones, doubles)", hint)
        check.expect(_as_list(check.call(fn, [5, 5, 9, 5], blank=9)) == [5, 5], "uses the blank it is given",
                     "blank is an argument: with blank=9, [5, 5, 9, 5] -> [5, 5]")
    return check.result()


def _fits(target, n_frames) -> bool:
    """torch's CTC loss is finite exactly when the target fits in n_frames."""
    if n_frames < 1:
        return False
    lp = torch.zeros(n_frames, 1, 1 + max(target)).log_softmax(-1)
    loss = F.ctc_loss(lp, torch.tensor([target]), torch.tensor([n_frames]), torch.tensor([len(target)]),
                      reduction="sum", zero_infinity=False)
    return bool(torch.isfinite(loss))


def check_min_frames(fn) -> CheckResult:
    """fn(target) -> int: the fewest frames in which a CTC path can spell `target` (a list of symbols)."""
    check = Check("min_frames")
    with check:
        rng = random.Random(3)
        cases = [[1, 2, 3], [1, 1], [4, 4, 4], [1, 2, 1], [7]]
        cases += [[rng.choice([1, 2, 3]) for _ in range(rng.randint(1, 8))] for _ in range(40)]
        got = [check.call(fn, t) for t in cases]
        ref = [next(n for n in range(1, 3 * len(t) + 2) if _fits(t, n)) for t in cases]
        wrong = [(t, g, r) for t, g, r in zip(cases, got, ref) if g != r]
        hint = ""
        if wrong:
            t, g, r = wrong[0]
            hint = f"min_frames({t}) should be {r} (torch's CTC loss is finite from {r} frames on), you returned {g}"
            if all(g_ == len(t_) for t_, g_ in zip(cases, got)):
                hint += "; count one blank between each pair of equal neighbours"
        check.expect(not wrong, f"agrees with torch's ctc_loss (finite exactly from that many frames) on {len(cases)} "
                                "targets, doubles included", hint)
    return check.result()


def check_phoneme_error_rate(fn) -> CheckResult:
    """fn(hyps, refs) -> float: total edit distance / total reference phonemes, over lists of phoneme lists."""
    from torchmetrics.functional.text import word_error_rate

    check = Check("phoneme_error_rate")
    with check:
        rng = random.Random(5)
        hyps = [["K", "AE"], ["DH", "AH", "T"], [], ["S", "IY"]]
        refs = [["K", "AE", "T"], ["DH", "AE", "T"], ["DH", "AH"], ["S", "IY"]]
        for _ in range(30):
            refs.append([rng.choice(ARPABET[:6]) for _ in range(rng.randint(1, 7))])
            hyps.append([rng.choice(ARPABET[:6]) for _ in range(rng.randint(0, 7))])
        got = check.call(fn, hyps, refs)
        ref = float(word_error_rate([" ".join(h) for h in hyps], [" ".join(r) for r in refs]))
        mean_of_rates = sum(float(word_error_rate([" ".join(h)], [" ".join(r)])) for h, r in zip(hyps, refs)) / len(refs)
        hint = f"expected {ref:.4f}, got {got}"
        if isinstance(got, float) and abs(got - mean_of_rates) < 1e-6:
            hint = "you averaged each word's rate; PER sums the edits of all words and divides by all reference phonemes"
        check.expect(isinstance(got, float) and abs(got - ref) < 1e-6,
                     f"matches torchmetrics' word error rate over phoneme tokens ({ref:.4f})", hint)
    return check.result()
