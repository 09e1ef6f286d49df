"""Music: melody -> template -> melody, in the spirit of TeleMelody (Ju et al. 2022).

    extract   Y  -> Y'   a template: one chord per beat, the rhythm, the cadences (an explicit rule)
    render    Y' -> Y    a tiny autoregressive transformer trained on (extract(y), y) pairs (renderers.py),
                         or the rule baseline below: a random chord tone at every onset
    prior     X  -> Y'   a Markov chain over chords + rhythms copied from the corpus (priors.py)

The template Y' of a Song with T eighth-note steps and B = T / 2 beats (all relative to the key, so
a template in G major and one in C major share their statistics):

    chords   (B,)  int   chord per beat: root (0..11 semitones above the tonic) * 9 + quality, or N = 108
    rhythm   (T,)  int   0 rest, 1 hold, 2 onset: the melody with every pitch replaced by "onset"
    cadence  (B,)  bool  phrase ends: beats where a melody note with a fermata starts
    tonic, mode          the key, carried along (the renderer writes the melody in this key)

The chord of a beat is found by pitch-class matching against 9 chord types x 12 roots on the
sonority at the beat's onset in all four voices (`recognize_chord`; tests cross-check it with
music21's own chord analysis). For a bare melody (no texture: an uploaded single line, or
`source="melody"`) the notes of the beat are matched instead, which is a much weaker guess.

How the core Extractor interface fits symbolic sequences: a Song is one variable-length piece, not a
batch of fixed-shape tensors, so extract/render take one Song / Template (or a list of them); the
arrays are numpy (nothing is differentiated through them; the learned renderer makes its own padded
tensors). describe() is overridden to count bits per field of one 4/4 bar (log2 109 per chord,
log2 3 per rhythm step, 1 per cadence flag) against the melody's log2(63) bits per step, and
layout = "template" tells the app to draw a template chart. Nothing in core.py had to change:
Regenerator only passes Y' from extract/prior to render, whatever its type. (By that count a bar of Y'
takes 43.8 bits and a bar of Y 47.8: the template keeps the whole rhythm, so it is barely smaller; its
value is that it is easy to predict and fixes most of the melody: see benchmarks/music_templates.py.)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .song import HOLD, PITCH_NAMES, REST, STEPS_PER_BAR, STEPS_PER_BEAT, Song, token_pitch

# chord types as intervals above the root; the order breaks ties (triads before sevenths)
QUALITIES = {"maj": (0, 4, 7), "min": (0, 3, 7), "dim": (0, 3, 6), "aug": (0, 4, 8), "7": (0, 4, 7, 10),
             "m7": (0, 3, 7, 10), "maj7": (0, 4, 7, 11), "hdim7": (0, 3, 6, 10), "dim7": (0, 3, 6, 9)}
QUALITY_NAMES = list(QUALITIES)
NQ = len(QUALITIES)
N_CHORD = 12 * NQ                   # id of "no chord" (silence)
NUM_CHORDS = N_CHORD + 1            # 109
RHYTHM_REST, RHYTHM_HOLD, RHYTHM_ONSET = 0, 1, 2
# chord tones of each (root, quality) as a (108, 12) 0/1 matrix: row root * 9 + q
CHORD_TONES = np.zeros((N_CHORD, 12), dtype=bool)
for _r in range(12):
    for _q, _iv in enumerate(QUALITIES.values()):
        CHORD_TONES[_r * NQ + _q, [(_r + i) % 12 for i in _iv]] = True
# scale degrees preferred when a guess is ambiguous (I, V, IV, vi, ii, iii, vii); tiny weights, ties only
_PREFER = {0: 0.06, 7: 0.05, 5: 0.04, 9: 0.03, 2: 0.02, 4: 0.01, 11: 0.005}
SCALES = np.zeros((2, 12), dtype=bool)          # pitch classes of the major / minor (natural + harmonic) scale
SCALES[0, [0, 2, 4, 5, 7, 9, 11]] = True
SCALES[1, [0, 2, 3, 5, 7, 8, 10, 11]] = True
_ROMAN = ["I", "bII", "II", "bIII", "III", "IV", "#IV", "V", "bVI", "VI", "bVII", "VII"]
_SUFFIX = {"maj": "", "min": "m", "dim": "o", "aug": "+", "7": "7", "m7": "m7", "maj7": "maj7", "hdim7": "m7b5",
           "dim7": "o7"}


def recognize_chord(pcs: np.ndarray, bass_pc: int | None = None) -> tuple[int, int] | None:
    """The (root pitch class, quality index) that best explains the pitch classes `pcs` (12,) bool,
    or None for silence. Score = tones matched - extra tones - 0.3 * chord tones missing + 0.25 if the
    bass is the root (so a complete triad beats a seventh chord missing a tone, even over its root);
    ties go to the simpler chord, then to the chord found first (roots from C up)."""
    pcs = np.asarray(pcs, dtype=bool)
    if not pcs.any():
        return None
    matched = (CHORD_TONES & pcs).sum(1)
    extra = (~CHORD_TONES & pcs).sum(1)
    missing = (CHORD_TONES & ~pcs).sum(1)
    score = matched - extra - 0.3 * missing
    if bass_pc is not None:
        score = score + 0.25 * (np.arange(N_CHORD) // NQ == bass_pc)
    best = int(np.argmax(score - 1e-3 * (np.arange(N_CHORD) % NQ)))
    return best // NQ, best % NQ


def chord_id(root_rel: int, quality: int) -> int:
    return (root_rel % 12) * NQ + quality


def chord_label(cid: int, tonic: int | None = None) -> str:
    """'V7', 'vi', 'N' relative to the key; with `tonic`, the absolute name instead ('D7', 'Em')."""
    if cid == N_CHORD:
        return "N"
    root, q = divmod(int(cid), NQ)
    name = QUALITY_NAMES[q]
    if tonic is not None:
        return PITCH_NAMES[(root + tonic) % 12] + _SUFFIX[name]
    roman = _ROMAN[root]
    if name in ("min", "dim", "m7", "hdim7", "dim7"):
        roman = roman.lower()
    return roman + {"maj": "", "min": "", "dim": "o", "aug": "+", "7": "7", "m7": "7", "maj7": "maj7",
                    "hdim7": "ø7", "dim7": "o7"}[name]


@dataclass
class Template:
    chords: np.ndarray          # (B,) chord ids relative to the key (N_CHORD = silence)
    rhythm: np.ndarray          # (T,) 0 rest, 1 hold, 2 onset
    cadence: np.ndarray         # (B,) bool phrase ends
    tonic: int = 0
    mode: int = 0

    @property
    def n_steps(self) -> int:
        return len(self.rhythm)

    @property
    def n_beats(self) -> int:
        return len(self.chords)

    def labels(self, absolute: bool = False) -> list[str]:
        return [chord_label(c, self.tonic if absolute else None) for c in self.chords]

    def summary(self) -> dict:
        """Y' as text, for display: the key, chords bar by bar (relative and absolute), cadence beats."""
        from .song import key_name

        beats = STEPS_PER_BAR // STEPS_PER_BEAT
        bars = lambda names: " | ".join(" ".join(names[i:i + beats]) for i in range(0, len(names), beats))  # noqa: E731
        return {"key": key_name(self.tonic, self.mode), "bars": self.n_steps // STEPS_PER_BAR,
                "chords": bars(self.labels()), "chord_names": bars(self.labels(absolute=True)),
                "cadence_beats": np.flatnonzero(self.cadence).tolist(),
                "onsets": int((self.rhythm == RHYTHM_ONSET).sum())}

    def chord_pcs(self) -> np.ndarray:
        """(B, 12) bool: the absolute pitch classes of each beat's chord (all False for N)."""
        rel = np.zeros((self.n_beats, 12), dtype=bool)
        ok = self.chords < N_CHORD
        rel[ok] = CHORD_TONES[self.chords[ok]]
        return np.roll(rel, self.tonic, axis=1)

    def chord_pitches(self, low: int = 48) -> list[list[int]]:
        """Each beat's chord as MIDI pitches in the octave from `low` (for playback), [] for N."""
        out = []
        for c in self.chords:
            if c == N_CHORD:
                out.append([])
                continue
            root, q = divmod(int(c), NQ)
            r = low + (root + self.tonic) % 12
            out.append([r + i for i in QUALITIES[QUALITY_NAMES[q]]])
        return out


def rhythm_of(melody: np.ndarray) -> np.ndarray:
    """(T,) melody tokens -> (T,) rhythm: 0 rest, 1 hold, 2 onset."""
    return np.minimum(np.asarray(melody), RHYTHM_ONSET)


def cadences_of(song: Song) -> np.ndarray:
    """(B,) bool: beats where a fermata note starts; for a melody without fermatas, beats where a note
    of two beats or more starts or a note is followed by a rest, and the last note."""
    n_beats = song.n_steps // STEPS_PER_BEAT
    cad = np.zeros(n_beats, dtype=bool)
    if song.fermata is not None and song.fermata.any():
        cad[np.flatnonzero(song.fermata) // STEPS_PER_BEAT] = True
        return cad
    notes = song.notes()
    for i, (on, dur, _) in enumerate(notes):
        nxt = notes[i + 1][0] if i + 1 < len(notes) else None
        if dur >= 2 * STEPS_PER_BEAT or nxt is None or nxt > on + dur:
            cad[on // STEPS_PER_BEAT] = True
    return cad


def extract_template(song: Song, source: str = "auto") -> Template:
    """Y -> Y'. source: "texture" (all voices at each beat onset), "melody" (the melody notes of each
    beat), or "auto" (texture when the song has one)."""
    if source not in ("auto", "texture", "melody"):
        raise ValueError(f"source must be 'auto', 'texture' or 'melody', not {source!r}")
    use_texture = song.chroma is not None and source != "melody"
    if source == "texture" and song.chroma is None:
        raise ValueError(f"{song.name or 'this song'} has no accompanying texture; use source='melody'")
    n_beats = song.n_steps // STEPS_PER_BEAT
    chords = np.full(n_beats, N_CHORD, dtype=np.int64)
    for b in range(n_beats):
        t = b * STEPS_PER_BEAT
        if use_texture:
            pcs, bass = song.chroma[t], (int(song.bass[t]) % 12 if song.bass[t] else None)
        else:   # the melody notes sounding anywhere in this beat
            pcs, bass = np.zeros(12, dtype=bool), None
            for s in range(t, t + STEPS_PER_BEAT):
                j = s
                while j >= 0 and song.melody[j] == HOLD:
                    j -= 1
                if song.melody[s] != REST and j >= 0 and song.melody[j] >= 2:
                    pcs[token_pitch(song.melody[j]) % 12] = True
        found = recognize_chord(pcs, bass) if use_texture else _guess_from_melody(pcs, song.tonic, song.mode)
        if found is not None:
            chords[b] = chord_id(found[0] - song.tonic, found[1])
    return Template(chords=chords, rhythm=rhythm_of(song.melody[: n_beats * STEPS_PER_BEAT]),
                    cadence=cadences_of(song), tonic=song.tonic, mode=song.mode)


def _guess_from_melody(pcs: np.ndarray, tonic: int, mode: int) -> tuple[int, int] | None:
    """A major or minor triad holding the beat's melody notes, preferring chords of the key's scale
    (natural + harmonic minor in minor); ties go to I, V, IV, vi, ii, iii, vii in that order."""
    if not pcs.any():
        return None
    rel = np.roll(pcs, -tonic)                                     # relative to the tonic
    triads = np.arange(N_CHORD) % NQ < 2                          # major and minor triads only
    in_scale = ~(CHORD_TONES & ~SCALES[mode]).any(1)
    score = (CHORD_TONES & rel).sum(1) - (~CHORD_TONES & rel).sum(1) - 10.0 * ~triads + 0.5 * in_scale
    score = score + np.array([_PREFER.get(c // NQ, 0.0) for c in range(N_CHORD)])
    best = int(np.argmax(score))
    return (best // NQ + tonic) % 12, best % NQ


