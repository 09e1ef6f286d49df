"""Symbolic music (melodies on an eighth-note grid, the Bach chorales): songs, the chord/rhythm/cadence template,
extractors, the template -> melody renderer, priors, the named pipelines, metrics, playback and recipes."""
