"""The face modality: the procedural face and its gradients, the talking-face data (visemes, the spurious lean),
analysis-by-synthesis, the pose prior fitted by counting, the two talking-head pipelines and the direct one, and
the shipped weights with their recorded metrics."""

import json
import math

import numpy as np
import pytest
import torch

from regen_lite.core import Regenerator
from regen_lite.face.analysis import FaceEncoder, FaceEncoderConfig, fit_theta, from_theta, to_theta
from regen_lite.face.data import (LEAN, VISEMES, VOICE_A, blink_track, mouth_track, pose_walk, still_faces,
                                  talking_clips, talking_faces)
from regen_lite.face.direct import DirectConfig, DirectFaceNet
from regen_lite.face.priors import AudioConfig, MouthNet, PosePrior, fit_pose_prior
from regen_lite.face.render import D, NEUTRAL, PARAMS, SIGNED, SIZE, clamp, ellipse, render
from regen_lite.paths import weights_dir

WEIGHTS = weights_dir()
FACE_WEIGHTS = ["face_params", "face_params_sup", "face_decoder", "face_mouth", "face_pose", "face_direct"]


@pytest.fixture(scope="module")
def test_talk():
    return talking_faces("test")


# ---------------------------------------------------------------------------------------- the procedural face

def test_render_shapes_ranges_and_tracks():
    theta = torch.rand(3, 5, D)
    frames = render(theta)
    assert frames.shape == (3, 5, 1, SIZE, SIZE) and 0 <= frames.min() and frames.max() <= 1
    assert torch.equal(render(theta[1, 2]), frames[1, 2])                      # a track is frames drawn one by one
    assert torch.equal(render(torch.full((1, D), 7.0)), render(clamp(torch.full((1, D), 7.0))))
    assert clamp(torch.full((D,), -3.0))[SIGNED].eq(-1).all() and clamp(torch.full((D,), -3.0))[~SIGNED].eq(0).all()


def test_every_parameter_moves_pixels_and_gets_a_gradient():
    theta = NEUTRAL.clone().repeat(4, 1) + 0.1 * torch.randn(4, D, generator=torch.Generator().manual_seed(0))
    theta = clamp(theta).requires_grad_(True)
    render(theta).sum().backward()
    assert torch.isfinite(theta.grad).all()
    for i, name in enumerate(PARAMS):
        assert theta.grad[:, i].abs().sum() > 0, name
        moved = NEUTRAL.clone()
        moved[i] += 0.3 if NEUTRAL[i] < 0.6 else -0.3
        assert (render(moved) - render(NEUTRAL)).abs().max() > 0.05, name


def test_a_soft_ellipse_covers_its_area_and_a_shut_eye_stays_an_eye():
    x = (torch.arange(400) + 0.5) / 400 * 2 - 1                               # a fine grid: about the true area
    xx, yy = x.view(1, -1).expand(400, 400), x.view(-1, 1).expand(400, 400)
    t = lambda v: torch.tensor(v).view(1, 1, 1)
    area = lambda a, b: ellipse(xx, yy, t(0.1), t(-0.2), t(a), t(b))[0].sum().item() * (2 / 400) ** 2
    assert area(0.5, 0.3) == pytest.approx(math.pi * 0.5 * 0.3, rel=0.03)     # a face: its area
    ratios = [area(0.1, b) / (math.pi * 0.1 * b) for b in (0.09, 0.06, 0.03)]
    assert 1 < ratios[0] < ratios[1] < ratios[2] < 2.5      # the soft edge fattens small shapes, thin ones most
    eye = ellipse(xx, yy, t(0.1), t(-0.2), t(0.1), t(0.03))[0]
    far = (xx - 0.1).abs() > 0.1 + 4 * 2 / SIZE                                 # beyond 4 face pixels from its end
    assert eye[far].sum() < 0.05 * eye.sum()                                   # a shut eye is a short line, not a bar
    assert eye[200 - 40, 220] > 0.7 and eye[0, 0] < 1e-3                     # its centre is dark


def test_theta_maps_to_its_ranges_and_back():
    theta = clamp(torch.rand(50, D) * 2 - 0.5)
    assert torch.allclose(to_theta(from_theta(theta)), theta.clamp(-0.999, 0.999).clamp_min(
        torch.where(SIGNED, -0.999, 0.001)).clamp_max(torch.where(SIGNED, 0.999, 0.999)), atol=1e-4)


# ---------------------------------------------------------------------------------------- the talking-face data

def test_the_viseme_track_of_a_hand_checked_word():
    clip = next(c for c in talking_clips("test") if c.word == "will")
    assert clip.engine_phones == ("pau", "w", "ih", "l", "pau")
    track = mouth_track(clip, 14)                                              # 0.548 s at 25 fps
    ends = np.asarray(clip.phone_ends)
    frame_of = lambda t: int(t * 25)
    w, ih = frame_of((0.2 + ends[1]) / 2), frame_of((ends[1] + ends[2]) / 2)
    assert track[w, 2] > track[ih, 2] + 0.2                                    # W rounds the lips, IH spreads them
    assert track[ih, 1] > track[w, 1] + 0.1
    assert track[0, 0] == pytest.approx(VISEMES["pau"][0], abs=1e-6)          # silence before the word: closed
    assert np.all(np.abs(np.diff(track, axis=0)) < 0.3)                       # smoothed: no jumps


def test_pose_walks_lean_and_blinks_close_the_eyes():
    rng = np.random.default_rng(0)
    walks = np.concatenate([pose_walk(50, LEAN, rng) for _ in range(40)])
    assert walks[:, 1].mean() == pytest.approx(LEAN, abs=0.05) and abs(walks[:, 0].mean()) < 0.1
    blinks = np.concatenate([blink_track(100, rng) for _ in range(50)])
    assert set(np.unique(blinks)) <= {0.0, 0.5, 1.0} and 0.005 < (blinks == 1).mean() < 0.04


def test_training_ties_the_lean_to_the_voice_and_the_test_does_not(test_talk):
    train = talking_faces("train", 200)
    a = train.voice == 0
    assert [c.voice for c in train.clips[:1]] and all((c.voice == VOICE_A) == bool(v) for c, v in zip(train.clips, a))
    assert (train.lean[a] == -LEAN).all() and (train.lean[~a] == LEAN).all()
    agree = (torch.sign(test_talk.lean) == test_talk.voice.float() * 2 - 1).float().mean()
    assert 0.35 < agree < 0.65 and len(test_talk) == 198                       # a coin flip, not the voice
    assert test_talk.mel.shape[2] == 5 * test_talk.theta.shape[1]
    assert test_talk.frames(0).shape == (int(test_talk.lengths[0]), 1, SIZE, SIZE)


def test_the_pose_prior_counts_back_the_process_that_drew_the_poses():
    train = talking_faces("train", 600)
    prior = fit_pose_prior(PosePrior(), train.theta, train.lengths)        # on the true θ: the rule comes back
    assert prior.phi.tolist() == pytest.approx([0.9, 0.9], abs=0.05)     # (a walk starts off its stationary spread)
    assert prior.sigma.tolist() == pytest.approx([0.08, 0.05], rel=0.15)
    assert prior.blink_rate.item() == pytest.approx(1 / 50, abs=0.007)
    assert prior.lean_q[1].mean().item() == pytest.approx(train.lean.mean().item(), abs=0.05)   # the clips' leans
    assert prior.lean_q[1].abs().max() < LEAN + 0.35
    g = torch.Generator().manual_seed(0)
    s = prior.sample(torch.tensor([30, 20]), 30, g)
    assert s.shape == (2, 30, 3) and s[..., :2].abs().max() <= 1 and s[..., 2].min() >= 0


# ---------------------------------------------------------------------------------------- analysis by synthesis

def test_per_image_fitting_recovers_a_face_from_pixels_alone():
    theta, images = still_faces("test")
    out = fit_theta(images[:6], steps=150)
    assert out["loss"][-1] < out["loss"][0] / 20
    err = (out["theta"] - theta[:6]).abs()
    assert err[:, [0, 3, 4, 8]].mean() < 0.05                                 # open, yaw, roll, shade


def test_the_encoder_trains_without_labels_and_refuses_a_supervised_step_without_them():
    _, images = still_faces("test")
    enc = FaceEncoder()
    _, loss, stats = enc(images[:8])
    assert loss == stats["photometric"] and "theta_mae" not in stats
    loss.backward()
    assert all(p.grad is not None for p in enc.parameters())                  # the loss reached every weight
    sup = FaceEncoder(FaceEncoderConfig(target="theta"))
    with pytest.raises(ValueError, match="pairs"):
        sup(images[:8])
    with pytest.raises(ValueError, match="target"):
        FaceEncoder(FaceEncoderConfig(target="pixels"))


def test_the_audio_models_keep_one_frame_per_five_mel_frames(test_talk):
    mel = test_talk.mel[:2]
    T = test_talk.theta.shape[1]
    assert MouthNet(AudioConfig(hidden=16)).predict(mel).shape == (2, T, 3)
    net = DirectFaceNet(DirectConfig(hidden=16, dec_hidden=16, channels=4))
    frames = net.generate(mel)
    assert frames.shape == (2, T, 1, SIZE, SIZE)
    _, loss, _ = net(mel, test_talk.theta[:2], test_talk.lengths[:2])
    assert torch.isfinite(loss)


# ---------------------------------------------------------------------------------------- shipped weights and pipelines

@pytest.mark.parametrize("name", FACE_WEIGHTS)
def test_face_weights_ship_small_and_say_how_they_were_made(name):
    info = json.loads((WEIGHTS / f"{name}.json").read_text())
    assert (WEIGHTS / f"{name}.safetensors").stat().st_size < 4_500_000
    assert info["train_command"].startswith(f"regen-lite train {name}") and info["train_command"].endswith("--data full")
    assert info["data"]["subset"] == "full"
    assert info["wall_seconds"] <= 600


@pytest.mark.slow
@pytest.mark.parametrize("name", FACE_WEIGHTS)
def test_face_weights_reproduce_recorded_metrics(name):
    from regen_lite.registry import get_recipe, load_pretrained

    model, info = load_pretrained(name, path=WEIGHTS / name)
    r = get_recipe(name)
    measured = r.evaluate(r, model, "full", None)
    for split, metrics in info["metrics"].items():
        for k, v in metrics.items():
            assert measured[split][k] == pytest.approx(v, abs=2e-3, rel=1e-3), (k, measured[split][k], v)


def test_the_recipes_run_on_the_sample(tmp_path):
    from regen_lite.face.recipes import RECIPES
    from regen_lite.recipes import run_recipe

    stem, info = run_recipe(RECIPES["face_mouth"], data="sample", max_steps=2, out_dir=tmp_path, progress=False)
    assert info["data"]["n_train"] == 64 and info["steps"] == 2 and "--data sample" in info["train_command"]
    stem, info = run_recipe(RECIPES["face_pose"], data="sample", out_dir=tmp_path, progress=False)
    assert 0 < info["metrics"]["fitted"]["phi_roll"] < 1


def test_two_stage_and_direct_are_one_regenerator_and_only_the_direct_one_can_hear_the_lean(test_talk):
    from regen_lite.face.pipelines import build_pipeline

    two, direct = build_pipeline("talking_head"), build_pipeline("talking_direct")
    assert type(two) is type(direct) is Regenerator
    mel = test_talk.mel[:4]
    theta_1, frames_1 = two.generate(mel, generator=torch.Generator().manual_seed(1))
    theta_2, _ = two.generate(mel, generator=torch.Generator().manual_seed(2))
    assert frames_1.shape == (4, mel.shape[2] // 5, 1, SIZE, SIZE)
    assert torch.equal(theta_1[..., :3], theta_2[..., :3])                      # the mouth follows the audio ...
    assert not torch.equal(theta_1[..., 3:5], theta_2[..., 3:5])               # ... the pose is the prior's draw
    y_prime, y = direct.generate(mel)
    assert y_prime is y or torch.equal(y_prime, y)                             # Y' = Y
