"""Connectionist Temporal Classification (Graves et al. 2006), the pieces a reader should see.

A recogniser emits, at each of its N frames, a distribution over K symbols plus a blank (index 0):
log p(k | frame t), a (N, K + 1) table. A label sequence z of length L <= N is read off a frame path
pi (one symbol per frame) by B: merge repeated symbols, then drop blanks,

    B("--kk-aa--t-") = "kat"          ("-" is the blank; "k-k" would give "kk")

and CTC's probability of z sums over every path that B maps to z:  p(z | x) = sum_{pi : B(pi) = z} prod_t p(pi_t | t).
The loss -log p(z | x) is computed by torch.nn.functional.ctc_loss (the forward algorithm); this file
holds what that hides: B itself, greedy decoding (the best frame path, then B), and the single most
probable alignment of a known z (Viterbi over the blank-interleaved labels), which is what the notebook
draws. The sum of all paths is at least the best one: -ctc_loss <= the alignment's log-probability is a
tested invariant.
"""

from __future__ import annotations

from typing import Sequence

import torch

BLANK = 0


def collapse(path: Sequence[int], blank: int = BLANK) -> list[int]:
    """B: merge runs of the same symbol, then drop blanks. [0, 3, 3, 0, 1, 1, 0, 3] -> [3, 1, 3]."""
    out, prev = [], None
    for k in path:
        if k != prev and k != blank:
            out.append(int(k))
        prev = k
    return out


def greedy_decode(log_probs: torch.Tensor, lengths: torch.Tensor | None = None, blank: int = BLANK) -> list[list[int]]:
    """Best path decoding: argmax at each frame, then B. log_probs (B, N, K + 1); lengths (B,) valid frames."""
    best = log_probs.argmax(-1).tolist()                          # (B, N)
    n = lengths.tolist() if lengths is not None else [log_probs.shape[1]] * log_probs.shape[0]
    return [collapse(path[:m], blank) for path, m in zip(best, n)]


def best_alignment(log_probs: torch.Tensor, target: Sequence[int], blank: int = BLANK) -> tuple[list[int], float]:
    """The most probable frame path pi with B(pi) = target, and its log-probability (Viterbi).

    log_probs (N, K + 1) for one utterance. The states are the target with a blank before, between and after
    its symbols, z' = (-, z_1, -, z_2, ..., z_L, -), 2L + 1 of them. From state s a path may stay, step to
    s + 1, or skip to s + 2 when z'_{s+2} is a symbol different from z'_s (skipping the blank between two
    equal symbols would merge them). It must end in the last symbol or the final blank.
    """
    ext = [blank]
    for k in target:
        ext += [int(k), blank]
    n_frames, n_states = log_probs.shape[0], len(ext)
    lp = log_probs.detach().double().cpu()
    neg = float("-inf")
    score = torch.full((n_frames, n_states), neg, dtype=torch.float64)
    back = torch.zeros((n_frames, n_states), dtype=torch.long)
    score[0, 0] = lp[0, ext[0]]
    if n_states > 1:
        score[0, 1] = lp[0, ext[1]]
    for t in range(1, n_frames):
        for s in range(n_states):
            options = [(score[t - 1, s], s)]
            if s >= 1:
                options.append((score[t - 1, s - 1], s - 1))
            if s >= 2 and ext[s] != blank and ext[s] != ext[s - 2]:
                options.append((score[t - 1, s - 2], s - 2))
            best, arg = max(options, key=lambda o: float(o[0]))
            score[t, s], back[t, s] = best + lp[t, ext[s]], arg
    ends = [s for s in (n_states - 1, n_states - 2) if s >= 0]
    s = max(ends, key=lambda e: float(score[-1, e]))
    total = float(score[-1, s])
    if total == neg:
        raise ValueError(f"no alignment: {len(target)} symbols (with repeats) do not fit in {n_frames} frames")
    states = [s]
    for t in range(n_frames - 1, 0, -1):
        s = int(back[t, s])
        states.append(s)
    return [ext[s] for s in states[::-1]], total
