"""Make the shipped speech clips: 20 short English sentences x 3 espeak-ng voices = 60 WAV files.

Run from the repository root (needs Debian's `espeak-ng`; librosa + soxr + soundfile from the kit):

    .venv/bin/python data_samples/speech/make_speech.py

For each (sentence, voice) it runs
    espeak-ng -v VOICE -s 165 -w TMP.wav "SENTENCE"
which writes 22,050 Hz mono 16-bit PCM, then (deterministically):
    1. resamples to 16 kHz with soxr (librosa.resample(res_type="soxr_hq")),
    2. trims leading/trailing silence quieter than 40 dB below the peak, keeping 80 ms on each side,
    3. scales the peak to 0.9 (espeak's voices differ in loudness),
and writes data_samples/speech/<voice-slug>_<nn>.wav (16 kHz, mono, 16-bit PCM) and transcripts.csv
(file, voice, text, split, seconds). The last 4 sentences (all voices) are the held-out "test" split:
the learned mel renderer never sees them. The sentences are our own (not the IEEE Harvard list).
"""

from __future__ import annotations

import csv
import subprocess
import tempfile
from pathlib import Path

import librosa
import numpy as np
import soundfile as sf

SR = 16_000
VOICES = {"en-us": "us", "en-gb": "gb", "en-us+f3": "usf"}   # espeak-ng voice -> file prefix
SPEED = 165            # words per minute (espeak-ng's default is 175)
TOP_DB = 40            # trim threshold below the peak
PAD_S = 0.08           # silence kept at each end after trimming
PEAK = 0.9
N_TEST = 4             # the last N_TEST sentences are held out
SENTENCES = [
    "The red boat drifted toward the shore.",
    "A cold wind blew across the hill.",
    "She placed the cup on the wooden table.",
    "Bright lamps lit the narrow street.",
    "The dog ran after the yellow ball.",
    "We planted seeds along the garden path.",
    "Fresh bread smells good in the morning.",
    "He found a key beneath the mat.",
    "The clock struck nine in the hall.",
    "Rain tapped softly on the window.",
    "The child drew a house with chalk.",
    "A small bird sang from the fence.",
    "They carried the boxes up the stairs.",
    "The river froze during the long winter.",
    "Please close the door behind you.",
    "The green apple fell from the tree.",
    "Thick smoke rose from the chimney.",
    "Our train leaves at half past six.",
    "The old map showed a hidden cave.",
    "Warm soup helps on a rainy day.",
]


def synthesize(text: str, voice: str) -> np.ndarray:
    """espeak-ng -> float32 mono at 16 kHz, trimmed and peak-normalised."""
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "out.wav"
        subprocess.run(["espeak-ng", "-v", voice, "-s", str(SPEED), "-w", str(wav), text], check=True)
        y, sr = sf.read(wav, dtype="float32")
    y = librosa.resample(y, orig_sr=sr, target_sr=SR, res_type="soxr_hq")
    _, (start, end) = librosa.effects.trim(y, top_db=TOP_DB)
    pad = int(PAD_S * SR)
    y = y[max(0, start - pad): end + pad]
    return (PEAK * y / np.abs(y).max()).astype(np.float32)


def main(out_dir: Path = Path(__file__).resolve().parent):
    rows = []
    for i, text in enumerate(SENTENCES):
        split = "test" if i >= len(SENTENCES) - N_TEST else "train"
        for voice, slug in VOICES.items():
            y = synthesize(text, voice)
            name = f"{slug}_{i:02d}.wav"
            sf.write(out_dir / name, y, SR, subtype="PCM_16")
            rows.append({"file": name, "voice": voice, "text": text, "split": split, "seconds": round(len(y) / SR, 3)})
    with open(out_dir / "transcripts.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["file", "voice", "text", "split", "seconds"])
        w.writeheader()
        w.writerows(rows)
    secs = [r["seconds"] for r in rows]
    print(f"wrote {len(rows)} clips to {out_dir}: {min(secs):.2f}-{max(secs):.2f} s, {sum(secs):.1f} s in all")


if __name__ == "__main__":
    main()
