"""The shipped generation pipelines X -> Y' -> Y, run end to end on the CPU, and `regen-lite sample`."""

import pytest
import torch

from regen_lite.checkpoints import pretrained_path
from regen_lite.cli import main, parse_class
from regen_lite.device import get_device
from regen_lite.image.pipelines import PIPELINES, build_pipeline

AVAILABLE = [n for n, s in PIPELINES.items() if pretrained_path(s.prior).with_suffix(".safetensors").exists()]


@pytest.mark.parametrize("name", AVAILABLE)
def test_pipeline_generates_the_right_shapes_and_is_seeded(name):
    pipe, spec = build_pipeline(name, device="cpu")
    x = torch.tensor([7, 8])
    yp, y = pipe.generate(x, generator=torch.Generator().manual_seed(0), **spec.sample_kw)
    assert y.shape == (2, 1, 28, 28) and 0 <= y.min() and y.max() <= 1
    assert list(yp.shape[1:]) == pipe.extractor.describe()["shape"]
    yp2, y2 = pipe.generate(x, generator=torch.Generator().manual_seed(0), **spec.sample_kw)
    assert torch.equal(y, y2)


def test_direct_is_the_same_class_with_the_identity_extractor():
    if "direct" not in AVAILABLE:
        pytest.fail("prior_direct weights missing: run regen-lite train prior_direct")
    direct, _ = build_pipeline("direct")
    assert direct.extractor.name == "identity"
    assert {type(build_pipeline(n)[0]) for n in AVAILABLE} == {type(direct)}


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
