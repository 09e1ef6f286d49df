"""The code paths of the benchmark scripts, run as a user runs them (for the code, not the numbers):
benchmarks/peers.py --quick (the kit beside its peers at equal CPU time), benchmarks/label_efficiency.py --quick
(the label-efficiency curve on the shipped subset) and benchmarks/gpu_check.py on the CPU (the GPU check, which
no test machine here has a GPU for)."""

import subprocess
import sys
from pathlib import Path

import torch

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def run(*args, timeout=600):
    return subprocess.run([sys.executable, *map(str, args)], capture_output=True, text=True, timeout=timeout,
                          cwd=BENCHMARKS)


def test_peers_quick_writes_both_tables(tmp_path):
    proc = run("peers.py", "--quick", "--out", tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    rows = {"autoencoders": ("| ae | ClassicAE", "| vae | ClassicAE", "| vqvae | ClassicAE",
                             "| vqvae | kit VQ-VAE + vector-quantize-pytorch"),
            "diffusion": ("| kit prior_direct (shipped)", "| course UNet2DModel + DDPM")}
    for part, expected in rows.items():
        md = (tmp_path / f"peers_{part}.md").read_text()
        assert md.startswith("# The kit beside its peers at equal CPU time") and "--quick run" in md
        assert md.rstrip().endswith(f"Regenerate: `python benchmarks/peers.py --part {part} --quick`")
        for row in expected:
            assert row in md, row
        assert len((tmp_path / f"peers_{part}.csv").read_text().splitlines()) == 1 + len(expected)


def test_gpu_check_walks_its_code_path_on_the_cpu():
    proc = run("gpu_check.py", "--device", "cpu", "--steps", "3", "--samples", "10", "--data", "sample",
               "--pipelines", "latent", "vq")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    out = proc.stdout
    assert "| train `ae`, 3 steps x 64 |" in out   # the recipe's batch
    lines = [line for line in out.splitlines() if line.startswith(("| latent", "| vq"))]
    assert len(lines) == 2 and all(line.rstrip().endswith("| yes |") for line in lines), lines


def test_gpu_check_without_cuda_says_so():
    proc = run("gpu_check.py", timeout=120)
    if torch.cuda.is_available():   # a GPU machine runs the real check instead
        assert proc.returncode in (0, 1), proc.stderr[-3000:]
    else:
        assert proc.returncode == 2 and "CUDA is not available on this machine" in proc.stderr


def test_label_efficiency_quick_writes_its_table_and_curve(tmp_path):
    proc = run("label_efficiency.py", "--quick", "--out", tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    md = (tmp_path / "label_efficiency_quick.md").read_text()
    assert "--quick: the code path, not a result" in md
    assert md.rstrip().endswith("Regenerate: `python benchmarks/label_efficiency.py --quick`")
    rows = (tmp_path / "label_efficiency_quick.csv").read_text().splitlines()
    assert rows[0].startswith("fraction,method,seed,labelled,steps,train_s,FD,accuracy")
    points = {tuple(r.split(",")[:2]) for r in rows[1:]}
    assert points == {(f, m) for f in ("0.1", "1.0") for m in ("direct", "direct+null", "latent", "lowres")}
    assert all(r.split(",")[3] == ("500" if r.startswith("0.1") else "5000") for r in rows[1:])  # 10 %, balanced
    assert (tmp_path / "label_efficiency_quick.png").stat().st_size > 10_000


def test_classroom_load_runs_a_small_class_against_a_classroom_server(tmp_path):
    proc = run("classroom_load.py", "--students", "2", "--modes", "classroom", "--no-all-tabs", "--out", tmp_path,
               timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    md = (tmp_path / "classroom_load.md").read_text()
    assert "2 simulated students" in md and "| inspect |" in md and "| generate 16 |" in md
    row = next(line for line in md.splitlines() if line.startswith("| classroom |"))
    assert float(row.split("|")[3]) > 0 and float(row.split("|")[6]) > 0   # images per second, the run and the burst
    assert "Errors seen" not in md
