"""Text (spellings <-> ARPAbet phonemes): the CMU dictionary and its split, a seq2seq model, the G2P extractor
with its P2G renderer, the round trip of typed text, metrics and recipes."""
