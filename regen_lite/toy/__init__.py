"""The 2-D toys: a one-to-many pinwheel (notebook 00: direct regression vs X -> Y' -> Y) and diffusion on
points (notebook 04)."""
