"""The three roles of regeneration learning and the Regenerator that composes them. Modality-neutral:
nothing here knows an image, a wave, a word or a melody (names -> components live in registry.py).

    extract   Y  -> Y'   (explicit rule or self-supervised model; no labels needed)
    prior     X  -> Y'   (a generative model of the compact representation: P(Y'|X))
    render    Y' -> Y    (a generative/decoding model of the details: P(Y|Y'))

Direct generation is the special case extractor = identity: the *same* Regenerator class runs
the direct baseline and every two-stage pipeline.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

import torch


class Renderer:
    """Y' -> Y. An algorithm (bicubic, inverse DCT) or a trained decoder."""

    def render(self, y_prime: torch.Tensor, *, generator: torch.Generator | None = None) -> torch.Tensor:
        raise NotImplementedError


@dataclass
class Sizes:
    """How big one Y and its Y' are: the numbers describe() reports. A modality says what "one Y" is (an
    image, one second of audio, a word, a bar) and, for variable lengths, gives means over its held-out data."""

    shape: list | dict      # the shape of one Y' (its fields, for a structured Y'; ["L'"] for a sequence)
    numel: float            # numbers in one Y'
    bits: float             # bits to store one Y'
    y_numel: float          # numbers in one Y
    y_bits: float           # bits to store one Y
    extra: dict = field(default_factory=dict)   # the modality's own entries (e.g. "per": "one 4/4 bar")


class Extractor:
    """Y -> Y'. Every extractor carries its matching renderer so Y -> Y' -> Y always round-trips.

    Class attributes describe the representation; each modality implements `sizes()` (what one Y and
    its Y' hold), and `describe()` builds the summary on it.
    """

    name: str = "extractor"
    modality: str                   # the package it belongs to: "image" | "speech" | "text" | "music" | "toy"
    kind: str = "explicit"          # "explicit" (a rule) | "implicit" (a self-supervised model)
    discrete: bool = False          # integer codes (True) or real values (False)
    layout: str                     # how Y' is best drawn: "image" | "frequencies" | "channels" | "codes" | "vector"
    #                                 | "spectrogram" | "sequence" | "template" | "piano_roll"
    renderer: Renderer

    def extract(self, y: Any) -> Any:
        raise NotImplementedError

    def render(self, y_prime: Any, *, generator: torch.Generator | None = None) -> Any:
        return self.renderer.render(y_prime, generator=generator)

    def to(self, device) -> "Extractor":
        """Move any learned parts to `device` (explicit rules follow their input). Returns self."""
        return self

    def sizes(self) -> Sizes:
        """What one Y and its Y' hold (numbers and bits): each modality says, for its own kind of Y."""
        raise NotImplementedError(f"{type(self).__name__} must implement sizes(): how big one Y and its Y' are")

    def describe(self) -> dict:
        s = self.sizes()
        return {
            "name": self.name,
            "modality": self.modality,
            "kind": self.kind,
            "discrete": self.discrete,
            "layout": self.layout,
            "shape": s.shape,
            "numel": s.numel,
            "dim_ratio": s.y_numel / s.numel,      # how many fewer numbers than Y
            "bits": s.bits,
            "compression": s.y_bits / s.bits,      # how many fewer bits than Y
            **s.extra,
            "notes": self.notes(),
        }

    def notes(self) -> str:
        return ""


class TensorExtractor(Extractor):
    """An extractor whose Y is a fixed-shape tensor (an image, a second of audio, a 2-D point): the shape of
    Y' is found by extracting one blank Y. The modality sets `input_shape` and `input_bits_per_value`."""

    input_shape: tuple[int, ...]    # shape of one Y, without the batch dimension
    input_bits_per_value: float     # bits to store one entry of Y

    def bits_per_value(self) -> float:
        """Bits to store one entry of Y': log2(K) for codes, 32 for float32 values."""
        return 32.0

    def code_shape(self) -> tuple[int, ...]:
        """Shape of one Y' (without the batch dimension), found by extracting a blank Y."""
        with torch.no_grad():
            return tuple(self.extract(torch.zeros(1, *self.input_shape)).shape[1:])

    def sizes(self) -> Sizes:
        shape = self.code_shape()
        numel, y_numel = math.prod(shape), math.prod(self.input_shape)
        return Sizes(list(shape), numel, numel * self.bits_per_value(), y_numel, y_numel * self.input_bits_per_value)


class Prior(Protocol):
    """X -> Y': a conditional generative model of the compact representation."""

    def sample(self, x: torch.Tensor, *, generator: torch.Generator | None = None, **kw) -> torch.Tensor: ...


class Regenerator:
    """X -> Y' -> Y. With the identity extractor this *is* direct generation X -> Y."""

    def __init__(self, extractor: Extractor, prior: Prior | None = None, renderer: Renderer | None = None):
        self.extractor = extractor
        self.prior = prior
        self.renderer = renderer if renderer is not None else extractor.renderer

    @torch.no_grad()
    def generate(self, x: torch.Tensor, *, generator: torch.Generator | None = None, **sample_kw):
        """Y' ~ P(Y'|X), then Y ~ P(Y|Y'). Returns (y_prime, y)."""
        if self.prior is None:
            raise RuntimeError(f"this Regenerator has no prior for {self.extractor.name!r}; it can only reconstruct")
        y_prime = self.prior.sample(x, generator=generator, **sample_kw)
        return y_prime, self.renderer.render(y_prime, generator=generator)

    @torch.no_grad()
    def reconstruct(self, y: torch.Tensor, *, generator: torch.Generator | None = None):
        """Oracle Y' = extract(Y), then render: isolates the error of the rendering stage."""
        y_prime = self.extractor.extract(y)
        return y_prime, self.renderer.render(y_prime, generator=generator)


@dataclass
class PipelineSpec:
    """A named pipeline X -> Y' -> Y, by the names of its parts (each modality's pipelines.py turns them into
    one Regenerator). The direct baseline is the same spec with the modality's identity extractor."""

    name: str
    modality: str                   # the package that builds it: "image" | "speech" | "text" | "music"
    extractor: str                  # Y -> Y': a name in the modality's EXTRACTORS table
    prior: str | None               # checkpoint of P(Y'|X); None: no X yet, the pipeline only reconstructs
    renderer: str | None = None     # checkpoint of a learned renderer P(Y|Y') (None: the extractor's own rule)
    sample_kw: dict = field(default_factory=dict)   # default settings of prior.sample
    summary: str = ""
    direct: bool = False            # True: this is the direct baseline (extractor = identity, Y' = Y)
    baseline: str | None = None     # the direct pipeline this one is compared with (None: the modality has none)


@dataclass
class RoundTrip:
    """Y -> Y' = extract(Y) -> Y_hat = render(Y'): what every modality's round_trip(name, y) returns."""

    y: Any                          # the input Y (a batch of images, a wave, words, a song)
    y_prime: Any                    # Y' = extract(Y), the oracle representation
    y_hat: Any                      # render(Y')
    metrics: dict = field(default_factory=dict)     # how close Y_hat is to Y, in the modality's measures
    seconds: dict = field(default_factory=dict)     # {"extract": s, "render": s}
    notes: list[str] = field(default_factory=list)  # sentences for a reader: what was lost, what was guessed

    @classmethod
    def run(cls, pipe: Regenerator, y, *, generator: torch.Generator | None = None) -> "RoundTrip":
        """Regenerator.reconstruct(y) with each stage timed; the modality adds the metrics and notes."""
        t0 = time.perf_counter()
        with torch.no_grad():
            y_prime = pipe.extractor.extract(y)
            t1 = time.perf_counter()
            y_hat = pipe.renderer.render(y_prime, generator=generator)
        t2 = time.perf_counter()
        return cls(y, y_prime, y_hat, seconds={"extract": t1 - t0, "render": t2 - t1})
