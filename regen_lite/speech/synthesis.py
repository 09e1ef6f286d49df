"""Text-to-speech as regeneration, FastSpeech-style (Ren et al. 2019): X = phonemes + a voice + its speed and pitch.

    two-stage   X --TTS(output="mel")--> log-mel Y' --mel_renderer, Griffin-Lim--> wave Y
    direct      X --TTS(output="wave")--> wave Y            (the same encoder, durations and regulator)

    phonemes (B, L) ids  + voice (B,) + setting (B, 2)        -> embeddings, summed       (B, L, d)
    -> 3 conv blocks (kernel 5, residual, LayerNorm)           the encoder                 (B, L, d)
    -> duration predictor: 2 conv blocks -> log(1 + d_i)       frames per phoneme          (B, L)
    -> length regulator: phoneme i's vector repeated d_i times (the true d_i in training)  (B, N, d)
       + an embedding of where in its phoneme each frame is (first / middle / last tenth ...)
    -> 4 conv blocks                                           the decoder                 (B, N, d)
    mel:  Linear d -> 80                                       normalised log-mel          (B, 80, N)   L1 loss
    wave: transposed convolutions x4, x4, x8 -> tanh           128 samples per frame       (B, N * 128)
          multi-resolution STFT loss: plain L1 on samples collapses to silence (a wave's phase is unpredictable,
          so the mean of the possible waves is 0); the STFT loss compares magnitudes, a hand-made spectral Y'.

N frames of 8 ms (speech.features: hop 128 at 16 kHz). The two models differ only in the last layers and loss.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..text.lexicon import ARPABET

SYMBOLS = ARPABET + ("pau",)           # CMUdict's 39 phonemes and flite's pause; id 0 pads
VOICES = ("kal16", "awb", "rms")       # the corpus's training flite voices (slt is held out: no TTS voice)
MEL_SHIFT, MEL_SCALE = -40.0, 20.0     # log-mel dB <-> the model's scale: (dB - shift) / scale
HOP = 128                              # samples per mel frame (speech.features.SpectrogramConfig)
POSITION_BINS = 10                     # where in its phoneme a frame is, in tenths


@dataclass
class TTSConfig:
    output: str = "mel"                # "mel": X -> Y' (two-stage); "wave": X -> Y (direct)
    d: int = 128                       # width of every block
    kernel: int = 5                    # conv kernel, in phonemes (encoder) or frames (decoder)
    n_encoder: int = 3                 # conv blocks over phonemes
    n_decoder: int = 4                 # conv blocks over frames
    n_mels: int = 80
    dropout: float = 0.1
    duration_weight: float = 1.0       # loss = output loss + duration_weight * MSE(log(1 + d))


class ConvBlock(nn.Module):
    """x + Dropout(GELU(Conv1d(LayerNorm(x)))) over a sequence (B, T, d), padding zeroed by mask (B, T).
    The mask is applied again after the LayerNorm, which maps a zeroed frame to its bias: else the padding
    would leak into the last frames of a shorter utterance through the convolution."""

    def __init__(self, d: int, kernel: int, dropout: float):
        super().__init__()
        self.ln = nn.LayerNorm(d)
        self.conv = nn.Conv1d(d, d, kernel, padding=kernel // 2)
        self.drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        h = self.conv((self.ln(x) * mask[..., None]).transpose(1, 2)).transpose(1, 2)
        return (x + self.drop(F.gelu(h))) * mask[..., None]


def length_regulate(h: torch.Tensor, durations: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """FastSpeech's length regulator: phoneme i's vector repeated durations[i] times.
    h (B, L, d), durations (B, L) ints >= 0 -> frames (B, N, d) zero-padded, their lengths (B,), and where in its
    phoneme each frame is, in tenths (B, N) (0 at padding)."""
    lengths = durations.sum(1)                                                   # (B,) N_b
    n = max(1, int(lengths.max()))
    ends = torch.cumsum(durations, 1)                                            # (B, L) last frame + 1 of each
    t = torch.arange(n, device=h.device).expand(h.shape[0], n).contiguous()      # (B, N) frame numbers
    idx = torch.searchsorted(ends, t, right=True).clamp(max=h.shape[1] - 1)      # (B, N) the phoneme of a frame
    ok = t < lengths[:, None]
    frames = torch.gather(h, 1, idx[..., None].expand(-1, -1, h.shape[2])) * ok[..., None]
    d = torch.gather(durations, 1, idx).clamp(min=1)                             # its duration
    start = torch.gather(ends - durations, 1, idx)                               # its first frame
    where = ((t - start) * POSITION_BINS // d).clamp(0, POSITION_BINS - 1) * ok
    return frames, lengths, where


def stft_loss(y_hat: torch.Tensor, y: torch.Tensor,
              resolutions: Sequence[tuple[int, int]] = ((512, 128), (1024, 256), (256, 64))) -> torch.Tensor:
    """Multi-resolution STFT loss (Yamamoto et al. 2020, Parallel WaveGAN eq. 4-6) of waves (B, T), averaged over
    resolutions (n_fft, hop): spectral convergence ||S - S_hat||_F / ||S||_F plus mean |log S - log S_hat|."""
    total = 0.0
    for n_fft, hop in resolutions:
        window = torch.hann_window(n_fft, device=y.device)
        s = torch.stft(y, n_fft, hop, window=window, return_complex=True).abs().clamp(min=1e-5)
        s_hat = torch.stft(y_hat, n_fft, hop, window=window, return_complex=True).abs().clamp(min=1e-5)
        total = total + torch.linalg.norm(s - s_hat) / torch.linalg.norm(s) + (s.log() - s_hat.log()).abs().mean()
    return total / len(resolutions)


class TextToSpeech(nn.Module):
    """X (phonemes, voice, setting) -> log-mel (output="mel") or wave (output="wave"). The Prior role for the
    two-stage pipeline (X -> Y'), or the whole direct model (X -> Y)."""

    Config = TTSConfig

    def __init__(self, cfg: TTSConfig = TTSConfig()):
        super().__init__()
        if cfg.output not in ("mel", "wave"):
            raise ValueError(f"output must be 'mel' or 'wave', not {cfg.output!r}")
        self.cfg = cfg
        d = cfg.d
        self.symbol = nn.Embedding(len(SYMBOLS) + 1, d, padding_idx=0)
        self.voice = nn.Embedding(len(VOICES), d)
        self.setting = nn.Linear(2, d)                   # (stretch - 1, (f0 - 90) / 30): speed and pitch
        self.encoder = nn.ModuleList([ConvBlock(d, cfg.kernel, cfg.dropout) for _ in range(cfg.n_encoder)])
        self.duration = nn.ModuleList([ConvBlock(d, 3, cfg.dropout) for _ in range(2)])
        self.duration_out = nn.Linear(d, 1)
        self.where = nn.Embedding(POSITION_BINS, d)
        self.decoder = nn.ModuleList([ConvBlock(d, cfg.kernel, cfg.dropout) for _ in range(cfg.n_decoder)])
        self.ln = nn.LayerNorm(d)
        if cfg.output == "mel":
            self.out = nn.Linear(d, cfg.n_mels)
        else:                                            # 128 samples per frame: x4, x4, x8
            self.up = nn.ModuleList([nn.ConvTranspose1d(d, 64, 8, stride=4, padding=2),
                                     nn.ConvTranspose1d(64, 32, 8, stride=4, padding=2),
                                     nn.ConvTranspose1d(32, 16, 16, stride=8, padding=4)])
            self.out = nn.Conv1d(16, 1, 7, padding=3)

    def encode(self, phonemes: torch.Tensor, voice: torch.Tensor, setting: torch.Tensor):
        """(B, L) ids, (B,), (B, 2) -> phoneme vectors (B, L, d), mask (B, L), predicted log(1 + d_i) (B, L)."""
        mask = (phonemes > 0).float()
        h = (self.symbol(phonemes) + self.voice(voice)[:, None] + self.setting(setting.float())[:, None]) * mask[..., None]
        for block in self.encoder:
            h = block(h, mask)
        g = h
        for block in self.duration:
            g = block(g, mask)
        return h, mask, self.duration_out(g).squeeze(-1) * mask

    def decode(self, h: torch.Tensor, durations: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Phoneme vectors (B, L, d) and frames per phoneme (B, L) -> the output and the frames (B,):
        mel (B, n_mels, N) in the model's scale, or wave (B, N * 128)."""
        frames, lengths, where = length_regulate(h, durations)
        mask = (torch.arange(frames.shape[1], device=h.device)[None] < lengths[:, None]).float()
        x = (frames + self.where(where)) * mask[..., None]
        for block in self.decoder:
            x = block(x, mask)
        x = self.ln(x) * mask[..., None]
        if self.cfg.output == "mel":
            return self.out(x).transpose(1, 2), lengths
        x, m = x.transpose(1, 2), mask                                       # (B, d, N), (B, N)
        for up in self.up:                   # each step: (B, C, T) -> (B, C', T * stride), padding zeroed again
            m = m.repeat_interleave(up.stride[0], dim=1)
            x = F.leaky_relu(up(x), 0.2) * m[:, None]
        wave = torch.tanh(self.out(x)).squeeze(1)                           # (B, N * 128)
        return wave * m, lengths

    def forward(self, phonemes, voice, setting, durations, target, frames):
        """The training step, with the true durations (teacher forcing): (output, loss, stats).
        target: mel (B, n_mels, N) in the model's scale, or wave (B, N * 128); frames (B,) true lengths."""
        h, mask, log_d = self.encode(phonemes, voice, setting)
        durations = durations.long()
        y_hat, _ = self.decode(h, durations)
        n = y_hat.shape[-1]
        target = target[..., :n].float()
        dur_loss = ((log_d - torch.log1p(durations.float())) ** 2 * mask).sum() / mask.sum()
        if self.cfg.output == "mel":
            ok = (torch.arange(n, device=y_hat.device)[None] < frames[:, None]).float()[:, None]   # (B, 1, N)
            out_loss = ((y_hat - target).abs() * ok).sum() / (ok.sum() * y_hat.shape[1])
        else:
            out_loss = stft_loss(y_hat, target)
        loss = out_loss + self.cfg.duration_weight * dur_loss
        return y_hat, loss, {"output_loss": out_loss.item(), "duration_loss": dur_loss.item()}

    def predict_durations(self, log_d: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """log(1 + d) -> whole frames, at least 1 per phoneme (B, L)."""
        return (torch.expm1(log_d).round().clamp(min=1) * mask).long()

    @torch.no_grad()
    def durations(self, phonemes: torch.Tensor, voice: torch.Tensor, setting: torch.Tensor) -> torch.Tensor:
        """X -> the predicted frames per phoneme (B, L), 0 at padding."""
        self.eval()
        _, mask, log_d = self.encode(phonemes, voice, setting)
        return self.predict_durations(log_d, mask)

    @torch.no_grad()
    def synthesize(self, phonemes: torch.Tensor, voice: torch.Tensor, setting: torch.Tensor,
                   durations: torch.Tensor | None = None) -> tuple[list, torch.Tensor]:
        """X -> one output per item, trimmed to its length: log-mel in dB (n_mels, N_b), or a wave (N_b * 128,);
        and the durations used (B, L): the predicted ones, or `durations` (the oracle) when given."""
        self.eval()
        h, mask, log_d = self.encode(phonemes, voice, setting)
        d = self.predict_durations(log_d, mask) if durations is None else durations.long()
        y, lengths = self.decode(h, d)
        if self.cfg.output == "mel":
            return [y[b, :, :int(n)] * MEL_SCALE + MEL_SHIFT for b, n in enumerate(lengths)], d
        return [y[b, :int(n) * HOP] for b, n in enumerate(lengths)], d

    def sample(self, x: Sequence[torch.Tensor], *, generator: torch.Generator | None = None) -> torch.Tensor:
        """The Prior role, X -> Y' for one utterance: x = (phonemes (1, L), voice (1,), setting (1, 2)) ->
        its log-mel in dB (n_mels, N) or its wave (N * 128,), with the predicted durations (`generator` unused)."""
        if x[0].shape[0] != 1:
            raise ValueError(f"sample takes one utterance, not a batch of {x[0].shape[0]}: use synthesize")
        return self.synthesize(*x)[0][0]
