"""Make the shipped spoken-word corpus: 3,300 English words, 10,500 clips, 7 voices of 2 engines, Opus in OGG.

Run from the repository root (needs Debian's `flite` and `espeak-ng`, and `pip install wordfreq`; librosa,
soxr and soundfile come with the kit). About 10 minutes on 2 cores:

    .venv/bin/python data_samples/speech/make_words.py                 # or --out DIR, to compare with the shipped files

What it makes (data_samples/speech/words/):
    VOICE.ogg    every clip of one voice, end to end: 16 kHz mono Opus (libsndfile, compression level 0.96,
                 about 16 kbit/s), with the Ogg stream serial number fixed so that a rerun is byte-identical
    index.csv    one row per clip: where it is in its VOICE.ogg (start, frames), the word, its split, the
                 engine, voice and setting, CMUdict's main pronunciation, and the engine's own phones
                 (flite: each phone with its end time in seconds; espeak-ng: its phoneme mnemonics)

The words (the frequency order of `wordfreq`'s English list: words of 2+ letters a-z, with a vowel letter,
that CMUdict holds):
    train     the 3,000 most frequent words in the kit's CMUdict *train* split (regen_lite.text.lexicon), each
              spoken 3 times by 3 different training voices, each with a random setting
    heard     every 10th train word (300), spoken once more by a training voice it was not trained on
    unheard   the 300 most frequent words in the *test* split (never in any model's training), 2 voices each
    new_voice the held-out voice (flite's slt) speaking the 300 heard words and the 300 unheard words
The voices: flite kal16, awb, rms (slt held out) and espeak-ng en-us, en-gb, en-us+f3. Settings: flite
duration_stretch 0.85 / 1.0 / 1.2 and, where the voice follows it, int_f0_target_mean (three values);
espeak-ng speed 140 / 170 / 200 words per minute and pitch 35 / 50 / 65. numpy default_rng(0) draws them.

Each clip: the engine's wave (espeak-ng's 22,050 Hz resampled to 16 kHz with soxr), leading and trailing
silence quieter than 40 dB below the peak trimmed (80 ms kept each side), the peak scaled to 0.9; flite's
phone end times shifted by the trimmed start (and clamped to the clip).

Phones: flite's phone set is CMUdict's 39 phonemes in lower case plus `ax` (schwa) and `pau` (silence). The
`arpabet` column maps flite's phones to the kit's ARPAbet: upper case, `ax` -> `AH` (CMUdict writes the schwa
as AH0, and the kit drops stress digits), `pau` dropped. The models learn CMUdict's pronunciation (the
`cmudict` column, the same Y' as the text modality); the engine's phones say what was actually spoken.
"""

from __future__ import annotations

import csv
import hashlib
import re
import subprocess
import sys
import tempfile
from multiprocessing import Pool
from pathlib import Path

import librosa
import numpy as np
import soundfile as sf

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from regen_lite.text.lexicon import load_lexicon, split_of  # noqa: E402

SR = 16_000
OUT = Path(__file__).resolve().parent / "words"
N_TRAIN, N_UNHEARD, EVERY_HEARD = 3000, 300, 10
RENDITIONS = {"train": 3, "unheard": 2}
TOP_DB, PAD_S, PEAK = 40, 0.08, 0.9
OPUS_LEVEL = 0.96
HELD_OUT_VOICE = "slt"
# voice -> (engine, the engine's voice name, the settings drawn from)
_STRETCH = (0.85, 1.0, 1.2)
_ESPEAK = tuple(f"speed={s} pitch={p}" for s in (140, 170, 200) for p in (35, 50, 65))


def _flite(f0s=()):
    return tuple(f"stretch={s}" + (f" f0={f}" if f else "") for s in _STRETCH for f in (f0s or (None,)))


VOICES = {
    "kal16": ("flite", "kal16", _flite((75, 90, 110))),
    "awb": ("flite", "awb", _flite()),              # awb and rms do not follow int_f0_target_mean
    "rms": ("flite", "rms", _flite()),
    "us": ("espeak-ng", "en-us", _ESPEAK),
    "gb": ("espeak-ng", "en-gb", _ESPEAK),
    "usf": ("espeak-ng", "en-us+f3", _ESPEAK),
    "slt": ("flite", "slt", _flite((140, 160, 185))),
}
TRAIN_VOICES = [v for v in VOICES if v != HELD_OUT_VOICE]
COLUMNS = ["clip", "file", "start", "frames", "word", "split", "engine", "voice", "setting", "cmudict",
           "arpabet", "engine_phones", "phone_ends"]


def choose_words() -> tuple[list[str], list[str]]:
    """(train words, unheard words) in wordfreq's frequency order."""
    from wordfreq import top_n_list

    lex = load_lexicon()
    # 2+ letters with a vowel letter: drops abbreviations the engines spell out ("mg", "tv", "dr")
    common = [w for w in top_n_list("en", 50_000) if re.fullmatch(r"[a-z]{2,}", w) and re.search("[aeiouy]", w)
              and w in lex]
    train = [w for w in common if split_of(w) == "train"][:N_TRAIN]
    unheard = [w for w in common if split_of(w) == "test"][:N_UNHEARD]
    return train, unheard


def plan() -> list[dict]:
    """Every clip to make: word, split, voice, setting (deterministic)."""
    rng = np.random.default_rng(0)
    train, unheard = choose_words()
    lex = load_lexicon()
    rows = []

    def add(word, split, voice):
        settings = VOICES[voice][2]
        rows.append({"word": word, "split": split, "voice": voice, "setting": settings[rng.integers(len(settings))],
                     "cmudict": " ".join(lex[word][0])})

    heard_voice = {}
    for i, w in enumerate(train):
        voices = [TRAIN_VOICES[j] for j in rng.choice(len(TRAIN_VOICES), RENDITIONS["train"], replace=False)]
        for v in voices:
            add(w, "train", v)
        if i % EVERY_HEARD == 0:
            heard_voice[w] = [v for v in TRAIN_VOICES if v not in voices]
    for w, others in heard_voice.items():
        add(w, "heard", others[rng.integers(len(others))])
    for w in unheard:
        for j in rng.choice(len(TRAIN_VOICES), RENDITIONS["unheard"], replace=False):
            add(w, "unheard", TRAIN_VOICES[j])
    for w in list(heard_voice) + unheard:
        add(w, "new_voice", HELD_OUT_VOICE)
    return rows


def _setting_flags(engine: str, setting: str) -> list[str]:
    kv = dict(item.split("=") for item in setting.split())
    if engine == "flite":
        flags = ["--setf", f"duration_stretch={kv['stretch']}"]
        return flags + (["--setf", f"int_f0_target_mean={kv['f0']}"] if "f0" in kv else [])
    return ["-s", kv["speed"], "-p", kv["pitch"]]


def synthesize(row: dict) -> dict:
    """One clip: the wave (float32, 16 kHz, trimmed, peak 0.9) and the engine's phones."""
    engine, name, _ = VOICES[row["voice"]]
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "out.wav"
        if engine == "flite":
            run = subprocess.run(["flite", "-voice", name, *_setting_flags(engine, row["setting"]), "-psdur",
                                  "-t", row["word"], "-o", str(wav)], check=True, capture_output=True, text=True)
            phones = [(p, float(t)) for p, t in (item.split(":") for item in run.stdout.split())]
            mnemonic = ""
        else:
            subprocess.run(["espeak-ng", "-v", name, *_setting_flags(engine, row["setting"]), "-w", str(wav),
                            row["word"]], check=True)
            mnemonic = subprocess.run(["espeak-ng", "-q", "-x", "-v", name, row["word"]], check=True,
                                      capture_output=True, text=True).stdout.strip()
            phones = []
        y, sr = sf.read(wav, dtype="float32")
    if sr != SR:
        y = librosa.resample(y, orig_sr=sr, target_sr=SR, res_type="soxr_hq")
    _, (start, end) = librosa.effects.trim(y, top_db=TOP_DB)
    pad = int(PAD_S * SR)
    lo, hi = max(0, start - pad), min(len(y), end + pad)
    y = (PEAK * y[lo:hi] / np.abs(y[lo:hi]).max()).astype(np.float32)
    dur = len(y) / SR
    shifted = [(p, min(max(t - lo / SR, 0.0), dur)) for p, t in phones]
    return {**row, "wave": y,
            "arpabet": " ".join("AH" if p == "ax" else p.upper() for p, _ in phones if p != "pau"),
            "engine_phones": " ".join(p for p, _ in shifted) if phones else mnemonic,
            "phone_ends": " ".join(f"{t:.3f}" for _, t in shifted)}


# ---------------------------------------------------------------- Ogg pages with a fixed serial number

def _crc_table() -> list[int]:
    table = []
    for i in range(256):
        r = i << 24
        for _ in range(8):
            r = ((r << 1) ^ 0x04C11DB7) if r & 0x80000000 else r << 1
        table.append(r & 0xFFFFFFFF)
    return table


def fix_ogg_serial(data: bytes, serial: int = 1) -> bytes:
    """libsndfile gives each Ogg stream a random serial number; set it to `serial` on every page and recompute
    each page's CRC-32 (polynomial 0x04C11DB7, unreflected, as the Ogg spec, RFC 3533, defines it)."""
    table, d, i = _crc_table(), bytearray(data), 0
    while i < len(d):
        if d[i:i + 4] != b"OggS":
            raise ValueError(f"not an Ogg page at byte {i}")
        n_seg = d[i + 26]
        n = 27 + n_seg + sum(d[i + 27:i + 27 + n_seg])
        d[i + 14:i + 18] = serial.to_bytes(4, "little")
        d[i + 22:i + 26] = bytes(4)
        crc = 0
        for b in d[i:i + n]:
            crc = ((crc << 8) & 0xFFFFFFFF) ^ table[((crc >> 24) & 0xFF) ^ b]
        d[i + 22:i + 26] = crc.to_bytes(4, "little")
        i += n
    return bytes(d)


def write_voice(path: Path, waves: list[np.ndarray]) -> None:
    import io

    buf = io.BytesIO()
    sf.write(buf, np.concatenate(waves), SR, format="OGG", subtype="OPUS", compression_level=OPUS_LEVEL)
    path.write_bytes(fix_ogg_serial(buf.getvalue()))


def main(out: Path = OUT):
    out.mkdir(parents=True, exist_ok=True)
    rows = plan()
    with Pool(2) as pool:
        clips = pool.map(synthesize, rows, chunksize=50)
    index = []
    for voice in VOICES:
        mine = [c for c in clips if c["voice"] == voice]
        start = 0
        for c in mine:
            c["file"], c["start"], c["frames"] = f"{voice}.ogg", start, len(c["wave"])
            start += len(c["wave"])
        write_voice(out / f"{voice}.ogg", [c["wave"] for c in mine])
        index += mine
    for i, c in enumerate(index):
        c["clip"] = f"{c['voice']}_{i:05d}"
        c["engine"] = VOICES[c["voice"]][0]
    with open(out / "index.csv", "w", newline="") as f:
        w = csv.DictWriter(f, COLUMNS, extrasaction="ignore", lineterminator="\n")
        w.writeheader()
        w.writerows(index)
    total = sum(c["frames"] for c in index) / SR
    size = sum(p.stat().st_size for p in out.iterdir())
    digest = hashlib.sha256(b"".join((out / f"{v}.ogg").read_bytes() for v in VOICES)).hexdigest()[:16]
    print(f"{len(index)} clips, {total:.0f} s of audio, {size / 1e6:.1f} MB in {out}; sha256 of the .ogg files {digest}")


if __name__ == "__main__":
    import argparse

    p = argparse.ArgumentParser(description="make the spoken-word corpus")
    p.add_argument("--out", type=Path, default=OUT, help="folder to write (default: data_samples/speech/words)")
    main(p.parse_args().out)
