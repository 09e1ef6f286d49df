"""Lyrics, the X of the lyrics-to-melody task (TeleMelody, Ju et al. 2021): a sequence of syllables with word
boundaries and punctuation, and, for the chorales, where Bach sings each one.

    Lyrics     S syllables: text (S,), word_start (S,) bool, word_end (S,) bool, punct (S,) 0 none / 1 comma /
               2 a stronger stop (. ; : ! ?), and for a chorale `steps` (S,): the eighth-note step where
               the syllable's first note starts (its melisma runs until the next syllable starts)

The chorale texts are German (Lutheran hymns, 16th-18th century spelling), read from the soprano part of
music21's corpus (data_samples/music/chorale_lyrics.json, made by make_chorales.py). No language model
reads them: a model sees only the shape of the text (`syllable_features`), which is what matters for the
rhythm and the phrase ends. Typed text is split into syllables by `split_lyrics`: hyphens where the user
put them, else a vowel-group rule (`hyphenate`); a word it cannot split gets a message.

Bach's setting of a syllable (`syllable_settings`) is the rhythm of its span: the 0 rest / 1 hold /
2 onset steps from where the syllable starts to where the next one starts (a quarter note: (2, 1); a
melisma of two eighths: (2, 2); a half note: (2, 1, 1, 1)), and whether one of its notes has a fermata.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from .song import STEPS_PER_BAR, Song, load_chorales

LYRICS_FILE = "music/chorale_lyrics.json"
PUNCT_NONE, PUNCT_COMMA, PUNCT_STOP = 0, 1, 2
MAX_SYLLABLES = 160                      # typed lyrics: about 40 bars of quarter notes
VOWELS = "aeiouyäöüáàéèíóúâêîôû"
_STOPS, _COMMAS = set(".;:!?"), set(",")
_LETTERS = re.compile(r"^[^\W\d_]+(['’][^\W\d_]*)?$")     # letters, with one apostrophe (Seel', hab'n)


@dataclass
class LyricsKey:
    """X of the lyrics-to-melody task: the lyrics and the key to set them in (the length follows the text)."""
    lyrics: "Lyrics"
    tonic: int = 0      # 0..11, C = 0
    mode: int = 0       # 0 major, 1 minor


class LyricsError(ValueError):
    """Text the kit cannot split into syllables; the message says what and why."""


@dataclass
class Lyrics:
    text: list[str]                 # (S,) syllables without punctuation
    word_start: np.ndarray          # (S,) bool
    word_end: np.ndarray            # (S,) bool
    punct: np.ndarray               # (S,) int 0 none, 1 comma, 2 stop, after the syllable
    steps: np.ndarray | None = None  # (S,) int onset step of each syllable in the chorale (None: typed text)
    name: str = ""

    def __len__(self) -> int:
        return len(self.text)

    def words(self) -> str:
        """The text back as words: 'Nun dan-ket al-le Gott,'."""
        out = ""
        for s, ws, p in zip(self.text, self.word_start, self.punct):
            out += (" " if ws and out else "" if ws else "-") + s + ("" if p == 0 else "," if p == 1 else ".")
        return out

    def phrases(self) -> int:
        return int((self.punct > 0).sum())


def _punct_of(raw: str) -> tuple[str, int]:
    """'Herren;' -> ('Herren', 2); strips quotes and brackets around the word too."""
    core = raw.strip().strip("\"'“”„«»()[]")
    tail = ""
    while core and not (core[-1].isalpha() or core[-1] in "'’"):
        tail = core[-1] + tail
        core = core[:-1].rstrip("\"“”„«»()[]")
    core = core.lstrip("\"“”„«»()[]")
    return core, PUNCT_STOP if set(tail) & _STOPS else PUNCT_COMMA if set(tail) & _COMMAS else PUNCT_NONE


def hyphenate(word: str) -> list[str]:
    """Split one word at vowel groups (German / English rule of thumb): each group of vowels is a syllable's
    nucleus; between two nuclei, one consonant goes to the next syllable ('Her-zen', 'dan-ket', 'Got-tes')
    and 'ch', 'sch', 'ck', 'ph', 'th' stay together. A final 'e' after a consonant counts in German."""
    low = word.lower()
    nuclei = [m.span() for m in re.finditer(f"[{VOWELS}]+", low)]
    if not nuclei:
        raise LyricsError(f"'{word}' has no vowel, so it cannot be sung as a syllable")
    cuts = []
    for (_, end), (start, _) in zip(nuclei, nuclei[1:]):
        between = low[end:start]
        keep = next((k for k in ("sch", "ch", "ck", "ph", "th") if between.endswith(k)), None)
        cut = start - len(keep) if keep else start - (1 if between else 0)
        cuts.append(max(cut, end))
    pieces, prev = [], 0
    for c in cuts + [len(word)]:
        pieces.append(word[prev:c])
        prev = c
    return [p for p in pieces if p]


def split_lyrics(text: str, name: str = "typed") -> Lyrics:
    """Typed text -> Lyrics. Words are separated by spaces; syllables by hyphens where given ('dan-ket'),
    else by `hyphenate`. Punctuation at a word's end marks a phrase end. Raises LyricsError with a reason."""
    if text is None or not text.strip():
        raise LyricsError("the lyrics are empty: type a few words, with hyphens between syllables if you like "
                          "('Nun dan-ket al-le Gott')")
    syl, ws, we, pu = [], [], [], []
    for raw in text.split():
        word, punct = _punct_of(raw)
        if not word:
            if set(raw) - set(".,;:!?\"'“”„«»()[]-–—"):
                raise LyricsError(f"'{raw}' is not a word: lyrics may use letters, apostrophes, hyphens and "
                                  ", . ; : ! ? (write numbers as words)")
            if pu and punct:             # a lone ',' or '.' after a word
                pu[-1] = max(pu[-1], punct)
            continue
        parts = [p for p in word.split("-") if p] if "-" in word else hyphenate_or_raise(word)
        for p in parts:
            if not _LETTERS.match(p):
                bad = sorted({c for c in p if not (c.isalpha() or c in "'’")})
                raise LyricsError(f"'{raw}' contains {' '.join(repr(c) for c in bad) or 'no letters'}: "
                                  "lyrics may use letters, apostrophes, hyphens and , . ; : ! ?")
            if not re.search(f"[{VOWELS}]", p.lower()):
                raise LyricsError(f"the syllable '{p}' in '{raw}' has no vowel; put the hyphen elsewhere")
        for i, p in enumerate(parts):
            syl.append(p)
            ws.append(i == 0)
            we.append(i == len(parts) - 1)
            pu.append(punct if i == len(parts) - 1 else PUNCT_NONE)
    if not syl:
        raise LyricsError("the lyrics contain no words, only punctuation")
    if len(syl) > MAX_SYLLABLES:
        raise LyricsError(f"the lyrics have {len(syl)} syllables; the limit is {MAX_SYLLABLES} (about 40 bars)")
    return Lyrics(syl, np.array(ws), np.array(we), np.array(pu, dtype=np.int64), name=name)


def hyphenate_or_raise(word: str) -> list[str]:
    if not any(c.isalpha() for c in word):
        raise LyricsError(f"'{word}' is not a word: lyrics may use letters, apostrophes, hyphens and , . ; : ! ?")
    return hyphenate(word)


# ---------------------------------------------------------------------------------------
# The chorales' lyrics (made once by data_samples/music/make_chorales.py)
# ---------------------------------------------------------------------------------------

def lyrics_from_score(score, song: Song, pad: float) -> tuple[list, int]:
    """The first verse of the soprano's lyrics as [step, text, syllabic] triples, one per syllable, and the
    number of syllables that do not start on a melody onset of `song` (dropped). `pad` = the pickup's
    padding in quarter notes (as in song_from_score)."""
    part = next(p for p in score.parts if "soprano" in (p.partName or "").lower())
    out, dropped = [], 0
    for n in part.stripTies().flatten().notes:
        if not n.lyrics:
            continue
        lyric = min(n.lyrics, key=lambda ly: ly.number)     # the first verse this note has
        if not (lyric.text or "").strip():
            continue
        step = (float(n.offset) + pad) * 2
        if step != int(step) or int(step) >= song.n_steps or song.melody[int(step)] < 2:
            dropped += 1
            continue
        out.append([int(step), lyric.text.strip(), lyric.syllabic or "single"])
    return out, dropped


def lyrics_from_entry(triples: list, name: str = "") -> Lyrics:
    """[step, text, syllabic] triples (the JSON file) -> Lyrics."""
    text, ws, we, pu, steps = [], [], [], [], []
    for step, raw, syllabic in triples:
        core, punct = _punct_of(raw)
        text.append(core or raw)
        ws.append(syllabic in ("begin", "single"))
        we.append(syllabic in ("end", "single"))
        pu.append(punct)
        steps.append(step)
    return Lyrics(text, np.array(ws), np.array(we), np.array(pu, dtype=np.int64), np.array(steps), name)


def lyrics_path() -> Path:
    from ..paths import samples_dir
    return samples_dir() / LYRICS_FILE


@lru_cache(maxsize=2)
def _read(path: str) -> dict:
    from ..paths import DataError

    if not Path(path).exists():
        raise DataError(f"{path}: missing; remake it with: python data_samples/music/make_chorales.py --lyrics")
    return json.loads(Path(path).read_text())


def load_lyric_chorales(split: str = "train", path: str | os.PathLike | None = None) -> list[tuple[Song, Lyrics]]:
    """(chorale, its lyrics) for every chorale of the split that has lyrics (241 train, 39 test)."""
    data = _read(str(Path(path) if path else lyrics_path()))["chorales"]
    return [(s, lyrics_from_entry(data[s.name], s.name)) for s in load_chorales(split) if s.name in data]


# ---------------------------------------------------------------------------------------
# What a model sees of a syllable, and what Bach did with it
# ---------------------------------------------------------------------------------------

N_FEATURES = 13


def syllable_features(lyrics: Lyrics) -> np.ndarray:
    """(S, 13) float32 per syllable: word start, word end, one-syllable word, punctuation (none/comma/stop,
    one-hot), first syllable, last syllable, syllables to the next punctuation and since the last one
    (/ 8, capped at 1), syllables left (/ 16, capped), the syllable's letters (/ 6, capped) and whether
    the previous syllable ended a phrase. The words themselves are not used (the texts are German)."""
    s = len(lyrics)
    f = np.zeros((s, N_FEATURES), dtype=np.float32)
    stops = np.flatnonzero(lyrics.punct > 0)
    f[:, 0], f[:, 1] = lyrics.word_start, lyrics.word_end
    f[:, 2] = lyrics.word_start & lyrics.word_end
    f[np.arange(s), 3 + lyrics.punct] = 1
    f[0, 6], f[-1, 7] = 1, 1
    for i in range(s):
        nxt = stops[stops >= i]
        prv = stops[stops < i]
        f[i, 8] = min((nxt[0] - i if len(nxt) else s - 1 - i) / 8, 1)
        f[i, 9] = min((i - prv[-1] - 1 if len(prv) else i) / 8, 1)
        f[i, 12] = float(len(prv) > 0 and prv[-1] == i - 1)
    f[:, 10] = np.minimum((s - 1 - np.arange(s)) / 16, 1)
    f[:, 11] = np.minimum([len(t) / 6 for t in lyrics.text], 1)
    return f


def syllable_settings(song: Song, lyrics: Lyrics) -> tuple[list[tuple], np.ndarray, int]:
    """Bach's setting of each syllable: (patterns, fermata, start). patterns[i] = the rhythm (0 rest / 1 hold /
    2 onset) from syllable i's onset to syllable i+1's (the last: to the end of its last note); fermata (S,)
    bool = a note of the syllable has a fermata; start = the first syllable's step within its bar."""
    rhythm = np.minimum(song.melody, 2)
    steps = list(lyrics.steps) + [None]
    patterns, fermata = [], np.zeros(len(lyrics), dtype=bool)
    for i in range(len(lyrics)):
        a, b = int(steps[i]), steps[i + 1]
        if b is None:
            b = a + 1
            while b < song.n_steps and rhythm[b] == 1:
                b += 1
        patterns.append(tuple(int(r) for r in rhythm[a:b]))
        fermata[i] = bool(song.fermata[a:b].any())
    return patterns, fermata, int(lyrics.steps[0]) % STEPS_PER_BAR


def notes_per_syllable(melody: np.ndarray, steps: np.ndarray) -> np.ndarray:
    """(S,) how many notes start in each syllable's span (1 = syllabic, 2+ = a melisma)."""
    onsets = np.flatnonzero(np.asarray(melody) >= 2)
    bounds = list(steps) + [len(melody)]
    return np.array([int(((onsets >= a) & (onsets < b)).sum()) for a, b in zip(bounds, bounds[1:])])
