"""Each shipped checkpoint reproduces the metrics recorded beside it, and meets the kit's targets."""

import json

import pytest
import torch

from regen_lite.checkpoints import load_checkpoint, weights_dir
from regen_lite.data import load_fashion_mnist
from regen_lite.recipes import RECIPES, evaluate

SHIPPED = list(RECIPES)


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_checkpoint_reproduces_recorded_metrics(name):
    stem = weights_dir() / name
    assert stem.with_suffix(".safetensors").exists(), f"{name} weights missing: run regen-lite train {name}"
    model, info = load_checkpoint(stem)
    assert info["train_command"].startswith(f"regen-lite train {name}")
    assert info["data"]["source"] == "full" and info["data"]["n_train"] == 60000
    assert info["train_seconds"] <= 600, "each shipped model must train in <= 10 minutes"
    recorded = info["metrics"]["sample_test"]
    measured = evaluate(name, model, {"sample_test": load_fashion_mnist("test", "sample")})["sample_test"]
    for k, v in recorded.items():
        assert measured[k] == pytest.approx(v, abs=1e-3), (k, measured[k], v)


def test_classifier_reaches_92_percent_on_the_full_test_set():
    info = json.loads((weights_dir() / "classifier.json").read_text())
    assert info["metrics"]["full_test"]["accuracy"] >= 0.92
