"""Checks for notebooks/05_two_stage_generation.ipynb: causal self-attention, drawing the next code with
temperature and top-k, and the raster-order sampling loop of an autoregressive prior over codes.

The references are torch's own F.scaled_dot_product_attention(is_causal=True) and torch.multinomial,
and the library's CodePrior.sample / regen_lite.nn.autoregressive.sample_codes (run on a tiny randomly
initialised transformer, so every check takes milliseconds). Besides exact agreement for a fixed
generator, the checks test properties: no position sees the future, the empirical distribution of
20,000 draws matches softmax(logits / T) restricted to the top k, a prefix is kept as it is.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from regen_lite.exercises.checking import Check, CheckResult, close

from ..image.priors import CodePrior, CodePriorConfig
from ..nn.autoregressive import sample_codes

__all__ = ["check_causal_attention", "check_sample_next", "check_sample_codes"]


def _shape(x) -> str:
    return f"shape {tuple(x.shape)}" if torch.is_tensor(x) else f"a {type(x).__name__}"


def check_causal_attention(fn) -> CheckResult:
    """fn(q, k, v) -> softmax(q k^T / sqrt(d) + causal mask) v, for q, k, v of shape (B, heads, L, d)."""
    check = Check("causal_attention")
    with check:
        g = torch.Generator().manual_seed(0)
        q, k, v = (torch.randn(2, 3, 6, 8, generator=g) for _ in range(3))
        out = check.call(fn, q, k, v)
        if not check.expect(torch.is_tensor(out) and out.shape == v.shape, "returns a tensor shaped like v (B, heads, L, d)",
                            f"got {_shape(out)}; weights (B, heads, L, L) @ v (B, heads, L, d)"):
            return check.result()
        ref = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        hint = "scores = q @ k.transpose(-2, -1) / sqrt(d); fill the future (column j > row i) with -inf; softmax over the last dim"
        if close(out, F.scaled_dot_product_attention(q, k, v)):
            hint = "this is attention without the mask: every position also sees the future"
        elif close(out, F.scaled_dot_product_attention(q, k, v, is_causal=True, scale=1.0)):
            hint = "divide the scores by sqrt(d), d = q.shape[-1]"
        elif close(out, F.scaled_dot_product_attention(q, k, v, attn_mask=~torch.ones(6, 6, dtype=torch.bool).tril())):
            hint = "the mask is the wrong way round: position i may see positions 0..i, not i..L-1"
        check.expect(close(out, ref), "matches F.scaled_dot_product_attention(q, k, v, is_causal=True)", hint)
        check.expect(close(out[:, :, 0], v[:, :, 0]), "the first position sees only itself (its output is v_0)",
                     "row 0 of the mask must allow column 0 only")
        # change the last three positions: the first three outputs must not move
        k2, v2 = k.clone(), v.clone()
        k2[:, :, 3:] += 5.0
        v2[:, :, 3:] -= 5.0
        out2 = check.call(fn, q, k2, v2)
        check.expect(close(out2[:, :, :3], out[:, :, :3]), "no position sees the future (changing later k, v leaves "
                     "earlier outputs unchanged)", "mask every score where the key comes after the query")
    return check.result()


def _reference_next(logits, temperature, top_k, generator):
    logits = logits / temperature
    if top_k is not None:
        kth = torch.topk(logits, top_k, dim=-1).values[:, -1:]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    return torch.multinomial(F.softmax(logits, -1), 1, generator=generator)[:, 0]


def check_sample_next(fn) -> CheckResult:
    """fn(logits (B, K), temperature, top_k, generator) -> codes (B,) int64 drawn from softmax(logits / T) over the top k."""
    check = Check("sample_next")
    with check:
        logits = torch.randn(5, 12, generator=torch.Generator().manual_seed(0)) * 2
        out = check.call(fn, logits, 0.7, 4, torch.Generator().manual_seed(1))
        if not check.expect(torch.is_tensor(out) and out.shape == (5,) and out.dtype == torch.long,
                            "returns one int64 code per row, shape (B,)",
                            f"got {_shape(out)}{'' if not torch.is_tensor(out) else ' ' + str(out.dtype)}; "
                            "torch.multinomial(probs, 1, generator=generator) gives (B, 1): take [:, 0]"):
            return check.result()
        ref = _reference_next(logits, 0.7, 4, torch.Generator().manual_seed(1))
        check.expect(torch.equal(out, ref), "draws the same codes as torch.multinomial with the same generator",
                     "scale, mask, then torch.multinomial(F.softmax(logits, -1), 1, generator=generator): "
                     "one draw per row, in that order, so the library's CodePrior.sample and yours agree")

        # distribution statistics: 20,000 independent rows of the same 6 logits
        base = torch.tensor([2.0, 1.0, 0.5, 0.0, -0.5, -3.0])
        n = 20_000
        for temperature, top_k, label in [(1.0, None, "T = 1"), (0.5, None, "T = 0.5"), (2.0, 3, "T = 2, top-3")]:
            draws = check.call(fn, base.expand(n, -1), temperature, top_k, torch.Generator().manual_seed(2))
            if not (torch.is_tensor(draws) and draws.shape == (n,)):
                check.expect(False, f"frequencies match softmax(logits / T) ({label})", f"got {_shape(draws)}")
                continue
            freq = torch.bincount(draws.long().clamp(0, 5), minlength=6).double() / n
            z = base / temperature
            if top_k is not None:
                z = z.masked_fill(z < torch.topk(z, top_k).values[-1], float("-inf"))
            p = torch.softmax(z.double(), 0)
            hint = "divide the logits by the temperature before the softmax (T < 1 sharpens, T > 1 flattens)"
            if top_k is not None:
                hint = "keep the k largest logits (torch.topk(...).values[:, -1:] is the k-th) and set the rest to -inf"
            check.expect((freq - p).abs().max().item() < 0.015,
                         f"frequencies of 20,000 draws match softmax(logits / T) ({label})",
                         hint + f"; expected {[round(v, 2) for v in p.tolist()]}, got {[round(v, 2) for v in freq.tolist()]}")
        low = check.call(fn, logits, 0.01, None, torch.Generator().manual_seed(3))
        check.expect(torch.is_tensor(low) and torch.equal(low, logits.argmax(-1)), "a tiny temperature picks the argmax",
                     "as T -> 0, softmax(logits / T) puts all its mass on the largest logit")
    return check.result()


def _tiny_prior() -> CodePrior:
    """A randomly initialised CodePrior over 3x3 maps of 16 codes: the same code path as the shipped ones."""
    torch.manual_seed(0)
    prior = CodePrior(CodePriorConfig(vocab=16, h=3, w=3, n_classes=4, d=32, n_layer=1, n_head=2, dropout=0.0))
    with torch.no_grad():
        prior.net.head.weight.mul_(20)   # spread the logits so different draws are easy to tell apart
    return prior.eval()


def check_sample_codes(fn) -> CheckResult:
    """fn(net, labels, n_codes, temperature=1.0, generator=None, prefix=None) -> codes (B, n_codes) in raster order."""
    check = Check("sample_codes")
    with check:
        state = torch.random.get_rng_state()
        prior = _tiny_prior()
        torch.random.set_rng_state(state)       # leave the notebook's global random stream as it was
        labels = torch.tensor([0, 1, 2, 3, 1])
        out = check.call(fn, prior.net, labels, 9, temperature=1.0, generator=torch.Generator().manual_seed(0))
        if not check.expect(torch.is_tensor(out) and out.shape == (5, 9) and out.dtype == torch.long,
                            "returns int64 codes of shape (B, n_codes)",
                            f"got {_shape(out)}; start from torch.zeros(B, 0, dtype=torch.long) and append one column per step"):
            return check.result()
        ref = prior.sample(labels, temperature=1.0, guidance=0.0, generator=torch.Generator().manual_seed(0)).flatten(1)
        check.expect(torch.equal(out, ref), "draws the same codes as CodePrior.sample (guidance 0) for the same generator",
                     "each step: logits = net(codes, labels)[:, -1]; "
                     "torch.multinomial(F.softmax(logits / temperature, -1), 1, generator=generator); append it")
        hot = check.call(fn, prior.net, labels, 9, temperature=0.6, generator=torch.Generator().manual_seed(0))
        ref = prior.sample(labels, temperature=0.6, guidance=0.0, generator=torch.Generator().manual_seed(0)).flatten(1)
        check.expect(torch.is_tensor(hot) and torch.equal(hot, ref), "uses the temperature",
                     "divide the logits by the temperature before the softmax")
        prefix = ref[:, :4]
        done = check.call(fn, prior.net, labels, 9, temperature=1.0, generator=torch.Generator().manual_seed(5),
                          prefix=prefix)
        lib = sample_codes(prior, labels, prefix=prefix, generator=torch.Generator().manual_seed(5)).flatten(1)
        ok = torch.is_tensor(done) and done.shape == (5, 9)
        check.expect(ok and torch.equal(done[:, :4], prefix), "keeps a given prefix as the first codes",
                     "start the loop from codes = prefix instead of an empty tensor")
        check.expect(ok and torch.equal(done, lib), "continues a prefix like regen_lite.nn.autoregressive.sample_codes",
                     "draw only the n_codes - prefix length remaining codes, each conditioned on all codes so far")
    return check.result()
