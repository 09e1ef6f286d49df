"""Building blocks shared by the models: a conv encoder/decoder pair (28x28 <-> 7x7) and the
reference Fashion-MNIST classifier used by the metrics.

Shapes are for Fashion-MNIST: Y is (B, 1, 28, 28); a latent map is (B, C, 7, 7).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch.nn as nn
import torch.nn.functional as F


class ResBlock(nn.Module):
    """x + conv(relu(conv(relu(x)))): keeps (B, C, H, W)."""

    def __init__(self, ch: int):
        super().__init__()
        self.conv1 = nn.Conv2d(ch, ch, 3, padding=1)
        self.conv2 = nn.Conv2d(ch, ch, 3, padding=1)

    def forward(self, x):
        return x + self.conv2(F.relu(self.conv1(F.relu(x))))


class Encoder(nn.Module):
    """(B, 1, 28, 28) -> (B, out_ch, 7, 7): two stride-2 4x4 convolutions, then residual blocks at 7x7.

    No convolution runs at the full 28x28: the first one already strides, so the wide feature maps are
    14x14 and 7x7. On a CPU that is what sets the speed: an earlier version opened with a 3x3 conv of 32
    channels at 28x28 and closed the decoder with one, and trained at 0.27x the images per second of the
    classic conv autoencoder (benchmarks/peers.py); this shape is the classic one. ReLU, not SiLU: at this
    size ReLU learns faster (500 steps of the ae recipe's loop: 23.7 dB test PSNR against 22.0)."""

    def __init__(self, out_ch: int, ch: int = 64, n_res: int = 0, in_ch: int = 1):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(in_ch, ch, 4, stride=2, padding=1), nn.ReLU(),    # (B, ch, 14, 14)
            nn.Conv2d(ch, ch, 4, stride=2, padding=1),                  # (B, ch, 7, 7)
            *[ResBlock(ch) for _ in range(n_res)], nn.ReLU(),
            nn.Conv2d(ch, out_ch, 1),                                   # (B, out_ch, 7, 7)
        )

    def forward(self, y):
        return self.net(y)


class Decoder(nn.Module):
    """(B, in_ch, 7, 7) -> (B, 1, 28, 28): residual blocks at 7x7, then two stride-2 transposed convs,
    the last one straight to the output channels (again nothing wide at 28x28)."""

    def __init__(self, in_ch: int, ch: int = 64, n_res: int = 0, out_ch: int = 1):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(in_ch, ch, 3, padding=1),                                  # (B, ch, 7, 7)
            *[ResBlock(ch) for _ in range(n_res)], nn.ReLU(),
            nn.ConvTranspose2d(ch, ch, 4, stride=2, padding=1), nn.ReLU(),       # (B, ch, 14, 14)
            nn.ConvTranspose2d(ch, out_ch, 4, stride=2, padding=1),              # (B, 1, 28, 28)
        )

    def forward(self, z):
        return self.net(z)


@dataclass
class ClassifierConfig:
    ch: int = 32          # channels of the first block (doubled twice)
    n_classes: int = 10
    dropout: float = 0.3  # before the last layer


class Classifier(nn.Module):
    """Reference Fashion-MNIST classifier. Its penultimate features (4ch = 128 numbers) define the
    Frechet distance in metrics.py, the kit's small, domain-specific stand-in for Inception/FID."""

    Config = ClassifierConfig

    def __init__(self, cfg: ClassifierConfig = ClassifierConfig()):
        super().__init__()
        self.cfg = cfg
        c = cfg.ch

        def block(i, o):
            return nn.Sequential(nn.Conv2d(i, o, 3, padding=1), nn.BatchNorm2d(o), nn.ReLU(),
                                 nn.Conv2d(o, o, 3, padding=1), nn.BatchNorm2d(o), nn.ReLU())

        self.features = nn.Sequential(
            block(1, c), nn.MaxPool2d(2),          # (B, c, 14, 14)
            block(c, 2 * c), nn.MaxPool2d(2),      # (B, 2c, 7, 7)
            block(2 * c, 4 * c),                   # (B, 4c, 7, 7)
            nn.AdaptiveAvgPool2d(1), nn.Flatten(),  # (B, 4c)
        )
        self.head = nn.Sequential(nn.Dropout(cfg.dropout), nn.Linear(4 * c, cfg.n_classes))
        self.num_features = 4 * c

    def forward(self, y, labels=None):
        """y: (B, 1, 28, 28) in [0, 1] -> (logits (B, 10), loss or None, stats)."""
        logits = self.head(self.features(y - 0.5))
        if labels is None:
            return logits, None, {}
        loss = F.cross_entropy(logits, labels)
        return logits, loss, {"acc": (logits.argmax(1) == labels).float().mean().item()}

    def embed(self, y):
        """Penultimate features (B, 128) for the Frechet distance."""
        return self.features(y - 0.5)
