"""X and Y of text-to-speech (speech/synthesis.py), from the flite clips of the spoken-word corpus (speech/words.py).

    X  = the clip's phonemes (flite's own, mapped to ARPAbet, pauses kept), its voice and its setting
    Y  = the wave; Y' = its log-mel (speech.features.log_mel: 80 bands, 8 ms frames)
    durations: flite's phone end times (seconds) -> whole mel frames per phoneme, summing to the clip's frames

Only flite clips carry phone times, so only flite voices train the TTS models: kal16, awb and rms (4,475 training
clips); slt stays held out. The held-out *words* are the corpus's `unheard` split (flite clips: 290).

    clips = tts_clips("train")
    phonemes, voice, setting = encode_x(clips)            # (B, L) ids, (B,), (B, 2)
    phonemes, x, notices = text_to_x("hello world", "kal16")   # typed text -> G2P -> the same three tensors
"""

from __future__ import annotations

import re
from typing import Sequence

import numpy as np
import torch

from ..text.extractors import G2P
from ..text.lexicon import parse_text
from .features import SpectrogramConfig, log_mel
from .synthesis import HOP, MEL_SCALE, MEL_SHIFT, SYMBOLS, VOICES
from .words import WordClip, load_waves, word_clips

FRAMES_PER_SECOND = SpectrogramConfig().frames_per_second          # 125
INDEX = {s: i + 1 for i, s in enumerate(SYMBOLS)}                   # 0 pads


def tts_clips(split: str = "train") -> list[WordClip]:
    """The flite clips of the TTS voices in one corpus split (train 4,475; heard 172; unheard 290)."""
    return [c for c in word_clips(split) if c.engine == "flite" and c.voice in VOICES]


def clip_phonemes(c: WordClip) -> list[str]:
    """flite's phones as SYMBOLS: ax -> AH, the rest upper-cased, pau kept (silence is part of the clip)."""
    return ["pau" if p == "pau" else "AH" if p == "ax" else p.upper() for p in c.engine_phones]


def n_frames(samples: int) -> int:
    """Mel frames of a wave of that many samples (centered STFT): 1 + T // hop."""
    return 1 + samples // HOP


def clip_durations(c: WordClip) -> list[int]:
    """Whole mel frames per phone: each phone ends at frame round(end * 125), the last at the clip's last frame,
    so the durations sum to n_frames(c.frames). A phone shorter than half a frame gets 0 frames."""
    ends = [min(int(round(t * FRAMES_PER_SECOND)), n_frames(c.frames)) for t in c.phone_ends]
    ends[-1] = n_frames(c.frames)
    ends = [int(e) for e in np.maximum.accumulate(ends)]
    return [e - s for s, e in zip([0] + ends[:-1], ends)]


def parse_setting(setting: str, voice: str) -> tuple[float, float]:
    """"stretch=1.2 f0=90" -> (stretch - 1, (f0 - 90) / 30); voices without an f0 setting get 0 for pitch."""
    kv = dict(re.findall(r"(\w+)=([\d.]+)", setting))
    stretch = float(kv.get("stretch", 1.0))
    f0 = float(kv["f0"]) if "f0" in kv else 90.0
    return stretch - 1.0, (f0 - 90.0) / 30.0


def pad_ids(seqs: Sequence[Sequence[str]]) -> torch.Tensor:
    n = max(1, max(len(s) for s in seqs))
    out = torch.zeros(len(seqs), n, dtype=torch.long)
    for i, s in enumerate(seqs):
        out[i, :len(s)] = torch.tensor([INDEX[p] for p in s], dtype=torch.long)
    return out


def encode_x(clips: Sequence[WordClip]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """X of clips: phoneme ids (B, L) 0-padded, voice ids (B,), setting (B, 2)."""
    phonemes = pad_ids([clip_phonemes(c) for c in clips])
    voice = torch.tensor([VOICES.index(c.voice) for c in clips])
    setting = torch.tensor([parse_setting(c.setting, c.voice) for c in clips], dtype=torch.float32)
    return phonemes, voice, setting


def durations_of(clips: Sequence[WordClip]) -> torch.Tensor:
    """The true frames per phoneme (B, L), 0-padded like encode_x's phonemes."""
    ds = [clip_durations(c) for c in clips]
    out = torch.zeros(len(ds), max(len(d) for d in ds), dtype=torch.long)
    for i, d in enumerate(ds):
        out[i, :len(d)] = torch.tensor(d)
    return out


def tts_tensors(clips: Sequence[WordClip], output: str) -> tuple[torch.Tensor, ...]:
    """Training tensors: (phonemes, voice, setting, durations, target, frames). target: the log-mel in the model's
    scale (B, 80, N max) float16 (output="mel"), or the wave zero-padded to N max * 128 samples (output="wave")."""
    waves = load_waves(clips)
    frames = torch.tensor([n_frames(len(w)) for w in waves])
    n = int(frames.max())
    if output == "mel":
        target = torch.zeros(len(waves), SpectrogramConfig().n_mels, n, dtype=torch.float16)
        for i, w in enumerate(waves):
            m = (log_mel(w) - MEL_SHIFT) / MEL_SCALE
            target[i, :, :m.shape[1]] = torch.from_numpy(m)
    else:
        target = torch.zeros(len(waves), n * HOP, dtype=torch.float16)
        for i, w in enumerate(waves):
            target[i, :len(w)] = torch.from_numpy(w)
    return (*encode_x(clips), durations_of(clips), target, frames)


MAX_WORDS = 30      # the models learned from single words: a longer text is trimmed, with a notice


def text_to_x(text: str, voice: str = "kal16", stretch: float = 1.0, f0: float = 90.0, g2p: G2P | None = None,
              max_words: int = MAX_WORDS) -> tuple[list[str], tuple[torch.Tensor, ...], list[str]]:
    """Typed text -> words (parse_text: the Text tab's checks and messages) -> phonemes (the dictionary, else the
    learned G2P), a pause at both ends and between words, as flite says a word -> (phonemes, X tensors, notices:
    what parse_text changed or skipped, e.g. a text over max_words trimmed)."""
    if voice not in VOICES:
        raise ValueError(f"unknown voice {voice!r}; choose from {', '.join(VOICES)}")
    parsed = parse_text(text, max_words=max_words)
    words = parsed.words
    g2p = g2p or G2P()
    phones = ["pau"]
    for p in g2p.extract(words):
        phones += list(p) + ["pau"]
    setting = torch.tensor([[stretch - 1.0, (f0 - 90.0) / 30.0 if voice == "kal16" else 0.0]])
    return phones, (pad_ids([phones]), torch.tensor([VOICES.index(voice)]), setting), parsed.notices
