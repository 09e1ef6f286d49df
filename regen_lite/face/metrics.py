"""Measures of generated talking-head videos, all read back through the analysis encoder (analysis.py):

    lip_sync       Pearson correlation, over every frame of every clip, between the mouth opening the encoder
                   reads off the generated frames and the true opening (the viseme track)
    mouth_mae      mean |read-back open, width, round - true|
    pose_leakage   how much of the training tie "voice A leans left, B right" the output still carries when the
                   test lean is independent of the voice: the mean read-back roll of each clip, times -1 for
                   voice A and +1 for voice B, averaged and divided by the lean (0.6). 1: the output leans
                   exactly as the voice did in training; 0: no trace of the voice in the pose
    roll_follows   the same with the clip's *true* lean instead of the voice's: 1 = the pose of the real video
    frechet        Fréchet distance between the encoder's 128-d features of generated and of true frames
                   (torchmetrics' FrechetInceptionDistance with the encoder as its feature network)
    parameter recovery (still faces): mean |θ̂ - θ| per group of parameters

    m = video_metrics(encoder, frames, talk)      # frames: (N, T, 1, 48, 48), talk: the TalkingSet they are for
"""

from __future__ import annotations

import torch

from .analysis import FaceEncoder
from .data import LEAN, TalkingSet
from .render import BLINK, IDENTITY, MOUTH, POSE, SIZE, render

GROUPS = {"mouth": MOUTH, "pose": POSE, "blink": [BLINK], "identity": IDENTITY}


def recovery_errors(theta_hat: torch.Tensor, theta: torch.Tensor) -> dict[str, float]:
    """Mean absolute error of each group of parameters (and all of them): (N, D), (N, D) -> {group: mae}."""
    err = (theta_hat - theta).abs()
    out = {g: round(err[:, idx].mean().item(), 4) for g, idx in GROUPS.items()}
    out["all"] = round(err.mean().item(), 4)
    return out


class _Features(torch.nn.Module):
    """The encoder as torchmetrics' feature extractor: (N, 1, 48, 48) in [0, 1] -> (N, hidden)."""

    def __init__(self, encoder: FaceEncoder):
        super().__init__()
        self.encoder = encoder.eval()
        self.num_features = encoder.cfg.hidden

    def forward(self, x):
        return self.encoder.features(x.float())


@torch.no_grad()
def frechet(encoder: FaceEncoder, real: torch.Tensor, fake: torch.Tensor, batch_size: int = 1000) -> float:
    """Fréchet distance ||mu_r - mu_f||² + Tr(S_r + S_f - 2 (S_r S_f)^½) in the encoder's feature space."""
    from torchmetrics.image.fid import FrechetInceptionDistance   # here: it takes seconds to import
    fid = FrechetInceptionDistance(feature=_Features(encoder), normalize=True, input_img_size=(1, SIZE, SIZE))
    for x, is_real in ((real, True), (fake, False)):
        for i in range(0, len(x), batch_size):
            fid.update(x[i:i + batch_size], real=is_real)
    return fid.compute().item()


def pearson(a: torch.Tensor, b: torch.Tensor) -> float:
    """Pearson correlation of two (N,) tensors (0 when one of them is constant)."""
    a, b = a - a.mean(), b - b.mean()
    return (a * b).sum().item() / max(1e-12, (a.norm() * b.norm()).item())


@torch.no_grad()
def video_metrics(encoder: FaceEncoder, frames: torch.Tensor, talk: TalkingSet) -> dict[str, float]:
    """Lip sync, mouth error, pose leakage and Fréchet distance of generated `frames` (N, T, 1, 48, 48) for the
    clips of `talk` (only each clip's first lengths[i] frames count)."""
    mask = talk.mask()                                                           # (N, T)
    real = frames[mask]                                                          # (F, 1, 48, 48)
    theta_hat = torch.cat([encoder.encode(real[i:i + 1000]) for i in range(0, len(real), 1000)])   # (F, D)
    truth = talk.theta[mask]
    sign = talk.voice.float() * 2 - 1                                            # -1 voice A, +1 voice B
    clip = torch.repeat_interleave(torch.arange(len(talk)), talk.lengths)        # the clip of each frame
    roll = torch.zeros(len(talk)).index_add_(0, clip, theta_hat[:, POSE[1]]) / talk.lengths
    true_frames = torch.cat([render(talk.theta[i, :int(n)]) for i, n in enumerate(talk.lengths)])
    return {
        "lip_sync": round(pearson(theta_hat[:, MOUTH[0]], truth[:, MOUTH[0]]), 4),
        "mouth_mae": round((theta_hat[:, MOUTH] - truth[:, MOUTH]).abs().mean().item(), 4),
        "pose_leakage": round((roll * sign).mean().item() / LEAN, 4),
        "roll_follows": round((roll * torch.sign(talk.lean)).mean().item() / LEAN, 4),
        "frechet": round(frechet(encoder, true_frames, real), 4),
        "frames": int(mask.sum()),
    }
