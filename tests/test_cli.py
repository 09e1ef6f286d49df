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
    assert main(["train", "vqvae", "--steps", "3", "--data", "sample", "--out", str(tmp_path), "--quiet"]) == 0
    info = json.loads((tmp_path / "vqvae.json").read_text())
    assert info["train_command"] == "regen-lite train vqvae --steps 3 --data sample" and info["steps"] == 3
    assert info["data"]["n_train"] == 5000 and "sample_test" in info["metrics"]
    assert (tmp_path / "vqvae.safetensors").exists()


def test_unknown_model_is_a_clear_error(capsys):
    assert main(["train", "gan"]) == 2
    assert "choose from" in capsys.readouterr().err


# ---------------------------------------------------------------- `regen-lite sample` beyond the images (images: test_pipelines.py)

def test_sample_writes_one_file_per_modality(tmp_path, capsys):
    import soundfile as sf

    from regen_lite.music.song import load_song

    assert main(["sample", "--pipeline", "melody_template", "--key", "Am", "--bars", "2", "--out", str(tmp_path / "m.mid")]) == 0
    song, _ = load_song(tmp_path / "m.mid")
    assert "A minor, 2 bars" in capsys.readouterr().out and song.n_bars <= 2
    assert main(["sample", "--pipeline", "stft+gl", "--input", "us_00", "--out", str(tmp_path / "s.wav")]) == 0
    wave, sr = sf.read(tmp_path / "s.wav")
    assert sr == 16000 and len(wave) > 8000 and "LSD" in capsys.readouterr().out
    assert main(["sample", "--pipeline", "g2p", "--text", "the knight wrote", "--out", str(tmp_path / "t.txt")]) == 0
    assert "DH AH | N AY T | R OW T" in (tmp_path / "t.txt").read_text()
    assert main(["sample", "--pipeline", "tts", "--text", "the knight", "--out", str(tmp_path / "tts.wav")]) == 0
    wave, sr = sf.read(tmp_path / "tts.wav")
    said = capsys.readouterr().out
    assert sr == 16000 and len(wave) > 1600 and "pau DH AH pau N AY T pau" in said and "Y' (80, " in said


def test_sample_refuses_flags_that_do_not_apply(capsys):
    assert main(["sample", "--pipeline", "vq", "--steps", "5"]) == 1
    assert "--steps does not apply" in capsys.readouterr().err
    assert main(["sample", "--pipeline", "g2p", "--key", "C"]) == 1
    assert "--key does not apply to the text pipeline 'g2p'; it takes --text" in capsys.readouterr().err
    assert main(["sample", "--pipeline", "stft+gl", "--seed", "3"]) == 1
    assert "--seed does not apply" in capsys.readouterr().err
    assert main(["sample", "--pipeline", "g2p"]) == 1 and "pass --text" in capsys.readouterr().err
    assert main(["sample", "--pipeline", "tts_direct"]) == 1 and "pass --text" in capsys.readouterr().err
    assert main(["sample", "--pipeline", "stft+gl", "--text", "hi"]) == 1
    assert "round-trips audio" in capsys.readouterr().err
    assert main(["sample", "--pipeline", "melody_direct", "--key", "H"]) == 1 and "unknown key" in capsys.readouterr().err


def test_sample_help_lists_every_pipeline():
    r = run("sample", "--help")
    assert r.returncode == 0 and all(n in r.stdout for n in ("latent", "mel+learned+gl", "g2p_neural", "melody_direct"))
