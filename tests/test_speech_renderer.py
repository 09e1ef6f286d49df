"""The learned log-mel -> |STFT| renderer: network invariants, training pairs, the recipe, and the shipped
weights reproducing the metrics recorded in their JSON. Also the helpers the app and notebook use.
(A tiny run of the recipe itself: tests/test_recipes.py.)"""

import numpy as np
import pytest
import torch

from regen_lite.checkpoints import load_checkpoint, weights_dir
from regen_lite.registry import get_extractor
from regen_lite.speech.data import load_speech_clips, speech_transcripts
from regen_lite.speech.features import SpectrogramConfig, log_mel
from regen_lite.speech.pipelines import PATHS, build_pipeline, round_trip
from regen_lite.speech.recipes import RECIPES, clips_data, evaluate_mel_renderer, magnitude_db, training_pairs
from regen_lite.speech.renderers import LearnedMelRenderer, MelToLinear, MelToLinearConfig

STEM = weights_dir() / "mel_renderer"


@pytest.fixture(scope="module")
def shipped():
    assert STEM.with_suffix(".safetensors").exists(), "mel_renderer weights missing: run regen-lite train mel_renderer"
    return load_checkpoint(STEM, MelToLinear)


def test_network_shapes_and_zero_init_is_the_explicit_pinv_inverse():
    from regen_lite.speech.features import mel_filterbank

    torch.manual_seed(0)
    net = MelToLinear(MelToLinearConfig(ch=16, n_blocks=1))
    y = load_speech_clips("test")[0].wave[:16000]
    mel = torch.from_numpy(log_mel(y))[None]                         # (1, 80, 126)
    with torch.no_grad():
        out = net.predict(mel)
    assert out.shape == (1, 257, 126)
    m = mel_filterbank().astype(np.float64)
    p = np.linalg.pinv(m) @ 10 ** (mel[0].double().numpy() / 10)    # pinv(M) mel_power, (257, 126)
    np.testing.assert_allclose(m @ p, 10 ** (mel[0].double().numpy() / 10), rtol=1e-6, atol=1e-9)  # M pinv(M) = I
    base = out[0].double().numpy()                                    # the detail branch starts at zero
    pos = np.maximum(p, 0)
    local = np.stack([pos[max(0, f - 2):f + 3].mean(0) for f in range(257)])   # mean over 5 bins (fewer at edges)
    # above the floor (10 dB under the local mean), and not lost to float32 cancellation in pinv(M) mel
    sure = (p > 1.01 * 0.1 * local) & (p > 1e-3 * p.max(0, keepdims=True))
    assert sure.mean() > 0.3
    np.testing.assert_allclose(base[sure], 10 * np.log10(p[sure]), atol=0.05)
    assert base.min() > -101 and (p < 0).any()                        # pinv goes negative; the base has no hole


def test_training_pairs_are_aligned_windows_of_extract_and_target():
    y = load_speech_clips("train")[0].wave
    mel, mag = training_pairs([y], window=64, stride=16)
    n_frames = 1 + len(y) // 128
    assert mel.shape == ((n_frames - 64) // 16 + 1, 80, 64) and mag.shape == (len(mel), 257, 64)
    torch.testing.assert_close(mel[1], torch.from_numpy(log_mel(y)[:, 16:80]))
    torch.testing.assert_close(mag[1], torch.from_numpy(magnitude_db(y)[:, 16:80]))


@pytest.mark.slow
def test_loss_falls_when_overfitting_one_batch():
    torch.manual_seed(0)
    mel, mag = training_pairs([c.wave for c in load_speech_clips("train")[:2]])
    net = MelToLinear(MelToLinearConfig(ch=32, n_blocks=1))
    opt = torch.optim.Adam(net.parameters(), lr=3e-3)
    losses = []
    for _ in range(60):
        _, loss, stats = net(mel[:8], mag[:8])
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.7 * losses[0]


def test_recipe_is_registered_and_trains_on_the_train_split_only():
    r = RECIPES["mel_renderer"]
    assert r.data is clips_data and r.extractor == "log_mel" and r.threads == 1 and r.sources == ("full",)
    test_texts = {row["text"] for row in speech_transcripts("test")}
    mel, _ = training_pairs([c.wave for c in load_speech_clips("train")])
    assert len(mel) > 500 and test_texts                   # the held-out sentences are a separate split


# ---------------------------------------------------------------- the shipped weights

def test_shipped_checkpoint_provenance(shipped):
    _, info = shipped
    assert info["train_command"].startswith("regen-lite train mel_renderer")
    assert info["train_seconds"] <= 600, "must train in <= 10 minutes on 2 CPU cores"
    assert info["data"]["files"] == [r["file"] for r in speech_transcripts("train")]   # never the held-out clips
    assert STEM.with_suffix(".safetensors").stat().st_size < 3e6


@pytest.mark.slow
def test_shipped_renderer_reproduces_its_recorded_magnitude_error(shipped):
    """Fast check (no Griffin-Lim): the predicted log-magnitude error on the held-out clips."""
    model, info = shipped
    r = LearnedMelRenderer(model)
    cfg = SpectrogramConfig()
    errs = []
    for c in load_speech_clips("test"):
        mag = r.to_magnitude(log_mel(c.wave))
        errs.append(np.abs(10 * np.log10(np.maximum(mag ** 2, cfg.amin)) - magnitude_db(c.wave)).mean())
    assert float(np.mean(errs)) == pytest.approx(info["metrics"]["test"]["l1_db"], abs=1e-3)


@pytest.mark.slow
def test_shipped_renderer_reproduces_all_recorded_metrics_and_beats_the_explicit_inverse(shipped):
    model, info = shipped
    recorded = info["metrics"]["test"]
    measured = evaluate_mel_renderer(model, "test")
    for k, v in recorded.items():
        assert measured[k] == pytest.approx(v, abs=0.01), (k, measured[k], v)
    assert measured["l1_db"] < 0.5 * measured["explicit_l1_db"]
    assert measured["lsd_db"] < measured["explicit_lsd_db"] - 0.5
    assert measured["mcd_db"] < measured["explicit_mcd_db"]


def test_learned_renderer_plugs_into_the_log_mel_extractor(shipped):
    e = get_extractor("log_mel", renderer="learned")
    assert e.describe()["renderer"] == "learned" and "learned" in e.notes()
    y = load_speech_clips("test")[0].wave[:16000]
    y_hat = e.render(e.extract(y))
    assert y_hat.shape == (16000,) and torch.isfinite(y_hat).all()      # (N - 1) hop, N = 1 + 16000 // 128


# ---------------------------------------------------------------- helpers for the app and notebook

@pytest.mark.parametrize("path", list(PATHS))
def test_round_trip_returns_every_stage(path):
    y = load_speech_clips("test")[1].wave[:8000]
    pipe = build_pipeline(path)
    out = round_trip(path, y, pipe=pipe, pitch=False)
    rows = {"stft_magnitude": 257, "log_mel": 80, "mfcc": 20}[PATHS[path].extractor]
    assert out.y_prime.shape == (rows, 63) and pipe.renderer.to_magnitude(out.y_prime).shape == (257, 63)
    assert out.y_hat.shape == (62 * 128,) and out.y_hat.dtype == np.float32
    assert out.seconds["extract"] >= 0 and out.seconds["render"] >= 0
    with pytest.raises(KeyError, match="unknown speech pipeline"):
        build_pipeline("wavenet")


def test_viz_helpers():
    import matplotlib

    matplotlib.use("Agg")
    from regen_lite.speech.viz import show_spectrogram, show_y_prime, spectrogram_rgb

    y = load_speech_clips("test")[0].wave
    e = get_extractor("mfcc")
    fig = show_y_prime(e.extract(y).numpy(), "mfcc")
    assert fig.axes[0].get_ylabel() == "MFCC index"
    assert show_spectrogram(y).axes[0].get_xlim()[1] == pytest.approx((1 + len(y) // 128) / 125)
    img = spectrogram_rgb(np.arange(6, dtype=np.float32).reshape(3, 2))
    assert img.shape == (3, 2, 3) and img.dtype == np.uint8
    assert (img[-1, 0] != img[0, 1]).any()                  # row 0 is drawn at the bottom


def test_missing_weights_say_how_to_rebuild_them(tmp_path, monkeypatch):
    from regen_lite.checkpoints import CheckpointError

    monkeypatch.setenv("REGEN_LITE_WEIGHTS", str(tmp_path))
    with pytest.raises(CheckpointError, match="regen-lite train mel_renderer"):
        get_extractor("log_mel", renderer="learned")
    assert get_extractor("log_mel").renderer_kind == "explicit"          # the explicit path needs no weights
