"""X -> Y' for the talking head: speech -> the θ track, in two independent parts.

    MouthNet     log-mel (B, 80, 5T) -> mouth (B, T, 3): open, width, round at 25 frames per second, trained on
                 the mouth that the analysis encoder reads off the true frames (Y' = extract(Y): no θ labels)
    PosePrior    head pose and blinks, which carry no information from the audio: slow AR(1) walks and random
                 blinks, their statistics counted from the poses the encoder reads off the training videos.
                 It never hears the audio, so it cannot copy a voice's lean: by construction.
    TalkingPrior both, plus the actor's identity: X = log-mel -> Y' = (B, T, D)

    mouth = MouthNet()(mel)                               # (B, T, 3)
    theta = TalkingPrior(mouth_net, pose_prior).sample(mel, generator=g)    # (B, T, D)
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

from .data import MEL_PER_FRAME
from .render import BLINK, D, IDENTITY, MOUTH, POSE


@dataclass
class AudioConfig:
    n_mels: int = 80
    hidden: int = 128
    out: int = 3                # mouth parameters (MouthNet); the direct model reads the hidden features instead


class AudioTrunk(nn.Module):
    """log-mel (B, 80, 5T) -> features (B, hidden, T) at 25 fps: two convs over 8 ms frames (±32 ms each), an
    average over every 5 (one video frame), one conv over ±1 video frame. Shared by MouthNet and the direct model."""

    def __init__(self, cfg: AudioConfig):
        super().__init__()
        h = cfg.hidden
        self.fine = nn.Sequential(nn.Conv1d(cfg.n_mels, h, 5, padding=2), nn.SiLU(),
                                  nn.Conv1d(h, h, 5, padding=2), nn.SiLU())
        self.coarse = nn.Sequential(nn.Conv1d(h, h, 3, padding=1), nn.SiLU())

    def forward(self, mel: torch.Tensor) -> torch.Tensor:
        h = F.avg_pool1d(self.fine(mel), MEL_PER_FRAME)         # (B, h, T)
        return self.coarse(h)


def masked_mse(pred: torch.Tensor, target: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """Mean squared error over the real frames only. pred, target: (B, T, ...); lengths: (B,)."""
    mask = (torch.arange(pred.shape[1], device=pred.device) < lengths[:, None]).float()       # (B, T)
    per_frame = ((pred - target) ** 2).flatten(2).mean(-1)                                   # (B, T)
    return (per_frame * mask).sum() / mask.sum()


class MouthNet(nn.Module):
    """Speech -> mouth: (B, 80, 5T) -> (B, T, 3) in [0, 1]. Trains on (mel, mouth read by the encoder, lengths)."""

    Config = AudioConfig

    def __init__(self, cfg: AudioConfig = AudioConfig()):
        super().__init__()
        self.cfg = cfg
        self.trunk = AudioTrunk(cfg)
        self.head = nn.Conv1d(cfg.hidden, cfg.out, 1)

    def predict(self, mel: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.head(self.trunk(mel))).transpose(1, 2)          # (B, T, 3)

    def forward(self, mel, mouth, lengths):
        pred = self.predict(mel)
        loss = masked_mse(pred, mouth, lengths)
        return pred, loss, {"mse": loss.detach()}


@dataclass
class PosePriorConfig:
    quantiles: int = 64         # of each clip's mean yaw and roll


class PosePrior(nn.Module):
    """What the audio does not say: yaw, roll, blinks and who it is. Fitted by counting (fit_pose_prior) on the
    θ that the analysis encoder reads off the training videos, no gradient steps:

        lean      each clip's mean (yaw, roll): Q quantiles per dimension, sampled independently
        walk      p_t = m + phi (p_{t-1} - m) + N(0, sigma²), phi and sigma per dimension
        blinks    a blink starts on a frame with probability rate; its shape is the mean of those seen
        identity  the mean identity read off every frame (one actor)
    """

    Config = PosePriorConfig

    def __init__(self, cfg: PosePriorConfig = PosePriorConfig()):
        super().__init__()
        self.cfg = cfg
        quantiles = cfg.quantiles
        self.register_buffer("identity", torch.full((len(IDENTITY),), 0.5))
        self.register_buffer("lean_q", torch.zeros(2, quantiles))     # sorted per-clip means of yaw, roll
        self.register_buffer("phi", torch.full((2,), 0.9))
        self.register_buffer("sigma", torch.full((2,), 0.05))
        self.register_buffer("start_sd", torch.full((2,), 0.1))       # spread of the first frame around the lean
        self.register_buffer("blink_rate", torch.tensor(0.02))
        self.register_buffer("blink_shape", torch.tensor([0.5, 1.0, 0.5]))

    def sample(self, lengths: torch.Tensor, T: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """(B, T, 3): yaw, roll, blink for clips of these lengths (frames past a clip's end repeat its last)."""
        B, Q = len(lengths), self.lean_q.shape[1]
        pick = torch.randint(0, Q, (B, 2), generator=generator)
        m = torch.stack([self.lean_q[0, pick[:, 0]], self.lean_q[1, pick[:, 1]]], 1)    # (B, 2)
        p = m + self.start_sd * torch.randn(B, 2, generator=generator)
        pose = []
        for _ in range(T):
            p = m + self.phi * (p - m) + self.sigma * torch.randn(B, 2, generator=generator)
            pose.append(p.clamp(-1, 1))
        starts = (torch.rand(B, T + 2, generator=generator) < self.blink_rate).float()
        blink = F.conv1d(starts[:, None], self.blink_shape.flip(0).view(1, 1, 3))[:, 0].clamp(max=1)   # (B, T)
        return torch.cat([torch.stack(pose, 1), blink[..., None]], -1)

    def forward(self, *_):
        raise RuntimeError("PosePrior is fitted by counting (fit_pose_prior), not by gradient steps")


@torch.no_grad()
def fit_pose_prior(prior: PosePrior, theta: torch.Tensor, lengths: torch.Tensor) -> PosePrior:
    """Count the statistics of read-back θ tracks (B, T, D) with `lengths` into `prior`. Returns it."""
    tracks = [theta[b, :int(n)] for b, n in enumerate(lengths)]
    means = torch.stack([t[:, POSE].mean(0) for t in tracks])                     # (B, 2)
    Q = prior.lean_q.shape[1]
    prior.lean_q.copy_(torch.quantile(means, (torch.arange(Q) + 0.5) / Q, dim=0).T)
    # phi from the frame-to-frame steps, which do not see a clip's unknown lean m: for an AR(1) walk the steps
    # d_t = p_t - p_{t-1} have lag-1 correlation -(1 - phi) / 2 (regressing on p - mean(p) instead would
    # underestimate phi on clips this short: 0.76 for a true 0.9)
    steps = [t[1:, POSE] - t[:-1, POSE] for t in tracks]
    v = torch.cat(steps).pow(2).mean(0)                                          # Var(d) = 2 g0 (1 - phi)
    c = torch.cat([d[1:] * d[:-1] for d in steps]).mean(0)                       # Cov(d_t, d_t-1)
    prior.phi.copy_((1 + 2 * c / v).clamp(0, 0.99))
    g0 = v / (2 * (1 - prior.phi))                                               # Var(p - m)
    prior.sigma.copy_((g0 * (1 - prior.phi ** 2)).sqrt())
    prior.start_sd.copy_(g0.sqrt())
    prior.identity.copy_(torch.cat([t[:, IDENTITY] for t in tracks]).mean(0))
    blinks = torch.cat([t[:, BLINK] for t in tracks])
    peaks = (blinks[1:-1] > 0.75) & (blinks[1:-1] >= blinks[:-2]) & (blinks[1:-1] > blinks[2:])
    idx = torch.nonzero(peaks).flatten() + 1
    prior.blink_rate.copy_(peaks.sum() / len(blinks))
    if len(idx):
        prior.blink_shape.copy_(torch.stack([blinks[idx - 1], blinks[idx], blinks[idx + 1]], 1).mean(0))
    return prior


class TalkingPrior:
    """X = log-mel -> Y' = the θ track (B, T, D): the mouth from MouthNet; pose, blinks and identity from
    PosePrior."""

    def __init__(self, mouth: MouthNet, pose: PosePrior):
        self.mouth, self.pose = mouth.eval(), pose

    @torch.no_grad()
    def sample(self, mel: torch.Tensor, *, lengths: torch.Tensor | None = None,
               generator: torch.Generator | None = None) -> torch.Tensor:
        mouth = self.mouth.predict(mel)                                             # (B, T, 3)
        B, T, _ = mouth.shape
        lengths = torch.full((B,), T) if lengths is None else lengths
        theta = torch.zeros(B, T, D)
        theta[..., MOUTH] = mouth
        theta[..., POSE + [BLINK]] = self.pose.sample(lengths, T, generator)
        theta[..., IDENTITY] = self.pose.identity
        return theta
