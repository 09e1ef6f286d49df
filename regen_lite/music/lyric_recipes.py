"""Training recipes of the lyrics-to-melody models (run by `regen-lite train NAME`, listed in recipes.py):

    lyrics_template   LyricsTemplateNet: lyrics -> a rhythm pattern and fermata per syllable (the paired half of
                      the two-stage pipeline; the chord chain and the melody renderer need no lyrics)
    lyrics_direct     LyricsMelodyNet: lyrics -> melody with no template (the direct baseline)

Both train on (chorale, lyrics) pairs: `--data full` uses the 241 training chorales with lyrics, `--data half`
and `--data quarter` the first 50% / 25% of them in one fixed shuffled order (numpy default_rng(0)), so each
smaller set is inside the larger: the paired-data sweep of benchmarks/lyrics_to_melody.py. Every run takes
the same 250 optimizer steps whatever the data, so the sweep changes the data and nothing else. The
evaluation samples one setting per held-out chorale with lyrics (39, tunes never seen in training), seed 0.
"""

from __future__ import annotations

import numpy as np
import torch

from ..recipes import Recipe
from ..train import TrainConfig
from .lyric_direct import DirectLyricsPrior, LyricsMelodyNet, lyric_melody_tensors
from .lyric_metrics import direct_nll, setting_metrics, two_stage_nll
from .lyric_template import LyricsRenderer, LyricsTemplateNet, LyricsTemplatePrior, setting_tensors
from .lyrics import LyricsKey, load_lyric_chorales, lyrics_path
from .song import chorales_hash

LYRICS_TRAIN = TrainConfig(epochs=10_000, max_steps=250, batch_size=32, lr=3e-3, warmup_steps=30,
                           weight_decay=0.01, ema_decay=0.99)
FRACTIONS = {"full": 1.0, "half": 0.5, "quarter": 0.25}
EVAL_SEED = 0


def paired_chorales(source: str = "full") -> list:
    """The (chorale, lyrics) training pairs of a --data source: a fixed shuffle, cut at the fraction."""
    pairs = load_lyric_chorales("train")
    order = np.random.default_rng(0).permutation(len(pairs))
    return [pairs[i] for i in order[:round(FRACTIONS[source] * len(pairs))]]


def lyric_data(recipe: Recipe, model, source: str, extractor=None) -> tuple[tuple, dict]:
    pairs = paired_chorales(source)
    import hashlib
    lyrics_hash = hashlib.sha256(lyrics_path().read_bytes()).hexdigest()[:16]
    info = {"source": "chorales+lyrics", "subset": source, "n_train": len(pairs), "hash": chorales_hash(),
            "lyrics_hash": lyrics_hash, "syllables": sum(len(ly) for _, ly in pairs)}
    data = setting_tensors(pairs) if isinstance(model, LyricsTemplateNet) else lyric_melody_tensors(pairs)
    return data, info


def shipped_parts():
    """The unpaired parts of the two-stage pipeline: the chord chain and the melody renderer (shipped)."""
    from .priors import load_template_prior
    from .renderers import load_template_renderer
    return load_template_prior(), load_template_renderer()


def evaluate_lyric_model(model, split: str = "test", seed: int = EVAL_SEED) -> dict:
    """Teacher-forced NLL per step, then the setting metrics of one sampled melody per chorale of `split`."""
    pairs = load_lyric_chorales(split)
    g = torch.Generator().manual_seed(seed)
    xs = [LyricsKey(ly, s.tonic, s.mode) for s, ly in pairs]
    if isinstance(model, LyricsTemplateNet):
        chords, renderer = shipped_parts()
        out = {f"nll_{k}": round(v, 4) for k, v in two_stage_nll(model, chords, renderer.model, pairs).items()}
        templates = LyricsTemplatePrior(model, chords).sample(xs, generator=g)
        songs = LyricsRenderer(renderer).render_batch(templates, generator=g)
    else:
        out = {f"nll_{k}": round(v, 4) for k, v in direct_nll(model, pairs).items()}
        templates, songs = None, DirectLyricsPrior(model).sample(xs, generator=g)
    m = setting_metrics(songs, pairs, templates)
    out.update({k: round(v, 4) if isinstance(v, float) else v for k, v in m.items() if v == v})   # no NaN: the
    # direct model has no chords, so no chord-tone fraction
    out["seed"] = seed
    return out


def evaluate(recipe: Recipe, model, source: str, extractor=None) -> dict:
    return {"test": evaluate_lyric_model(model)}


RECIPES = {r.name: r for r in [
    Recipe("lyrics_template", LyricsTemplateNet, LyricsTemplateNet, LYRICS_TRAIN, lyric_data, evaluate, "prior",
           "chord_template", sources=tuple(FRACTIONS), threads=1,
           notes="lyrics -> rhythm pattern + fermata per syllable (the paired half of lyrics -> template -> melody)"),
    Recipe("lyrics_direct", LyricsMelodyNet, LyricsMelodyNet, LYRICS_TRAIN, lyric_data, evaluate, "prior",
           "melody_identity", sources=tuple(FRACTIONS), threads=1,
           notes="direct baseline: lyrics -> melody with MelodyNet and no template"),
]}
