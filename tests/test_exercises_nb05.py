"""The checks of notebook 5 catch plausible wrong answers, not only the unwritten stub."""

import math

import torch
import torch.nn.functional as F

from regen_lite.exercises import check_causal_attention, check_sample_codes, check_sample_next


def _attention(q, k, v, mask=None, scale=True):
    scores = q @ k.transpose(-2, -1) / (math.sqrt(q.shape[-1]) if scale else 1.0)
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    return torch.softmax(scores, -1) @ v


def test_attention_without_mask_or_scale_fails_with_a_hint():
    no_mask = check_causal_attention(lambda q, k, v: _attention(q, k, v))
    assert not no_mask.passed and "without the mask" in repr(no_mask)
    tril = lambda L: torch.ones(L, L, dtype=torch.bool).tril()  # noqa: E731
    no_scale = check_causal_attention(lambda q, k, v: _attention(q, k, v, tril(q.shape[-2]), scale=False))
    assert not no_scale.passed and "sqrt(d)" in repr(no_scale)
    assert check_causal_attention(lambda q, k, v: _attention(q, k, v, tril(q.shape[-2]))).passed


def _next(logits, temperature=1.0, top_k=None, generator=None, k_offset=0):
    logits = logits / temperature
    if top_k is not None:
        kth = torch.topk(logits, top_k + k_offset, dim=-1).values[:, -1:]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    return torch.multinomial(F.softmax(logits, -1), 1, generator=generator)[:, 0]


def test_sample_next_with_the_temperature_upside_down_or_top_k_off_by_one_fails():
    assert check_sample_next(_next).passed
    assert not check_sample_next(lambda l, t=1.0, k=None, g=None: _next(l * t, 1.0, k, g)).passed
    assert not check_sample_next(lambda l, t=1.0, k=None, g=None: _next(l, t, k, g, k_offset=1)).passed
    argmax = check_sample_next(lambda l, t=1.0, k=None, g=None: l.argmax(-1))
    assert not argmax.passed


def test_sample_codes_that_ignores_the_prefix_or_the_temperature_fails():
    def loop(net, labels, n_codes, temperature=1.0, generator=None, prefix=None, use_prefix=True, use_t=True):
        codes = torch.zeros(len(labels), 0, dtype=torch.long) if prefix is None or not use_prefix else prefix
        while codes.shape[1] < n_codes:
            logits = net(codes, labels)[:, -1] / (temperature if use_t else 1.0)
            codes = torch.cat([codes, torch.multinomial(F.softmax(logits, -1), 1, generator=generator)], 1)
        return codes
    assert check_sample_codes(loop).passed
    assert not check_sample_codes(lambda *a, **k: loop(*a, **k, use_prefix=False)).passed
    assert not check_sample_codes(lambda *a, **k: loop(*a, **k, use_t=False)).passed
