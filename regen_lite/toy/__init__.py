"""The 2-D toys of notebook 00: a one-to-many pinwheel (direct regression vs X -> Y' -> Y) and diffusion on points."""
