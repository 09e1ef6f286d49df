"""Training recipes of the music models, run by `regen-lite train NAME` through recipes.run_recipe:

    melody_renderer   MelodyNet, template -> melody (Y' -> Y), self-supervised on (extract(y), y)
    melody_direct     MelodyNet with conditional=False: melody from key and length alone (X -> Y, direct)
    template_prior    TemplatePrior: chord Markov chain + corpus rhythms (X -> Y'), fitted by counting

Each trains on the training chorales (data_samples/music/chorales.npz), measures itself on the test
chorales (tunes never seen in training) and records the numbers in its JSON, which
tests/test_music.py re-measures. All of them fit and measure on one torch thread (device.one_thread):
the models are small, and on a busy machine the threads' synchronisation costs far more than it saves.
"""

from __future__ import annotations

import torch

from ..recipes import Recipe
from ..train import TrainConfig
from . import metrics as music_metrics
from .priors import TemplatePrior
from .renderers import PAD, DirectMelodyPrior, MelodyNet, MelodyNetConfig, TemplateRenderer, training_tensors
from .song import KeyLength, chorales_hash, load_chorales
from .template import extract_template

# 275 optimizer steps of 32 windows of 16 bars
MELODY_TRAIN = TrainConfig(epochs=25, batch_size=32, lr=3e-3, warmup_steps=30, weight_decay=0.01, ema_decay=0.99)
WINDOW = 16 * 8         # training windows: 16 bars of eighth-note steps, cut every 16 bars
EVAL_SEED = 0


@torch.no_grad()
def teacher_forced(model: MelodyNet, songs, templates) -> dict:
    """Mean negative log-likelihood (nats per step) and next-token accuracy of the real test melodies."""
    x = training_tensors(songs, templates, window=max(s.n_steps for s in songs), hop=10 ** 6)
    logits, loss, stats = model.eval()(*x)
    return {"nll": round(float(loss), 4), "accuracy": round(stats["accuracy"], 4)}


def evaluate_melody_net(model: MelodyNet, split: str = "test", seed: int = EVAL_SEED) -> dict:
    """Teacher-forced NLL/accuracy, then metrics of melodies sampled (seeded) for the split's oracle
    templates (renderer) or for their keys and lengths (direct model)."""
    songs = load_chorales(split)
    templates = [extract_template(s) for s in songs]
    out = teacher_forced(model, songs, templates)
    g = torch.Generator().manual_seed(seed)
    if model.cfg.conditional:
        rendered = TemplateRenderer(model).render_batch(templates, generator=g)
    else:
        keys = [KeyLength(t.tonic, t.mode, t.n_steps // 8) for t in templates]
        rendered = DirectMelodyPrior(model).sample(keys, generator=g)
    m = music_metrics.melody_metrics(rendered, templates)
    out.update({k: round(v, 4) if isinstance(v, float) else v for k, v in m.items()})
    out["seed"] = seed
    return out


def evaluate_template_prior(prior: TemplatePrior, split: str = "test", seed: int = EVAL_SEED) -> dict:
    """Sample one template per test chorale (its key and length) and compare the templates' statistics
    with the real ones: chord-type histogram distance, cadences per bar, onsets per bar."""
    songs = load_chorales(split)
    real = [extract_template(s) for s in songs]
    g = torch.Generator().manual_seed(seed)
    fake = prior.sample([KeyLength(t.tonic, t.mode, t.n_steps // 8) for t in real], generator=g)

    def per_bar(ts, f):
        return round(float(sum(f(t) for t in ts) / sum(t.n_steps / 8 for t in ts)), 4)

    cadences, onsets = (lambda t: t.cadence.sum()), (lambda t: (t.rhythm == 2).sum())
    return {"chord_hist_tv": round(prior.chord_histogram_distance(fake, real), 4),
            "cadences_per_bar": per_bar(fake, cadences), "real_cadences_per_bar": per_bar(real, cadences),
            "onsets_per_bar": per_bar(fake, onsets), "real_onsets_per_bar": per_bar(real, onsets),
            "n": len(fake), "seed": seed}


# ---------------------------------------------------------------- the recipes: data, fit and evaluation

def chorale_data(recipe: Recipe, model, source: str, extractor=None) -> tuple[tuple, dict]:
    """The training chorales' (template, melody) pairs: for a MelodyNet, windows of 16 bars as tensors;
    for the template prior, the templates themselves (it counts them)."""
    train = load_chorales("train")
    templates = [extract_template(s) for s in train]
    info = {"source": "chorales", "n_train": len(train), "hash": chorales_hash()}
    if isinstance(model, TemplatePrior):
        return templates, info
    data = training_tensors(train, templates, window=WINDOW, hop=WINDOW)
    return data, {**info, "n_windows": len(data[0]), "n_tokens": int((data[-1] != PAD).sum())}


def count_templates(model: TemplatePrior, templates) -> TemplatePrior:
    """Recipe.fit of the template prior: chord transitions and bar rhythms counted over the templates."""
    return TemplatePrior.fit(templates, alpha=model.cfg.alpha)


def evaluate(recipe: Recipe, model, source: str, extractor=None) -> dict:
    """Recipe.evaluate: the test chorales."""
    if isinstance(model, TemplatePrior):
        return {"test": evaluate_template_prior(model)}
    return {"test": evaluate_melody_net(model)}


# template <-> melody on the Bach chorales
RECIPES = {r.name: r for r in [
    Recipe("melody_renderer", MelodyNet, lambda: MelodyNet(MelodyNetConfig(conditional=True)), MELODY_TRAIN,
           chorale_data, evaluate, "renderer", "chord_template", threads=1,
           notes="template -> melody transformer, self-supervised on (extract(y), y) chorale pairs"),
    Recipe("melody_direct", MelodyNet, lambda: MelodyNet(MelodyNetConfig(conditional=False)), MELODY_TRAIN,
           chorale_data, evaluate, "prior", "melody_identity", threads=1,
           notes="direct baseline: melody from key and length, no template"),
    Recipe("template_prior", TemplatePrior, TemplatePrior, None, chorale_data, evaluate, "prior", "chord_template",
           fit=count_templates, threads=1,
           notes="key + length -> template: chord Markov chain and corpus bar rhythms, fitted by counting"),
]}

# lyrics <-> melody (lyric_recipes.py): the lyrics-to-melody task's paired models
from .lyric_recipes import RECIPES as _LYRIC_RECIPES  # noqa: E402

RECIPES.update(_LYRIC_RECIPES)
