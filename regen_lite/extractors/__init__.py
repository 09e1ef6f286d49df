"""Extractors Y -> Y', one file per family. Importing this package registers them all,
explicit ones first (identity, downsample, DCT), then the learned autoencoders."""

from . import image, autoencoders  # noqa: F401
