"""Frames (and the speech under them) -> an .mp4 a browser plays: H.264 video and AAC audio, written by PyAV,
whose wheels bundle FFmpeg (nothing is downloaded or called outside Python).

    write_mp4("out.mp4", frames, wave)             # frames (T, 1, 48, 48) in [0, 1] at 25 fps; wave 16 kHz
    side_by_side([two_stage, direct])              # (T, 1, 48, 48) each -> (T, 1, 48, 96 + gap)
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import torch
import torch.nn.functional as F

from .data import FPS


def side_by_side(videos: list[torch.Tensor], gap: int = 4) -> torch.Tensor:
    """Videos of equal length (T, 1, H, W) next to each other with a white gap: (T, 1, H, n W + (n - 1) gap)."""
    T, _, H, _ = videos[0].shape
    white = torch.ones(T, 1, H, gap)
    parts = [v.clamp(0, 1) for v in videos]
    return torch.cat([p for v in parts for p in (v, white)][:-1], dim=3)


def write_mp4(path: str | Path, frames: torch.Tensor, wave: np.ndarray | None = None, sr: int = 16_000,
              scale: int = 4, fps: int = FPS) -> Path:
    """Write frames (T, 1, H, W) in [0, 1], upscaled `scale` times (nearest pixels: the model's real resolution
    stays visible), as H.264 at `fps`, with `wave` as AAC audio if given. Returns the path."""
    path = Path(path)
    x = F.interpolate(frames.float().clamp(0, 1), scale_factor=scale, mode="nearest")      # (T, 1, sH, sW)
    h, w = x.shape[-2] + x.shape[-2] % 2, x.shape[-1] + x.shape[-1] % 2                    # yuv420p: even sides
    x = F.pad(x, (0, w - x.shape[-1], 0, h - x.shape[-2]), value=1.0)
    grey = (x[:, 0] * 255).round().to(torch.uint8).numpy()                                  # (T, h, w)
    with av.open(str(path), mode="w") as box:
        video = box.add_stream("libx264", rate=fps)
        video.width, video.height, video.pix_fmt = w, h, "yuv420p"
        video.options = {"crf": "18", "preset": "veryfast"}
        audio = None
        if wave is not None:
            audio = box.add_stream("aac", rate=sr)
            audio.layout = "mono"
        for g in grey:
            rgb = np.repeat(g[..., None], 3, axis=2)
            for packet in video.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")):
                box.mux(packet)
        for packet in video.encode():
            box.mux(packet)
        if audio is not None:
            pcm = np.clip(np.asarray(wave, dtype=np.float32), -1, 1)
            step = 1024
            for i in range(0, len(pcm), step):
                chunk = pcm[i:i + step]
                frame = av.AudioFrame.from_ndarray(chunk[None], format="fltp", layout="mono")
                frame.sample_rate, frame.pts, frame.time_base = sr, i, Fraction(1, sr)
                for packet in audio.encode(frame):
                    box.mux(packet)
            for packet in audio.encode():
                box.mux(packet)
    return path


def read_mp4(path: str | Path) -> tuple[np.ndarray, float, bool]:
    """(grey frames (T, h, w) uint8, frames per second, has audio): for tests and checks."""
    with av.open(str(path)) as box:
        stream = box.streams.video[0]
        frames = np.stack([f.to_ndarray(format="gray") for f in box.decode(stream)])
        return frames, float(stream.average_rate), len(box.streams.audio) > 0
