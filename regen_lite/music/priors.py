"""X -> Y' for music: sample a template for a key and a length, by counting the training chorales.

    bars      each bar's (rhythm, cadence flags) is copied from a corpus bar, drawn from the bars seen
              in the same context: the first bar (often a pickup), the last bar, or a bar 0, 1, 2 or 3+
              bars after the last cadence (so phrases come out 1-4 bars long, as in the chorales)
    chords    a first-order Markov chain over beats, P(c_b | c_{b-1}, cadence_b, mode), with add-alpha
              smoothing over the chords seen in that mode; silent beats get N and are skipped
    key       carried along: the chords are relative to it, so one chain serves every key

Nothing is learned by gradient descent: `TemplatePrior.fit(templates)` counts, in about a second. The
counts are buffers of an nn.Module so that the prior is saved and rebuilt like every other checkpoint
(safetensors + JSON, regen_lite.checkpoints).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn as nn

from ..checkpoints import CheckpointError, load_checkpoint, pretrained_path
from .song import MAX_BARS, STEPS_PER_BAR, STEPS_PER_BEAT, KeyLength
from .template import N_CHORD, NUM_CHORDS, RHYTHM_HOLD, RHYTHM_ONSET, RHYTHM_REST, Template

BEATS = STEPS_PER_BAR // STEPS_PER_BEAT
FIRST, LAST = 0, 1          # bar contexts; 2 + k = a bar k bars after the last cadence (k capped at 3)
N_CONTEXTS = 6


def bar_context(i: int, n_bars: int, since_cadence: int) -> int:
    if i == n_bars - 1:
        return LAST
    if i == 0:
        return FIRST
    return 2 + min(since_cadence, 3)


@dataclass
class TemplatePriorConfig:
    n_patterns: int = 1           # distinct corpus bars (rhythm + cadence flags); set by fit()
    alpha: float = 0.05           # add-alpha smoothing of the chord transitions


class TemplatePrior(nn.Module):
    Config = TemplatePriorConfig

    def __init__(self, cfg: TemplatePriorConfig = TemplatePriorConfig()):
        super().__init__()
        self.cfg = cfg
        k = cfg.n_patterns
        self.register_buffer("bar_rhythm", torch.zeros(k, STEPS_PER_BAR, dtype=torch.long))       # (K, 8)
        self.register_buffer("bar_cadence", torch.zeros(k, BEATS, dtype=torch.bool))              # (K, 4)
        self.register_buffer("bar_counts", torch.zeros(N_CONTEXTS, k))                            # (6, K)
        self.register_buffer("start", torch.zeros(2, NUM_CHORDS))                                 # (mode, c)
        self.register_buffer("trans", torch.zeros(2, 2, NUM_CHORDS, NUM_CHORDS))                  # (mode, cad, prev, c)

    @classmethod
    def fit(cls, templates: list[Template], alpha: float = 0.05) -> "TemplatePrior":
        patterns, counts = {}, []
        start = np.zeros((2, NUM_CHORDS))
        trans = np.zeros((2, 2, NUM_CHORDS, NUM_CHORDS))
        for t in templates:
            n_bars = t.n_steps // STEPS_PER_BAR
            since = 0
            for i in range(n_bars):
                key = (tuple(t.rhythm[i * STEPS_PER_BAR:(i + 1) * STEPS_PER_BAR].tolist()),
                       tuple(t.cadence[i * BEATS:(i + 1) * BEATS].tolist()))
                j = patterns.setdefault(key, len(patterns))
                counts.append((bar_context(i, n_bars, since), j))
                since = 0 if any(key[1]) else since + 1
            chords = [(c, cad) for c, cad in zip(t.chords, t.cadence) if c != N_CHORD]
            if chords:
                start[t.mode, chords[0][0]] += 1
            for (a, _), (b, cad) in zip(chords, chords[1:]):
                trans[t.mode, int(cad), a, b] += 1
        prior = cls(TemplatePriorConfig(n_patterns=len(patterns), alpha=alpha))
        for key, j in patterns.items():
            prior.bar_rhythm[j] = torch.tensor(key[0])
            prior.bar_cadence[j] = torch.tensor(key[1])
        for ctx, j in counts:
            prior.bar_counts[ctx, j] += 1
        prior.start.copy_(torch.from_numpy(start))
        prior.trans.copy_(torch.from_numpy(trans))
        return prior

    def transition_probs(self, mode: int, cadence: bool, prev: int | None) -> torch.Tensor:
        """P(c | prev, cadence, mode) (109,), smoothed over the chords seen in this mode."""
        seen = (self.trans[mode].sum((0, 1)) + self.trans[mode].sum((0, 2)) + self.start[mode]) > 0
        row = self.start[mode] if prev is None else self.trans[mode, int(cadence), prev]
        if row.sum() == 0:                                         # unseen context: this chord's other row
            row = self.trans[mode, 1 - int(cadence), prev] if prev is not None else row
        if row.sum() == 0:                                         # still nothing: how often each chord follows anything
            row = self.trans[mode, int(cadence)].sum(0)
        p = row + self.cfg.alpha * seen
        return p / p.sum()

    @torch.no_grad()
    def sample(self, x: KeyLength | list[KeyLength], *, generator: torch.Generator | None = None, **kw):
        """One Template per KeyLength (a list in, a list out)."""
        xs = x if isinstance(x, list) else [x]
        out = [self._sample_one(k, generator) for k in xs]
        return out if isinstance(x, list) else out[0]

    def _sample_one(self, k: KeyLength, g) -> Template:
        if not 1 <= k.bars <= MAX_BARS:
            raise ValueError(f"bars must be between 1 and {MAX_BARS}, not {k.bars}")
        if not (0 <= k.tonic < 12 and k.mode in (0, 1)):
            raise ValueError(f"tonic must be 0..11 and mode 0 (major) or 1 (minor), not {k.tonic}, {k.mode}")
        rhythm, cadence, since = [], [], 0
        for i in range(k.bars):
            counts = self.bar_counts[bar_context(i, k.bars, since)]
            j = int(torch.multinomial(counts, 1, generator=g))
            rhythm.append(self.bar_rhythm[j])
            cadence.append(self.bar_cadence[j])
            since = 0 if cadence[-1].any() else since + 1
        rhythm = torch.cat(rhythm).numpy().astype(np.int64)
        cadence = torch.cat(cadence).numpy().astype(bool)
        after_rest = np.flatnonzero((rhythm[1:] == RHYTHM_HOLD) & (rhythm[:-1] == RHYTHM_REST)) + 1
        rhythm[after_rest] = RHYTHM_ONSET          # a bar that starts by holding a note, after a rest: strike it
        if rhythm[0] == RHYTHM_HOLD:
            rhythm[0] = RHYTHM_ONSET
        onsets = np.flatnonzero(rhythm == RHYTHM_ONSET)
        if len(onsets):
            cadence[onsets[-1] // STEPS_PER_BEAT] = True   # the last note ends a phrase
        return Template(chords=self.sample_chords(rhythm, cadence, k.mode, generator=g), rhythm=rhythm,
                        cadence=cadence, tonic=k.tonic, mode=k.mode)

    @torch.no_grad()
    def sample_chords(self, rhythm: np.ndarray, cadence: np.ndarray, mode: int, *, generator=None) -> np.ndarray:
        """(B,) chord ids for a given rhythm (T,) and cadences (B,): the chain, beat by beat, conditioned on
        each beat's cadence flag; silent beats get N. (The lyrics pipeline calls this with the rhythm and
        cadences its lyrics model wrote.)"""
        chords, prev = np.full(len(cadence), N_CHORD, dtype=np.int64), None
        for b in range(len(cadence)):
            if (rhythm[b * STEPS_PER_BEAT:(b + 1) * STEPS_PER_BEAT] == RHYTHM_REST).all():
                continue
            p = self.transition_probs(mode, bool(cadence[b]), prev)
            prev = int(torch.multinomial(p, 1, generator=generator))
            chords[b] = prev
        return chords

    @torch.no_grad()
    def chord_log_prob(self, template: Template) -> float:
        """log P(chords | rhythm, cadences, mode) under the chain, in nats (the silent beats' N is given). For
        scoring only, each step mixes in 0.1% of a uniform choice over the 108 chords, so that a chord never seen
        in this mode costs about 11.6 nats instead of infinity (sampling never draws it)."""
        total, prev = 0.0, None
        for b, c in enumerate(template.chords):
            if c == N_CHORD:
                continue
            p = self.transition_probs(template.mode, bool(template.cadence[b]), prev)[c]
            total += float(torch.log(0.999 * p + 0.001 / N_CHORD))
            prev = int(c)
        return total

    @staticmethod
    def chord_histogram_distance(a: list[Template], b: list[Template]) -> float:
        """Total-variation distance between the chord-id histograms (N excluded) of two template sets."""
        def hist(ts):
            h = np.bincount(np.concatenate([t.chords[t.chords != N_CHORD] for t in ts]), minlength=NUM_CHORDS)
            return h / max(1, h.sum())
        return float(0.5 * np.abs(hist(a) - hist(b)).sum())


def load_template_prior(name: str = "template_prior", device="cpu") -> TemplatePrior:
    try:
        return load_checkpoint(pretrained_path(name), TemplatePrior, device=device)[0]
    except CheckpointError as e:
        raise CheckpointError(f"{e}; (re)create it with: regen-lite train {name}") from e
