"""The named music pipelines X = (key, bars) -> Y' -> Y = melody. Each is one Regenerator; the direct
baseline is the same class with the identity extractor (Y' = Y).

    name             extractor (Y -> Y')    prior (X -> Y')                     renderer (Y' -> Y)
    melody_template  chord_template         template prior (counted Markov)     MelodyNet on the template
    melody_direct    melody_identity        MelodyNet without a template        identity
    lyrics_template  chord_template         lyrics model + chord chain          MelodyNet on the template (its rhythm)
    lyrics_direct    melody_identity        MelodyNet on the syllables          identity

X is (key, bars) for the first two and (lyrics, key) for the lyrics pipelines (lyrics.py, lyric_template.py,
lyric_direct.py): same Regenerator, another X.

Temperature belongs to the network that samples notes: the template renderer in the two-stage pipeline,
the direct prior in the baseline (the template prior has none).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..core import PipelineSpec, Regenerator, RoundTrip
from .extractors import EXTRACTORS
from .lyric_direct import DirectLyricsPrior, LyricsMelodyNet
from .lyric_template import LyricsRenderer, LyricsTemplateNet, LyricsTemplatePrior
from .lyrics import Lyrics, LyricsKey, split_lyrics
from .metrics import corpus_histograms, melody_metrics
from .priors import TemplatePrior, load_template_prior
from .renderers import DirectMelodyPrior, TemplateRenderer, load_direct_prior
from .song import MODES, PITCH_NAMES, STEPS_PER_BAR, KeyLength, Song, key_name
from .template import Template

PIPELINES = {s.name: s for s in [
    PipelineSpec("melody_template", "music", "chord_template", "template_prior", "melody_renderer", {},
                 "template prior X -> chord/rhythm/cadence template -> melody renderer -> Y",
                 baseline="melody_direct"),
    PipelineSpec("melody_direct", "music", "melody_identity", "melody_direct", None, {},
                 "MelodyNet without a template X -> Y (the direct baseline)", direct=True),
    PipelineSpec("lyrics_template", "music", "chord_template", "lyrics_template", "melody_renderer", {},
                 "lyrics X -> per-syllable rhythm + fermatas, chord chain -> template -> melody renderer -> Y",
                 baseline="lyrics_direct"),
    PipelineSpec("lyrics_direct", "music", "melody_identity", "lyrics_direct", None, {},
                 "MelodyNet on the syllables, lyrics X -> Y with no template (the direct baseline)", direct=True),
]}
LYRIC_PIPELINES = ("lyrics_template", "lyrics_direct")
KEYS = [key_name(t, m) for m in range(len(MODES)) for t in range(12)]      # "C major" ... "B minor"


def _spec(name: str) -> PipelineSpec:
    if name not in PIPELINES:
        raise KeyError(f"unknown music pipeline {name!r}; choose from {', '.join(PIPELINES)}")
    return PIPELINES[name]


def parse_key(text: str) -> tuple[int, int]:
    """'G major' -> (7, 0); 'a minor' and 'Am' -> (9, 1)."""
    t = text.strip()
    if len(t) <= 3 and t[:1].isalpha():             # "Am", "F#", "Ebm"
        t = t[:-1] + " minor" if t.endswith("m") else t + " major"
    t = t[:1].upper() + t[1:].lower()
    if t not in KEYS:
        raise ValueError(f"unknown key {text!r}; write it like 'C major', 'A minor' or 'Am' "
                         f"(tonics: {', '.join(PITCH_NAMES)})")
    i = KEYS.index(t)
    return i % 12, i // 12


# ---------------------------------------------------------------------------------------
# The models, loaded once, and the two pipelines around them
# ---------------------------------------------------------------------------------------

@dataclass
class MusicModels:
    extractor: object            # ChordTemplateExtractor: extract (Y -> Y') and its learned renderer's MelodyNet
    direct: DirectMelodyPrior    # the MelodyNet without a template (X -> Y directly)
    identity: object             # MelodyIdentity: Y' = Y, so the direct model runs through the same Regenerator
    prior: TemplatePrior         # X = (key, bars) -> Y'
    describe: dict               # extractor.describe(): bits of Y' and Y per bar
    lyrics_template: LyricsTemplateNet   # lyrics -> a rhythm pattern and fermata per syllable
    lyrics_direct: LyricsMelodyNet       # lyrics -> melody, no template


def load_music_models(device: torch.device | str = "cpu") -> MusicModels:
    """The shipped music models (melody_renderer, melody_direct, template_prior)."""
    extractor = EXTRACTORS["chord_template"][0](device=device)     # (factory, summary); loads melody_renderer
    corpus_histograms()          # the reference of the pc-histogram distance: read the corpus once, now
    return MusicModels(extractor=extractor, direct=load_direct_prior(device=device),
                       identity=EXTRACTORS["melody_identity"][0](), prior=load_template_prior(device=device),
                       describe=extractor.describe(), lyrics_template=load_lyric_model("lyrics_template", device),
                       lyrics_direct=load_lyric_model("lyrics_direct", device))


def load_lyric_model(name: str, device="cpu"):
    from ..checkpoints import CheckpointError, load_checkpoint, pretrained_path

    cls = LyricsTemplateNet if name == "lyrics_template" else LyricsMelodyNet
    try:
        return load_checkpoint(pretrained_path(name), cls, device=device)[0].eval()
    except CheckpointError as e:
        raise CheckpointError(f"{e}; (re)create it with: regen-lite train {name}") from e


def assemble(name: str, models: MusicModels, temperature: float = 1.0) -> Regenerator:
    """Pipeline `name` around loaded models, its note sampler at `temperature` (< 1 plays safer)."""
    renderer = TemplateRenderer(models.extractor.renderer.model, temperature=temperature)
    if name == "lyrics_direct":
        return Regenerator(models.identity, prior=DirectLyricsPrior(models.lyrics_direct, temperature=temperature))
    if name == "lyrics_template":
        prior = LyricsTemplatePrior(models.lyrics_template, models.prior)
        return Regenerator(models.extractor, prior=prior, renderer=LyricsRenderer(renderer))
    if _spec(name).direct:
        return Regenerator(models.identity, prior=DirectMelodyPrior(models.direct.model, temperature=temperature))
    return Regenerator(models.extractor, prior=models.prior, renderer=renderer)


def build_pipeline(name: str, *, device="cpu", temperature: float = 1.0) -> Regenerator:
    """Assemble pipeline `name` from the shipped checkpoints."""
    return assemble(name, load_music_models(device), temperature)


def generate(pipe: Regenerator, key: str = "C major", bars: int = 8, seed: int = 0) -> tuple[Template | Song, Song]:
    """X = (key, bars) -> (Y', Y); Y' is the template, or the melody itself for the direct pipeline."""
    tonic, mode = parse_key(key)
    return pipe.generate(KeyLength(tonic, mode, int(bars)), generator=torch.Generator().manual_seed(seed))


def generate_lyrics(pipe: Regenerator, lyrics: Lyrics | str, key: str = "C major", seed: int = 0):
    """X = (lyrics, key) -> (Y', Y) with a lyrics pipeline; lyrics may be typed text (split by split_lyrics)."""
    tonic, mode = parse_key(key)
    lyrics = split_lyrics(lyrics) if isinstance(lyrics, str) else lyrics
    return pipe.generate(LyricsKey(lyrics, tonic, mode), generator=torch.Generator().manual_seed(seed))


def render_both(models: MusicModels, template: Template, seed: int, temperature: float) -> tuple[Song, Song]:
    """render(Y') with the template pipeline's renderer, and a melody of the same key and length from the
    direct pipeline; each sampled from its own generator seeded with `seed` (same seed -> same melodies)."""
    rendered = assemble("melody_template", models, temperature).renderer.render(
        template, generator=torch.Generator().manual_seed(seed))
    x = KeyLength(template.tonic, template.mode, template.n_steps // STEPS_PER_BAR)
    _, direct = assemble("melody_direct", models, temperature).generate(x, generator=torch.Generator().manual_seed(seed))
    return rendered, direct


def round_trip(name: str, y: Song, *, pipe: Regenerator | None = None, seed: int = 0) -> RoundTrip:
    """Y -> Y' -> render(Y'). Metrics measure render(Y') against the chord template of Y (chord tones,
    rhythm F1, ...) and count the steps where it plays Y's token; `y_*` are Y's own values for reference."""
    spec = _spec(name)
    pipe = pipe or build_pipeline(name)
    rt = RoundTrip.run(pipe, y, generator=torch.Generator().manual_seed(seed))
    template = rt.y_prime if isinstance(rt.y_prime, Template) else EXTRACTORS["chord_template"][0](
        renderer="chord_tones").extract(y)
    n = min(y.n_steps, rt.y_hat.n_steps)
    rt.metrics = {**{k: v for k, v in melody_metrics(rt.y_hat, template).items() if k != "n"},
                  **{f"y_{k}": v for k, v in melody_metrics(y, template).items() if k != "n"},
                  "same_steps": float(np.mean(rt.y_hat.melody[:n] == y.melody[:n]))}
    rt.notes.append("Y' = Y: the direct pipeline reconstructs exactly; its prior writes every note" if spec.direct
                    else f"Y' = the template of Y ({template.summary()['key']}, {template.summary()['bars']} bars): "
                         "render(Y') keeps its chords and rhythm and writes new notes")
    return rt
