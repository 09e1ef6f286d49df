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

import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from .checkpoints import CheckpointError, load_checkpoint, pretrained_path, register_model, save_checkpoint, weights_dir
from .extractors.audio import SpectralRenderer, SpectrogramConfig, log_mel, mel_filterbank, stft_magnitude
from .train import TrainConfig, fit

NAME = "mel_renderer"
# 300 steps of 32 windows of 64 frames (a trial of the smooth-base variant gained only 0.15 dB of training L1
# from 300 more steps); the JSON records the measured training time
TRAIN_THREADS = 1
MEL_RENDERER_TRAIN = TrainConfig(epochs=1000, max_steps=300, batch_size=32, lr=2e-3, warmup_steps=50)


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


@register_model
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
        model, info = load_checkpoint(pretrained_path(name), expect="MelToLinear", device=device)
    except CheckpointError as e:
        raise CheckpointError(f"{e}; (re)create it with: regen-lite train {name}") from e
    return LearnedMelRenderer(model, cfg, info)


# ---------------------------------------------------------------- self-supervised pairs and training

def magnitude_db(y: np.ndarray, cfg: SpectrogramConfig = SpectrogramConfig()) -> np.ndarray:
    """20 log10 |X| with the same floor as log_mel (-100 dB): the training target."""
    return 10.0 * np.log10(np.maximum(stft_magnitude(y, cfg) ** 2, cfg.amin))


def training_pairs(waves, window: int = 64, stride: int = 16, cfg: SpectrogramConfig = SpectrogramConfig()):
    """(extract(y), |STFT(y)|) windows of `window` frames every `stride` frames from each wave:
    mel (S, n_mels, window) and magnitude dB (S, n_freq, window), float32 tensors."""
    mels, mags = [], []
    for y in waves:
        m, s = log_mel(y, cfg), magnitude_db(y, cfg)
        for t in range(0, m.shape[-1] - window + 1, stride):
            mels.append(m[:, t:t + window])
            mags.append(s[:, t:t + window])
    return torch.from_numpy(np.stack(mels)).float(), torch.from_numpy(np.stack(mags)).float()


def evaluate_mel_renderer(model: MelToLinear, split: str = "test", explicit: bool = True,
                          cfg: SpectrogramConfig = SpectrogramConfig()) -> dict:
    """On the shipped clips of `split`: L1 (dB) of the predicted log-magnitude, and LSD / MCD (dB) of the
    Griffin-Lim audio; with explicit=True the same for the explicit pseudo-inverse (the baseline to beat)."""
    from .extractors.audio import MelInverseRenderer, griffin_lim
    from .speech import load_speech_clips
    from .speech_metrics import log_spectral_distance, mel_cepstral_distortion

    renderers = {"": LearnedMelRenderer(model.cpu().eval(), cfg)}
    if explicit:
        renderers["explicit_"] = MelInverseRenderer(cfg)
    rows: dict[str, list] = {}
    clips = load_speech_clips(split)
    for clip in clips:
        y, mel, target = clip.wave, log_mel(clip.wave, cfg), magnitude_db(clip.wave, cfg)
        for prefix, r in renderers.items():
            mag = r.to_magnitude(mel)
            y_hat = griffin_lim(mag, cfg)
            for k, v in (("l1_db", np.abs(10 * np.log10(np.maximum(mag ** 2, cfg.amin)) - target).mean()),
                         ("lsd_db", log_spectral_distance(y_hat, y, cfg)), ("mcd_db", mel_cepstral_distortion(y_hat, y, cfg))):
                rows.setdefault(prefix + k, []).append(float(v))
    return {**{k: round(float(np.mean(v)), 4) for k, v in rows.items()}, "n": len(clips)}


def run_mel_renderer_recipe(recipe, *, epochs=None, device="auto", out_dir=None, resume=False, progress=True,
                            seed=None, max_steps=None, **_) -> tuple[Path, dict]:
    """`regen-lite train mel_renderer`: fit on windows of the train clips, measure train and held-out test
    clips, save OUT/mel_renderer.{safetensors,json} with the metrics. (--data does not apply: the
    speech clips always come from data_samples/speech.)"""
    import json

    from .speech import load_speech_clips, speech_transcripts

    cfg = replace(recipe.train, device=device, progress=progress, **({"epochs": epochs} if epochs else {}),
                  **({"seed": seed} if seed is not None else {}), **({"max_steps": max_steps} if max_steps else {}))
    t_prep = time.perf_counter()
    train_clips = load_speech_clips("train")
    mel, mag = training_pairs([c.wave for c in train_clips])
    prep_seconds = time.perf_counter() - t_prep
    torch.manual_seed(cfg.seed)
    model = recipe.build()
    out_dir = Path(out_dir) if out_dir else weights_dir()
    state = out_dir / ".state" / recipe.name
    # one thread: this net is small, and on a shared CPU two OpenMP threads that wait for each other were
    # 20x slower per step than one (measured: 6.9 s vs 0.33 s at load average 13 on 2 cores)
    threads = torch.get_num_threads()
    torch.set_num_threads(TRAIN_THREADS)
    t0 = time.perf_counter()
    try:
        result = fit(model, (mel, mag), cfg, state_path=state, resume=resume, desc=recipe.name)
    finally:
        torch.set_num_threads(threads)
    wall = time.perf_counter() - t0
    model = result.model.cpu().eval()
    metrics = {"test": evaluate_mel_renderer(model, "test"), "train": evaluate_mel_renderer(model, "train", explicit=False)}
    command = f"regen-lite train {recipe.name}" + (f" --steps {cfg.max_steps}" if cfg.max_steps else f" --epochs {cfg.epochs}")
    command += f" --seed {cfg.seed}" if cfg.seed else ""
    files = [r["file"] for r in speech_transcripts("train")]
    stem = save_checkpoint(
        out_dir / recipe.name, model, model.cfg, metrics=metrics, train_command=command, train_config=asdict(cfg),
        train_seconds=round(result.seconds, 1), wall_seconds=round(wall, 1), prep_seconds=round(prep_seconds, 1),
        steps=result.steps, skipped_steps=result.skipped_steps, history=result.history,
        data={"source": "data_samples/speech", "split": "train", "n_clips": len(files), "n_windows": len(mel),
              "files": files},
        spectrogram=asdict(SpectrogramConfig()), torch=torch.__version__, threads=TRAIN_THREADS,
        notes=recipe.notes,
    )
    for suffix in (".safetensors", ".json"):
        state.with_suffix(suffix).unlink(missing_ok=True)
    return stem, json.loads(stem.with_suffix(".json").read_text())
