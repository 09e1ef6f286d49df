"""The label-efficiency study's data rules (regen_lite.image.label_efficiency): which images keep a label, and
what the direct+null baseline trains on. The benchmark itself runs in test_benchmark_scripts.py (--quick)."""

import pytest
import torch

from regen_lite.image.label_efficiency import labelled_subset, with_null_class

LABELS = torch.arange(10).repeat_interleave(50)[torch.randperm(500, generator=torch.Generator().manual_seed(0))]


@pytest.mark.parametrize("fraction, per_class", [(0.01, 1), (0.1, 5), (0.5, 25), (1.0, 50)])
def test_labelled_subset_is_class_balanced_and_fixed_by_its_seed(fraction, per_class):
    idx = labelled_subset(LABELS, fraction, seed=3)
    assert torch.bincount(LABELS[idx], minlength=10).tolist() == [per_class] * 10
    assert len(set(idx.tolist())) == len(idx)
    assert torch.equal(idx, labelled_subset(LABELS, fraction, seed=3))
    if fraction < 1:
        assert not torch.equal(idx, labelled_subset(LABELS, fraction, seed=4))
    with pytest.raises(ValueError, match="fraction must be in"):
        labelled_subset(LABELS, 0.0)


def test_direct_null_puts_every_unlabelled_image_in_the_null_class_and_balances_the_batches():
    y = torch.arange(500.0)[:, None]                  # a stand-in Y' that remembers which image it was
    labelled = labelled_subset(LABELS, 0.1, seed=0)   # 50 labelled, 450 not
    y_train, l_train = with_null_class(y, LABELS, labelled)
    null = l_train == 10
    assert null.sum() == 450 and set(y_train[null, 0].long().tolist()) == set(range(500)) - set(labelled.tolist())
    assert (~null).sum() == 450                       # the 50 labelled ones, 9 times: about half of every batch
    assert torch.equal(l_train[~null], LABELS[y_train[~null, 0].long()])   # a labelled image keeps its own label
