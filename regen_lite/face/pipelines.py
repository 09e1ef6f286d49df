"""The named face pipelines. X = speech (log-mel, (B, 80, 5T)) -> Y' -> Y = video frames (B, T, 1, 48, 48).
Each is one Regenerator; the direct baseline is the same class with the identity extractor (Y' = Y).

    name                  extractor (Y -> Y')   prior (X -> Y')                          renderer (Y' -> Y)
    talking_head          face_params           MouthNet + PosePrior (face_mouth, _pose)  the procedural face
    talking_head_learned  face_params           the same                                  FaceDecoder (learned)
    talking_direct        frames                DirectFaceNet                             identity
    face_analysis         face_params           none: it only reconstructs (Inspect)      the procedural face

    pipe = build_pipeline("talking_head")
    theta, frames = pipe.generate(mel, generator=g)       # (B, T, D), (B, T, 1, 48, 48)
    theta, frames = speech_to_video("talking_head", wave, seed=0)     # (T, D), (T, 1, 48, 48) in [0, 1]
"""

from __future__ import annotations

import numpy as np
import torch

from ..checkpoints import CheckpointError, load_checkpoint, pretrained_path
from ..core import PipelineSpec, Regenerator, RoundTrip
from .data import mel_frames, n_video_frames
from .direct import DirectFaceNet, DirectFacePrior
from .extractors import Frames, load_face_encoder
from .priors import MouthNet, PosePrior, TalkingPrior
from .renderers import FaceDecoder, LearnedRenderer

PIPELINES = {s.name: s for s in [
    PipelineSpec("talking_head", "face", "face_params", "face_mouth", None, {},
                 "speech X -> mouth (MouthNet) + pose and blinks (PosePrior) = θ -> the procedural face -> video",
                 baseline="talking_direct"),
    PipelineSpec("talking_head_learned", "face", "face_params", "face_mouth", "face_decoder", {},
                 "speech X -> θ as in talking_head -> the learned θ -> face decoder -> video",
                 baseline="talking_direct"),
    PipelineSpec("talking_direct", "face", "frames", "face_direct", None, {},
                 "speech X -> video frames with no θ (the direct baseline)", direct=True),
    PipelineSpec("face_analysis", "face", "face_params", None, None, {},
                 "face image Y -> θ (analysis-by-synthesis) -> the procedural face"),
]}
MAX_SECONDS = 4.0           # the longest speech turned into video here (100 frames)


def _load(name: str, cls: type, device="cpu"):
    try:
        return load_checkpoint(pretrained_path(name), cls, device=device)[0]
    except CheckpointError as e:
        raise CheckpointError(f"{e}; (re)create it with: regen-lite train {name}") from e


def build_pipeline(name: str, *, device="cpu") -> Regenerator:
    if name not in PIPELINES:
        raise KeyError(f"unknown face pipeline {name!r}; choose from {', '.join(PIPELINES)}")
    if name == "talking_direct":
        return Regenerator(Frames(), DirectFacePrior(_load("face_direct", DirectFaceNet, device)))
    analysis = load_face_encoder("face_params", device=device)
    if name == "face_analysis":
        return Regenerator(analysis)
    prior = TalkingPrior(_load("face_mouth", MouthNet, device), _load("face_pose", PosePrior, device))
    renderer = LearnedRenderer(_load("face_decoder", FaceDecoder, device)) if name == "talking_head_learned" else None
    return Regenerator(analysis, prior, renderer)


def speech_x(wave: np.ndarray, sr: int = 16_000) -> tuple[torch.Tensor, int]:
    """A 16 kHz wave -> (X = log-mel (1, 80, 5T), T video frames at 25 fps)."""
    if len(wave) > MAX_SECONDS * sr:
        raise ValueError(f"the recording is {len(wave) / sr:.1f} s long; the talking head takes up to {MAX_SECONDS:.0f} s")
    frames = n_video_frames(len(wave), sr)
    return torch.from_numpy(mel_frames(wave, frames))[None].float(), frames


def speech_to_video(name: str, wave: np.ndarray, *, seed: int = 0, pipe: Regenerator | None = None):
    """One wave through a talking-head pipeline. Returns (θ track (T, D) or None for the direct one,
    frames (T, 1, 48, 48))."""
    pipe = pipe or build_pipeline(name)
    x, frames = speech_x(wave)
    y_prime, y = pipe.generate(x, generator=torch.Generator().manual_seed(seed))
    theta = None if PIPELINES[name].direct else y_prime[0, :frames]
    return theta, y[0, :frames].clamp(0, 1)


def round_trip(name: str, y: torch.Tensor, *, pipe: Regenerator | None = None) -> RoundTrip:
    """Face images (B, 1, 48, 48) -> θ -> the procedural face, with the pixel error."""
    pipe = pipe or build_pipeline(name)
    rt = RoundTrip.run(pipe, y)
    mse = ((rt.y_hat - y) ** 2).mean().item()
    rt.metrics = {"mse": round(mse, 5), "psnr": float("inf") if mse == 0 else round(10 * np.log10(1 / mse), 2)}
    rt.notes.append("the face is redrawn from its parameters alone: whatever the procedural face cannot draw is lost")
    return rt

