"""Raster-order AR sampling over code maps (nn/autoregressive.py): the draws of a hand-written loop (and
CodePrior.sample runs it), prefixes kept, temperature and top-k, and the prior's cross-entropy in bits per code."""

import math

import pytest
import torch

from regen_lite.image.priors import CodePrior, CodePriorConfig
from regen_lite.nn.autoregressive import bits_per_code, sample_codes, sample_next_code


def _tiny_prior():
    torch.manual_seed(0)
    return CodePrior(CodePriorConfig(vocab=16, h=3, w=3, n_classes=4, d=32, n_layer=1, n_head=2)).eval()


def _reference_draws(prior, x, *, guidance, temperature, top_k, generator):
    """The raster-order loop written out by hand, step by step, as the referee for sample_codes."""
    codes = torch.zeros(len(x), 0, dtype=torch.long)
    null = torch.full_like(x, prior.cfg.n_classes)
    with torch.no_grad():
        for _ in range(prior.cfg.h * prior.cfg.w):
            if guidance:
                c, u = prior.net(torch.cat([codes, codes]), torch.cat([x, null]))[:, -1].chunk(2)
                logits = c + guidance * (c - u)                     # l_c + w (l_c - l_null)
            else:
                logits = prior.net(codes, x)[:, -1]
            logits = logits / temperature
            if top_k is not None:
                kth = torch.topk(logits, top_k, dim=-1).values[:, -1:]
                logits = logits.masked_fill(logits < kth, float("-inf"))
            codes = torch.cat([codes, torch.multinomial(logits.softmax(-1), 1, generator=generator)], dim=1)
    return codes.view(len(x), prior.cfg.h, prior.cfg.w)


@pytest.mark.parametrize("guidance,temperature,top_k", [(0.0, 1.0, None), (1.5, 0.7, 5)])
def test_sample_codes_draws_what_the_hand_written_loop_draws_and_codeprior_sample_uses_it(guidance, temperature, top_k):
    prior, x = _tiny_prior(), torch.tensor([0, 3, 1])
    kw = dict(guidance=guidance, temperature=temperature, top_k=top_k)
    ref = _reference_draws(prior, x, generator=torch.Generator().manual_seed(4), **kw)
    ours = sample_codes(prior, x, generator=torch.Generator().manual_seed(4), **kw)
    assert ours.shape == (3, 3, 3) and torch.equal(ours, ref)
    assert torch.equal(prior.sample(x, generator=torch.Generator().manual_seed(4), **kw), ref)
    with pytest.raises(ValueError):
        prior.sample(x, temperature=0.0)


def test_sample_codes_keeps_the_prefix_and_rejects_a_too_long_one():
    prior, x = _tiny_prior(), torch.tensor([2, 2])
    prefix = torch.tensor([[1, 2, 3, 4], [5, 6, 7, 8]])
    out = sample_codes(prior, x, prefix=prefix, generator=torch.Generator().manual_seed(0)).flatten(1)
    assert torch.equal(out[:, :4], prefix)
    full = torch.arange(9).repeat(2, 1)
    assert torch.equal(sample_codes(prior, x, prefix=full).flatten(1), full)
    with pytest.raises(ValueError):
        sample_codes(prior, x, prefix=torch.zeros(2, 10, dtype=torch.long))


def test_sample_next_code_respects_top_k_and_temperature():
    logits = torch.tensor([[3.0, 2.0, 1.0, 0.0, -1.0]]).expand(5000, -1)
    draws = sample_next_code(logits, 1.0, 2, torch.Generator().manual_seed(0))
    assert set(draws.unique().tolist()) == {0, 1}
    p = torch.softmax(torch.tensor([3.0, 2.0]), 0)[0].item()
    assert (draws == 0).float().mean().item() == pytest.approx(p, abs=0.03)
    assert torch.equal(sample_next_code(logits[:3], 1e-3), torch.zeros(3, dtype=torch.long))
    with pytest.raises(ValueError):
        sample_next_code(logits, 0.0)


def test_bits_per_code_of_a_know_nothing_prior_is_log2_k():
    prior = _tiny_prior()
    for p in prior.net.head.parameters():      # constant logits: the uniform distribution over 16 codes
        torch.nn.init.zeros_(p)
    codes = torch.randint(0, 16, (4, 3, 3))
    assert bits_per_code(prior, codes, torch.tensor([0, 1, 2, 3])) == pytest.approx(math.log2(16), abs=1e-5)
