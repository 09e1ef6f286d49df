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
from typing import Protocol

import torch


class Renderer:
    """Y' -> Y. An algorithm (bicubic, inverse DCT) or a trained decoder."""

    def render(self, y_prime: torch.Tensor, *, generator: torch.Generator | None = None) -> torch.Tensor:
        raise NotImplementedError


class Extractor:
    """Y -> Y'. Every extractor carries its matching renderer so Y -> Y' -> Y always round-trips.

    Class attributes describe the representation; `describe()` adds the measured shape and size.
    """

    name: str = "extractor"
    modality: str = "image"
    kind: str = "explicit"          # "explicit" (a rule) | "implicit" (a self-supervised model)
    discrete: bool = False          # integer codes (True) or real values (False)
    layout: str = "channels"        # how Y' is best drawn: "image" | "frequencies" | "channels" | "codes"
    #                                 | "spectrogram" (speech: frequency x time)
    renderer: Renderer
    input_shape: tuple[int, ...] = (1, 28, 28)   # shape of one Y (speech: one second, so describe() is per second)
    input_bits_per_value: int = 8                # Y is an 8-bit image

    def extract(self, y: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def render(self, y_prime: torch.Tensor, *, generator: torch.Generator | None = None) -> torch.Tensor:
        return self.renderer.render(y_prime, generator=generator)

    def to(self, device) -> "Extractor":
        """Move any learned parts to `device` (explicit rules follow their input). Returns self."""
        return self

    def bits_per_value(self) -> float:
        """Bits to store one entry of Y': log2(K) for codes, 32 for float32 values."""
        return 32.0

    def code_shape(self) -> tuple[int, ...]:
        """Shape of one Y' (without the batch dimension), found by extracting a blank Y."""
        with torch.no_grad():
            return tuple(self.extract(torch.zeros(1, *self.input_shape)).shape[1:])

    def describe(self) -> dict:
        shape = self.code_shape()
        numel = math.prod(shape)
        bits = numel * self.bits_per_value()
        y_bits = math.prod(self.input_shape) * self.input_bits_per_value
        return {
            "name": self.name,
            "modality": self.modality,
            "kind": self.kind,
            "discrete": self.discrete,
            "layout": self.layout,
            "shape": list(shape),
            "numel": numel,
            "dim_ratio": math.prod(self.input_shape) / numel,  # how many fewer numbers than Y
            "bits": bits,
            "compression": y_bits / bits,                      # vs the 8-bit image
            "notes": self.notes(),
        }

    def notes(self) -> str:
        return ""


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
