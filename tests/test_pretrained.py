"""Each shipped checkpoint reproduces the metrics recorded beside it, and meets the kit's targets."""

import json

import pytest

from regen_lite.checkpoints import weights_dir
from regen_lite.registry import load_pretrained
from regen_lite.image.data import load_fashion_mnist
from regen_lite.image.recipes import PER_CLASS, RECIPES, SMALL_PER_CLASS, measure
from regen_lite.image.recipes import REPRESENTATION_TARGETS as TARGETS

# must ship: the classifier and the four autoencoders; any other recipe's checkpoint is checked when present
REQUIRED = ["classifier", "ae", "vae", "vqvae", "fsq"]
SHIPPED = REQUIRED + [n for n in RECIPES if n not in REQUIRED and (weights_dir() / f"{n}.safetensors").exists()]


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_checkpoint_reproduces_recorded_metrics(name):
    stem = weights_dir() / name
    assert stem.with_suffix(".safetensors").exists(), f"{name} weights missing: run regen-lite train {name}"
    model, info = load_pretrained(name)
    assert info["train_command"].startswith(f"regen-lite train {name}")
    assert info["data"]["source"] == "full" and info["data"]["n_train"] == 60000
    # budgets are steps; the seconds depend on the machine: about 10 minutes or less on the faster 2-core kind, up
    # to 1.8x that on the slower AMD EPYC, whose speed drifts within a day (prior_vae: 468 s on one, 633 s on the other)
    assert info["train_seconds"] <= 15 * 60, "each shipped model must train in about 10 minutes on 2 CPU cores"
    r = RECIPES[name]
    # a prior, or the diffusion autoencoder, is re-measured on its small fixed subset (2 samples or images per
    # class: seconds, not minutes), whose value its recipe recorded beside the 20-per-class one the README quotes
    sampled = "sample_test_small" in info["metrics"]
    split, per_class = ("sample_test_small", SMALL_PER_CLASS) if sampled else ("sample_test", PER_CLASS)
    recorded = info["metrics"][split]
    measured = measure(r, model, *load_fashion_mnist("test", "sample"), per_class=per_class)
    # sampling runs hundreds of network calls: allow for float summation order on other CPUs
    # (accuracy: 2 points, or one sample of a small set; Frechet distance: 5 %; PSNR of a sampled render: 0.1 dB)
    tol = {"accuracy": max(0.02, 1.01 / recorded["n"]), "class_kept": max(0.02, 1.01 / recorded["n"]),
           "frechet": 0.05 * recorded.get("frechet", 0)} if sampled else {}
    if sampled:
        tol.update({k: 0.1 if k.startswith("psnr") else 0.01 for k in recorded if k.startswith(("psnr_", "ssim_"))})
    # a code histogram's perplexity, exp(entropy), moves with float summation order (another thread count) more
    # than PSNR does: compare it relatively
    if "perplexity" in recorded:
        tol["perplexity"] = 1e-4 * recorded["perplexity"]
    for k, v in recorded.items():
        if isinstance(v, (int, float)):
            assert measured[k] == pytest.approx(v, abs=tol.get(k, 1e-3)), (k, measured[k], v)
    if r.kind == "prior":
        assert info["metrics"]["sample_test"]["n"] == 10 * PER_CLASS and recorded["n"] == 10 * SMALL_PER_CLASS


def test_classifier_reaches_92_percent_on_the_full_test_set():
    info = json.loads((weights_dir() / "classifier.json").read_text())
    assert info["metrics"]["full_test"]["accuracy"] >= 0.92


@pytest.mark.parametrize("name", list(TARGETS))
def test_shipped_representations_meet_their_targets(name):
    info = json.loads((weights_dir() / f"{name}.json").read_text())
    full = info["metrics"]["full_test"]
    assert full["n"] == 10000
    psnr_min, usage_min = TARGETS[name]
    assert full["psnr"] >= psnr_min
    if usage_min is not None:
        assert full["usage"] >= usage_min


def test_learned_super_resolution_beats_bicubic_by_3_db():
    path = weights_dir() / "sr_x4.json"
    if not path.exists():
        pytest.fail("sr_x4 weights missing: run regen-lite train sr_x4")
    full = json.loads(path.read_text())["metrics"]["full_test"]
    assert full["psnr"] >= full["bicubic_psnr"] + 3.0, full
