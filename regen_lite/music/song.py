"""Symbolic music for the kit: a melody on an eighth-note grid, the shipped Bach chorales, reading
MIDI / MusicXML uploads (with clear errors), and writing MIDI.

Y (a melody) is a `Song`: one token per eighth note of 4/4 time (8 steps per bar, step 0 = a downbeat;
a pickup is padded with rests so that bar lines fall on multiples of 8):

    token 0        REST    nothing sounds
    token 1        HOLD    the previous note goes on
    token 2 + p-36 ONSET   a new note of MIDI pitch p, for p in 36..96 (C2..C7)

so a quarter-note G4 then an eighth A4 is [2+31, 1, 2+33]. Sixteenths and shorter notes that start
between two grid points are dropped (the earlier note is held); in the chorales that loses 0.7% of
the soprano notes (measured by data_samples/music/make_chorales.py).

A Song is one piece of any length, held in numpy arrays (nothing is differentiated through it);
besides the melody it may carry the full four-part texture it came from, which the chord
extractor (template.py, extractors.py) reads:

    melody   (T,)     int     tokens as above
    chroma   (T, 12)  bool    pitch classes sounding in all parts at each step (None: melody only)
    bass     (T,)     int     lowest MIDI pitch sounding in all parts at each step, 0 = none
    fermata  (T,)     bool    melody notes marked with a fermata (phrase ends), at their onset step
    tonic    int 0..11 (C = 0), mode 0 = major, 1 = minor

music21 (which also ships the chorales) is imported only by the functions that read or write files.
"""

from __future__ import annotations

import math
import os
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

STEPS_PER_BEAT = 2                      # eighth-note grid
BEATS_PER_BAR = 4                       # 4/4 only
STEPS_PER_BAR = STEPS_PER_BEAT * BEATS_PER_BAR
REST, HOLD = 0, 1
PITCH_LO, PITCH_HI = 36, 96             # C2 .. C7, inclusive
VOCAB = 2 + PITCH_HI - PITCH_LO + 1     # 63 melody tokens
MAX_BARS = 64                           # longer uploads are trimmed (with a notice)
MAX_FILE_BYTES = 2_000_000
PITCH_NAMES = ["C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"]
MODES = ["major", "minor"]
CHORALES_FILE = "music/chorales.npz"


class MusicInputError(ValueError):
    """A file or melody the kit cannot use; the message is meant for the user."""


def pitch_token(midi: int) -> int:
    return 2 + int(midi) - PITCH_LO


def token_pitch(token: int) -> int:
    """MIDI pitch of an onset token (token >= 2)."""
    return int(token) - 2 + PITCH_LO


def key_name(tonic: int, mode: int) -> str:
    return f"{PITCH_NAMES[tonic % 12]} {MODES[mode]}"


@dataclass
class KeyLength:
    """X for music: the key and the length of the melody to generate."""
    tonic: int = 0      # 0..11, C = 0
    mode: int = 0       # 0 major, 1 minor
    bars: int = 8


@dataclass
class Song:
    melody: np.ndarray                      # (T,) int tokens: REST, HOLD or 2 + midi - 36
    tonic: int = 0                          # 0..11, C = 0
    mode: int = 0                           # 0 major, 1 minor
    chroma: np.ndarray | None = None        # (T, 12) bool, all parts; None = melody only
    bass: np.ndarray | None = None          # (T,) int lowest sounding MIDI pitch, 0 = none
    fermata: np.ndarray | None = None       # (T,) bool at melody onsets marked with a fermata
    name: str = ""
    meta: dict = field(default_factory=dict)

    def __post_init__(self):
        self.melody = np.asarray(self.melody, dtype=np.int64)
        if self.fermata is None:
            self.fermata = np.zeros(len(self.melody), dtype=bool)

    @property
    def n_steps(self) -> int:
        return len(self.melody)

    @property
    def n_bars(self) -> int:
        return math.ceil(self.n_steps / STEPS_PER_BAR)

    @property
    def key(self) -> str:
        return key_name(self.tonic, self.mode)

    def notes(self) -> list[tuple[int, int, int]]:
        """The melody as (onset step, duration in steps, MIDI pitch) triples."""
        return melody_notes(self.melody)

    def melody_only(self) -> "Song":
        """The same melody without the accompanying texture (what an extractor sees for a bare tune)."""
        return replace(self, chroma=None, bass=None)


def melody_notes(melody: np.ndarray) -> list[tuple[int, int, int]]:
    out = []
    for t, tok in enumerate(melody):
        if tok >= 2:
            out.append([t, 1, token_pitch(tok)])
        elif tok == HOLD and out and out[-1][0] + out[-1][1] == t:
            out[-1][1] += 1
    return [tuple(n) for n in out]


def melody_from_notes(notes, n_steps: int) -> np.ndarray:
    """(onset step, duration, MIDI pitch) triples -> (n_steps,) tokens; later notes cut earlier ones short."""
    mel = np.full(n_steps, REST, dtype=np.int64)
    for on, dur, p in sorted(notes):
        if on >= n_steps:
            continue
        mel[on] = pitch_token(p)
        mel[on + 1:min(n_steps, on + dur)] = HOLD
    return mel


# ---------------------------------------------------------------------------------------
# The shipped chorales (made once by data_samples/music/make_chorales.py)
# ---------------------------------------------------------------------------------------

def chorales_path() -> Path:
    from ..paths import samples_dir
    return samples_dir() / CHORALES_FILE


def load_chorales(split: str = "train", path: str | os.PathLike | None = None) -> list[Song]:
    """The 4/4 Bach chorales of music21's corpus as Songs: split "train", "test" or "all".
    The split is by tune: every harmonisation of one chorale melody is on the same side."""
    from ..paths import DataError

    path = Path(path) if path else chorales_path()
    if not path.exists():
        raise DataError(f"{path}: missing; remake it with: python data_samples/music/make_chorales.py")
    if split not in ("train", "test", "all"):
        raise ValueError(f"split must be 'train', 'test' or 'all', not {split!r}")
    z = np.load(path, allow_pickle=False)
    off = z["offsets"]
    chroma_bits = z["chroma"].astype(np.int64)
    chroma = ((chroma_bits[:, None] >> np.arange(12)) & 1).astype(bool)      # (S, 12)
    songs = []
    for i in range(len(z["names"])):
        if split != "all" and z["split"][i] != (1 if split == "test" else 0):
            continue
        s = slice(off[i], off[i + 1])
        songs.append(Song(melody=z["melody"][s].astype(np.int64), tonic=int(z["tonic"][i]), mode=int(z["mode"][i]),
                          chroma=chroma[s], bass=z["bass"][s].astype(np.int64), fermata=z["fermata"][s].astype(bool),
                          name=str(z["names"][i]), meta={"group": int(z["group"][i])}))
    return songs


def chorales_hash(path: str | os.PathLike | None = None) -> str:
    """SHA-256 prefix of the chorale arrays (not of the .npz bytes, which hold zip timestamps); recorded
    beside the weights trained on them."""
    import hashlib

    h = hashlib.sha256()
    with np.load(Path(path) if path else chorales_path(), allow_pickle=False) as z:
        for k in sorted(z.files):
            h.update(k.encode() + np.ascontiguousarray(z[k]).tobytes())
    return h.hexdigest()[:16]


def get_chorale(name: str) -> Song:
    """One shipped chorale by name, e.g. get_chorale("bwv165.6")."""
    songs = load_chorales("all")
    for s in songs:
        if s.name == name:
            return s
    raise KeyError(f"no chorale {name!r}; there are {len(songs)}, e.g. {', '.join(s.name for s in songs[:4])}")


# ---------------------------------------------------------------------------------------
# music21 score -> Song (used for the corpus and for uploads)
# ---------------------------------------------------------------------------------------

def _events(part, pad: float):
    """All pitched notes of a music21 part as (onset, end, [midi...], has_fermata), in quarter notes."""
    from music21 import expressions

    out = []
    for n in part.stripTies().flatten().notes:
        ql = float(n.quarterLength)
        if ql <= 0:            # grace notes
            continue
        pitches = [int(p.midi) for p in getattr(n, "pitches", [])]
        if not pitches:        # unpitched (percussion)
            continue
        fermata = any(isinstance(e, expressions.Fermata) for e in n.expressions)
        on = float(n.offset) + pad
        out.append((on, on + ql, pitches, fermata))
    return out


def _sounding(events, t: float):
    return [e for e in events if e[0] <= t + 1e-9 < e[1] - 1e-9]


def song_from_score(score, name: str = "", strict: bool = False, max_bars: int = MAX_BARS) -> tuple[Song, list[str]]:
    """A music21 score -> (Song, notices). The melody is the part called Soprano, else the highest part
    (its top note where it has chords); the texture is every part. Raises MusicInputError for input the
    kit cannot use. strict=True (the corpus) also refuses pickups that do not line up with the bars."""
    from music21 import meter

    notices: list[str] = []
    meters = {ts.ratioString for ts in score.recurse().getElementsByClass(meter.TimeSignature)}
    if meters - {"4/4"}:
        raise MusicInputError(f"this piece is in {', '.join(sorted(meters))} time; only 4/4 melodies are supported")
    parts = list(getattr(score, "parts", [])) or [score]
    measures = list(parts[0].getElementsByClass("Measure"))
    pad = float(measures[0].paddingLeft) if measures else 0.0   # a pickup bar is padded with rests
    per_part = [_events(p, pad) for p in parts]
    per_part = [(p, ev) for p, ev in zip(parts, per_part) if ev]
    if not per_part:
        raise MusicInputError("the file contains no pitched notes")
    if strict:
        for m in measures[1:]:   # a bar split at a phrase end resumes with paddingLeft = the beats already played
            if (float(m.offset) + pad - float(m.paddingLeft)) % BEATS_PER_BAR:
                raise MusicInputError(f"bar {m.number} does not start on a 4/4 bar line")
    named = [ev for p, ev in per_part if "soprano" in (p.partName or "").lower()]
    melody_ev = named[0] if named else max((ev for _, ev in per_part), key=lambda ev: np.mean([max(e[2]) for e in ev]))
    all_ev = [e for _, ev in per_part for e in ev]

    end = max(e[1] for e in all_ev)
    n_steps = math.ceil(end * STEPS_PER_BEAT / STEPS_PER_BAR - 1e-9) * STEPS_PER_BAR
    if n_steps > max_bars * STEPS_PER_BAR:
        notices.append(f"the piece has {n_steps // STEPS_PER_BAR} bars; only the first {max_bars} are used")
        n_steps = max_bars * STEPS_PER_BAR

    melody = np.full(n_steps, REST, dtype=np.int64)
    fermata = np.zeros(n_steps, dtype=bool)
    chroma = np.zeros((n_steps, 12), dtype=bool)
    bass = np.zeros(n_steps, dtype=np.int64)
    prev, seen = None, set()
    for t in range(n_steps):
        time = t / STEPS_PER_BEAT
        now = _sounding(melody_ev, time)
        if now:
            e = max(now, key=lambda e: max(e[2]))          # skyline: the top note is the melody
            if e is prev:
                melody[t] = HOLD
            else:
                melody[t] = pitch_token(min(max(max(e[2]), PITCH_LO), PITCH_HI))
                fermata[t] = e[3]
                seen.add(id(e))
            prev = e
        else:
            prev = None
        sounding = [p for e in _sounding(all_ev, time) for p in e[2]]
        for p in sounding:
            chroma[t, p % 12] = True
        bass[t] = min(sounding) if sounding else 0
    lost = sum(1 for e in melody_ev if e[0] < n_steps / STEPS_PER_BEAT and id(e) not in seen)
    top = [max(e[2]) for e in melody_ev]
    if min(top) < PITCH_LO or max(top) > PITCH_HI:
        notices.append(f"notes outside {PITCH_LO}..{PITCH_HI} (C2..C7) were clamped into that range")
    if (melody >= 2).sum() < 2:
        raise MusicInputError("no melody: fewer than two melody notes fall on the eighth-note grid")
    if lost and not strict:
        notices.append(f"{lost} short melody notes between eighth-note grid points were dropped")
    key = choose_key(score)
    song = Song(melody=melody, tonic=int(key.tonic.pitchClass), mode=0 if key.mode == "major" else 1,
                chroma=chroma if len(per_part) > 1 else None, bass=bass if len(per_part) > 1 else None,
                fermata=fermata, name=name,
                meta={"lost_notes": lost, "n_notes": len(melody_ev), "n_parts": len(per_part)})
    return song, notices


def choose_key(score):
    """The key of a score: the one written in the file (a music21 Key, which has a mode) when it has the
    same key signature as the key found by analysis (Krumhansl-Schmuckler, music21's analyze("key")),
    else the analysed one. Analysis alone often mistakes a melody for its relative major/minor; a
    written key alone is often a default (C major) in MIDI files."""
    from music21 import key as m21key

    found = score.analyze("key")
    written = [k for k in score.recurse().getElementsByClass(m21key.Key)]
    if written and written[0].sharps == found.sharps:
        return written[0]
    return found


SUFFIXES = {".mid": "midi", ".midi": "midi", ".musicxml": "musicxml", ".xml": "musicxml", ".mxl": "musicxml"}


def check_midi_complete(path: str | os.PathLike) -> None:
    """Refuse a MIDI file that was cut off. A standard MIDI file is a header chunk "MThd" (which says how
    many tracks follow) and one "MTrk" chunk per track, each chunk starting with its length in bytes;
    music21 reads a truncated file without complaint (as the notes before the cut), so the lengths are
    checked here. Files that are not MIDI at all are left to load_song, which says so."""
    data = Path(path).read_bytes()
    name = Path(path).name
    if not data.startswith(b"MThd"):
        return
    if len(data) < 14:
        raise MusicInputError(f"{name} is truncated: it ends inside its {len(data)}-byte MIDI header")
    declared, tracks, pos = int.from_bytes(data[10:12], "big"), 0, 0
    while pos + 8 <= len(data):
        tag, length = data[pos:pos + 4], int.from_bytes(data[pos + 4:pos + 8], "big")
        if pos + 8 + length > len(data):
            raise MusicInputError(f"{name} is truncated: a {tag.decode('latin-1')} chunk declares {length} bytes "
                                  f"but only {len(data) - pos - 8} are left (was the file cut off?)")
        tracks += tag == b"MTrk"
        pos += 8 + length
    if tracks < declared:
        raise MusicInputError(f"{name} is truncated: its header announces {declared} tracks but only "
                              f"{tracks} are in the file (was the file cut off?)")


def load_song(path: str | os.PathLike, name: str | None = None) -> tuple[Song, list[str]]:
    """Read a MIDI or MusicXML file (an upload) into a Song. Returns (song, notices about what was changed).
    Raises MusicInputError with a message for the user when the file cannot be used."""
    import music21

    path = Path(path)
    kind = SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise MusicInputError(f"expected a MIDI (.mid, .midi) or MusicXML (.musicxml, .xml, .mxl) file, "
                              f"not {path.suffix or 'a file without extension'}")
    if not path.exists():
        raise MusicInputError(f"{path.name}: file not found")
    size = path.stat().st_size
    if size == 0:
        raise MusicInputError(f"{path.name} is empty")
    if size > MAX_FILE_BYTES:
        raise MusicInputError(f"{path.name} is {size / 1e6:.1f} MB; the limit is {MAX_FILE_BYTES / 1e6:.0f} MB")
    if kind == "midi":
        check_midi_complete(path)
    try:
        score = music21.converter.parse(str(path), format=kind, forceSource=True)
    except Exception as e:  # music21 raises many types for malformed files
        why = str(e).splitlines()[0][:200] if str(e) else type(e).__name__
        raise MusicInputError(f"could not read {path.name} as {kind.upper()}: {why}") from e
    return song_from_score(score, name=name or path.stem)


# ---------------------------------------------------------------------------------------
# Song -> music21 stream -> MIDI / MusicXML
# ---------------------------------------------------------------------------------------

def to_stream(song: Song, chords: list[list[int]] | None = None, tempo: int = 96):
    """A music21 Score: the melody, and when `chords` (one list of MIDI pitches per beat) is given, a
    second part playing them as block chords."""
    from music21 import chord, key, meter, note, stream
    from music21 import tempo as m21tempo

    score = stream.Score()
    mel = stream.Part(id="melody")
    mel.partName = "Melody"
    mel.append(m21tempo.MetronomeMark(number=tempo))
    mel.append(meter.TimeSignature("4/4"))
    mel.append(key.Key(PITCH_NAMES[song.tonic], MODES[song.mode]))
    t = 0
    for on, dur, p in song.notes():
        if on > t:
            mel.insert(t / STEPS_PER_BEAT, note.Rest(quarterLength=(on - t) / STEPS_PER_BEAT))
        mel.insert(on / STEPS_PER_BEAT, note.Note(p, quarterLength=dur / STEPS_PER_BEAT))
        t = on + dur
    score.insert(0, mel)
    if chords is not None:
        acc = stream.Part(id="chords")
        acc.partName = "Chords"
        for b, pitches in enumerate(chords):
            if pitches:
                acc.insert(b, chord.Chord(pitches, quarterLength=1.0))
        score.insert(0, acc)
    return score


def write_midi(song: Song, path: str | os.PathLike | None = None, chords: list[list[int]] | None = None,
               tempo: int = 96) -> bytes:
    """Write the song (and optional per-beat chords) as a standard MIDI file; returns its bytes."""
    score = to_stream(song, chords, tempo)
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d) / "song.mid"
        score.write("midi", fp=str(tmp))
        data = tmp.read_bytes()
    if path is not None:
        Path(path).write_bytes(data)
    return data
