"""One recipe runner: every checkpoint's JSON has the same keys, a flag that does not apply is refused,
and `regen-lite train --help` lists every recipe."""

import json
from dataclasses import replace
from functools import partial

import pytest

from regen_lite.checkpoints import load_checkpoint, weights_dir
from regen_lite.cli import main
from regen_lite.recipes import METADATA_KEYS, run_recipe
from regen_lite.registry import get_recipe, list_recipes

KEYS = {"format", "model", "config", *METADATA_KEYS}
SHIPPED = sorted(p.stem for p in weights_dir().glob("*.json"))

# model sizes for a run of a few seconds (the shipped ones take minutes to measure)
TINY = {"Classifier": dict(ch=8), "AE": dict(ch=8), "VAE": dict(ch=8), "VQVAE": dict(ch=8, num_codes=32),
        "RVQVAE": dict(ch=8, num_codes=32, num_stages=2), "DiffAE": dict(ch=8, enc_ch=8, ch_mult=(1, 2)),
        "FSQVAE": dict(ch=8), "SuperResolution": dict(ch=8, n_res=1), "DiffusionPrior": dict(ch=16),
        "CodePrior": dict(d=32, n_layer=1, n_head=2), "Seq2Seq": dict(d=16, n_head=2, n_enc=1, n_dec=1),
        "MelToLinear": dict(ch=16, n_blocks=1), "MelodyNet": dict(d=16, n_head=2, n_layer=1), "TemplatePrior": {},
        "CTCRecognizer": dict(d=16, n_head=2, n_layer=1), "TextToSpeech": dict(d=16, n_encoder=1, n_decoder=1),
        "LyricsTemplateNet": dict(d=16), "LyricsMelodyNet": dict(d=16, n_head=2, n_layer=1),
        "FaceEncoder": dict(width=4, hidden=16), "FaceDecoder": dict(hidden=16, channels=4), "MouthNet": dict(hidden=16),
        "PosePrior": {}, "DirectFaceNet": dict(hidden=16, dec_hidden=16, channels=4)}


def tiny(name: str):
    """The recipe `name` with a tiny model; the text models are measured on the small subset only, an image
    prior on one sample per class."""
    from regen_lite.recipes import Recipe

    r: Recipe = get_recipe(name)
    cfg = replace(r.build().cfg, **TINY[r.model.__name__])
    r = replace(r, build=lambda: r.model(cfg))
    if r.model.__name__ == "Seq2Seq":
        from regen_lite.text.recipes import evaluate_text_model
        r = replace(r, evaluate=lambda recipe, model, source, extractor: evaluate_text_model(model, small=True))
    if r.model.__name__ == "CTCRecognizer":
        from regen_lite.text.recipes import asr_evaluate
        r = replace(r, evaluate=partial(asr_evaluate, small_only=True))
    if r.model.__name__ == "TextToSpeech":
        from regen_lite.speech.recipes import evaluate_tts
        r = replace(r, evaluate=partial(evaluate_tts, small_only=True))
    from regen_lite.image import recipes as image
    if r.evaluate is image.evaluate and r.kind == "prior":
        r = replace(r, evaluate=partial(image.evaluate, per_class=1))
    return r


def test_every_recipe_has_a_shipped_checkpoint_and_every_shipped_json_has_the_same_keys():
    assert sorted(list_recipes()) == SHIPPED
    for name in SHIPPED:
        info = json.loads((weights_dir() / f"{name}.json").read_text())
        assert set(info) == KEYS, (name, set(info) ^ KEYS)
        assert {"source", "n_train", "hash"} <= set(info["data"]), name
        assert info["train_command"].startswith(f"regen-lite train {name}")


@pytest.mark.slow
@pytest.mark.parametrize("name", list_recipes())
def test_a_tiny_run_of_every_recipe_writes_the_same_keys(name, tmp_path):
    r = get_recipe(name)
    steps = {} if r.fit else {"max_steps": 2}
    source = r.sources[-1]
    stem, info = run_recipe(tiny(name), data=source, out_dir=tmp_path, progress=False, device="cpu", **steps)
    assert set(info) == KEYS, set(info) ^ KEYS
    assert info["train_command"] == f"regen-lite train {name}" + ("" if r.fit else " --steps 2") + (
        f" --data {source}" if len(r.sources) > 1 else "")
    assert isinstance(load_checkpoint(stem, r.model)[0], r.model)
    if name == "mel_renderer":                                    # measured on every held-out clip
        assert info["metrics"]["test"]["n"] == 12
    assert {"source", "n_train", "hash"} <= set(info["data"]) and info["data"]["hash"]
    assert info["steps"] == (None if r.fit else 2) and info["metrics"]
    assert stem.with_suffix(".safetensors").exists() and not list((tmp_path / ".state").glob("*"))
    splits = set(json.loads((weights_dir() / f"{name}.json").read_text())["metrics"])
    if r.model.__name__ in ("Seq2Seq", "CTCRecognizer", "TextToSpeech"):
        splits = {s for s in splits if s.endswith("_small")}
    splits.discard("full_test")             # measured only when trained on the full data (this run: the sample)
    assert set(info["metrics"]) == splits                     # the splits of the shipped checkpoint


@pytest.mark.parametrize("argv, message", [
    (["train", "melody_renderer", "--data", "sample"], "--data sample does not apply"),
    (["train", "mel_renderer", "--data", "sample"], "--data sample does not apply"),
    (["train", "template_prior", "--epochs", "3"], "fitted by counting"),
    (["train", "template_prior", "--steps", "3"], "--steps does not apply"),
    (["train", "template_prior", "--resume"], "--resume does not apply"),
    (["train", "vae", "--steps", "0", "--data", "sample"], "--steps must be at least 1"),
])
def test_a_flag_that_does_not_apply_is_refused(argv, message, capsys, tmp_path):
    assert main(argv + ["--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err
    assert not list(tmp_path.iterdir())          # refused before anything was trained or written


def test_only_an_image_prior_takes_another_extractor(tmp_path):
    with pytest.raises(ValueError, match="cannot swap its extractor"):
        run_recipe(get_recipe("melody_direct"), extractor=object(), out_dir=tmp_path)


def test_train_help_lists_every_recipe_with_a_note(capsys):
    with pytest.raises(SystemExit) as e:
        main(["train", "--help"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    for name in list_recipes():
        line = next(ln for ln in out.splitlines() if ln.split()[:1] == [name])
        assert len(line.split()) >= 3, line          # name, --data choices, a note
