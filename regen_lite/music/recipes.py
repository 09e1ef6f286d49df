"""Training recipes of the music models, run by `regen-lite train NAME` through recipes.RECIPES:

    melody_renderer   MelodyNet, template -> melody (Y' -> Y), self-supervised on (extract(y), y)
    melody_direct     MelodyNet with conditional=False: melody from key and length alone (X -> Y, direct)
    template_prior    TemplatePrior: chord Markov chain + corpus rhythms (X -> Y'), fitted by counting

Each trains on the training chorales (data_samples/music/chorales.npz), measures itself on the test
chorales (tunes never seen in training) and records the numbers in its JSON, which
tests/test_music.py re-measures.
"""

from __future__ import annotations

import json
import os
import time
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import torch

from ..checkpoints import save_checkpoint, weights_dir
from ..recipes import Recipe
from ..train import TrainConfig, fit
from . import metrics as music_metrics
from .priors import TemplatePrior
from .renderers import PAD, DirectMelodyPrior, MelodyNet, MelodyNetConfig, TemplateRenderer, training_tensors
from .song import KeyLength, chorales_hash, load_chorales
from .template import extract_template

# 275 optimizer steps of 32 windows of 16 bars
MELODY_TRAIN = TrainConfig(epochs=25, batch_size=32, lr=3e-3, warmup_steps=30, weight_decay=0.01, ema_decay=0.99)
WINDOW = 16 * 8         # training windows: 16 bars of eighth-note steps, cut every 16 bars
MELODY_NETS = {"melody_renderer": MelodyNetConfig(conditional=True), "melody_direct": MelodyNetConfig(conditional=False)}
EVAL_SEED = 0


@contextmanager
def one_thread():
    """Run with one torch thread, then restore. The music models are small: their matrix products are too
    small to gain from a second thread, and on a busy machine the threads' synchronisation costs far more
    (measured here under load: 1.9 s per training step with one thread, 13 s with two)."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(n)


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


def train_melody_net(name: str, *, epochs=None, device="auto", out_dir=None, progress=True, seed=None,
                     max_steps=None, resume=False, **_) -> tuple[Path, dict]:
    cfg = replace(MELODY_TRAIN, device=device, progress=progress, **({"epochs": epochs} if epochs else {}),
                  **({"seed": seed} if seed is not None else {}), **({"max_steps": max_steps} if max_steps else {}))
    train = load_chorales("train")
    t0 = time.perf_counter()
    data = training_tensors(train, [extract_template(s) for s in train], window=WINDOW, hop=WINDOW)
    prep = time.perf_counter() - t0
    torch.manual_seed(cfg.seed)
    model = MelodyNet(MELODY_NETS[name])
    out_dir = Path(out_dir) if out_dir else weights_dir()
    state = out_dir / ".state" / name
    with one_thread():
        cpu0 = time.process_time()
        result = fit(model, data, cfg, state_path=state, resume=resume, desc=name)
        cpu = time.process_time() - cpu0     # CPU seconds: what training takes on an idle core
        model = result.model.cpu().eval()
        metrics = {"test": evaluate_melody_net(model, "test")}
    command = f"regen-lite train {name}" + (f" --epochs {cfg.epochs}" if epochs else "")
    command += f" --seed {cfg.seed}" if cfg.seed else ""
    stem = save_checkpoint(
        out_dir / name, model, model.cfg, metrics=metrics, train_command=command, train_config=cfg.__dict__,
        train_seconds=round(result.seconds, 1), train_cpu_seconds=round(cpu, 1), load_average=os.getloadavg()[0],
        prep_seconds=round(prep, 1), steps=result.steps,
        skipped_steps=result.skipped_steps, history=result.history,
        data={"source": "chorales", "n_train": len(train), "n_windows": len(data[0]),
              "n_tokens": int((data[-1] != PAD).sum()), "hash": chorales_hash()},
        params=sum(p.numel() for p in model.parameters()), torch=torch.__version__, threads=1,
        notes="template -> melody renderer" if model.cfg.conditional else "direct baseline: melody from key and length")
    for suffix in (".safetensors", ".json"):
        state.with_suffix(suffix).unlink(missing_ok=True)
    return stem, json.loads(stem.with_suffix(".json").read_text())


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


def fit_template_prior_recipe(name: str = "template_prior", *, out_dir=None, **_) -> tuple[Path, dict]:
    train = load_chorales("train")
    t0 = time.perf_counter()
    prior = TemplatePrior.fit([extract_template(s) for s in train])
    seconds = time.perf_counter() - t0
    out_dir = Path(out_dir) if out_dir else weights_dir()
    stem = save_checkpoint(
        out_dir / name, prior, prior.cfg, metrics={"test": evaluate_template_prior(prior)},
        train_command=f"regen-lite train {name}", train_seconds=round(seconds, 2),
        data={"source": "chorales", "n_train": len(train), "hash": chorales_hash()}, torch=torch.__version__,
        notes="first-order Markov chain over chords per beat (given the cadence flag) + bar rhythms from the corpus")
    return stem, json.loads(stem.with_suffix(".json").read_text())


def build_music_model(name: str):
    """An untrained model of a music recipe (the template prior is empty until fitted)."""
    return MelodyNet(MELODY_NETS[name]) if name in MELODY_NETS else TemplatePrior()


def run_music_recipe(recipe, **kw) -> tuple[Path, dict]:
    """The `run` hook of the music entries in recipes.RECIPES."""
    name = recipe.name if hasattr(recipe, "name") else recipe
    if name in MELODY_NETS:
        return train_melody_net(name, **kw)
    if name == "template_prior":
        return fit_template_prior_recipe(name, **kw)
    raise KeyError(f"no music recipe {name!r}")


def evaluate_music_checkpoint(name: str, model) -> dict:
    """Re-measure a shipped music checkpoint the way its recipe did (used by the tests)."""
    with one_thread():
        if name in MELODY_NETS:
            return {"test": evaluate_melody_net(model)}
        return {"test": evaluate_template_prior(model)}


# template <-> melody on the Bach chorales
RECIPES = {r.name: r for r in [
    Recipe("melody_renderer", MelodyNet, lambda: build_music_model("melody_renderer"),
           MELODY_TRAIN, "music", "chord_template", run=run_music_recipe,
           notes="template -> melody transformer, self-supervised on (extract(y), y) chorale pairs"),
    Recipe("melody_direct", MelodyNet, lambda: build_music_model("melody_direct"),
           MELODY_TRAIN, "music", "melody_identity", run=run_music_recipe,
           notes="direct baseline: melody from key and length, no template"),
    Recipe("template_prior", TemplatePrior, lambda: build_music_model("template_prior"),
           MELODY_TRAIN, "music", "chord_template", run=run_music_recipe,
           notes="key + length -> template: chord Markov chain and corpus bar rhythms, fitted by counting"),
]}
