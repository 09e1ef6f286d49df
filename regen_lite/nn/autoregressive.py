"""Raster-order autoregressive sampling over code maps, one step at a time.

A CodePrior (image/priors.py) models discrete Y' = a 7x7 map of code indices as
    p(c | X) = prod_i p(c_i | X, c_1 .. c_{i-1}),   i = 1 .. 49 in raster order (row by row).
Sampling draws c_1, then c_2 given c_1, and so on: `sample_codes` is that loop, the one the
prior's own `sample` runs. It can also start from a *prefix*: keep the first rows of a real image's
codes and let the prior complete the rest (image completion, as in iGPT).

    codes = sample_codes(prior, labels, prefix=real_codes.flatten(1)[:, :21])   # keep 3 rows of 7
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from . import noise as rng   # randn / multinomial that also take one generator per request (RowGenerators)


def sample_next_code(logits: torch.Tensor, temperature: float = 1.0, top_k: int | None = None,
                     generator: rng.Generator = None) -> torch.Tensor:
    """Draw one code per row from logits (B, K) -> (B,) int64.

    temperature T rescales the logits (p ~ softmax(logits / T)): T < 1 sharpens, T > 1 flattens;
    top_k keeps only the k most likely codes (the rest get probability 0)."""
    if temperature <= 0:
        raise ValueError("temperature must be > 0")
    logits = logits / temperature
    if top_k is not None and top_k < logits.shape[-1]:
        kth = torch.topk(logits, top_k, dim=-1).values[:, -1:]        # (B, 1), the k-th largest logit
        logits = logits.masked_fill(logits < kth, float("-inf"))
    return rng.multinomial(F.softmax(logits, -1), generator)


@torch.no_grad()
def sample_codes(prior, x: torch.Tensor, *, prefix: torch.Tensor | None = None, temperature: float = 1.0,
                 top_k: int | None = None, guidance: float = 0.0,
                 generator: rng.Generator = None, callback=None) -> torch.Tensor:
    """Class labels x (B,) -> code maps (B, h, w) from a CodePrior, continuing `prefix` (B, k) if given.

    guidance w mixes conditional and unconditional logits: l = l_c + w (l_c - l_null).
    callback(done, total) after each drawn code (done counts the prefix too)."""
    if temperature <= 0:
        raise ValueError("temperature must be > 0")
    cfg = prior.cfg
    n = cfg.h * cfg.w
    device = next(prior.parameters()).device
    x = x.to(device)
    null = torch.full_like(x, cfg.n_classes)
    codes = torch.zeros(len(x), 0, dtype=torch.long, device=device) if prefix is None else prefix.to(device).long()
    if codes.shape[1] > n:
        raise ValueError(f"prefix has {codes.shape[1]} codes; a map has only {n}")
    while codes.shape[1] < n:
        if guidance:
            c, u = prior.net(torch.cat([codes, codes]), torch.cat([x, null]))[:, -1].chunk(2)   # (B, K) each
            logits = c + guidance * (c - u)
        else:
            logits = prior.net(codes, x)[:, -1]                                                 # (B, K)
        nxt = sample_next_code(logits, temperature, top_k, generator)
        codes = torch.cat([codes, nxt[:, None]], dim=1)
        if callback is not None:
            callback(codes.shape[1], n)
    return codes.view(len(x), cfg.h, cfg.w)


@torch.no_grad()
def bits_per_code(prior, codes: torch.Tensor, x: torch.Tensor) -> float:
    """The prior's cross-entropy on real code maps (B, h, w) of classes x, in bits per code
    (log2 K for a prior that knows nothing; lower is better)."""
    flat = codes.flatten(1).long()
    logits = prior.net(flat[:, :-1], x)                                # (B, N, K)
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), flat.reshape(-1)).item() / 0.6931471805599453
