"""The command line, run as a user runs it (a real subprocess)."""

import json
import os
import subprocess
import sys

from regen_lite.cli import main


def run(*args, env=None):
    return subprocess.run([sys.executable, "-m", "regen_lite.cli", *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=300)


def test_info_reports_device_data_and_weights():
    r = run("info")
    assert r.returncode == 0, r.stderr
    assert "device: cpu" in r.stdout and "fashion-mnist sample subset: found" in r.stdout
    assert "pretrained weights in" in r.stdout


def test_device_override_by_env_and_flag():
    assert "chosen by REGEN_LITE_DEVICE" in run("info", env={"REGEN_LITE_DEVICE": "cpu"}).stdout
    assert "chosen by --device" in run("info", "--device", "cpu").stdout
    r = run("info", "--device", "cuda:7")
    if r.returncode != 0:  # no such GPU here: a clear message, not a traceback
        assert "not available" in r.stderr and "Traceback" not in r.stderr


def test_train_a_tiny_model_on_the_shipped_subset(tmp_path, capsys):
    assert main(["train", "vqvae", "--epochs", "1", "--data", "sample", "--out", str(tmp_path), "--quiet"]) == 0
    info = json.loads((tmp_path / "vqvae.json").read_text())
    assert info["train_command"] == "regen-lite train vqvae --epochs 1 --data sample"
    assert info["data"]["n_train"] == 5000 and "sample_test" in info["metrics"]
    assert (tmp_path / "vqvae.safetensors").exists()


def test_unknown_model_is_a_clear_error(capsys):
    assert main(["train", "gan"]) == 2
    assert "choose from" in capsys.readouterr().err
