"""nn/ctc.py against torch's ctc_loss and a brute-force sum over every frame path."""

import itertools
import math

import pytest
import torch
import torch.nn.functional as F

from regen_lite.nn.ctc import BLANK, best_alignment, collapse, greedy_decode


def test_collapse_merges_repeats_then_drops_blanks():
    assert collapse([0, 3, 3, 0, 1, 1, 0, 3]) == [3, 1, 3]
    assert collapse([2, 2, 2]) == [2]
    assert collapse([2, 0, 2]) == [2, 2]               # a blank between two equal symbols keeps both
    assert collapse([0, 0]) == [] and collapse([]) == []


def test_greedy_decode_takes_the_best_frame_then_collapses_within_each_length():
    ids = torch.tensor([[1, 1, 0, 2, 2, 0], [3, 0, 3, 3, 1, 1]])       # (B, N) best symbols
    lp = F.one_hot(ids, 4).float().mul(5).log_softmax(-1)              # (B, N, K + 1)
    assert greedy_decode(lp) == [[1, 2], [3, 3, 1]]
    assert greedy_decode(lp, torch.tensor([6, 3])) == [[1, 2], [3, 3]]


def _paths(n_frames, n_classes, target):
    return [p for p in itertools.product(range(n_classes), repeat=n_frames) if collapse(p) == list(target)]


@pytest.mark.parametrize("target", [[1], [1, 2], [1, 1], [2, 1, 2]])
def test_ctc_loss_is_minus_log_of_the_sum_over_paths_and_viterbi_finds_the_best(target):
    torch.manual_seed(len(target))
    n_frames, n_classes = 6, 3
    lp = torch.randn(n_frames, n_classes).log_softmax(-1).double()
    paths = _paths(n_frames, n_classes, target)
    scores = [sum(float(lp[t, k]) for t, k in enumerate(p)) for p in paths]
    total = math.log(sum(math.exp(s) for s in scores))
    loss = F.ctc_loss(lp[:, None], torch.tensor([target]), torch.tensor([n_frames]), torch.tensor([len(target)]),
                      blank=BLANK, reduction="sum")
    assert float(-loss) == pytest.approx(total, abs=1e-9)              # torch's forward algorithm = the brute sum
    path, score = best_alignment(lp, target)
    assert collapse(path) == target and len(path) == n_frames
    assert score == pytest.approx(max(scores), abs=1e-9)               # the most probable path, found by Viterbi
    assert score <= float(-loss) + 1e-12                                # one path never beats the sum of all


def test_best_alignment_refuses_a_target_that_cannot_fit():
    lp = torch.zeros(2, 3).log_softmax(-1)
    with pytest.raises(ValueError, match="do not fit in 2 frames"):
        best_alignment(lp, [1, 1])                                      # needs 1, blank, 1: three frames
