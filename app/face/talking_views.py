"""The "Talking Head" tab's logic without the UI: plain functions that app/face/talking.py calls.

    load_models     the two talking-head pipelines (speech -> θ -> face, speech -> frames) and the analysis encoder
    clip_choices    unheard corpus clips of voices A and B (their true lean drawn independently of the voice)
    load_input      a corpus clip or an uploaded / recorded file -> a 16 kHz wave (the Speech tab's checks)
    talk_view       X -> both pipelines: one mp4 (real | two-stage | direct, with the sound), the θ tracks
                    plotted, a table of what the encoder reads back off each video
    analyse_face    a still face (held-out, or an uploaded image) -> Y, θ as labelled bars, render(θ)
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, ImageDraw

from app.image.inspect_views import UploadError, open_image, to_greyscale
from app.pictures import BACKGROUND, INK, font
from regen_lite.checkpoints import CheckpointError
from regen_lite.core import Regenerator
from regen_lite.face.data import LEAN, STILL, VOICE_A, random_theta, talking_tracks
from regen_lite.face.extractors import FaceAnalysis, load_face_encoder
from regen_lite.face.metrics import pearson
from regen_lite.face.pipelines import MAX_SECONDS, build_pipeline, speech_to_video
from regen_lite.face.render import D, PARAMS, SIGNED, SIZE, render
from regen_lite.face.video import side_by_side, write_mp4
from regen_lite.speech.data import AudioError, read_audio
from regen_lite.speech.words import find_clip, load_waves

__all__ = ["CheckpointError", "AudioError", "UploadError"]
N_CLIPS = 16
COLOURS = {"open": (200, 60, 40), "width": (40, 120, 200), "round": (120, 60, 170), "yaw": (40, 150, 80),
           "roll": (230, 150, 20), "blink": (90, 90, 90)}


@dataclass
class FaceModels:
    two_stage: Regenerator      # speech -> θ -> the procedural face
    direct: Regenerator         # speech -> frames
    analysis: FaceAnalysis      # face -> θ (what every measure reads back)


def load_models(device="cpu") -> FaceModels:
    """The shipped pipelines. Raises CheckpointError naming the `regen-lite train` command."""
    return FaceModels(build_pipeline("talking_head", device=device), build_pipeline("talking_direct", device=device),
                      load_face_encoder("face_params", device=device))


def clip_choices() -> list[tuple[str, str]]:
    """(label, clip name): "thousand · kal16 (voice A, trained to lean left) · leans right" for unheard clips."""
    clips, _, leans, _ = talking_tracks("test")          # the corpus index and the seeded θ tracks: no audio read
    out = []
    for i in range(0, len(clips), max(1, len(clips) // N_CLIPS))[:N_CLIPS]:
        c = clips[i]
        voice = "voice A, trained leaning left" if c.voice == VOICE_A else "voice B, trained leaning right"
        lean = "leans left" if leans[i] < 0 else "leans right"
        out.append((f"{c.word} · {c.voice} ({voice}) · this video {lean}", c.clip))
    return out


@dataclass
class TalkInput:
    wave: np.ndarray            # (T,) float32 mono 16 kHz
    source: str
    notes: list[str]
    real: torch.Tensor | None = None     # the true video of a corpus clip (T, 1, 48, 48)
    theta: torch.Tensor | None = None    # its true θ track (T, D)


def load_input(upload: str | None, clip: str | None) -> TalkInput:
    """The uploaded / recorded file if there is one, else the corpus clip. Raises AudioError for the user."""
    if upload:
        name = os.path.basename(str(upload))
        try:
            audio = read_audio(upload, max_seconds=MAX_SECONDS)
        except AudioError as e:
            raise AudioError(str(e).replace(str(upload), name)) from e
        return TalkInput(audio.wave, f"your audio `{name}` (uploaded or recorded)", list(audio.notes))
    if not clip:
        raise AudioError("there is nothing to listen to: pick a corpus clip, upload an audio file or record a word")
    clips, _, _, tracks = talking_tracks("test")
    names = [c.clip for c in clips]
    if clip not in names:
        try:
            c = find_clip(clip)
        except KeyError as e:
            raise AudioError(f"{clip!r} is not a clip of the spoken-word corpus (names look like kal16_00042)") from e
        return TalkInput(load_waves([c])[0], f"corpus clip `{c.clip}`: “{c.word}”, voice {c.voice}", [])
    i = names.index(clip)
    c, theta = clips[i], torch.from_numpy(tracks[i])
    return TalkInput(load_waves([c])[0], f"unheard corpus clip `{c.clip}`: “{c.word}”, voice {c.voice}", [],
                     render(theta), theta)


def draw_tracks(tracks: dict[str, torch.Tensor], width: int = 640, row: int = 110) -> np.ndarray:
    """θ tracks over time, one panel per group (mouth; pose; blink), a line per parameter and per source
    (solid: the two-stage Y'; dashed: read back off the direct video; thin grey: the truth). tracks: name -> (T, D)."""
    groups = [("mouth", ["open", "width", "round"], (0, 1)), ("head pose", ["yaw", "roll"], (-1, 1)),
              ("blink", ["blink"], (0, 1))]
    left, top = 70, 8
    img = Image.new("RGB", (width, top + row * len(groups) + 24), BACKGROUND)
    d = ImageDraw.Draw(img)
    T = max(len(t) for t in tracks.values())
    x_of = lambda t: left + (width - left - 10) * t / max(1, T - 1)
    for g, (title, names, (lo, hi)) in enumerate(groups):
        y0 = top + g * row
        d.rectangle([left, y0, width - 10, y0 + row - 18], outline=(200, 200, 200))
        d.text((4, y0 + 2), title, fill=INK, font=font(12))
        y_of = lambda v: y0 + (row - 18) * (hi - v) / (hi - lo)
        for style, (label, tr) in enumerate(tracks.items()):
            for name in names:
                k = PARAMS.index(name)
                pts = [(x_of(t), y_of(float(tr[t, k]))) for t in range(len(tr))]
                colour = (170, 170, 170) if label == "truth" else COLOURS[name]
                if label.startswith("read back"):
                    for a, b in zip(pts[::2], pts[1::2]):
                        d.line([a, b], fill=colour, width=2)
                else:
                    d.line(pts, fill=colour, width=1 if label == "truth" else 2)
        for j, name in enumerate(names):
            d.text((4, y0 + 20 + 14 * j), name, fill=COLOURS[name], font=font(11))
    d.text((left, top + row * len(groups) - 8), f"0 … {T} frames (25 per second).  solid: two-stage theta   "
           "dashed: theta read off the direct video   grey: the truth", fill=INK, font=font(11))
    return np.asarray(img)


@dataclass
class TalkView:
    video: str                  # mp4 path: (real |) two-stage | direct, with the sound
    picture: np.ndarray
    table: list[list]
    notes: str


@torch.no_grad()
def talk_view(audio: TalkInput, models: FaceModels, seed: int = 0, folder: str | None = None) -> TalkView:
    theta, two = speech_to_video("talking_head", audio.wave, seed=seed, pipe=models.two_stage)
    _, direct = speech_to_video("talking_direct", audio.wave, pipe=models.direct)
    T = len(two)
    panels = ([audio.real[:T]] if audio.real is not None else []) + [two, direct]
    path = os.path.join(folder or tempfile.mkdtemp(prefix="regen-lite-face-"), f"talk-{seed}.mp4")
    write_mp4(path, side_by_side(panels), audio.wave)
    read_direct = models.analysis.extract(direct)
    read_two = models.analysis.extract(two)
    tracks = {"two-stage": theta, "read back (direct)": read_direct}
    if audio.theta is not None:
        tracks = {"truth": audio.theta[:T], **tracks}
    rows = []
    for label, read in (("two-stage: speech → θ → face", read_two), ("direct: speech → frames", read_direct)):
        roll = read[:, 4].mean().item()
        row = [label, f"{roll:+.2f} ({'left' if roll < 0 else 'right'})"]
        if audio.theta is not None:
            row.append(f"{pearson(read[:, 0], audio.theta[:T, 0]):.2f}")
        else:
            row.append("—")
        rows.append(row)
    order = "real video | two-stage | direct" if audio.real is not None else "two-stage | direct"
    notes = (f"**Input:** {audio.source}. The video shows {order}, {T} frames at 25 per second. "
             f"Voice A (kal16) always leaned left (roll ≈ −{LEAN}) in training and voice B (awb) right; the unheard "
             "clips lean either way. The two-stage pose is drawn by a prior that never hears the audio (change the "
             "seed to draw another); the direct model has only the audio to go on.")
    return TalkView(path, draw_tracks(tracks), rows, notes)


def still_faces_gallery(n: int = 8) -> tuple[torch.Tensor, torch.Tensor]:
    """The first n held-out still faces (the same θ as still_faces("test"), only n drawn): (θ (n, D), (n, 1, 48, 48))."""
    count, seed = STILL["test"]
    theta = random_theta(count, torch.Generator().manual_seed(seed))[:n]
    with torch.no_grad():
        return theta, render(theta)


def prepare_face(path: str) -> tuple[torch.Tensor, list[str]]:
    """An image file -> a face Y (1, 1, 48, 48) in [0, 1]: the Inspect tab's checks (size limits, greyscale),
    then padded to a square with white and resized. Raises UploadError with a readable message."""
    img, notices = open_image(path)
    grey, more = to_greyscale(img)
    notices += more
    h, w = grey.shape
    side = max(h, w)
    square = np.ones((side, side), np.float32)
    square[(side - h) // 2:(side - h) // 2 + h, (side - w) // 2:(side - w) // 2 + w] = grey
    if side != SIZE:
        notices.append(f"resized from {w} x {h} to {SIZE} x {SIZE} pixels (padded to a square with white)")
    y = F.interpolate(torch.from_numpy(square)[None, None], size=(SIZE, SIZE), mode="area")
    return y.clamp(0, 1), notices


def upscale(y: torch.Tensor, side: int = 192) -> np.ndarray:
    """(1, 1, 48, 48) or (1, 48, 48) -> (side, side) uint8, nearest pixels."""
    g = F.interpolate(y.reshape(1, 1, SIZE, SIZE).float(), size=(side, side), mode="nearest")[0, 0]
    return (g.clamp(0, 1) * 255).round().to(torch.uint8).numpy()


def draw_bars(theta: torch.Tensor, truth: torch.Tensor | None = None, width: int = 320) -> np.ndarray:
    """θ (D,) as labelled horizontal bars on each parameter's range (a tick: the true value, when known)."""
    row, left = 26, 70
    img = Image.new("RGB", (width, row * D + 10), BACKGROUND)
    d = ImageDraw.Draw(img)
    for k, name in enumerate(PARAMS):
        y0 = 5 + k * row
        lo = -1.0 if SIGNED[k] else 0.0
        x_of = lambda v: left + (width - left - 50) * (float(v) - lo) / (1 - lo)
        d.text((4, y0 + 4), name, fill=INK, font=font(12))
        d.rectangle([left, y0 + 4, width - 50, y0 + row - 6], outline=(200, 200, 200))
        a, b = sorted((x_of(0.0), x_of(theta[k])))                      # from 0 to the value, either side
        d.rectangle([a, y0 + 5, b, y0 + row - 7], fill=(70, 130, 200))
        if truth is not None:
            d.line([x_of(truth[k]), y0 + 1, x_of(truth[k]), y0 + row - 3], fill=(200, 40, 40), width=2)
        d.text((width - 44, y0 + 4), f"{float(theta[k]):+.2f}", fill=INK, font=font(12))
    return np.asarray(img)


@torch.no_grad()
def analyse_face(y: torch.Tensor, analysis: FaceAnalysis, truth: torch.Tensor | None = None):
    """Y -> Y' = θ -> render(Y'): (Y picture, θ bars, rendered picture, table rows, photometric error)."""
    theta = analysis.extract(y)[0]
    y_hat = analysis.render(theta[None])
    mse = ((y_hat - y) ** 2).mean().item()
    rows = [[n, f"{float(theta[k]):+.3f}", "—" if truth is None else f"{float(truth[k]):+.3f}"]
            for k, n in enumerate(PARAMS)]
    return upscale(y), draw_bars(theta, truth), upscale(y_hat), rows, mse
