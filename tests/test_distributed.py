"""Data-parallel training: `accelerate launch --multi_gpu --num_processes 2 -m regen_lite.cli train NAME` runs
two CPU processes (gloo backend; --multi_gpu only picks accelerate's torchrun launcher). Each optimizer step
follows the gradient of the same global batch as a single-process run, so the checkpoints agree to float
rounding, and only process 0 measures and writes."""

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from regen_lite.image.recipes import RECIPES
from regen_lite.recipes import run_recipe

STEPS = 12


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def two_processes(tmp_path_factory):
    accelerate = Path(sys.executable).with_name("accelerate")
    if not accelerate.exists():
        pytest.fail(f"accelerate is not installed next to {sys.executable}: pip install -e '.[dev]'")
    out = tmp_path_factory.mktemp("two")
    cmd = [str(accelerate), "launch", "--multi_gpu", "--num_processes", "2", "--num_machines", "1",
           "--mixed_precision", "no", "--dynamo_backend", "no", "--main_process_port", str(free_port()),
           "-m", "regen_lite.cli", "train", "ae", "--data", "sample", "--steps", str(STEPS), "--quiet",
           "--device", "cpu", "--out", str(out)]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return out, proc.stdout


@pytest.fixture(scope="module")
def one_process(tmp_path_factory):
    out = tmp_path_factory.mktemp("one")
    run_recipe(RECIPES["ae"], data="sample", max_steps=STEPS, device="cpu", out_dir=out, progress=False)
    return out


def test_only_process_zero_writes_and_reports(two_processes):
    out, stdout = two_processes
    assert stdout.count("saved ") == 1, stdout
    assert sorted(p.name for p in out.iterdir() if p.is_file()) == ["ae.json", "ae.safetensors"]
    state = out / ".state"
    assert not state.exists() or not any(state.iterdir()), "the resumable state must be removed once saved"


def test_two_processes_match_one_at_the_same_global_batch(two_processes, one_process):
    two, one = load_file(str(two_processes[0] / "ae.safetensors")), load_file(str(one_process / "ae.safetensors"))
    assert two.keys() == one.keys()
    worst = max((two[k] - one[k]).abs().max().item() / (one[k].abs().max().item() + 1e-8) for k in one)
    assert worst < 1e-3, f"largest relative difference of a weight tensor: {worst:.2e}"
    info2 = json.loads((two_processes[0] / "ae.json").read_text())
    info1 = json.loads((one_process / "ae.json").read_text())
    assert info2["steps"] == info1["steps"] == STEPS
    assert info2["train_config"]["batch_size"] == info1["train_config"]["batch_size"] == RECIPES["ae"].train.batch_size
    # the logged loss is the global batch's in both runs
    assert info2["history"][0]["loss"] == pytest.approx(info1["history"][0]["loss"], rel=1e-4)
    psnr2, psnr1 = info2["metrics"]["sample_test"]["psnr"], info1["metrics"]["sample_test"]["psnr"]
    assert psnr2 == pytest.approx(psnr1, abs=0.01)


SHARDS = """
import json, os, sys, torch
from regen_lite.train import TrainConfig, fit

class Recorder(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.w, self.seen = torch.nn.Parameter(torch.zeros(1)), []
    def forward(self, y):
        self.seen.append(y[:, 0].long().tolist())
        return y, (self.w - y).pow(2).mean(), {}

model = Recorder()
fit(model, (torch.arange(64.0)[:, None],), TrainConfig(epochs=1, batch_size=16, ema_decay=0, progress=False, device="cpu"))
open(os.path.join(sys.argv[1], f"rank{os.environ['RANK']}.json"), "w").write(json.dumps(model.seen))
"""


def launch(script: Path, n: int, *args) -> subprocess.CompletedProcess:
    accelerate = Path(sys.executable).with_name("accelerate")
    cmd = [str(accelerate), "launch", "--multi_gpu", "--num_processes", str(n), "--num_machines", "1",
           "--mixed_precision", "no", "--dynamo_backend", "no", "--main_process_port", str(free_port()),
           str(script), *map(str, args)]
    return subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "OMP_NUM_THREADS": "1"}, timeout=300)


def test_each_process_takes_its_own_half_of_every_global_batch(tmp_path):
    script = tmp_path / "shards.py"
    script.write_text(SHARDS)
    proc = launch(script, 2, tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    seen = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in (0, 1)]
    perm = torch.randperm(64, generator=torch.Generator().manual_seed(0)).tolist()   # fit's epoch-0 order
    assert len(seen[0]) == len(seen[1]) == 4
    for step, (a, b) in enumerate(zip(*seen)):
        batch = perm[16 * step:16 * (step + 1)]
        assert len(a) == len(b) == 8 and not set(a) & set(b)
        assert sorted(a + b) == sorted(batch)


def test_a_batch_that_does_not_split_is_refused(tmp_path):
    """Three processes cannot share the ae recipe's batch of 64 evenly: a clear error, before any training."""
    accelerate = Path(sys.executable).with_name("accelerate")
    cmd = [str(accelerate), "launch", "--multi_gpu", "--num_processes", "3", "--num_machines", "1",
           "--mixed_precision", "no", "--dynamo_backend", "no", "--main_process_port", str(free_port()),
           "-m", "regen_lite.cli", "train", "ae", "--data", "sample", "--steps", "1", "--quiet",
           "--device", "cpu", "--out", str(tmp_path)]
    proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "OMP_NUM_THREADS": "1"},
                          timeout=300)
    assert proc.returncode != 0
    assert "does not split evenly over 3 processes" in proc.stdout + proc.stderr
    assert not (tmp_path / "ae.safetensors").exists()


def test_a_plain_run_is_process_zero_of_one():
    from regen_lite.device import is_main_process, world_size
    if "WORLD_SIZE" in os.environ:
        pytest.fail("the test suite itself must not run under a launcher")
    assert world_size() == 1 and is_main_process()


