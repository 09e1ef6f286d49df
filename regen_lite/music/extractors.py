"""The music extractors Y -> Y': the chord/rhythm/cadence template, and the identity (direct generation)."""

from __future__ import annotations

import math

import numpy as np

from ..core import Extractor, Renderer, Sizes
from .song import STEPS_PER_BAR, STEPS_PER_BEAT, VOCAB, Song, melody_from_notes
from .template import NUM_CHORDS, RHYTHM_HOLD, RHYTHM_ONSET, Template, extract_template

# ---------------------------------------------------------------------------------------
# Renderers and extractors
# ---------------------------------------------------------------------------------------

class ChordToneRenderer(Renderer):
    """The rule baseline Y' -> Y: at every onset of the template rhythm, a chord tone of that beat's chord,
    drawn at random among those within a fifth of the previous note (all of them if none is)."""

    def __init__(self, low: int = 60, high: int = 81):
        self.low, self.high = low, high

    def render(self, y_prime: Template, *, generator=None) -> Song:
        import torch

        g = generator if generator is not None else torch.Generator().manual_seed(0)
        pcs = y_prime.chord_pcs()
        notes, prev = [], None
        for t in np.flatnonzero(y_prime.rhythm == RHYTHM_ONSET):
            allowed = pcs[t // STEPS_PER_BEAT]
            if not allowed.any():
                allowed = np.zeros(12, dtype=bool)
                allowed[[(y_prime.tonic + i) % 12 for i in (0, 4 - y_prime.mode, 7)]] = True
            cands = [p for p in range(self.low, self.high + 1) if allowed[p % 12]]
            near = [p for p in cands if prev is None or abs(p - prev) <= 7]
            pool = near or cands
            prev = pool[int(torch.randint(len(pool), (1,), generator=g))]
            dur = 1
            while t + dur < y_prime.n_steps and y_prime.rhythm[t + dur] == RHYTHM_HOLD:
                dur += 1
            notes.append((int(t), dur, prev))
        return Song(melody_from_notes(notes, y_prime.n_steps), tonic=y_prime.tonic, mode=y_prime.mode,
                    name="chord tones")


class ChordTemplateExtractor(Extractor):
    """Y' = chord per beat + rhythm + cadences (see the module docstring)."""

    name, modality, kind, discrete, layout = "chord_template", "music", "explicit", True, "template"

    def __init__(self, renderer: str = "learned", source: str = "auto", device="cpu"):
        self.source = source
        if renderer == "learned":
            from .renderers import load_template_renderer
            self.renderer = load_template_renderer(device=device)
        elif renderer == "chord_tones":
            self.renderer = ChordToneRenderer()
        else:
            raise ValueError(f"renderer must be 'learned' or 'chord_tones', not {renderer!r}")

    def to(self, device):
        if hasattr(self.renderer, "to"):
            self.renderer.to(device)
        return self

    def extract(self, y: Song | list[Song]) -> Template | list[Template]:
        if isinstance(y, (list, tuple)):
            return [extract_template(s, self.source) for s in y]
        return extract_template(y, self.source)

    def render(self, y_prime, *, generator=None):
        if isinstance(y_prime, (list, tuple)):
            if hasattr(self.renderer, "render_batch"):          # the learned renderer samples a batch at once
                return self.renderer.render_batch(list(y_prime), generator=generator)
            return [self.renderer.render(t, generator=generator) for t in y_prime]
        return self.renderer.render(y_prime, generator=generator)

    def sizes(self) -> Sizes:
        """One 4/4 bar: Y = 8 melody steps of log2(63) bits; Y' = 4 chords, 8 rhythm steps, 4 cadence flags."""
        beats = STEPS_PER_BAR // STEPS_PER_BEAT
        bits = beats * math.log2(NUM_CHORDS) + STEPS_PER_BAR * math.log2(3) + beats * 1.0
        return Sizes({"chords": beats, "rhythm": STEPS_PER_BAR, "cadence": beats}, 2 * beats + STEPS_PER_BAR, bits,
                     STEPS_PER_BAR, STEPS_PER_BAR * math.log2(VOCAB), extra={"per": "one 4/4 bar"})

    def notes(self):
        src = {"auto": "all voices when present, else the melody", "texture": "all voices", "melody": "the melody alone"}
        return (f"per bar: 4 chords (of {NUM_CHORDS}, relative to the key; from {src[self.source]}), 8 rhythm steps "
                "(rest/hold/onset), 4 cadence flags; bits count log2 of each alphabet, against log2(63) per melody step")


class MelodyIdentityRenderer(Renderer):
    def render(self, y_prime, *, generator=None):
        return y_prime


class MelodyIdentity(Extractor):
    """Y' = Y: with a melody prior (the unconditional MelodyNet) this is direct generation X -> Y."""

    name, modality, kind, discrete, layout = "melody_identity", "music", "explicit", True, "piano_roll"

    def __init__(self):
        self.renderer = MelodyIdentityRenderer()

    def extract(self, y):
        return y

    def sizes(self) -> Sizes:
        """One 4/4 bar: Y' = Y = 8 melody steps of log2(63) bits."""
        bits = STEPS_PER_BAR * math.log2(VOCAB)
        return Sizes([STEPS_PER_BAR], STEPS_PER_BAR, bits, STEPS_PER_BAR, bits)

    def notes(self):
        return "Y' = Y: the melody itself (direct generation)"


# the music extractors by name (read by regen_lite.registry): name -> (factory(**kw) -> Extractor, summary)
EXTRACTORS = {
    "chord_template": (ChordTemplateExtractor, "chord per beat + rhythm + cadences (TeleMelody-style template)"),
    "melody_identity": (MelodyIdentity, "Y' = Y, the melody itself (direct generation)"),
}
