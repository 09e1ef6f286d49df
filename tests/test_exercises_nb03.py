"""The nb03 checks catch the usual wrong-but-plausible answers (tests/test_notebooks.py covers the reference
solutions and the stubs), and the two figures the notebook adds to viz draw what they say."""

import matplotlib
import torch
import torch.nn.functional as F

from regen_lite.exercises.nb03_quantization import check_ema_update, check_fsq, check_perplexity, check_quantize
from regen_lite.image.viz import show_channels, show_code_map

matplotlib.use("Agg")


def hints(result) -> str:
    return " ".join(h for ok, _, h in result.lines if not ok)


def test_quantize_catches_a_missing_straight_through_and_a_dot_product():
    def no_st(z, codebook):
        idx = torch.cdist(z, codebook).argmin(1)
        return codebook[idx], idx
    result = check_quantize(no_st)
    assert not result.passed and ".detach()" in hints(result)

    def dot(z, codebook):
        idx = (z @ codebook.T).argmax(1)
        return z + (codebook[idx] - z).detach(), idx
    result = check_quantize(dot)
    assert not result.passed and "dot product" in hints(result)


def test_perplexity_catches_nan_and_plain_entropy():
    def with_nan(indices, k):
        p = torch.bincount(indices.flatten(), minlength=k).double() / indices.numel()
        return torch.exp(-(p * p.log()).sum()).item()
    result = check_perplexity(with_nan)
    assert not result.passed and "NaN" in hints(result)

    def entropy(indices, k):
        p = torch.bincount(indices.flatten(), minlength=k).double() / indices.numel()
        p = p[p > 0]
        return -(p * p.log()).sum().item()
    result = check_perplexity(entropy)
    assert not result.passed and "exp(H(p))" in hints(result)


def test_ema_update_catches_in_place_updates_and_swapped_weights():
    def in_place(flat, indices, n, m, decay):
        onehot = F.one_hot(indices, n.shape[0]).float()
        n.mul_(decay).add_((1 - decay) * onehot.sum(0))
        m.mul_(decay).add_((1 - decay) * onehot.T @ flat)
        return n, m, m / n[:, None]
    result = check_ema_update(in_place)
    assert not result.passed and "in place" in hints(result)

    def swapped(flat, indices, n, m, decay):
        onehot = F.one_hot(indices, n.shape[0]).float()
        n = (1 - decay) * n + decay * onehot.sum(0)
        m = (1 - decay) * m + decay * onehot.T @ flat
        return n, m, m / n[:, None]
    assert not check_ema_update(swapped).passed


def test_fsq_catches_plain_rounding_and_clamping():
    def plain_round(z, levels):
        half = (torch.tensor(levels, dtype=z.dtype).view(1, -1, 1, 1) - 1) / 2
        return (torch.tanh(z) * half).round() / half
    result = check_fsq(plain_round)
    assert not result.passed and "zero gradient" in hints(result)

    def clamp(z, levels):
        half = (torch.tensor(levels, dtype=z.dtype).view(1, -1, 1, 1) - 1) / 2
        b = torch.minimum(torch.maximum(z, -half), half)
        return (b + (b.round() - b).detach()) / half
    assert not check_fsq(clamp).passed


def test_fsq_check_accepts_the_paper_epsilon():
    def with_eps(z, levels):
        L = torch.tensor(levels, dtype=z.dtype).view(1, -1, 1, 1)
        b = torch.tanh(z) * (L - 1) * (1 + 1e-3) / 2
        return (b + (b.round() - b).detach()) / (L // 2)
    assert check_fsq(with_eps).passed


def test_show_code_map_writes_every_code_and_show_channels_draws_every_channel():
    codes = torch.arange(49).view(7, 7)
    fig = show_code_map(codes, 64)
    assert sorted(int(t.get_text()) for t in fig.axes[0].texts) == list(range(49))
    fig = show_channels(torch.randn(4, 7, 7), label="VAE")
    assert len(fig.axes) == 5                                # four channels and a colour bar
    assert fig.axes[0].get_ylabel() == "VAE"
