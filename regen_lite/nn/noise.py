"""Random draws for a batch made of several requests, each with its own seed.

A sampler draws its noise with one torch.Generator: `torch.randn((B, C, H, W), generator=g)`. When a
server puts several users' requests into one batch (one sampling loop instead of several), each user
must still get the images their seed gives alone. `RowGenerators` is that: one generator per block of
rows. Drawing from it draws each block from its own generator, in the order the sampler asks, so a
request's rows see exactly the numbers they would see alone.

    g = RowGenerators([torch.Generator().manual_seed(0), torch.Generator().manual_seed(5)], sizes=[16, 4])
    x_T = randn((20, 4, 7, 7), g)        # rows 0..15 as randn((16, 4, 7, 7), seed 0), rows 16..19 as seed 5

The samplers in this package (ddim_sample, ddpm_sample, sample_codes) call `randn` and `multinomial`
from here, which accept a plain torch.Generator (or None) too and then draw exactly as torch does.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass
class RowGenerators:
    """generators[i] draws the noise of rows sum(sizes[:i]) .. sum(sizes[:i+1]) - 1 of every batch."""

    generators: list[torch.Generator]
    sizes: list[int]

    def __post_init__(self):
        if len(self.generators) != len(self.sizes) or min(self.sizes, default=1) < 1:
            raise ValueError(f"one generator per block of >= 1 rows: {len(self.generators)} generators, "
                             f"sizes {self.sizes}")

    @property
    def rows(self) -> int:
        return sum(self.sizes)

    def blocks(self, batch: int):
        """(generator, start, stop) per request, for a batch of `batch` rows (= self.rows)."""
        if batch != self.rows:
            raise ValueError(f"a batch of {batch} rows, but the generators cover {self.rows} ({self.sizes})")
        start = 0
        for g, n in zip(self.generators, self.sizes):
            yield g, start, start + n
            start += n


Generator = torch.Generator | RowGenerators | None


def randn(shape, generator: Generator = None, device="cpu", dtype=None) -> torch.Tensor:
    """N(0, I) noise of `shape` (B, ...): torch.randn, row block by row block for RowGenerators."""
    if not isinstance(generator, RowGenerators):
        return torch.randn(shape, generator=generator, device=device, dtype=dtype)
    return torch.cat([torch.randn((stop - start, *shape[1:]), generator=g, device=device, dtype=dtype)
                      for g, start, stop in generator.blocks(shape[0])])


def multinomial(probs: torch.Tensor, generator: Generator = None) -> torch.Tensor:
    """One draw per row of probs (B, K) -> (B,) int64: torch.multinomial, block by block for RowGenerators."""
    if not isinstance(generator, RowGenerators):
        return torch.multinomial(probs, 1, generator=generator)[:, 0]
    return torch.cat([torch.multinomial(probs[start:stop], 1, generator=g)[:, 0]
                      for g, start, stop in generator.blocks(probs.shape[0])])
