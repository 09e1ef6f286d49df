"""Building blocks shared by the models: a conv encoder/decoder pair (28x28 <-> 7x7) and the
reference Fashion-MNIST classifier used by the metrics.

Shapes are for Fashion-MNIST: Y is (B, 1, 28, 28); a latent map is (B, C, 7, 7).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch.nn as nn
import torch.nn.functional as F


class ResBlock(nn.Module):
    """x + conv(silu(conv(silu(x)))): keeps (B, C, H, W)."""

    def __init__(self, ch: int):
        super().__init__()
        self.conv1 = nn.Conv2d(ch, ch, 3, padding=1)
        self.conv2 = nn.Conv2d(ch, ch, 3, padding=1)

    def forward(self, x):
        return x + self.conv2(F.silu(self.conv1(F.silu(x))))


class Encoder(nn.Module):
    """(B, 1, 28, 28) -> (B, out_ch, 7, 7): two stride-2 convolutions, then residual blocks."""

    def __init__(self, out_ch: int, ch: int = 32, n_res: int = 2, in_ch: int = 1):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(in_ch, ch, 3, padding=1), nn.SiLU(),              # (B, ch, 28, 28)
            nn.Conv2d(ch, 2 * ch, 4, stride=2, padding=1), nn.SiLU(),   # (B, 2ch, 14, 14)
            nn.Conv2d(2 * ch, 2 * ch, 4, stride=2, padding=1),          # (B, 2ch, 7, 7)
            *[ResBlock(2 * ch) for _ in range(n_res)], nn.SiLU(),
            nn.Conv2d(2 * ch, out_ch, 1),                               # (B, out_ch, 7, 7)
        )

    def forward(self, y):
        return self.net(y)


class Decoder(nn.Module):
    """(B, in_ch, 7, 7) -> (B, 1, 28, 28): residual blocks, then two stride-2 transposed convs."""

    def __init__(self, in_ch: int, ch: int = 32, n_res: int = 2, out_ch: int = 1):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(in_ch, 2 * ch, 3, padding=1),                              # (B, 2ch, 7, 7)
            *[ResBlock(2 * ch) for _ in range(n_res)], nn.SiLU(),
            nn.ConvTranspose2d(2 * ch, 2 * ch, 4, stride=2, padding=1), nn.SiLU(),  # (B, 2ch, 14, 14)
            nn.ConvTranspose2d(2 * ch, ch, 4, stride=2, padding=1), nn.SiLU(),      # (B, ch, 28, 28)
            nn.Conv2d(ch, out_ch, 3, padding=1),                                 # (B, 1, 28, 28)
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
