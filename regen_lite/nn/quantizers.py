"""Three ways to turn a continuous latent map into discrete codes.

VectorQuantizer: VQ-VAE (van den Oord et al. 2017) with the EMA codebook of Razavi et al. 2019
  (VQ-VAE-2, appendix) and dead-code restart. Nearest code, straight-through gradient.
FSQ: finite scalar quantization (Mentzer et al. 2023): bound each channel, round it to a few
  levels; the codebook is the implicit grid, so there is no codebook or commitment loss.
ResidualVQ: several VectorQuantizers, each quantizing the residual the ones before left (SoundStream,
  EnCodec): one model, a ladder of rates.

All take z_e of shape (B, D, H, W) and return (z_q (B, D, H, W), loss, stats) with stats["indices"] of
shape (B, H, W) ((B, S, H, W) for ResidualVQ's S stages).
"""

from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class VectorQuantizer(nn.Module):
    def __init__(self, num_codes: int = 512, dim: int = 8, beta: float = 0.25, decay: float = 0.99,
                 eps: float = 1e-5, restart_threshold: float = 1.0, kmeans_init: bool = True):
        super().__init__()
        self.K, self.D, self.beta, self.decay, self.eps = num_codes, dim, beta, decay, eps
        self.restart_threshold = restart_threshold  # a code whose EMA count falls below this is restarted
        self.kmeans_init = kmeans_init
        embed = torch.randn(num_codes, dim) * 0.1
        self.register_buffer("embed", embed)                 # e_k, (K, D)
        self.register_buffer("cluster_size", torch.ones(num_codes))  # N_k, EMA of assignment counts
        self.register_buffer("embed_sum", embed.clone())     # m_k, EMA of the sum of assigned z_e
        self.register_buffer("initialized", torch.tensor(not kmeans_init))

    def nearest(self, flat: torch.Tensor) -> torch.Tensor:
        """argmin_k ||z - e_k||^2 for flat (N, D) -> (N,), via ||z||^2 - 2 z.e + ||e||^2."""
        d = flat.pow(2).sum(1, keepdim=True) - 2 * flat @ self.embed.T + self.embed.pow(2).sum(1)[None]
        return d.argmin(1)

    def lookup(self, indices: torch.Tensor) -> torch.Tensor:
        """Codes (B, H, W) -> quantized map (B, D, H, W)."""
        return F.embedding(indices, self.embed).permute(0, 3, 1, 2)

    @torch.no_grad()
    def _kmeans_init(self, flat, iters: int = 10):
        """Initialise the codebook with k-means on the first batch (Lloyd's algorithm)."""
        n = flat.shape[0]
        idx = torch.randperm(n, device=flat.device)[: self.K] if n >= self.K else torch.randint(0, n, (self.K,), device=flat.device)
        self.embed.copy_(flat[idx])
        for _ in range(iters):
            assign = self.nearest(flat)
            counts = torch.bincount(assign, minlength=self.K).float()
            sums = torch.zeros_like(self.embed).index_add_(0, assign, flat)
            filled = counts > 0
            self.embed[filled] = sums[filled] / counts[filled, None]
        self.embed_sum.copy_(self.embed)
        self.cluster_size.fill_(1.0)
        self.initialized.fill_(True)

    @torch.no_grad()
    def _ema_update(self, flat, indices):
        """EMA codebook (VQ-VAE-2 appendix): N_k <- d N_k + (1-d) n_k;  m_k <- d m_k + (1-d) sum z;  e_k = m_k / N_k."""
        onehot = F.one_hot(indices, self.K).type(flat.dtype)  # (N, K)
        self.cluster_size.mul_(self.decay).add_(onehot.sum(0), alpha=1 - self.decay)
        self.embed_sum.mul_(self.decay).add_(onehot.T @ flat, alpha=1 - self.decay)
        n = self.cluster_size.sum()
        smoothed = (self.cluster_size + self.eps) / (n + self.K * self.eps) * n  # Laplace smoothing
        self.embed.copy_(self.embed_sum / smoothed[:, None])
        # dead-code restart: move codes nobody uses onto random encoder outputs of this batch
        dead = self.cluster_size < self.restart_threshold
        n_dead = int(dead.sum())
        if n_dead:
            pick = flat[torch.randint(0, flat.shape[0], (n_dead,), device=flat.device)]
            self.embed[dead] = pick
            self.embed_sum[dead] = pick
            self.cluster_size[dead] = 1.0
        return n_dead

    def forward(self, z_e: torch.Tensor):
        B, D, H, W = z_e.shape
        flat = z_e.permute(0, 2, 3, 1).reshape(-1, D)  # (B*H*W, D)
        if self.training and not bool(self.initialized):
            self._kmeans_init(flat.detach())
        indices = self.nearest(flat.detach())           # (B*H*W,)
        n_restarted = 0
        if self.training:
            n_restarted = self._ema_update(flat.detach(), indices)
        indices = indices.view(B, H, W)
        z_q = self.lookup(indices)                      # e_{k*}, (B, D, H, W)
        # The codebook is learned by EMA, so only the commitment term beta ||z_e - sg[e]||^2 has a gradient,
        # and it reaches the encoder only. (Without EMA one would add ||sg[z_e] - e||^2 for the codebook.)
        loss = self.beta * F.mse_loss(z_e, z_q.detach())
        z_q_st = z_e + (z_q - z_e).detach()             # straight-through: forward = z_q, backward = identity
        counts = torch.bincount(indices.flatten(), minlength=self.K).float()
        p = counts / counts.sum()
        stats = {
            "indices": indices,
            "perplexity": math.exp(-(p[p > 0] * p[p > 0].log()).sum().item()),  # of this batch only
            "used_codes": int((counts > 0).sum()),
            "restarted": n_restarted,
        }
        return z_q_st, loss, stats


class FSQ(nn.Module):
    """Finite scalar quantization. levels=(8, 8, 8) gives an implicit codebook of 512 codes in 3 channels."""

    def __init__(self, levels=(8, 8, 8), eps: float = 1e-3):
        super().__init__()
        self.levels_list = list(levels)
        self.register_buffer("levels", torch.tensor(levels, dtype=torch.int64), persistent=False)
        basis = torch.cumprod(torch.tensor([1] + list(levels[:-1])), 0)
        self.register_buffer("basis", basis, persistent=False)   # mixed-radix digits -> one index
        self.eps = eps
        self.K = math.prod(levels)
        self.D = len(levels)

    def bound(self, z):
        """Squash channel i into (-L_i/2, L_i/2) so rounding gives exactly L_i values (paper, eq. 1 + code)."""
        L = self.levels.view(1, -1, 1, 1).to(z.dtype)
        half_l = (L - 1) * (1 + self.eps) / 2
        offset = torch.where(self.levels.view(1, -1, 1, 1) % 2 == 0, 0.5, 0.0).to(z.dtype)
        shift = torch.atanh(offset / half_l)
        return torch.tanh(z + shift) * half_l - offset

    def forward(self, z_e: torch.Tensor):
        bounded = self.bound(z_e)                         # (B, D, H, W), channel i in (-L_i/2, L_i/2)
        rounded = bounded + (bounded.round() - bounded).detach()  # round with a straight-through gradient
        half_width = (self.levels // 2).view(1, -1, 1, 1).to(z_e.dtype)
        z_q = rounded / half_width                        # normalise to about [-1, 1]
        indices = self.codes_to_indices(z_q)
        counts = torch.bincount(indices.flatten(), minlength=self.K).float()
        p = counts / counts.sum()
        stats = {
            "indices": indices,
            "perplexity": math.exp(-(p[p > 0] * p[p > 0].log()).sum().item()),
            "used_codes": int((counts > 0).sum()),
        }
        return z_q, z_e.new_zeros(()), stats  # no codebook, no commitment loss

    def codes_to_indices(self, z_q):
        """(B, D, H, W) grid values -> (B, H, W) integer codes in [0, prod(levels))."""
        half_width = (self.levels // 2).view(1, -1, 1, 1)
        digits = (z_q * half_width + half_width).round().long()  # level index in [0, L_i)
        return (digits * self.basis.view(1, -1, 1, 1)).sum(1)

    def lookup(self, indices):
        """(B, H, W) codes -> (B, D, H, W) grid values."""
        digits = (indices[:, None] // self.basis.view(1, -1, 1, 1)) % self.levels.view(1, -1, 1, 1)
        half_width = (self.levels // 2).view(1, -1, 1, 1)
        return (digits - half_width).float() / half_width


class ResidualVQ(nn.Module):
    """Residual vector quantization (SoundStream, Zeghidour et al. 2021; EnCodec): S VectorQuantizers in a row,
    each quantizing what the ones before it left over:

        r_1 = z_e;   q_s = VQ_s(r_s);   r_{s+1} = r_s - q_s;   z_q = q_1 + ... + q_S

    One model, S rates: decoding with the first n <= S stages (lookup(indices, n)) spends n * log2(K) bits per
    position and leaves the residual r_{n+1}. Training samples nothing special: every stage learns on every step
    (quantizer dropout, which SoundStream adds so each prefix is trained on its own, is left out).
    Takes z_e (B, D, H, W); returns (z_q (B, D, H, W), loss, stats) with stats["indices"] (B, S, H, W).
    """

    def __init__(self, num_stages: int = 4, num_codes: int = 256, dim: int = 8, **vq_kw):
        super().__init__()
        self.S, self.K, self.D = num_stages, num_codes, dim
        self.stages = nn.ModuleList(VectorQuantizer(num_codes, dim, **vq_kw) for _ in range(num_stages))

    def lookup(self, indices: torch.Tensor, n: int | None = None) -> torch.Tensor:
        """Codes (B, S, H, W) -> q_1 + ... + q_n (B, D, H, W): the first n stages (all of them by default)."""
        n = self.S if n is None else n
        if not 1 <= n <= self.S:
            raise ValueError(f"n must be between 1 and {self.S} stages, got {n}")
        return sum(stage.lookup(indices[:, s]) for s, stage in enumerate(self.stages[:n]))

    def forward(self, z_e: torch.Tensor):
        residual = z_e.detach()                             # the codebooks learn by EMA: no gradient needed here
        total = torch.zeros_like(z_e)
        indices, used = [], []
        for stage in self.stages:
            q, _, stats = stage(residual)                   # nearest code of r_s (and, training, its EMA update)
            total = total + q.detach()
            residual = residual - q.detach()
            indices.append(stats["indices"])
            used.append(stats["used_codes"])
        # the encoder commits to the sum, and one straight-through path: forward = z_q, backward = identity
        loss = self.stages[0].beta * F.mse_loss(z_e, total)
        z_q_st = z_e + (total - z_e).detach()
        return z_q_st, loss, {"indices": torch.stack(indices, 1), "used_codes": used,
                              "residual_rms": residual.pow(2).mean().sqrt().item()}
