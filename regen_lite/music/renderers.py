"""Template -> melody: a tiny transformer, autoregressive over eighth-note steps, trained
self-supervised on (extract(y), y) pairs of the chorales.

    P(Y | Y') = prod_t P(y_t | y_<t, Y')        y_t: the melody token at step t

    encoder   template features at each step -> 2 self-attention blocks that look both ways -> e_t
              (features: chord of the step's beat as an embedding + its 12 chord tones, rhythm state
              rest/hold/onset, cadence flag of the beat, position in the bar, mode)
    decoder   x_t = embedding(y_{t-1}) + e_t -> 2 causal self-attention blocks -> logits over 63 tokens

Template and melody share one time axis, so the decoder needs no cross-attention: step t simply adds
the template's encoding of step t. Positions enter only as the position in the bar and as ALiBi
biases (Press et al. 2022: attention logits minus slope_h * |i - j|), so the model runs on pieces of any
length; decoder attention is limited to the last `window` steps, so sampling keeps each decoder layer's
inputs of the last `window` steps and computes one new position per step (a cache: the inputs of
earlier positions never change once they are sampled).

The melody is modelled in C (C major / C minor): every piece is moved by at most 6 semitones to
tonic C (`key_shift`) before training and moved back after sampling, which is why the template stores
chords relative to the key.

With `conditional=False` the encoder sees only bar position and mode: the same network is then the
*direct* baseline P(Y | key, length), with no template at all (DirectMelodyPrior below).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from ..checkpoints import CheckpointError, load_checkpoint, pretrained_path
from ..core import Renderer
from ..nn.attention import Block
from .song import HOLD, PITCH_HI, PITCH_LO, REST, STEPS_PER_BAR, STEPS_PER_BEAT, VOCAB, KeyLength, Song, pitch_token
from .template import CHORD_TONES, N_CHORD, NUM_CHORDS, RHYTHM_HOLD, RHYTHM_ONSET, RHYTHM_REST, Template

PAD = -1            # target index of padding steps (ignored by the loss)
BOS = VOCAB         # the "previous token" before step 0


def key_shift(tonic: int) -> int:
    """Semitones to add to a tonic-C melody to put it in `tonic` (the nearer way: -5..+6)."""
    return tonic if tonic <= 6 else tonic - 12


def transpose_tokens(melody: np.ndarray, semitones: int) -> np.ndarray:
    """Move every onset token by `semitones`, clamping into the 36..96 range."""
    out = np.array(melody, dtype=np.int64)
    on = out >= 2
    out[on] = np.clip(out[on] + semitones, pitch_token(PITCH_LO), pitch_token(PITCH_HI))
    return out


@dataclass
class MelodyNetConfig:
    conditional: bool = True    # False: ignore the template (the direct baseline P(Y | key, length))
    d: int = 64                 # model width
    n_head: int = 4
    n_layer: int = 2            # blocks in the encoder and again in the decoder
    window: int = 64            # decoder attention span in steps (8 bars)
    dropout: float = 0.1
    vocab: int = VOCAB


def alibi_bias(n_head: int, q_len: int, k_len: int, causal: bool, window: int | None, device=None) -> torch.Tensor:
    """(h, q_len, k_len) additive attention bias: -slope_h * |i - j|, and -inf where j is in the future
    (causal) or more than window - 1 steps back. Queries are the last q_len of the k_len positions."""
    slopes = torch.tensor([2.0 ** (-8.0 * (h + 1) / n_head) for h in range(n_head)], device=device)
    i = torch.arange(k_len - q_len, k_len, device=device)[:, None]
    j = torch.arange(k_len, device=device)[None, :]
    bias = -slopes[:, None, None] * (i - j).abs()
    blocked = torch.zeros(q_len, k_len, dtype=torch.bool, device=device)
    if causal:
        blocked |= j > i
    if window is not None:
        blocked |= (i - j) >= window
    return bias.masked_fill(blocked, -float("inf"))


class MelodyNet(nn.Module):
    Config = MelodyNetConfig

    def __init__(self, cfg: MelodyNetConfig = MelodyNetConfig()):
        super().__init__()
        self.cfg = cfg
        d = cfg.d
        tones = np.zeros((NUM_CHORDS, 12), dtype=np.float32)
        tones[:N_CHORD] = CHORD_TONES
        self.register_buffer("chord_tones", torch.from_numpy(tones), persistent=False)   # (109, 12)
        self.chord_emb = nn.Embedding(NUM_CHORDS, d)
        self.tone_proj = nn.Linear(12, d)
        self.rhythm_emb = nn.Embedding(3, d)
        self.cadence_emb = nn.Embedding(2, d)
        self.pos_emb = nn.Embedding(STEPS_PER_BAR, d)
        self.mode_emb = nn.Embedding(2, d)
        # nn/attention.py blocks, ALiBi-biased; dropout in their MLPs only (none on the attention weights)
        self.encoder = nn.ModuleList([Block(d, cfg.n_head, cfg.dropout) for _ in range(cfg.n_layer)])
        self.tok_emb = nn.Embedding(cfg.vocab + 1, d)                                    # + BOS
        self.decoder = nn.ModuleList([Block(d, cfg.n_head, cfg.dropout) for _ in range(cfg.n_layer)])
        self.drop = nn.Dropout(cfg.dropout)
        self.ln = nn.LayerNorm(d)
        self.head = nn.Linear(d, cfg.vocab)

    def encode(self, chords, rhythm, cadence, mode):
        """Template features (B, T) each, mode (B,) -> e (B, T, d)."""
        t_len = chords.shape[1]
        pos = torch.arange(t_len, device=chords.device) % STEPS_PER_BAR
        x = self.pos_emb(pos)[None] + self.mode_emb(mode)[:, None]
        if self.cfg.conditional:
            x = x + self.chord_emb(chords) + self.tone_proj(self.chord_tones[chords]) \
                + self.rhythm_emb(rhythm) + self.cadence_emb(cadence)
        x = self.drop(x)
        bias = alibi_bias(self.cfg.n_head, t_len, t_len, causal=False, window=None, device=x.device)
        for blk in self.encoder:
            x = blk(x, bias=bias)
        return x

    def decode(self, prev, e):
        """prev (B, L) = y_{t-1}, e (B, L, d) -> logits (B, L, V) for the same L steps."""
        x = self.drop(self.tok_emb(prev) + e)
        bias = alibi_bias(self.cfg.n_head, x.shape[1], x.shape[1], causal=True, window=self.cfg.window, device=x.device)
        for blk in self.decoder:
            x = blk(x, bias=bias)
        return self.head(self.ln(x))

    def forward(self, chords, rhythm, cadence, mode, tokens):
        """Teacher forcing. tokens (B, T) with PAD beyond each length. Returns (logits, loss, stats)."""
        e = self.encode(chords, rhythm, cadence, mode)
        prev = torch.cat([torch.full_like(tokens[:, :1], BOS), tokens[:, :-1].clamp(min=0)], 1)   # y_{t-1}
        logits = self.decode(prev, e)                                                            # (B, T, V)
        loss = F.cross_entropy(logits.flatten(0, 1), tokens.flatten(), ignore_index=PAD)
        valid = tokens != PAD
        acc = ((logits.argmax(-1) == tokens) & valid).sum() / valid.sum().clamp(min=1)
        return logits, loss, {"nll": loss.item(), "accuracy": acc.item()}

    def decode_step(self, x, inputs: list) -> torch.Tensor:
        """One step of decode() while sampling: x (B, 1, d) = the new position's input; it attends to the
        cached inputs of the last `window` steps, kept per decoder layer in `inputs` (updated in place).
        Returns the last block's output (B, 1, d)."""
        w = self.cfg.window
        for i, blk in enumerate(self.decoder):
            inputs[i] = x if inputs[i] is None else torch.cat([inputs[i], x], 1)[:, -w:]
            bias = alibi_bias(self.cfg.n_head, 1, inputs[i].shape[1], causal=True, window=w, device=x.device)
            x = blk(inputs[i], bias=bias, last_only=True)
        return x

    @torch.no_grad()
    def sample(self, chords, rhythm, cadence, mode, *, temperature: float = 1.0, follow_rhythm: bool = False,
               generator: torch.Generator | None = None, return_logits: bool = False):
        """y_t ~ P(y_t | y_<t, Y'), one step at a time. Returns (B, T) tokens (in C).
        A HOLD is never drawn after a rest (there is nothing to hold); follow_rhythm=True also forbids
        every token that disagrees with the template rhythm (without it the model decides alone)."""
        e = self.encode(chords, rhythm, cadence, mode)
        b, t_len = chords.shape
        inputs = [None] * len(self.decoder)        # per decoder layer: its inputs at the last w steps (B, <=w, d)
        prev = torch.full((b,), BOS, dtype=torch.long, device=chords.device)
        out, all_logits = [], []
        is_pitch = torch.arange(self.cfg.vocab, device=chords.device) >= 2
        for t in range(t_len):
            logits = self.head(self.ln(self.decode_step(self.tok_emb(prev)[:, None] + e[:, t:t + 1], inputs)))[:, 0]
            all_logits.append(logits)
            logits = logits / max(temperature, 1e-4)
            logits[(prev == REST) | (prev == BOS), HOLD] = -float("inf")
            if follow_rhythm:
                r = rhythm[:, t]
                allowed = torch.cat([torch.stack([r == RHYTHM_REST, r == RHYTHM_HOLD], 1),
                                     (r == RHYTHM_ONSET)[:, None] & is_pitch[None, 2:]], 1)   # (B, V)
                allowed[:, HOLD] &= (prev != REST) & (prev != BOS)
                logits[~allowed] = -float("inf")
            prev = torch.multinomial(logits.softmax(-1).cpu(), 1, generator=generator)[:, 0].to(chords.device)
            out.append(prev)
        tokens = torch.stack(out, 1)
        return (tokens, torch.stack(all_logits, 1)) if return_logits else tokens


# ---------------------------------------------------------------------------------------
# Templates / songs <-> padded tensors
# ---------------------------------------------------------------------------------------

def template_tensors(templates: list[Template], length: int | None = None) -> dict[str, torch.Tensor]:
    """Step-level tensors (B, T) of a list of templates (padded with silence), and the modes (B,)."""
    t_len = length or max(t.n_steps for t in templates)
    chords = np.full((len(templates), t_len), N_CHORD, dtype=np.int64)
    rhythm = np.zeros((len(templates), t_len), dtype=np.int64)
    cadence = np.zeros((len(templates), t_len), dtype=np.int64)
    for i, tp in enumerate(templates):
        n = min(tp.n_steps, t_len, len(tp.chords) * STEPS_PER_BEAT)
        chords[i, :n] = np.repeat(tp.chords, STEPS_PER_BEAT)[:n]
        rhythm[i, :n] = tp.rhythm[:n]
        cadence[i, :n] = np.repeat(tp.cadence, STEPS_PER_BEAT)[:n]
    return {"chords": torch.from_numpy(chords), "rhythm": torch.from_numpy(rhythm),
            "cadence": torch.from_numpy(cadence), "mode": torch.tensor([t.mode for t in templates])}


def training_tensors(songs: list[Song], templates: list[Template], window: int = 16 * STEPS_PER_BAR,
                     hop: int = 8 * STEPS_PER_BAR) -> tuple[torch.Tensor, ...]:
    """(chords, rhythm, cadence, mode, tokens) for fit(): every song cut into windows of `window` steps
    starting every `hop` steps (at bar lines), melodies moved to tonic C, padding marked PAD."""
    rows_t, rows_y = [], []
    for s, tp in zip(songs, templates):
        mel = transpose_tokens(s.melody, -key_shift(s.tonic))
        for start in range(0, max(1, s.n_steps - window + hop), hop):
            end = min(start + window, s.n_steps)
            b0, b1 = start // STEPS_PER_BEAT, end // STEPS_PER_BEAT
            rows_t.append(Template(tp.chords[b0:b1], tp.rhythm[start:end], tp.cadence[b0:b1], tp.tonic, tp.mode))
            y = np.full(window, PAD, dtype=np.int64)
            y[: end - start] = mel[start:end]
            rows_y.append(y)
    x = template_tensors(rows_t, window)
    return x["chords"], x["rhythm"], x["cadence"], x["mode"], torch.from_numpy(np.stack(rows_y))


# ---------------------------------------------------------------------------------------
# The model as a Renderer (Y' -> Y) and, unconditional, as a direct prior (X -> Y)
# ---------------------------------------------------------------------------------------

class TemplateRenderer(Renderer):
    """Y' -> Y with a trained MelodyNet. temperature < 1 plays safer; follow_rhythm forces the template rhythm."""

    def __init__(self, model: MelodyNet, info: dict | None = None, temperature: float = 1.0,
                 follow_rhythm: bool = False):
        self.model, self.info = model.eval(), info or {}
        self.temperature, self.follow_rhythm = temperature, follow_rhythm

    def to(self, device):
        self.model.to(device)
        return self

    def render(self, y_prime: Template, *, generator=None) -> Song:
        return self.render_batch([y_prime], generator=generator)[0]

    @torch.no_grad()
    def render_batch(self, templates: list[Template], *, generator=None) -> list[Song]:
        device = next(self.model.parameters()).device
        x = {k: v.to(device) for k, v in template_tensors(templates).items()}
        tokens = self.model.sample(x["chords"], x["rhythm"], x["cadence"], x["mode"], temperature=self.temperature,
                                   follow_rhythm=self.follow_rhythm, generator=generator).cpu().numpy()
        return [Song(transpose_tokens(tokens[i, :tp.n_steps], key_shift(tp.tonic)), tonic=tp.tonic, mode=tp.mode,
                     name="rendered") for i, tp in enumerate(templates)]


class DirectMelodyPrior:
    """X -> Y with no template: the unconditional MelodyNet (conditional=False) samples a melody for a key
    and a length. Regenerator(get_extractor("melody_identity"), DirectMelodyPrior(...)) is direct generation."""

    def __init__(self, model: MelodyNet, temperature: float = 1.0):
        if model.cfg.conditional:
            raise ValueError("DirectMelodyPrior needs a MelodyNet trained with conditional=False")
        self.model, self.temperature = model.eval(), temperature

    @torch.no_grad()
    def sample(self, x: KeyLength | list[KeyLength], *, generator=None, **kw):
        xs = x if isinstance(x, list) else [x]
        beats = STEPS_PER_BAR // STEPS_PER_BEAT
        blank = [Template(np.full(k.bars * beats, N_CHORD), np.zeros(k.bars * STEPS_PER_BAR, dtype=np.int64),
                          np.zeros(k.bars * beats, dtype=bool), k.tonic, k.mode) for k in xs]
        songs = TemplateRenderer(self.model, temperature=self.temperature).render_batch(blank, generator=generator)
        for s in songs:
            s.name = "direct"
        return songs if isinstance(x, list) else songs[0]


def load_melody_net(name: str, device="cpu") -> tuple[MelodyNet, dict]:
    try:
        return load_checkpoint(pretrained_path(name), MelodyNet, device=device)
    except CheckpointError as e:
        raise CheckpointError(f"{e}; (re)create it with: regen-lite train {name}") from e


def load_template_renderer(name: str = "melody_renderer", device="cpu", **kw) -> TemplateRenderer:
    model, info = load_melody_net(name, device)
    return TemplateRenderer(model, info, **kw)


def load_direct_prior(name: str = "melody_direct", device="cpu", **kw) -> DirectMelodyPrior:
    return DirectMelodyPrior(load_melody_net(name, device)[0], **kw)
