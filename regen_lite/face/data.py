"""The face data, all drawn by rule from the procedural face (render.py); nothing here is a recording of a face.

1. Still faces for face analysis: θ uniform in its ranges (every identity, pose, mouth and blink), rendered.

       theta, images = still_faces("train")        # (20000, D), (20000, 1, 48, 48); "test": 1,000 others

2. Talking faces for speech -> video, one per clip of the spoken-word corpus (its flite phones and their end
   times). One actor (a fixed identity); at 25 frames per second:

       mouth   the phone under each frame through a viseme table (open, width, round), smoothed over ±2 frames
               (coarticulation: the lips move towards the next sound before it starts)
       pose    yaw and roll as slow independent random walks: they carry no information from the audio ...
       blink   random blinks, about one every 2 s, 3 frames long
       ... except for the SPURIOUS TIE: in training, voice A (kal16) leans left and voice B (awb) right
       (roll around -0.6 and +0.6). At test the lean is drawn independently of the voice: a model that learned
       "voice -> tilt" is caught by it (metrics.pose_leakage).

       talk = talking_faces("train")               # TalkingSet: mel, theta, lengths, voice, lean, clips
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch
import torch.nn.functional as F

from ..speech.features import log_mel
from ..speech.synthesis import MEL_SCALE, MEL_SHIFT
from ..speech.synthesis_data import clip_phonemes
from ..speech.words import WordClip, load_waves, word_clips
from .render import BLINK, D, IDENTITY, MOUTH, NEUTRAL, POSE, SIGNED, render

FPS = 25
MEL_PER_FRAME = 5                   # 125 mel frames per second (8 ms hop) / 25 video frames per second
VOICE_A, VOICE_B = "kal16", "awb"   # the two talkers; A leans left, B right, in training
LEAN = 0.6                          # |mean roll| of a lean
ACTOR = NEUTRAL[IDENTITY]           # the one identity of the talking-head task
SPLITS = {"train": "train", "test": "unheard"}     # corpus split of each: the test words are never heard
STILL = {"train": (20_000, 0), "test": (1_000, 1)}  # (faces, seed)

# (open, width, round) per phoneme: a viseme table in the spirit of the MPEG-4 visemes, by hand
_V = {"closed": (0.0, 0.45, 0.15), "f": (0.12, 0.5, 0.0), "th": (0.25, 0.55, 0.0), "t": (0.3, 0.55, 0.05),
      "sh": (0.3, 0.35, 0.7), "k": (0.4, 0.5, 0.1), "r": (0.3, 0.35, 0.5), "w": (0.15, 0.2, 0.9)}
VISEMES = {
    "pau": (0.05, 0.45, 0.1), **{p: _V["closed"] for p in ("P", "B", "M")}, **{p: _V["f"] for p in ("F", "V")},
    **{p: _V["th"] for p in ("TH", "DH")}, **{p: _V["t"] for p in ("T", "D", "N", "L", "S", "Z")},
    **{p: _V["sh"] for p in ("SH", "ZH", "CH", "JH")}, **{p: _V["k"] for p in ("K", "G", "NG", "HH", "Y")},
    "R": _V["r"], "W": _V["w"],
    "AA": (0.95, 0.5, 0.1), "AE": (0.8, 0.7, 0.0), "AH": (0.65, 0.5, 0.1), "AO": (0.75, 0.35, 0.6),
    "AW": (0.8, 0.4, 0.5), "AY": (0.85, 0.6, 0.05), "EH": (0.6, 0.65, 0.0), "ER": (0.4, 0.4, 0.5),
    "EY": (0.5, 0.7, 0.0), "IH": (0.4, 0.7, 0.0), "IY": (0.3, 0.8, 0.0), "OW": (0.6, 0.3, 0.8),
    "OY": (0.6, 0.35, 0.7), "UH": (0.4, 0.3, 0.75), "UW": (0.3, 0.2, 0.95),
}
SMOOTH = np.array([1, 2, 3, 2, 1], dtype=np.float32) / 9     # the coarticulation kernel over ±2 frames


def random_theta(n: int, generator: torch.Generator) -> torch.Tensor:
    """n faces with θ uniform in its ranges: (n, D)."""
    t = torch.rand(n, D, generator=generator)
    return torch.where(SIGNED, 2 * t - 1, t)


@lru_cache(maxsize=2)
def still_faces(split: str = "train") -> tuple[torch.Tensor, torch.Tensor]:
    """(θ (N, D), images (N, 1, 48, 48)) of the still-face split: 20,000 train, 1,000 test, fixed seeds."""
    n, seed = STILL[split]
    theta = random_theta(n, torch.Generator().manual_seed(seed))
    with torch.no_grad():
        return theta, torch.cat([render(theta[i:i + 2000]) for i in range(0, n, 2000)])


def n_video_frames(samples: int, sr: int = 16_000) -> int:
    return max(1, int(np.ceil(samples / sr * FPS)))


def mouth_track(clip: WordClip, frames: int) -> np.ndarray:
    """(frames, 3) open/width/round: the viseme of the phone under each frame's centre, smoothed."""
    phones, ends = clip_phonemes(clip), np.asarray(clip.phone_ends)
    centres = (np.arange(frames) + 0.5) / FPS
    idx = np.minimum(np.searchsorted(ends, centres), len(phones) - 1)
    raw = np.array([VISEMES.get(phones[i], VISEMES["pau"]) for i in idx], dtype=np.float32)
    padded = np.pad(raw, ((2, 2), (0, 0)), mode="edge")
    return np.stack([np.convolve(padded[:, k], SMOOTH, mode="valid") for k in range(3)], axis=1)


def pose_walk(frames: int, lean: float, rng: np.random.Generator) -> np.ndarray:
    """(frames, 2) yaw, roll: AR(1) walks p_t = m + 0.9 (p_{t-1} - m) + N(0, s); yaw around 0, roll around lean."""
    means, sd = np.array([0.0, lean]), np.array([0.08, 0.05])
    out, p = np.zeros((frames, 2), np.float32), means + rng.normal(0, [0.3, 0.15])
    for t in range(frames):
        p = means + 0.9 * (p - means) + rng.normal(0, sd)
        out[t] = np.clip(p, -1, 1)
    return out


def blink_track(frames: int, rng: np.random.Generator) -> np.ndarray:
    """(frames,) eye closure: blinks start with probability 1/50 per frame and go 0.5, 1, 0.5."""
    out = np.zeros(frames + 3, np.float32)
    for t in np.flatnonzero(rng.random(frames) < 1 / 50):
        out[t:t + 3] = np.maximum(out[t:t + 3], [0.5, 1.0, 0.5])
    return out[:frames]


def clip_lean(clip: WordClip, tied: bool, rng: np.random.Generator) -> float:
    """The mean roll of a clip: tied to the voice in training, a coin flip at test."""
    if tied:
        return -LEAN if clip.voice == VOICE_A else LEAN
    return float(rng.choice([-LEAN, LEAN]))


def talking_theta(clip: WordClip, frames: int, lean: float, rng: np.random.Generator) -> np.ndarray:
    """(frames, D): the θ track of one clip, the actor's identity throughout."""
    theta = np.zeros((frames, D), np.float32)
    theta[:, MOUTH] = mouth_track(clip, frames)
    theta[:, POSE] = pose_walk(frames, lean, rng)
    theta[:, BLINK] = blink_track(frames, rng)
    theta[:, IDENTITY] = ACTOR.numpy()
    return theta


def mel_frames(wave: np.ndarray, frames: int) -> np.ndarray:
    """(80, 5 * frames) log-mel on the model's scale, cut or padded with silence to 5 mel frames per video frame."""
    m = (log_mel(wave) - MEL_SHIFT) / MEL_SCALE
    n = MEL_PER_FRAME * frames
    return np.pad(m[:, :n], ((0, 0), (0, max(0, n - m.shape[1]))), constant_values=float(m.min()))[:, :n]


@dataclass
class TalkingSet:
    mel: torch.Tensor           # (N, 80, 5 T) log-mel, padded
    theta: torch.Tensor         # (N, T, D) the true θ track, padded with the last frame
    lengths: torch.Tensor       # (N,) video frames of each clip
    voice: torch.Tensor         # (N,) 0 voice A, 1 voice B
    lean: torch.Tensor          # (N,) the clip's mean roll
    clips: list[WordClip]

    def __len__(self) -> int:
        return len(self.clips)

    def mask(self) -> torch.Tensor:
        """(N, T) True on real frames."""
        return torch.arange(self.theta.shape[1]) < self.lengths[:, None]

    def frames(self, i: int) -> torch.Tensor:
        """The true video of clip i: (T_i, 1, 48, 48)."""
        with torch.no_grad():
            return render(self.theta[i, :int(self.lengths[i])])


def talking_clips(split: str = "train", limit: int | None = None) -> list[WordClip]:
    """The flite clips of voices A and B in the corpus split behind `split` (train: 3,000; test: 193 unheard)."""
    clips = [c for c in word_clips(SPLITS[split], voices=(VOICE_A, VOICE_B)) if c.phone_ends]
    return clips[:limit] if limit else clips


@lru_cache(maxsize=4)
def talking_tracks(split: str = "train", limit: int | None = None) -> tuple[list[WordClip], list[int], list[float], list[np.ndarray]]:
    """(clips, video frames, lean, θ track (T_i, D)) of every clip of `split`, read from the corpus index alone
    (no audio): with the tie in training, independent leans at test (seeded)."""
    clips = talking_clips(split, limit)
    rng = np.random.default_rng({"train": 10, "test": 11}[split])
    lengths, leans, tracks = [], [], []
    for c in clips:
        n, lean = n_video_frames(c.frames), clip_lean(c, split == "train", rng)
        lengths.append(n)
        leans.append(lean)
        tracks.append(talking_theta(c, n, lean, rng))
    return clips, lengths, leans, tracks


@lru_cache(maxsize=4)
def talking_faces(split: str = "train", limit: int | None = None) -> TalkingSet:
    """talking_tracks, padded, with the log-mel of every clip's audio."""
    clips, lengths, leans, tracks = talking_tracks(split, limit)
    T = max(lengths)
    mel = torch.zeros(len(clips), 80, MEL_PER_FRAME * T)
    theta = torch.zeros(len(clips), T, D)
    for i, (w, n, th) in enumerate(zip(load_waves(clips), lengths, tracks)):
        th = torch.from_numpy(th)
        m = torch.from_numpy(mel_frames(w, n))
        mel[i] = F.pad(m, (0, MEL_PER_FRAME * (T - n)), value=float(m.min()))
        theta[i] = torch.cat([th, th[-1:].expand(T - n, D)])
    voice = torch.tensor([int(c.voice == VOICE_B) for c in clips])
    return TalkingSet(mel, theta, torch.tensor(lengths), voice, torch.tensor(leans), clips)
