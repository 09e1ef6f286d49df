"""The direct baseline X -> Y: speech -> video frames with no θ in between.

The same audio trunk as MouthNet (priors.py) turns log-mel into one feature vector per video frame, and the same
ConvDecoder as the learned renderer (renderers.py) draws each frame from it: the two pipelines differ only in
what passes between the ears and the pixels (3 mouth numbers + a pose prior, or a 128-d learned feature).

It learns from pixels alone, so it must learn the head pose from the audio too. Nothing in the audio says where
the head is, except, in training, the voice (voice A leans left, B right): a spurious correlation it is free to
fit. At test the lean no longer follows the voice, and metrics.pose_leakage measures how much it still does.

    model = DirectFaceNet()
    frames = model.generate(mel)                        # (B, 80, 5T) -> (B, T, 1, 48, 48)
    _, loss, stats = model(mel, theta, lengths)         # training: 6 frames a clip, drawn from theta
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

from .priors import AudioConfig, AudioTrunk
from .render import SIZE, render
from .renderers import ConvDecoder, DecoderConfig


@dataclass
class DirectConfig:
    n_mels: int = 80
    hidden: int = 128           # the audio trunk's features per video frame (MouthNet's too)
    dec_hidden: int = 256       # the ConvDecoder's (FaceDecoder's too)
    channels: int = 16
    frames_per_clip: int = 6    # frames decoded per clip and training step (decoding all 36 costs 6x the time)


class DirectFaceNet(nn.Module):
    Config = DirectConfig

    def __init__(self, cfg: DirectConfig = DirectConfig()):
        super().__init__()
        self.cfg = cfg
        self.trunk = AudioTrunk(AudioConfig(cfg.n_mels, cfg.hidden))
        self.decoder = ConvDecoder(DecoderConfig(cfg.hidden, cfg.dec_hidden, cfg.channels))

    def generate(self, mel: torch.Tensor) -> torch.Tensor:
        h = self.trunk(mel).transpose(1, 2)                    # (B, T, hidden)
        B, T, H = h.shape
        return self.decoder(h.reshape(B * T, H)).reshape(B, T, 1, SIZE, SIZE)

    def forward(self, mel, theta, lengths):
        h = self.trunk(mel).transpose(1, 2)                    # (B, T, hidden): the trunk hears the whole clip
        B, T, H = h.shape
        K = self.cfg.frames_per_clip                           # ... and K frames of each clip are drawn per step
        idx = (torch.rand(B, K, device=mel.device) * lengths[:, None]).long()            # (B, K) real frames
        with torch.no_grad():       # the true frames: the dataset keeps each video as the θ track that drew it
            y = render(theta.gather(1, idx[..., None].expand(-1, -1, theta.shape[-1])))   # (B, K, 1, 48, 48)
        picked = h.gather(1, idx[..., None].expand(-1, -1, H))                            # (B, K, hidden)
        y_hat = self.decoder(picked.reshape(B * K, H)).reshape(y.shape)   # the model sees audio and pixels only
        loss = F.mse_loss(y_hat, y)
        return y_hat, loss, {"mse": loss.detach()}


class DirectFacePrior:
    """The direct pipeline's X -> Y' with Y' = Y (the identity extractor): the frames themselves."""

    def __init__(self, model: DirectFaceNet):
        self.model = model.eval()

    @torch.no_grad()
    def sample(self, mel: torch.Tensor, *, lengths: torch.Tensor | None = None,
               generator: torch.Generator | None = None) -> torch.Tensor:
        return self.model.generate(mel)
