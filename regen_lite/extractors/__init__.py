"""Extractors Y -> Y', one file per family. Importing this package registers them all,
explicit ones first (identity, downsample, DCT), then the learned autoencoders."""

from . import image, autoencoders  # noqa: F401
from . import audio  # noqa: F401  (speech: stft_magnitude, log_mel, mfcc; librosa is imported on first use)
from . import text  # noqa: F401  (text: g2p, g2p_neural; CMUdict is read on first use)
from . import music  # noqa: F401  (music: chord_template, melody_identity; music21 is imported only to read files)
