"""X -> Y directly for lyrics: the kit's MelodyNet, conditioned on the syllables instead of a template.

The direct baseline of the lyrics-to-melody task has no template to lay the text on the time axis, so it
must decide, note by note, where each syllable goes. It writes, at every eighth-note step t,

    y_t ~ P(y_t | y_<t, X)                    the melody token (rest, hold or a pitch), as MelodyNet does
    s_t ~ P(s_t | y_<t, X)   at an onset      0 the current syllable goes on (a melisma), 1 a new syllable
                                              starts, 2 a new syllable starts and holds a fermata

and its input at step t adds, to MelodyNet's (previous token, position in the bar, mode), the features of
the syllable being sung and of the next one (lyrics.syllable_features, plus "none yet" / "none left"
flags): a pointer into the text that moves when the model starts a syllable. The piece ends at the first
rest after the last syllable has started (the training melodies end with one rest step to teach that).

Same width, depth, decoder window and training budget as the template renderer; the template half of the
encoder is switched off (conditional=False), as in the key-and-length baseline DirectMelodyPrior.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from .lyric_template import mark_syllables
from .lyrics import N_FEATURES, Lyrics, LyricsKey, syllable_features, syllable_settings
from .renderers import BOS, PAD, MelodyNet, MelodyNetConfig, alibi_bias, key_shift, transpose_tokens
from .song import HOLD, MAX_BARS, REST, STEPS_PER_BAR, Song
from .template import N_CHORD

SYL_FEATURES = 2 * (N_FEATURES + 1)     # current syllable + "none yet", next syllable + "none left"
GOES_ON, NEW, NEW_FERMATA = 0, 1, 2


@dataclass
class LyricsMelodyNetConfig(MelodyNetConfig):
    conditional: bool = False           # MelodyNet's template features are off; the syllables condition instead
    n_features: int = SYL_FEATURES


class LyricsMelodyNet(MelodyNet):
    Config = LyricsMelodyNetConfig

    def __init__(self, cfg: LyricsMelodyNetConfig = LyricsMelodyNetConfig()):
        if cfg.conditional:
            raise ValueError("LyricsMelodyNet takes its conditioning from the syllables: conditional must be False")
        super().__init__(cfg)
        self.syl_proj = nn.Linear(cfg.n_features, cfg.d)
        self.syl_head = nn.Linear(cfg.d, 3)

    def _positions(self, mode: torch.Tensor, t_len: int) -> torch.Tensor:
        """MelodyNet's encoder with the template off: position in the bar + mode -> e (B, T, d)."""
        blank = torch.full((len(mode), t_len), N_CHORD, dtype=torch.long, device=mode.device)
        zeros = torch.zeros_like(blank)
        return self.encode(blank, zeros, zeros, mode)

    def forward(self, mode, syl, tokens, syl_target):
        """Teacher forcing. mode (B,), syl (B, T, 28) the syllable features at each step, tokens (B, T) with PAD,
        syl_target (B, T): 0/1/2 at onsets, PAD elsewhere. Returns (logits, loss, stats); loss = token NLL
        per step + syllable-decision NLL per onset."""
        e = self._positions(mode, tokens.shape[1])
        prev = torch.cat([torch.full_like(tokens[:, :1], BOS), tokens[:, :-1].clamp(min=0)], 1)
        x = self.drop(self.tok_emb(prev) + e + self.syl_proj(syl))
        bias = alibi_bias(self.cfg.n_head, x.shape[1], x.shape[1], causal=True, window=self.cfg.window, device=x.device)
        for blk in self.decoder:
            x = blk(x, bias=bias)
        h = self.ln(x)
        logits, syl_logits = self.head(h), self.syl_head(h)
        tok_loss = F.cross_entropy(logits.flatten(0, 1), tokens.flatten(), ignore_index=PAD)
        syl_loss = F.cross_entropy(syl_logits.flatten(0, 1), syl_target.flatten(), ignore_index=PAD)
        valid = tokens != PAD
        acc = ((logits.argmax(-1) == tokens) & valid).sum() / valid.sum().clamp(min=1)
        return (logits, syl_logits), tok_loss + syl_loss, {"nll": tok_loss.item(), "syllable_nll": syl_loss.item(),
                                                           "accuracy": acc.item()}

    @torch.no_grad()
    def sample_lyrics(self, lyrics: Lyrics, mode: int, *, temperature: float = 1.0, generator=None):
        """Tokens (in C) until the first rest after the last syllable has started (or MAX_BARS), with the
        step where each syllable starts and its fermata flag: (tokens (T,), steps (S',), fermata (S',))."""
        dev = self.head.weight.device
        feats = syllable_features(lyrics)
        n_syl = len(lyrics)
        cap = min(MAX_BARS * STEPS_PER_BAR, (n_syl * 8 // STEPS_PER_BAR + 2) * STEPS_PER_BAR)
        e = self._positions(torch.tensor([mode], device=dev), cap)
        inputs = [None] * len(self.decoder)
        prev, cur, tokens, steps, fermata = BOS, -1, [], [], []
        t_ = max(temperature, 1e-4)
        for t in range(cap):
            syl = torch.from_numpy(pointer_features(feats, cur))[None, None].to(dev)
            x = self.tok_emb.weight[prev][None, None] + e[:, t:t + 1] + self.syl_proj(syl)
            h = self.ln(self.decode_step(x, inputs))[:, 0]
            logits = self.head(h)[0] / t_
            if prev in (REST, BOS):
                logits[HOLD] = -float("inf")
            tok = int(torch.multinomial(logits.softmax(-1).cpu(), 1, generator=generator))
            if tok == REST and cur == n_syl - 1:
                break                                                 # the text is sung: the piece ends
            if tok >= 2:
                s_logits = self.syl_head(h)[0] / t_
                if cur < 0:
                    s_logits[GOES_ON] = -float("inf")                 # the first note starts the first syllable
                if cur == n_syl - 1:
                    s_logits[NEW:] = -float("inf")                    # no syllable left: a melisma
                s = int(torch.multinomial(s_logits.softmax(-1).cpu(), 1, generator=generator))
                if s != GOES_ON:
                    cur += 1
                    steps.append(t)
                    fermata.append(s == NEW_FERMATA)
            tokens.append(tok)
            prev = tok
        return np.array(tokens, dtype=np.int64), np.array(steps, dtype=np.int64), np.array(fermata, dtype=bool)


def pointer_features(feats: np.ndarray, cur: int) -> np.ndarray:
    """(28,) the input at a step where syllable `cur` is being sung (-1: none yet): its features + a "none yet"
    flag, then the next syllable's features + a "none left" flag."""
    n, f = feats.shape
    out = np.zeros(2 * (f + 1), dtype=np.float32)
    if cur >= 0:
        out[:f] = feats[cur]
    else:
        out[f] = 1
    if cur + 1 < n:
        out[f + 1:2 * f + 1] = feats[cur + 1]
    else:
        out[-1] = 1
    return out


def lyric_melody_tensors(pairs: list[tuple[Song, Lyrics]], window: int = 16 * STEPS_PER_BAR) -> tuple:
    """(mode, syl, tokens, syl_target) for fit(): each chorale + one closing rest step, moved to tonic C, cut into
    windows of `window` steps at bar lines; syl = pointer_features at every step (teacher forcing)."""
    rows = []
    for song, ly in pairs:
        _, fermata, _ = syllable_settings(song, ly)
        feats = syllable_features(ly)
        mel = np.append(transpose_tokens(song.melody, -key_shift(song.tonic)), REST)        # (T + 1,)
        target = np.full(len(mel), PAD, dtype=np.int64)
        target[mel >= 2] = GOES_ON
        target[ly.steps] = np.where(fermata, NEW_FERMATA, NEW)
        cur = np.searchsorted(ly.steps, np.arange(len(mel)), side="left") - 1     # syllables started before t
        syl = np.stack([pointer_features(feats, c) for c in cur])
        for start in range(0, len(mel), window):
            y = np.full(window, PAD, dtype=np.int64)
            s_t = np.full(window, PAD, dtype=np.int64)
            x = np.zeros((window, SYL_FEATURES), dtype=np.float32)
            n = min(window, len(mel) - start)
            y[:n], s_t[:n], x[:n] = mel[start:start + n], target[start:start + n], syl[start:start + n]
            rows.append((song.mode, x, y, s_t))
    mode, syl, tokens, syl_target = zip(*rows)
    return (torch.tensor(mode), torch.from_numpy(np.stack(syl)), torch.from_numpy(np.stack(tokens)),
            torch.from_numpy(np.stack(syl_target)))


class DirectLyricsPrior:
    """X = LyricsKey -> Y = a Song, with no template. Regenerator(melody_identity, DirectLyricsPrior(...)) is the
    direct pipeline: the same class that runs the two-stage one."""

    def __init__(self, model: LyricsMelodyNet, temperature: float = 1.0):
        self.model, self.temperature = model.eval(), temperature

    def sample(self, x: LyricsKey | list[LyricsKey], *, generator=None, **kw):
        xs = x if isinstance(x, list) else [x]
        out = []
        for k in xs:
            tokens, steps, fermata = self.model.sample_lyrics(k.lyrics, k.mode, temperature=self.temperature,
                                                              generator=generator)
            n_steps = max(STEPS_PER_BAR, -(-len(tokens) // STEPS_PER_BAR) * STEPS_PER_BAR)
            mel = np.full(n_steps, REST, dtype=np.int64)
            mel[:len(tokens)] = transpose_tokens(tokens, key_shift(k.tonic))
            song = mark_syllables(Song(mel, tonic=k.tonic, mode=k.mode, name="direct"), steps, fermata)
            song.meta["unsung"] = len(k.lyrics) - len(steps)
            out.append(song)
        return out if isinstance(x, list) else out[0]

