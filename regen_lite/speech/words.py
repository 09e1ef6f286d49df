"""The spoken-word corpus: 10,500 clips of 3,300 English words, 7 voices of 2 engines (data_samples/speech/words/).

X of the speech-recognition task (text/recognition.py) and, with flite's phone durations, of text-to-speech.
Made once by data_samples/speech/make_words.py; nothing is synthesised at run time.

    split      words                                   voices                          clips
    train      3,000 common words (CMUdict train)      3 of the 6 training voices each  9,000
    heard      every 10th train word                   a 4th training voice             300
    unheard    300 common words of the CMUdict test    2 training voices each           600
               split: never heard, never in P2G
    new_voice  the heard and unheard words             flite's slt, held out entirely   600

    clips = word_clips("unheard")                # [WordClip(clip, word, split, voice, ..., cmudict), ...]
    waves = load_waves(clips)                    # [(T,) float32 at 16 kHz, ...], read from each voice's .ogg
"""

from __future__ import annotations

import csv
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple, Sequence

import numpy as np
import soundfile as sf

from ..paths import samples_dir
from .data import SAMPLE_RATE

SPLITS = ("train", "heard", "unheard", "new_voice")
HELD_OUT_VOICE = "slt"


class WordClip(NamedTuple):
    clip: str                        # "kal16_00042": unique, the voice then the row number
    word: str                        # what was spoken, e.g. "thousand"
    split: str                       # one of SPLITS
    engine: str                      # "flite" | "espeak-ng"
    voice: str                       # "kal16", "awb", "rms", "slt" (flite); "us", "gb", "usf" (espeak-ng)
    setting: str                     # "stretch=1.2 f0=90" (flite) or "speed=170 pitch=50" (espeak-ng)
    cmudict: tuple[str, ...]         # CMUdict's main pronunciation, stress dropped: the Y' the models learn
    arpabet: tuple[str, ...]         # flite's own phones mapped to ARPAbet (ax -> AH, pau dropped); () for espeak-ng
    engine_phones: tuple[str, ...]   # flite: its phones, pau included; espeak-ng: its phoneme mnemonics (one item)
    phone_ends: tuple[float, ...]    # flite: each phone's end in seconds from the clip's start; () for espeak-ng
    file: str                        # the voice's .ogg in words/
    start: int                       # first sample in that file
    frames: int                      # number of samples

    @property
    def seconds(self) -> float:
        return self.frames / SAMPLE_RATE


def words_dir() -> Path:
    return samples_dir() / "speech" / "words"


def _missing(path: Path) -> FileNotFoundError:
    return FileNotFoundError(f"{path}: missing; the spoken-word corpus ships in data_samples/speech/words/ "
                             "(remake it with: python data_samples/speech/make_words.py)")


@lru_cache(maxsize=1)
def _index() -> tuple[WordClip, ...]:
    path = words_dir() / "index.csv"
    if not path.exists():
        raise _missing(path)
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    return tuple(WordClip(r["clip"], r["word"], r["split"], r["engine"], r["voice"], r["setting"],
                          tuple(r["cmudict"].split()), tuple(r["arpabet"].split()), tuple(r["engine_phones"].split()),
                          tuple(float(t) for t in r["phone_ends"].split()), r["file"], int(r["start"]), int(r["frames"]))
                 for r in rows)


def word_clips(split: str = "all", voices: Sequence[str] | None = None) -> list[WordClip]:
    """The clips of one split ("all" for every one), in index order (voice file, then position)."""
    if split != "all" and split not in SPLITS:
        raise KeyError(f"unknown split {split!r}; choose from all, {', '.join(SPLITS)}")
    return [c for c in _index() if (split == "all" or c.split == split) and (voices is None or c.voice in voices)]


def find_clip(name: str) -> WordClip:
    """A clip by its name ("kal16_00042"); KeyError with an example otherwise."""
    for c in _index():
        if c.clip == name:
            return c
    raise KeyError(f"no clip named {name!r} in the spoken-word corpus (names look like {_index()[0].clip!r})")


def load_waves(clips: Sequence[WordClip]) -> list[np.ndarray]:
    """Each clip's wave, (T,) float32 in [-1, 1] at 16 kHz, decoded from its voice's .ogg by a fresh decoder.

    Opus carries decoder state from frame to frame, so a clip read on from the clip before it differs (by up to
    ~0.005) from the same clip read after a seek, and libsndfile's seek to the position it is already at keeps that
    state. Each clip therefore gets its own decoder, opened and seeked to its start (~3 ms a clip): a clip's
    samples are the same whichever other clips are loaded with it (a split, every 10th clip, one clip in the app),
    so a metric measured on a subset reproduces exactly."""
    out = []
    for c in clips:
        path = words_dir() / c.file
        if not path.exists():
            raise _missing(path)
        with sf.SoundFile(path) as f:
            if f.samplerate != SAMPLE_RATE or f.channels != 1:
                raise ValueError(f"{c.file}: expected mono {SAMPLE_RATE} Hz, found {f.channels} channels at {f.samplerate} Hz")
            f.seek(c.start)
            out.append(f.read(c.frames, dtype="float32"))
    return out


def corpus_summary() -> dict:
    """Counts for a reader: clips, words, seconds per split, and the voices."""
    out = {}
    for split in SPLITS:
        cs = word_clips(split)
        out[split] = {"clips": len(cs), "words": len({c.word for c in cs}), "seconds": round(sum(c.seconds for c in cs), 1),
                      "voices": sorted({c.voice for c in cs})}
    return out
