"""The "Text → Speech" tab's logic without the UI: plain functions that app/speech/tts.py calls.

    load_pipelines   the two TTS pipelines (Regenerators): tts (X -> log-mel -> wave) and tts_direct (X -> wave)
    synthesize_view  typed text -> both: the audio, a picture of Y' with the predicted phoneme durations drawn,
                     the direct model's spectrogram under it, and a table of numbers

Every number comes from regen_lite.speech.pipelines.synthesize_text.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

from app.pictures import INK, font
from app.speech.views import LEFT, PLOT_W, TOP, draw_map, pcm16
from regen_lite.checkpoints import CheckpointError
from regen_lite.speech.data import SAMPLE_RATE
from regen_lite.speech.features import log_mel
from regen_lite.speech.pipelines import build_pipeline, synthesize_text
from regen_lite.speech.synthesis import VOICES
from regen_lite.text.lexicon import TextError

__all__ = ["CheckpointError", "TextError", "VOICES", "TABLE_HEADERS", "load_pipelines", "synthesize_view"]

PIPELINES = ("tts", "tts_direct")
TABLE_HEADERS = ["pipeline", "Y'", "frames", "audio s", "compute s", "real-time factor"]
VOICE_NOTES = {"kal16": "kal16 (male, diphone; follows the pitch setting)", "awb": "awb (male, Scottish)",
               "rms": "rms (male, US)"}


def load_pipelines(device="cpu") -> dict:
    """{name: Regenerator} for both TTS pipelines. Raises CheckpointError naming the `regen-lite train` command."""
    out = {}
    for name, weights in (("tts", "tts_mel"), ("tts_direct", "tts_wave")):
        try:
            out[name] = build_pipeline(name, device=device)
        except (CheckpointError, FileNotFoundError) as e:
            raise CheckpointError(f"{weights} weights are missing or unreadable; train them with: "
                                  f"regen-lite train {weights}") from e
    return out


@dataclass
class TTSView:
    two_stage: tuple[int, np.ndarray]      # what gr.Audio plays
    direct: tuple[int, np.ndarray]
    picture: np.ndarray                    # RGB: Y' with the durations, then the direct model's spectrogram
    table: list[list]
    notes: str


def draw_durations(picture: np.ndarray, phonemes: list[str], durations: list[int]) -> np.ndarray:
    """Draw each phoneme's predicted span over a draw_map picture: a line where it ends, its name above."""
    img = Image.fromarray(picture)
    draw = ImageDraw.Draw(img)
    total, start = max(1, sum(durations)), 0
    for p, d in zip(phonemes, durations):
        x0, x1 = LEFT + PLOT_W * start / total, LEFT + PLOT_W * (start + d) / total
        draw.line([(x1, TOP), (x1, TOP + 140)], fill=(255, 255, 255), width=1)
        draw.text(((x0 + x1) / 2, TOP + 10), "·" if p == "pau" else p, fill=(255, 255, 255), font=font(11),
                  anchor="mt")
        start += d
    return np.asarray(img)


def _stack(top: np.ndarray, bottom: np.ndarray) -> np.ndarray:
    w = max(top.shape[1], bottom.shape[1])
    pad = lambda a: np.pad(a, ((0, 0), (0, w - a.shape[1]), (0, 0)), constant_values=255)   # noqa: E731
    return np.concatenate([pad(top), pad(bottom)], axis=0)


def synthesize_view(text: str | None, voice: str, stretch: float, f0: float, pipes: dict) -> TTSView:
    """Typed text -> both pipelines. Raises TextError (empty, non-English, numbers only) and ValueError (voice)."""
    got = {name: synthesize_text(name, text or "", voice, stretch, f0, pipe=pipes[name]) for name in PIPELINES}
    two, direct = got["tts"], got["tts_direct"]
    lo = float(two["y_prime"].max()) - 80.0
    mel = draw_map(np.maximum(two["y_prime"], lo), "log_mel", "Y' = the predicted log-mel (dB), with the "
                   "predicted phoneme durations", vmin=lo)
    mel = draw_durations(mel, two["phonemes"], two["durations"])
    other = log_mel(direct["wave"])
    lo2 = float(other.max()) - 80.0
    direct_pic = draw_map(np.maximum(other, lo2), "log_mel", "the direct model's wave, as a log-mel (dB), for "
                          "comparison", vmin=lo2)
    table = []
    for name, g in got.items():
        seconds = len(g["wave"]) / SAMPLE_RATE
        table.append([{"tts": "two-stage: X → log-mel → wave", "tts_direct": "direct: X → wave"}[name],
                      "log-mel 80 × N" if name == "tts" else "the wave itself", sum(g["durations"]),
                      round(seconds, 2), round(g["seconds"], 3), round(g["seconds"] / max(seconds, 1e-6), 3)])
    phones = " ".join("|" if p == "pau" else p for p in two["phonemes"])
    said = "".join(f"\n\n**Note:** {n[:1].upper() + n[1:]}." for n in two["notices"])
    notes = (f"**X:** “{text.strip()}”, voice {VOICE_NOTES.get(voice, voice)}, speed ×{1 / stretch:.2f} "
             f"(duration stretch {stretch:g}){f', pitch target {f0:g} Hz' if voice == 'kal16' else ''}.\n\n"
             f"**Phonemes** (the dictionary, else the learned G2P; | = pause): {phones}\n\n"
             f"**Durations:** the two-stage model predicts {sum(two['durations'])} frames of 8 ms (drawn on Y'), "
             f"the direct model {sum(direct['durations'])}: the same design of duration predictor, trained in "
             "each model on the engine's phone durations." + said)
    return TTSView(pcm16(two["wave"]), pcm16(direct["wave"]), _stack(mel, direct_pic), table, notes)
