"""X -> Y' for lyrics: the two-stage half of the lyrics-to-melody task (TeleMelody, Ju et al. 2021).

    lyrics (S syllables) --LyricsTemplateNet--> a setting per syllable: its rhythm pattern, a fermata or not,
                                                and where in the bar the first syllable starts
                         --TemplatePrior.sample_chords--> one chord per beat, conditioned on those cadences
                         = a LyricTemplate: the kit's chord/rhythm/cadence template (template.py) + where
                           each syllable starts
    then the existing melody renderer (renderers.py, trained on every chorale melody, lyrics or not) writes
    the notes, forced to the template's rhythm so that every syllable lands where the template put it.

Only the small per-syllable model needs paired (lyrics, melody) data; the chord chain and the renderer learn
from melodies alone. That split is the point of the regeneration paradigm: X -> Y' is a small, easy mapping
(text shape -> rhythm and phrase ends), Y' -> Y is large but self-supervised.

LyricsTemplateNet, for syllables i = 1..S with features f_i (lyrics.syllable_features):

    h_1..h_S   = BiGRU(W f_1..S)                                  both ways over the text       (B, S, 2d)
    start      ~ softmax(W_s h_1)                                  step of the first syllable in its bar (8)
    g_i        = GRU(g_{i-1}, [h_i, emb(c_{i-1}), emb(pos_i)])     left to right over the syllables (B, S, d)
    c_i        ~ softmax(W_c g_i)                                  c_i = 2 * pattern + fermata    (32 classes)

where pos_i = (start + sum of the earlier patterns' lengths) mod 8 is the syllable's position in the bar, so the
model knows whether a phrase end would fall on a strong beat. The 16 patterns are the most common syllable
settings of the training chorales (99.4% of their syllables); a rarer one counts as the closest of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from ..core import Renderer
from .lyrics import N_FEATURES, Lyrics, LyricsKey, syllable_features, syllable_settings
from .priors import TemplatePrior
from .renderers import TemplateRenderer
from .song import MAX_BARS, STEPS_PER_BAR, STEPS_PER_BEAT, Song
from .template import RHYTHM_ONSET, Template

# (rest 0 / hold 1 / onset 2 per eighth-note step), most common first: count in the 241 training chorales
PATTERNS = [
    (2, 1),                     # 7,863  a quarter note
    (2, 2),                     #   898  two eighths (a melisma)
    (2, 1, 1, 1),               #   765  a half note
    (2, 1, 1, 1, 1, 1),         #   151  a dotted half
    (2,),                       #   137  an eighth
    (2, 1, 1, 1, 0, 0),         #   113  a half note and a quarter rest (a breath after a phrase)
    (2, 1, 2, 1),               #   109  two quarters
    (2, 1, 1),                  #   108  a dotted quarter
    (2, 1, 1, 1, 1, 1, 1, 1),   #    46  a whole note
    (2, 2, 2, 1),               #    36  eighth, eighth, quarter
    (2, 1, 1, 2),               #    34  dotted quarter, eighth
    (2, 1, 2, 2),               #    17  quarter, two eighths
    (2, 1, 2, 1, 2, 1, 1, 1),   #    12  quarter, quarter, half
    (2, 1, 2, 2, 2, 1),         #    10  quarter, eighth, eighth, quarter
    (2, 1, 2, 1, 2, 1),         #     9  three quarters
    (2, 1, 0, 0),               #     9  a quarter and a quarter rest
]
N_CLASSES = 2 * len(PATTERNS)   # c = 2 * pattern + fermata
PAD = -1


def pattern_id(pattern: tuple) -> int:
    """The index of `pattern` in PATTERNS, or of the closest one: nearest length, then fewest differing steps."""
    if pattern in PATTERNS:
        return PATTERNS.index(pattern)

    def distance(k):
        p = PATTERNS[k]
        n = min(len(p), len(pattern))
        return abs(len(p) - len(pattern)), sum(a != b for a, b in zip(p[:n], pattern[:n]))
    return min(range(len(PATTERNS)), key=distance)


@dataclass
class LyricTemplate(Template):
    """A Template written for lyrics: also where each syllable starts, and which syllables hold a fermata."""
    syllable_steps: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))   # (S,)
    fermata: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))              # (S,)
    lyrics: Lyrics | None = None


def template_from_settings(classes: list[int], start: int, n_bars_max: int = MAX_BARS) -> tuple:
    """Per-syllable classes + the first syllable's step in its bar -> (rhythm (T,), cadence (B,), syllable
    steps (S,), fermata (S,)). T is rounded up to whole bars with rests; a cadence is marked on the beat of
    the last note of every fermata syllable."""
    rhythm, steps, fermata = [0] * start, [], []
    for c in classes:
        pattern = PATTERNS[c // 2]
        steps.append(len(rhythm))
        fermata.append(bool(c % 2))
        rhythm.extend(pattern)
    n_steps = min(-(-len(rhythm) // STEPS_PER_BAR), n_bars_max) * STEPS_PER_BAR
    rhythm = np.array((rhythm + [0] * n_steps)[:n_steps], dtype=np.int64)
    cadence = np.zeros(n_steps // STEPS_PER_BEAT, dtype=bool)
    onsets = np.flatnonzero(rhythm == RHYTHM_ONSET)
    ends = steps[1:] + [n_steps]
    for a, b, f in zip(steps, ends, fermata):
        inside = onsets[(onsets >= a) & (onsets < b)]
        if f and len(inside):
            cadence[inside[-1] // STEPS_PER_BEAT] = True
    return rhythm, cadence, np.array(steps, dtype=np.int64), np.array(fermata, dtype=bool)


@dataclass
class LyricsTemplateNetConfig:
    d: int = 64                 # width of the text encoder (each direction) and of the setting decoder
    dropout: float = 0.1
    n_features: int = N_FEATURES


class LyricsTemplateNet(nn.Module):
    Config = LyricsTemplateNetConfig

    def __init__(self, cfg: LyricsTemplateNetConfig = LyricsTemplateNetConfig()):
        super().__init__()
        self.cfg = cfg
        d = cfg.d
        self.feat_proj = nn.Linear(cfg.n_features, d)
        self.encoder = nn.GRU(d, d, batch_first=True, bidirectional=True)
        self.start_head = nn.Linear(2 * d, STEPS_PER_BAR)
        self.class_emb = nn.Embedding(N_CLASSES + 1, d)          # + BOS before the first syllable
        self.pos_emb = nn.Embedding(STEPS_PER_BAR, d)
        self.decoder = nn.GRU(4 * d, d, batch_first=True)
        self.drop = nn.Dropout(cfg.dropout)
        self.head = nn.Linear(d, N_CLASSES)

    def encode(self, feats: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """feats (B, S, F), lengths (B,) -> h (B, S, 2d); padding does not flow back into real syllables."""
        x = self.drop(self.feat_proj(feats))
        packed = nn.utils.rnn.pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
        h, _ = self.encoder(packed)
        return nn.utils.rnn.pad_packed_sequence(h, batch_first=True, total_length=feats.shape[1])[0]

    def forward(self, feats, pos, classes, start):
        """Teacher forcing. feats (B, S, F), pos (B, S) each syllable's step in its bar, classes (B, S) with
        PAD beyond each length, start (B,). Returns (logits, loss, stats); loss = mean NLL per syllable +
        the start's NLL per piece."""
        nll, n, start_nll, logits = self.nll(feats, pos, classes, start)
        loss = nll.sum() / n.sum() + start_nll.mean()
        valid = classes != PAD
        acc = ((logits.argmax(-1) == classes) & valid).sum() / valid.sum()
        return logits, loss, {"nll": (nll.sum() / n.sum()).item(), "start_nll": start_nll.mean().item(),
                              "accuracy": acc.item()}

    def nll(self, feats, pos, classes, start):
        """Per piece: (sum of the syllables' NLL (B,), syllables (B,), NLL of the start (B,), logits)."""
        valid = classes != PAD
        lengths = valid.sum(1)
        h = self.encode(feats, lengths)
        prev = torch.cat([torch.full_like(classes[:, :1], N_CLASSES), classes[:, :-1].clamp(min=0)], 1)
        g, _ = self.decoder(torch.cat([h, self.class_emb(prev), self.pos_emb(pos)], -1))
        logits = self.head(self.drop(g))                                                   # (B, S, 32)
        per = F.cross_entropy(logits.transpose(1, 2), classes, ignore_index=PAD, reduction="none")   # (B, S)
        start_nll = F.cross_entropy(self.start_head(h[:, 0]), start, reduction="none")
        return (per * valid).sum(1), lengths, start_nll, logits

    @torch.no_grad()
    def sample(self, lyrics: Lyrics, *, temperature: float = 1.0, generator=None) -> tuple[list[int], int]:
        """One setting per syllable, left to right: (classes (S,), start)."""
        dev = self.head.weight.device
        feats = torch.from_numpy(syllable_features(lyrics))[None].to(dev)
        h = self.encode(feats, torch.tensor([len(lyrics)]))
        t = max(temperature, 1e-4)
        start = int(torch.multinomial((self.start_head(h[:, 0]) / t).softmax(-1).cpu(), 1, generator=generator))
        classes, pos, prev, state = [], start, N_CLASSES, None
        for i in range(len(lyrics)):
            x = torch.cat([h[:, i], self.class_emb.weight[prev][None], self.pos_emb.weight[pos][None]], -1)
            g, state = self.decoder(x[:, None], state)
            probs = (self.head(g[:, 0]) / t).softmax(-1).cpu()
            prev = int(torch.multinomial(probs, 1, generator=generator))
            classes.append(prev)
            pos = (pos + len(PATTERNS[prev // 2])) % STEPS_PER_BAR
        return classes, start


def setting_tensors(pairs: list[tuple[Song, Lyrics]]) -> tuple[torch.Tensor, ...]:
    """(feats, pos, classes, start) of the chorales' syllables, padded to the longest text with PAD."""
    s_max = max(len(ly) for _, ly in pairs)
    feats = np.zeros((len(pairs), s_max, N_FEATURES), dtype=np.float32)
    pos = np.zeros((len(pairs), s_max), dtype=np.int64)
    classes = np.full((len(pairs), s_max), PAD, dtype=np.int64)
    start = np.zeros(len(pairs), dtype=np.int64)
    for i, (song, ly) in enumerate(pairs):
        patterns, fermata, start[i] = syllable_settings(song, ly)
        c = [2 * pattern_id(p) + int(f) for p, f in zip(patterns, fermata)]
        lengths = [len(PATTERNS[k // 2]) for k in c]
        n = len(ly)
        feats[i, :n] = syllable_features(ly)
        classes[i, :n] = c
        pos[i, :n] = (start[i] + np.concatenate([[0], np.cumsum(lengths)[:-1]])) % STEPS_PER_BAR
    return tuple(torch.from_numpy(a) for a in (feats, pos, classes, start))


def rule_settings(lyrics: Lyrics) -> tuple[list[int], int]:
    """A rule instead of a model (the zero-data baseline): every syllable a quarter note, a half note with a
    fermata where punctuation follows, starting on the fourth beat (a pickup, as most chorales do)."""
    quarter, half = PATTERNS.index((2, 1)), PATTERNS.index((2, 1, 1, 1))
    return [2 * half + 1 if p else 2 * quarter for p in lyrics.punct], 6


class LyricsTemplatePrior:
    """X = LyricsKey -> Y' = LyricTemplate: the per-syllable model writes rhythm and cadences, the template
    prior's chord chain writes the chords (conditioned on those cadences)."""

    def __init__(self, net: LyricsTemplateNet | None, chords: TemplatePrior, temperature: float = 1.0):
        """net=None: the settings come from `rule_settings` instead of a model."""
        self.net, self.chords, self.temperature = net.eval() if net is not None else None, chords, temperature

    def sample(self, x: LyricsKey | list[LyricsKey], *, generator=None, **kw):
        xs = x if isinstance(x, list) else [x]
        out = []
        for k in xs:
            classes, start = self.net.sample(k.lyrics, temperature=self.temperature, generator=generator) \
                if self.net is not None else rule_settings(k.lyrics)
            rhythm, cadence, steps, fermata = template_from_settings(classes, start)
            keep = steps < len(rhythm)                       # a text longer than MAX_BARS is cut at the limit
            chords = self.chords.sample_chords(rhythm, cadence, k.mode, generator=generator)
            out.append(LyricTemplate(chords, rhythm, cadence, k.tonic, k.mode, syllable_steps=steps[keep],
                                     fermata=fermata[keep], lyrics=k.lyrics))
        return out if isinstance(x, list) else out[0]


class LyricsRenderer(Renderer):
    """Y' -> Y for a LyricTemplate (or a plain Template): the kit's template renderer, forced to the template's rhythm (so each
    syllable keeps its notes), with the syllables and fermatas copied onto the Song."""

    def __init__(self, renderer: TemplateRenderer):
        self.renderer = TemplateRenderer(renderer.model, renderer.info, renderer.temperature, follow_rhythm=True)

    def render(self, y_prime: LyricTemplate, *, generator=None) -> Song:
        return self.render_batch([y_prime], generator=generator)[0]

    def render_batch(self, templates: list[LyricTemplate], *, generator=None) -> list[Song]:
        songs = self.renderer.render_batch(templates, generator=generator)
        for song, tp in zip(songs, templates):
            if isinstance(tp, LyricTemplate):          # a plain Template (a round trip of a song) has no syllables
                mark_syllables(song, tp.syllable_steps, tp.fermata)
            song.name = "two-stage"
        return songs


def mark_syllables(song: Song, steps: np.ndarray, fermata: np.ndarray) -> Song:
    """Record where each syllable starts (song.meta["syllable_steps"]) and put each fermata syllable's
    fermata on its last note (song.fermata), as in the chorales."""
    song.meta["syllable_steps"] = np.asarray(steps, dtype=np.int64)
    song.fermata = np.zeros(song.n_steps, dtype=bool)
    onsets = np.flatnonzero(song.melody >= 2)
    ends = list(steps[1:]) + [song.n_steps]
    for a, b, f in zip(steps, ends, fermata):
        inside = onsets[(onsets >= a) & (onsets < b)]
        if f and len(inside):
            song.fermata[inside[-1]] = True
    return song
