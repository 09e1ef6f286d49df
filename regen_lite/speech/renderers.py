"""A learned renderer for log-mel Y': a small 1-D conv net mel -> linear magnitude, then Griffin-Lim.

The mel filterbank M pools 257 linear bins into 80 bands, so no rule can undo it exactly. The explicit
inverse P = pinv(M) mel_power is exact where bands are as narrow as bins (below ~1 kHz, where the
pitch harmonics live) but goes negative between harmonics and smears energy higher up. A network
trained self-supervised on (extract(y), |STFT(y)|) pairs from the clips alone (no labels) corrects it:

    base(mel)    = 10 log10 max(P, local mean of P over 5 bins - hole_db)   the explicit inverse, no holes
    log|X|_hat   = base(mel) + D(mel)           D: conv1d stack over time, (B, 80, N) -> (B, 257, N)
    loss         = L1(log|X|_hat, log|X|) + mel_weight L1(10 log10 M |X_hat|^2, mel)      (dB, normalised)

like the image super-resolution renderer (bicubic + a learned detail decoder). The second loss term
asks the rendered spectrum to have the Y' it was rendered from. Why the pinv base: with a smooth base
(each bin the dB-average of the bands covering it; no mel term) a 300-step run reached a lower L1
(3.47 vs 4.56 dB on the held-out clips) but lost the pitch of male voices: pYIN found only 46% of
the voiced frames. L1 rewards the *mean* spectrum, and the mean of harmonics at uncertain places is
flat. Keeping pinv's harmonics in the base keeps the pitch (see benchmarks/speech_representations.md).

Training takes (B, 80, 64)-frame windows of the 48 training clips; the 12 held-out clips are never seen.
Reproduce the shipped weights with `regen-lite train mel_renderer`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from ..checkpoints import CheckpointError, load_checkpoint, pretrained_path
from ..core import Renderer
from .features import SpectrogramConfig, _np, griffin_lim, mel_filterbank, mel_to_magnitude, mfcc_to_log_mel

# ---------------------------------------------------------------- explicit renderers: Y' -> |X| -> Griffin-Lim

class SpectralRenderer(Renderer):
    """Y' -> estimated magnitude |X| (to_magnitude) -> wave (Griffin-Lim). Subclasses define to_magnitude."""

    def __init__(self, cfg: SpectrogramConfig = SpectrogramConfig()):
        self.cfg = cfg

    def to_magnitude(self, y_prime: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def render(self, y_prime, *, generator: torch.Generator | None = None) -> torch.Tensor:
        seed = None if generator is None else int(torch.randint(0, 2**31 - 1, (1,), generator=generator))
        return torch.from_numpy(griffin_lim(self.to_magnitude(_np(y_prime)), self.cfg, seed).astype(np.float32))


class GriffinLimRenderer(SpectralRenderer):
    """|X| is Y' itself: only the phase is missing."""

    def to_magnitude(self, y_prime):
        return np.maximum(y_prime, 0.0)


class MelInverseRenderer(SpectralRenderer):
    def to_magnitude(self, y_prime):
        return mel_to_magnitude(y_prime, self.cfg)


class MFCCInverseRenderer(SpectralRenderer):
    def to_magnitude(self, y_prime):
        return mel_to_magnitude(mfcc_to_log_mel(y_prime, self.cfg), self.cfg)


# ---------------------------------------------------------------- the learned mel renderer

NAME = "mel_renderer"


@dataclass
class MelToLinearConfig:
    n_mels: int = 80        # input bands (log_mel)
    n_freq: int = 257       # output bins (n_fft / 2 + 1)
    ch: int = 64            # conv width
    n_blocks: int = 3       # residual blocks, each two convs
    kernel: int = 5         # frames seen by one conv (5 x 8 ms); receptive field 1 + 2 n_blocks (kernel - 1)
    db_center: float = -40.0  # input/output normalisation: (dB - center) / scale
    db_scale: float = 40.0
    amin: float = 1e-10       # power floor of the base (-100 dB), as in log_mel
    hole_db: float = 10.0     # the base's floor below its local 5-bin mean
    mel_weight: float = 1.0   # weight of the mel-consistency term of the loss


class ResBlock1d(nn.Module):
    def __init__(self, ch: int, kernel: int):
        super().__init__()
        self.conv1 = nn.Conv1d(ch, ch, kernel, padding=kernel // 2)
        self.conv2 = nn.Conv1d(ch, ch, kernel, padding=kernel // 2)

    def forward(self, h):                                       # (B, ch, N) -> (B, ch, N)
        return h + self.conv2(F.gelu(self.conv1(F.gelu(h))))


class MelToLinear(nn.Module):
    """log-mel dB (B, n_mels, N) -> log-magnitude dB (B, n_freq, N), i.e. 20 log10 |X|."""

    Config = MelToLinearConfig

    def __init__(self, cfg: MelToLinearConfig = MelToLinearConfig()):
        super().__init__()
        self.cfg = cfg
        m = mel_filterbank(SpectrogramConfig(n_fft=2 * (cfg.n_freq - 1), n_mels=cfg.n_mels))
        self.register_buffer("mel", torch.tensor(m), persistent=False)                              # M (n_mels, n_freq)
        self.register_buffer("pinv", torch.from_numpy(np.linalg.pinv(m)).float(), persistent=False)  # (n_freq, n_mels)
        self.inp = nn.Conv1d(cfg.n_mels, cfg.ch, cfg.kernel, padding=cfg.kernel // 2)
        self.blocks = nn.Sequential(*[ResBlock1d(cfg.ch, cfg.kernel) for _ in range(cfg.n_blocks)])
        self.out = nn.Conv1d(cfg.ch, cfg.n_freq, 1)
        nn.init.zeros_(self.out.weight)                         # starts as the explicit inverse
        nn.init.zeros_(self.out.bias)

    def base(self, mel_n):
        """The explicit inverse in dB, normalised: P = pinv(M) mel_power, where it is negative or tiny floored
        at hole_db below its local mean over 5 bins (so no bin falls into a -100 dB hole)."""
        c = self.cfg
        p = torch.einsum("fm,bmn->bfn", self.pinv, 10.0 ** ((mel_n * c.db_scale + c.db_center) / 10.0))
        b, f, n = p.shape
        local = F.avg_pool1d(p.clamp_min(0).transpose(1, 2).reshape(b * n, 1, f), 5, 1, 2, count_include_pad=False)
        floor = local.reshape(b, n, f).transpose(1, 2) * 10.0 ** (-c.hole_db / 10.0)
        p = torch.maximum(p, floor).clamp_min(c.amin)
        return (10.0 * torch.log10(p) - c.db_center) / c.db_scale

    def forward_norm(self, mel_n):
        """Normalised log-mel (B, n_mels, N) -> normalised log-magnitude (B, n_freq, N)."""
        return self.base(mel_n) + self.out(F.gelu(self.blocks(self.inp(mel_n))))

    def predict(self, mel_db):
        """log-mel in dB -> 20 log10 |X| in dB."""
        c = self.cfg
        return self.forward_norm((mel_db - c.db_center) / c.db_scale) * c.db_scale + c.db_center

    def forward(self, mel_db, mag_db):
        """loss = L1 on the log-magnitude + mel_weight * L1 between the mel of the prediction and the input mel
        (the rendered spectrum should have the Y' it was rendered from), both in normalised dB."""
        c = self.cfg
        mel_n = (mel_db - c.db_center) / c.db_scale
        pred = self.forward_norm(mel_n)                                         # (B, n_freq, N)
        l1 = F.l1_loss(pred, (mag_db - c.db_center) / c.db_scale)
        power = 10.0 ** ((pred * c.db_scale + c.db_center) / 10.0)              # |X_hat|^2
        mel_again = 10.0 * torch.log10(torch.einsum("mf,bfn->bmn", self.mel, power).clamp_min(c.amin))
        mel_l1 = F.l1_loss((mel_again - c.db_center) / c.db_scale, mel_n)
        loss = l1 + c.mel_weight * mel_l1
        return pred, loss, {"l1_db": l1.item() * c.db_scale, "mel_l1_db": mel_l1.item() * c.db_scale}


class LearnedMelRenderer(SpectralRenderer):
    """log-mel Y' -> MelToLinear -> |X| -> Griffin-Lim."""

    def __init__(self, model: MelToLinear, cfg: SpectrogramConfig = SpectrogramConfig(), info: dict | None = None):
        super().__init__(cfg)
        self.model, self.info = model.eval(), info or {}

    @torch.no_grad()
    def to_magnitude(self, y_prime: np.ndarray) -> np.ndarray:
        p = next(self.model.parameters())
        x = torch.as_tensor(y_prime, dtype=p.dtype, device=p.device)
        lead = x.shape[:-2]
        mag_db = self.model.predict(x.reshape(-1, *x.shape[-2:])).reshape(*lead, self.model.cfg.n_freq, x.shape[-1])
        return (10.0 ** (mag_db / 20.0)).cpu().numpy()


def load_mel_renderer(name: str = NAME, cfg: SpectrogramConfig = SpectrogramConfig(), device="cpu") -> LearnedMelRenderer:
    try:
        model, info = load_checkpoint(pretrained_path(name), MelToLinear, device=device)
    except CheckpointError as e:
        raise CheckpointError(f"{e}; (re)create it with: regen-lite train {name}") from e
    return LearnedMelRenderer(model, cfg, info)


