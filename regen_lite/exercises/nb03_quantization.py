"""Checks for notebooks/03_vector_quantization.ipynb: nearest-code lookup with a straight-through gradient,
the perplexity of code usage, one EMA codebook update, and FSQ rounding.

The references are the library's own layers (regen_lite.nn.quantizers.VectorQuantizer and FSQ, which
tests/test_quantizers.py cross-checks against vector-quantize-pytorch) and
regen_lite.image.metrics.codebook_usage.
"""

from __future__ import annotations

import math

import torch

from regen_lite.exercises.checking import Check, CheckResult

from ..nn.quantizers import FSQ, VectorQuantizer

__all__ = ["check_quantize", "check_perplexity", "check_ema_update", "check_fsq"]


def check_quantize(fn) -> CheckResult:
    """fn(z, codebook) -> (z_q, indices): z (N, D), codebook (K, D); z_q = codebook[indices] going forward,
    the identity going backward (straight-through)."""
    check = Check("quantize")
    with check:
        g = torch.Generator().manual_seed(0)
        z = torch.randn(50, 4, generator=g)
        codebook = torch.randn(16, 4, generator=g)
        out = check.call(fn, z, codebook)
        ok = isinstance(out, (tuple, list)) and len(out) == 2 and all(isinstance(t, torch.Tensor) for t in out)
        if not check.expect(ok, "returns a pair of tensors (z_q, indices)", f"got {type(out).__name__}; "
                            "end with `return z_q, indices`"):
            return check.result()
        z_q, idx = out
        if not check.expect(tuple(z_q.shape) == (50, 4) and tuple(idx.shape) == (50,) and not idx.is_floating_point(),
                            "z_q has the shape of z (N, D); indices are integers of shape (N,)",
                            f"got z_q {tuple(z_q.shape)}, indices {tuple(idx.shape)} {idx.dtype}; "
                            "indices = distances.argmin(dim=1) over the K codes"):
            return check.result()
        vq = VectorQuantizer(num_codes=16, dim=4, kmeans_init=False).eval()
        vq.embed.copy_(codebook)
        ref_idx = vq.nearest(z)
        hint = "the nearest code minimises the squared distance ||z - e_k||^2 (torch.cdist(z, codebook).argmin(1))"
        if not torch.equal(idx.long(), ref_idx) and torch.equal(idx.long(), (z @ codebook.T).argmax(1)):
            hint = "the largest dot product z . e_k is not the nearest code; use the distance ||z - e_k||^2"
        check.expect(torch.equal(idx.long(), ref_idx), "picks the nearest code, like the library's VectorQuantizer",
                     hint)
        ref_q, _, _ = vq(z.T.reshape(1, 4, 50, 1))             # the library's layer on a (1, D, N, 1) map
        check.expect(torch.allclose(z_q, codebook[idx.long()], atol=1e-6)
                     and torch.allclose(z_q, ref_q.reshape(4, 50).T, atol=1e-6),
                     "going forward, z_q equals the chosen code vectors codebook[indices]",
                     "z_q must have the values of codebook[indices] (the straight-through trick keeps them)")

        zg = z.clone().requires_grad_(True)
        cb = codebook.clone().requires_grad_(True)
        out = check.call(fn, zg, cb)
        z_q = out[0]
        w = torch.randn(50, 4, generator=g)
        if not z_q.requires_grad:
            check.expect(False, "going backward, the gradient passes straight through to z",
                         "codebook[indices] alone has no gradient to z: return z + (codebook[indices] - z).detach()")
            return check.result()
        (z_q * w).sum().backward()
        check.expect(zg.grad is not None and torch.allclose(zg.grad, w),
                     "going backward, the gradient passes straight through to z (dz_q/dz = identity)",
                     "return z + (codebook[indices] - z).detach(): the value of the code, the gradient of z")
        check.expect(cb.grad is None or cb.grad.abs().max().item() == 0,
                     "the decoder's gradient does not reach the codebook (it learns by EMA or its own loss)",
                     "detach the code vectors: z + (codebook[indices] - z).detach()")
    return check.result()


def check_perplexity(fn) -> CheckResult:
    """fn(indices, num_codes) -> exp(H(p)) of the code histogram, as a float."""
    from ..image.metrics import codebook_usage  # here, not at the top: torchmetrics takes seconds to import

    check = Check("perplexity")
    with check:
        g = torch.Generator().manual_seed(0)
        probs = torch.rand(64, generator=g) ** 4
        probs[40:] = 0                                        # 24 codes never used
        indices = torch.multinomial(probs / probs.sum(), 20 * 49, replacement=True, generator=g).view(20, 7, 7)
        val = _as_float(check.call(fn, indices, 64))
        if not check.expect(val is not None, "returns a number",
                            "return a float, e.g. math.exp(entropy) or torch.exp(entropy).item()"):
            return check.result()
        ref = codebook_usage(indices, 64)["perplexity"]
        hint = "perplexity = exp(-sum_k p_k log p_k), with p = torch.bincount(indices.flatten(), minlength=K) / N"
        if math.isnan(val):
            hint = "NaN: codes that are never used give 0 * log 0; sum only over p_k > 0"
        elif abs(val - math.log(ref)) < 1e-3:
            hint = "that is the entropy H(p); the perplexity is exp(H(p))"
        elif min(abs(val - ref ** (1 / math.log(2))), abs(val - ref ** math.log(2))) < 1e-3 * ref:
            hint = "mixed bases: use exp with natural logs (or 2 ** with log2) throughout"
        check.expect(abs(val - ref) < 1e-3 * ref, f"matches regen_lite.image.metrics.codebook_usage ({ref:.2f})", hint)
        uni = _as_float(check.call(fn, torch.arange(64).repeat(3).view(4, 48), 64))
        check.expect(uni is not None and abs(uni - 64) < 1e-3, "all 64 codes used equally often: perplexity 64",
                     "for a uniform histogram exp(H) = K")
        one = _as_float(check.call(fn, torch.full((5, 7, 7), 3), 64))
        check.expect(one is not None and abs(one - 1) < 1e-6, "one code used everywhere: perplexity 1 (no NaN)",
                     "skip the codes with p_k = 0 (0 log 0 counts as 0)")
    return check.result()


def check_ema_update(fn) -> CheckResult:
    """fn(flat, indices, cluster_size, embed_sum, decay) -> (cluster_size, embed_sum, embed):
    N_k <- d N_k + (1 - d) n_k,  m_k <- d m_k + (1 - d) sum_{i: k_i = k} z_i,  e_k = m_k / N_k."""
    check = Check("ema_update")
    with check:
        g = torch.Generator().manual_seed(0)
        K, D, N, decay = 6, 2, 40, 0.8
        flat = torch.randn(N, D, generator=g) * 2
        indices = torch.randint(0, K - 1, (N,), generator=g)         # code K-1 gets no vectors this step
        cluster_size = 1 + 4 * torch.rand(K, generator=g)
        embed_sum = torch.randn(K, D, generator=g) * cluster_size[:, None]
        args = [flat.clone(), indices.clone(), cluster_size.clone(), embed_sum.clone()]
        out = check.call(fn, *args, decay)
        ok = isinstance(out, (tuple, list)) and len(out) == 3 and all(isinstance(t, torch.Tensor) for t in out)
        if not check.expect(ok, "returns (cluster_size, embed_sum, embed)",
                            "end with `return cluster_size, embed_sum, embed`"):
            return check.result()
        n_new, m_new, e_new = out
        shapes = tuple(n_new.shape), tuple(m_new.shape), tuple(e_new.shape)
        if not check.expect(shapes == ((K,), (K, D), (K, D)), "shapes (K,), (K, D), (K, D)",
                            f"got {shapes}; n_k = torch.bincount(indices, minlength=K), "
                            "the sums = torch.zeros(K, D).index_add_(0, indices, flat)"):
            return check.result()
        check.expect(all(torch.equal(a, b) for a, b in zip(args, [flat, indices, cluster_size, embed_sum])),
                     "leaves its inputs unchanged",
                     "compute new tensors (decay * cluster_size + ...), do not update the inputs in place (.mul_, +=)")

        vq = VectorQuantizer(num_codes=K, dim=D, decay=decay, kmeans_init=False, restart_threshold=0.0).train()
        vq.cluster_size.copy_(cluster_size)
        vq.embed_sum.copy_(embed_sum)
        vq._ema_update(flat, indices)                                  # the library's step (no restarts here)
        check.expect(torch.allclose(n_new, vq.cluster_size, atol=1e-5),
                     "cluster sizes N_k match the library's VectorQuantizer",
                     "N_k <- decay * N_k + (1 - decay) * n_k, n_k = how many vectors chose code k in this batch")
        check.expect(torch.allclose(m_new, vq.embed_sum, atol=1e-5),
                     "sums m_k match the library's VectorQuantizer",
                     "m_k <- decay * m_k + (1 - decay) * (sum of the vectors that chose code k)")
        check.expect(torch.allclose(e_new, vq.embed, rtol=1e-3, atol=1e-4),
                     "codes e_k = m_k / N_k match the library's VectorQuantizer",
                     "e_k = m_k / N_k: divide each row of embed_sum by its cluster size")

        # decay = 0 is one k-means step: every used code jumps to the mean of its vectors
        out0 = check.call(fn, flat, indices, cluster_size, embed_sum, 0.0)
        used = torch.bincount(indices, minlength=K) > 0
        counts = torch.bincount(indices, minlength=K).clamp_min(1)[:, None]
        means = torch.zeros(K, D).index_add_(0, indices, flat) / counts
        check.expect(torch.allclose(out0[2][used], means[used], atol=1e-5),
                     "decay = 0: each used code moves to the mean of its vectors (a k-means step)",
                     "with decay 0 the old N_k and m_k must vanish completely")
        out1 = check.call(fn, flat, indices, cluster_size, embed_sum, 1.0)
        check.expect(torch.allclose(out1[0], cluster_size) and torch.allclose(out1[1], embed_sum),
                     "decay = 1: nothing changes", "the batch enters with weight (1 - decay)")
    return check.result()


def check_fsq(fn) -> CheckResult:
    """fn(z, levels) -> z_q: z (B, D, H, W), levels a list of D odd numbers; channel i of z_q lies on the grid
    {-1, ..., 1} with L_i values, and the gradient passes straight through the rounding."""
    check = Check("fsq")
    with check:
        levels = [5, 5, 3]
        g = torch.Generator().manual_seed(0)
        z = torch.randn(2, 3, 4, 4, generator=g) * 1.5
        z_q = check.call(fn, z, levels)
        if not check.expect(isinstance(z_q, torch.Tensor) and z_q.shape == z.shape and z_q.is_floating_point(),
                            "returns a float tensor of the shape of z",
                            f"got {tuple(z_q.shape) if isinstance(z_q, torch.Tensor) else type(z_q).__name__}"):
            return check.result()
        ref = FSQ(levels)
        ref_q = ref(z)[0]
        half = torch.tensor([L // 2 for L in levels], dtype=z.dtype).view(1, -1, 1, 1)
        on_grid = torch.allclose(z_q * half, (z_q * half).round(), atol=1e-5) and z_q.abs().max() <= 1 + 1e-6
        check.expect(on_grid, "channel i lies on the grid {-1, ..., 1} in steps of 1 / (L_i // 2)",
                     "round the bounded value, then divide by L // 2 (2 for L = 5, 1 for L = 3)")
        values = [torch.unique(z_q[:, i]).numel() for i in range(3)]
        check.expect(all(v <= L for v, L in zip(values, levels)), f"channel i takes at most L_i values (here {values})",
                     "bound each channel to (-(L-1)/2, (L-1)/2) with tanh before rounding")
        check.expect(torch.allclose(z_q, ref_q, atol=1e-5), "matches the library's FSQ",
                     "z_q = round(tanh(z) * (L - 1) / 2) / (L // 2), per channel")
        big = check.call(fn, torch.tensor([100.0, -100.0, 0.1]).view(1, 3, 1, 1), levels)
        check.expect(torch.allclose(big.flatten(), torch.tensor([1.0, -1.0, 0.0])),
                     "very large |z| lands on the outermost level (+1 or -1), a small z on 0",
                     "tanh bounds the value; the outermost level is (L-1)/2, which becomes 1 after dividing")

        zg = z.clone().requires_grad_(True)
        out = check.call(fn, zg, levels)
        w = torch.randn(z.shape, generator=g)
        zr = z.clone().requires_grad_(True)
        (ref(zr)[0] * w).sum().backward()
        if not out.requires_grad:
            check.expect(False, "the gradient passes straight through the rounding",
                         "round with b + (b.round() - b).detach() so that backward sees the identity")
            return check.result()
        (out * w).sum().backward()
        grad_ok = zg.grad is not None and torch.allclose(zg.grad, zr.grad, rtol=1e-2, atol=1e-5)
        check.expect(grad_ok, "the gradient passes straight through the rounding (and through tanh)",
                     "bound with tanh (its slope is part of the gradient) and round with b + (b.round() - b).detach(): "
                     "torch.round alone has zero gradient")
    return check.result()


def _as_float(x):
    try:
        return float(x)
    except (TypeError, ValueError, RuntimeError):
        return None
