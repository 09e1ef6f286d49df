"""The named pipelines of every modality X -> Y' -> Y (or Y -> Y' -> Y where there is no X yet), run end to end
on the CPU with the shipped weights, and `regen-lite sample` for the images (the other modalities: test_cli.py)."""

from dataclasses import replace

import pytest
import torch

from regen_lite import registry
from regen_lite.checkpoints import pretrained_path
from regen_lite.cli import main, parse_class
from regen_lite.core import PipelineSpec, Regenerator, RoundTrip
from regen_lite.device import get_device
from regen_lite.image.pipelines import PIPELINES, build_pipeline

AVAILABLE = [n for n, s in PIPELINES.items() if pretrained_path(s.prior).with_suffix(".safetensors").exists()]
ALL = registry.list_pipelines()


@pytest.fixture(scope="module")
def pipes():
    """Every named pipeline, built once (the tests below share them)."""
    return {name: registry.build_pipeline(name, device="cpu") for name in ALL}


def a_y(modality: str):
    """A small Y of each modality: 4 test images, half a second of speech, a sentence, 4 bars of a chorale,
    4 still faces."""
    if modality == "image":
        from regen_lite.image.data import load_fashion_mnist, to_float
        return to_float(load_fashion_mnist("test", source="sample")[0][:4])            # (4, 1, 28, 28)
    if modality == "speech":
        from regen_lite.speech.data import load_speech_clips
        return load_speech_clips("test")[1].wave[:8000]                                # (8000,)
    if modality == "text":
        return "The knight wrote a grumbleberry poem."
    if modality == "face":
        from regen_lite.face.data import still_faces
        return still_faces("test")[1][:4]                                          # (4, 1, 48, 48)
    from regen_lite.music.song import STEPS_PER_BAR, load_chorales
    s, n = load_chorales("test")[0], 4 * STEPS_PER_BAR
    return replace(s, melody=s.melody[:n], chroma=None if s.chroma is None else s.chroma[:n],
                   bass=None if s.bass is None else s.bass[:n], fermata=s.fermata[:n])


# ---------------------------------------------------------------- every modality: one spec, one class, one round trip

def test_every_modality_names_its_pipelines_with_one_spec():
    assert len(ALL) == len(set(ALL))                                   # a name means one pipeline across modalities
    assert {registry.get_pipeline(n).modality for n in ALL} == set(registry.MODALITIES)
    for name in ALL:
        spec = registry.get_pipeline(name)
        assert type(spec) is PipelineSpec and spec.name == name and spec.summary
        assert spec.extractor in registry.list_extractors(spec.modality)
        if spec.baseline is not None:                                  # a two-stage pipeline names its direct baseline
            base = registry.get_pipeline(spec.baseline, spec.modality)
            assert base.direct and not spec.direct


@pytest.mark.parametrize("name", ALL)
def test_every_pipeline_round_trips_with_the_shipped_weights(name, pipes):
    spec, pipe = registry.get_pipeline(name), pipes[name]
    y = a_y(spec.modality)
    rt = registry.round_trip(name, y, pipe=pipe)
    assert type(rt) is RoundTrip and rt.y is not None and rt.y_prime is not None and rt.y_hat is not None
    assert rt.metrics and rt.notes and set(rt.seconds) == {"extract", "render"}
    assert all(s >= 0 for s in rt.seconds.values())
    if spec.direct and spec.modality != "text":                       # Y' = Y: the round trip is exact
        assert rt.y_prime is y or torch.equal(torch.as_tensor(rt.y_prime), torch.as_tensor(y))
    if spec.modality == "image":   # diffae renders from z alone: the details are invented, not reconstructed
        assert rt.y_hat.shape == y.shape and rt.metrics["psnr"] > (100 if spec.direct else 10 if name == "diffae" else 18)
    if spec.modality == "speech" and spec.direct:                     # Y' = Y = the wave
        assert rt.y_hat.shape == (8000,) and rt.metrics["lsd_db"] == 0
    elif spec.modality == "speech":
        assert rt.y_prime.shape[1] == 63 and rt.y_hat.shape == (62 * 128,) and rt.metrics["lsd_db"] > 0
    if spec.modality == "text":
        assert len(rt.y_prime) == len(rt.y_hat) == 6 and rt.metrics["ler"] < 0.5
        if spec.direct:                                                # the letters come back as they went in
            assert rt.metrics["ler"] == 0 and rt.y_hat == ["the", "knight", "wrote", "a", "grumbleberry", "poem"]
    if spec.modality == "face":                                       # a face redrawn from θ (or itself)
        assert rt.y_hat.shape == y.shape and rt.metrics["psnr"] > (100 if spec.direct else 25)
    if spec.modality == "music":
        assert rt.y_hat.n_steps == y.n_steps and rt.metrics["chord_tones"] > 0.5
        if spec.direct:
            assert rt.metrics["same_steps"] == 1.0
        else:                                                          # the template keeps Y's rhythm
            assert rt.metrics["rhythm_f1"] > 0.5


@pytest.mark.parametrize("name", [n for n in ALL if registry.get_pipeline(n).prior is not None])
def test_every_pipeline_with_a_prior_generates(name, pipes):
    spec, pipe = registry.get_pipeline(name), pipes[name]
    g = torch.Generator().manual_seed(0)
    if spec.modality == "image":
        kw = dict(spec.sample_kw, **({"steps": 5} if "steps" in spec.sample_kw else {}))   # 5 DDIM steps: fast
        y_prime, y = pipe.generate(torch.tensor([7]), generator=g, **kw)
        assert y.shape == (1, 1, 28, 28)
    elif spec.modality == "text":                                       # X: two spoken words of the corpus
        from regen_lite.speech.words import load_waves, word_clips
        y_prime, y = pipe.generate(load_waves(word_clips("heard")[:2]), generator=g)
        assert len(y_prime) == len(y) == 2 and all(isinstance(w, str) for w in y)
    elif spec.modality == "speech":                                     # X: typed text, one utterance
        from regen_lite.speech.synthesis_data import text_to_x
        phonemes, x, _ = text_to_x("the cat", "awb")
        y_prime, y = pipe.generate(x, generator=g)
        frames = int(pipe.prior.durations(*x).sum())
        assert y.ndim == 1 and len(y) >= (frames - 1) * 128 and (y_prime is y or torch.equal(y_prime, y)) == spec.direct
        assert y_prime.shape == ((80, frames) if not spec.direct else (frames * 128,))
    elif spec.modality == "face":                                       # X: the log-mel of two unheard words
        from regen_lite.face.data import talking_faces
        talk = talking_faces("test")
        y_prime, y = pipe.generate(talk.mel[:2], generator=g)
        T = talk.mel.shape[2] // 5
        assert y.shape == (2, T, 1, 48, 48) and (y_prime is y) == spec.direct
        assert spec.direct or y_prime.shape == (2, T, 10)
    elif name in ("lyrics_template", "lyrics_direct"):                  # X: lyrics and a key
        from regen_lite.music.pipelines import generate_lyrics
        y_prime, y = generate_lyrics(pipe, "Ky-ri-e e-lei-son.", "A minor", seed=0)
        assert (y.tonic, y.mode) == (9, 1) and (y_prime is y) == spec.direct
        assert 1 <= len(y.meta["syllable_steps"]) <= 6 and y.n_steps % 8 == 0
    else:
        from regen_lite.music.pipelines import generate
        y_prime, y = generate(pipe, "A minor", 2, seed=0)
        assert (y.tonic, y.mode, y.n_bars) == (9, 1, 2) and (y_prime is y) == spec.direct


def test_direct_and_two_stage_pipelines_are_the_same_class(pipes):
    assert {type(p) for p in pipes.values()} == {Regenerator}
    direct = [n for n in ALL if registry.get_pipeline(n).direct]
    assert {registry.get_pipeline(n).modality for n in direct} == {"image", "music", "speech", "text", "face"}
    assert {pipes[n].extractor.name for n in direct} == {"identity", "melody_identity", "spelling", "wave", "frames"}
    for name in ALL:                                                   # no prior: the pipeline only reconstructs
        assert (pipes[name].prior is None) == (registry.get_pipeline(name).prior is None)
    with pytest.raises(RuntimeError, match="can only reconstruct"):
        pipes["stft+gl"].generate(None)


def test_unknown_pipeline_names_the_choices():
    with pytest.raises(KeyError, match="choose from: direct, latent"):
        registry.build_pipeline("wavenet")
    with pytest.raises(KeyError, match="unknown music pipeline"):
        from regen_lite.music.pipelines import build_pipeline as build_music
        build_music("latent")


# ---------------------------------------------------------------- the image pipelines in detail

@pytest.mark.parametrize("name", AVAILABLE)
def test_pipeline_generates_the_right_shapes_and_is_seeded(name, pipes):
    pipe, spec = pipes[name], PIPELINES[name]
    x = torch.tensor([7, 8])
    yp, y = pipe.generate(x, generator=torch.Generator().manual_seed(0), **spec.sample_kw)
    assert y.shape == (2, 1, 28, 28) and 0 <= y.min() and y.max() <= 1
    assert list(yp.shape[1:]) == pipe.extractor.describe()["shape"]
    yp2, y2 = pipe.generate(x, generator=torch.Generator().manual_seed(0), **spec.sample_kw)
    assert torch.equal(y, y2)


def test_direct_is_the_same_class_with_the_identity_extractor():
    if "direct" not in AVAILABLE:
        pytest.fail("prior_direct weights missing: run regen-lite train prior_direct")
    direct = build_pipeline("direct")
    assert direct.extractor.name == "identity"
    assert {type(build_pipeline(n)) for n in AVAILABLE} == {type(direct)}


def test_device_choice_prefers_cuda_when_present(monkeypatch):
    monkeypatch.delenv("REGEN_LITE_DEVICE", raising=False)
    expected = "cuda" if torch.cuda.is_available() else ("mps" if torch.backends.mps.is_available() else "cpu")
    assert get_device("auto").type == expected
    monkeypatch.setenv("REGEN_LITE_DEVICE", "cpu")
    assert get_device(None).type == "cpu" and get_device("auto").type == "cpu"


def test_sample_command_writes_a_grid(tmp_path):
    if not AVAILABLE:
        pytest.fail("no pipeline weights shipped")
    out = tmp_path / "grid.png"
    pipeline = "latent" if "latent" in AVAILABLE else AVAILABLE[0]
    assert main(["sample", "--pipeline", pipeline, "--class", "sneaker", "-n", "4", "--out", str(out), "--device", "cpu"]) == 0
    from PIL import Image
    assert Image.open(out).size[0] > 28


def test_class_names():
    assert parse_class("sneaker") == 7 and parse_class("ankle boot") == 9 and parse_class("3") == 3
    with pytest.raises(ValueError, match="unknown class"):
        parse_class("hat")
