"""The "Speech → Text" tab's logic without the UI: plain functions that app/text/asr.py calls.

    load_models      the two recognisers and P2G (with the whole dictionary); a missing checkpoint says which
    clip_choices     corpus clips for the dropdown: heard, unheard and new-voice words
    load_input       a corpus clip or an uploaded / recorded file -> a 16 kHz wave (the Speech tab's checks)
    recognize_view   X -> both pipelines: the phonemes heard, where the spelling came from, the letters,
                     a picture of the log-mel with each model's best symbol per frame, and a table

Every number comes from regen_lite.text.recognition.transcribe.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

from app.pictures import BACKGROUND, INK, font
from app.speech.views import draw_map, pcm16
from regen_lite.checkpoints import CheckpointError, load_checkpoint, weights_dir
from regen_lite.speech.data import AudioError, read_audio
from regen_lite.speech.features import SpectrogramConfig, log_mel
from regen_lite.speech.words import find_clip, load_waves, word_clips
from regen_lite.text.extractors import P2GRenderer, _load
from regen_lite.text.lexicon import load_lexicon, spellings_of
from regen_lite.text.priors import CTCRecognizer
from regen_lite.text.recognition import transcribe

CFG = SpectrogramConfig()
PER_SPLIT = {"heard": 8, "unheard": 16, "new_voice": 8}     # dropdown clips per split
SPLIT_WORDS = {"heard": "heard in training", "unheard": "never heard, not in P2G's training",
               "new_voice": "held-out voice"}


@dataclass
class AsrModels:
    phonemes: CTCRecognizer     # X -> Y' (two-stage)
    letters: CTCRecognizer      # X -> Y (direct)
    renderer: P2GRenderer       # Y' -> Y: the whole dictionary, else P2G


def load_models(device="cpu") -> AsrModels:
    """The shipped recognisers and P2G. Raises CheckpointError naming the `regen-lite train` command."""
    models = []
    for name in ("asr_phonemes", "asr_letters"):
        path = weights_dir() / name
        if not path.with_suffix(".safetensors").exists():
            raise CheckpointError(f"{name} weights are missing; train them with: regen-lite train {name}")
        models.append(load_checkpoint(path, CTCRecognizer)[0].to(device).eval())
    return AsrModels(*models, P2GRenderer(_load("p2g"), lexicon="full"))


def clip_choices() -> list[tuple[str, str]]:
    """(label, clip name): "unheard · thousand · kal16 (flite)" for a few clips of each evaluation split."""
    out = []
    for split, n in PER_SPLIT.items():
        clips = word_clips(split)
        for c in clips[:: max(1, len(clips) // n)][:n]:
            out.append((f"{c.word} · {c.voice} ({c.engine}) · {SPLIT_WORDS[split]}", c.clip))
    return out


@dataclass
class AsrInput:
    wave: np.ndarray            # (T,) float32 mono 16 kHz
    source: str                 # in words, for the notes
    notes: list[str]            # what was changed on the way in
    word: str | None = None     # the true word of a corpus clip


def load_input(upload: str | None, clip: str | None) -> AsrInput:
    """The uploaded / recorded file if there is one, else the corpus clip. Raises AudioError for the user."""
    if upload:
        name = os.path.basename(str(upload))
        try:
            audio = read_audio(upload)
        except AudioError as e:
            raise AudioError(str(e).replace(str(upload), name)) from e
        return AsrInput(audio.wave, f"your audio `{name}` (uploaded or recorded)", list(audio.notes))
    if not clip:
        raise AudioError("there is nothing to listen to: pick a corpus clip, upload an audio file or record a word")
    try:
        c = find_clip(clip)
    except KeyError as e:
        raise AudioError(f"{clip!r} is not a clip of the spoken-word corpus (names look like kal16_00042)") from e
    return AsrInput(load_waves([c])[0], f"corpus clip `{c.clip}`: “{c.word}”, {c.engine} voice {c.voice} "
                    f"({c.setting}), split *{c.split}*", [], c.word)


# ---------------------------------------------------------------------------------------
# The picture: log-mel, and under it each model's best symbol per output frame (CTC's path)
# ---------------------------------------------------------------------------------------

LEFT, PLOT_W, ROW_H = 74, 600, 22       # the log-mel map's left margin and width (app.speech.views.draw_map)


def draw_ctc(wave: np.ndarray, phoneme_frames: list[str], letter_frames: list[str]) -> np.ndarray:
    """The log-mel of X with two strips under it: the phoneme model's and the letter model's best symbol in every
    32 ms output frame ("·" = blank). Collapsing repeats and dropping blanks gives what each model heard."""
    top = Image.fromarray(draw_map(log_mel(wave, CFG), "log_mel", "X: log-mel (dB), what both recognisers read",
                                   vmin=None, vmax=None))
    canvas = Image.new("RGB", (top.width, top.height + 2 * ROW_H + 8), BACKGROUND)
    canvas.paste(top, (0, 0))
    draw = ImageDraw.Draw(canvas)
    n_mel = 1 + len(wave) // CFG.hop
    for row, (label, frames) in enumerate((("phonemes", phoneme_frames), ("letters", letter_frames))):
        y = top.height + 4 + row * ROW_H
        draw.text((LEFT - 7, y + ROW_H / 2), label, fill=INK, font=font(11), anchor="rm")
        step = PLOT_W * 4 / n_mel                                     # one output frame = 4 log-mel frames
        for i, s in enumerate(frames):
            x = LEFT + (i + 0.5) * step
            if x > LEFT + PLOT_W:
                break
            blank = s == "-"
            draw.text((x, y + ROW_H / 2), "·" if blank else s, fill=(160, 160, 160) if blank else INK,
                      font=font(9 if len(s) > 1 else 11), anchor="mm")
    return np.asarray(canvas)


# ---------------------------------------------------------------------------------------
# The whole view
# ---------------------------------------------------------------------------------------

TABLE_HEADERS = ["pipeline", "Y′ (what it heard)", "Y (spelling)", "from", "right?"]


@dataclass
class AsrView:
    audio: tuple                # (sr, int16) for gr.Audio
    picture: np.ndarray
    table: list[list[str]]
    nbest: list[list[str]]      # P2G's best spellings of the phonemes heard, [spelling, p]
    notes: str
    result: dict                # transcribe()'s dict


def _verdict(spelling: str, word: str | None) -> str:
    """yes / homophone (another spelling of one of the word's pronunciations) / no; "?" when the word is unknown."""
    if word is None:
        return "?"
    if spelling == word:
        return "yes"
    return "homophone" if any(spelling in spellings_of(p) for p in load_lexicon().get(word, ())) else "no"


def recognize_view(audio: AsrInput, models: AsrModels) -> AsrView:
    r = transcribe(audio.wave, models.phonemes, models.letters, models.renderer)
    lex = load_lexicon()
    source = {"dictionary": "the dictionary (a known pronunciation)", "model": "P2G (no word has this pronunciation)",
              "none": "nothing (no phoneme heard)"}[r["source"]]
    truth = lex.get(audio.word, ()) if audio.word else ()
    table = [["two-stage: X → phonemes → spelling", " ".join(r["phonemes"]) or "(nothing)", r["spelling"] or "(nothing)",
              source.split(" (")[0], _verdict(r["spelling"], audio.word)],
             ["direct: X → letters", " ".join(r["direct"]) or "(nothing)", r["direct"] or "(nothing)", "the letter model",
              _verdict(r["direct"], audio.word)]]
    notes = [f"**Input:** {audio.source}"] + [f"- {n}" for n in audio.notes]
    if audio.word:
        heard_right = tuple(r["phonemes"]) in truth
        notes.append(f"\n**The truth:** *{audio.word}*, pronounced `{' | '.join(' '.join(p) for p in truth)}` "
                     f"(CMUdict). The phonemes heard are {'right' if heard_right else 'not a pronunciation of it'}.")
    notes.append(f"\n**Two-stage:** the recogniser heard `{' '.join(r['phonemes']) or '(nothing)'}`; the spelling "
                 f"*{r['spelling'] or '(nothing)'}* comes from {source}.")
    if len(r["homophones"]) > 1:
        notes.append(f"Those phonemes are spelled {', '.join(r['homophones'][:8])} in the dictionary: homophones, "
                     "which no recogniser can tell apart from the sound alone; P2G picks the most probable.")
    notes.append(f"\n**Direct:** the letter model wrote *{r['direct'] or '(nothing)'}*"
                 + ("" if r["direct"] in lex else " (not a dictionary word)") + ".")
    nbest = [[s, f"{p:.3f}"] for s, p in r["nbest"]]
    return AsrView(pcm16(audio.wave), draw_ctc(audio.wave, r["phoneme_frames"], r["letter_frames"]), table, nbest,
                   "\n".join(notes), r)
