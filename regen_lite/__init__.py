"""regen-lite: a small teaching kit for regeneration learning (X -> Y' -> Y)."""

__version__ = "0.1.0"
