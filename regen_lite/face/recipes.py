"""Training recipes of the face models, run by `regen-lite train NAME` through recipes.run_recipe:

    face_params       FaceEncoder by analysis-by-synthesis: 20,000 still faces, images only (Y -> Y')
    face_params_sup   the same encoder trained on the true θ: the supervised upper bound
    face_decoder      FaceDecoder, the learned renderer θ -> face, on (face_params(y), y) still-face pairs (Y' -> Y)
    face_mouth        MouthNet: log-mel -> the mouth that face_params reads off each training frame (X -> Y')
    face_pose         PosePrior: pose, blinks and identity read off the training videos, fitted by counting
    face_direct       DirectFaceNet: log-mel -> frames, from pixels alone (X -> Y, the direct baseline)

The talking-head models train on the 2,988 flite clips of voices A and B in the corpus's training split (with
the spurious lean) and are measured on its 198 unheard clips (lean independent of the voice). face_decoder,
face_mouth, face_pose and face_direct's measurement read the shipped face_params: train it first.
"""

from __future__ import annotations

import hashlib

import torch

from ..recipes import Recipe
from ..train import TrainConfig
from .analysis import FaceEncoder, FaceEncoderConfig
from .data import still_faces, talking_faces
from .direct import DirectFaceNet
from .extractors import load_face_encoder
from .metrics import pearson, recovery_errors, video_metrics
from .priors import MouthNet, PosePrior, fit_pose_prior
from .render import MOUTH, render
from .renderers import FaceDecoder

SOURCES = ("full", "sample")
STILL_TRAIN = TrainConfig(epochs=1000, max_steps=3000, batch_size=64, lr=2e-3, warmup_steps=100, ema_decay=0.99)
TALK_TRAIN = TrainConfig(epochs=1000, max_steps=1500, batch_size=16, lr=2e-3, warmup_steps=100, ema_decay=0.99)


def _hash(*tensors: torch.Tensor) -> str:
    h = hashlib.sha256()
    for t in tensors:
        h.update(t.numpy().tobytes())
    return h.hexdigest()[:16]


def _encoder() -> FaceEncoder:
    return load_face_encoder("face_params").encoder


@torch.no_grad()
def read_tracks(encoder: FaceEncoder, theta: torch.Tensor) -> torch.Tensor:
    """What the analysis encoder reads off the frames drawn from θ tracks (N, T, D): (N, T, D)."""
    flat = theta.reshape(-1, theta.shape[-1])
    out = torch.cat([encoder.encode(render(flat[i:i + 2000])) for i in range(0, len(flat), 2000)])
    return out.reshape(theta.shape)


SAMPLE_STILL, SAMPLE_CLIPS = 512, 64     # --data sample: a quick run on the first of each (the tests use it)


def still_data(recipe: Recipe, model, source: str, extractor=None) -> tuple[tuple, dict]:
    theta, images = still_faces("train")
    if source == "sample":
        theta, images = theta[:SAMPLE_STILL], images[:SAMPLE_STILL]
    info = {"source": "procedural still faces", "subset": source, "n_train": len(images), "hash": _hash(theta)}
    if isinstance(model, FaceDecoder):
        with torch.no_grad():
            theta_hat = torch.cat([_encoder().encode(images[i:i + 2000]) for i in range(0, len(images), 2000)])
        return (theta_hat, images), {**info, "theta": "read by face_params (no labels)"}
    if model.cfg.target == "theta":
        return (images, theta), {**info, "theta": "true (labels)"}
    return (images,), {**info, "theta": "not used"}


def talk_data(recipe: Recipe, model, source: str, extractor=None) -> tuple[tuple, dict]:
    talk = talking_faces("train", SAMPLE_CLIPS if source == "sample" else None)
    info = {"source": "spoken-word corpus, voices kal16 + awb, train split", "subset": source, "n_train": len(talk),
            "frames": int(talk.lengths.sum()), "hash": _hash(talk.theta)}
    if isinstance(model, DirectFaceNet):
        return (talk.mel, talk.theta, talk.lengths), {**info, "target": "the true frames (pixels)"}
    read = read_tracks(_encoder(), talk.theta)
    if isinstance(model, PosePrior):
        return (read, talk.lengths), {**info, "target": "θ read by face_params"}
    return (talk.mel, read[..., MOUTH], talk.lengths), {**info, "target": "mouth read by face_params"}


@torch.no_grad()
def evaluate(recipe: Recipe, model, source: str, extractor=None) -> dict:
    if isinstance(model, FaceEncoder):
        theta, images = still_faces("test")
        theta_hat = model.encode(images)
        return {"test": {**recovery_errors(theta_hat, theta),
                         "photometric": round(((render(theta_hat) - images) ** 2).mean().item(), 5)}}
    if isinstance(model, FaceDecoder):
        theta, images = still_faces("test")
        return {"test": {"mse_from_read": round(((model.decode(_encoder().encode(images)) - images) ** 2).mean().item(), 5),
                         "mse_from_true": round(((model.decode(theta) - images) ** 2).mean().item(), 5)}}
    talk = talking_faces("test")
    if isinstance(model, PosePrior):
        return {"fitted": {"phi_yaw": round(model.phi[0].item(), 3), "phi_roll": round(model.phi[1].item(), 3),
                           "sigma_yaw": round(model.sigma[0].item(), 4), "sigma_roll": round(model.sigma[1].item(), 4),
                           "blink_rate": round(model.blink_rate.item(), 4),
                           "lean_roll_lo": round(model.lean_q[1, 0].item(), 3),
                           "lean_roll_hi": round(model.lean_q[1, -1].item(), 3)}}
    if isinstance(model, MouthNet):
        mask = talk.mask()
        pred, true = model.predict(talk.mel)[mask], talk.theta[..., MOUTH][mask]
        return {"test": {"mouth_mae": round((pred - true).abs().mean().item(), 4),
                         "open_correlation": round(pearson(pred[:, 0], true[:, 0]), 4)}}
    return {"test": video_metrics(_encoder(), model.generate(talk.mel), talk)}


def count_pose(model: PosePrior, data: tuple) -> PosePrior:
    return fit_pose_prior(model, *data)


RECIPES = {r.name: r for r in [
    Recipe("face_params", FaceEncoder, FaceEncoder, STILL_TRAIN, still_data, evaluate, "extractor", "face_params",
           threads=1, sources=SOURCES, notes="image -> θ by analysis-by-synthesis: photometric loss through the renderer, no labels"),
    Recipe("face_params_sup", FaceEncoder, lambda: FaceEncoder(FaceEncoderConfig(target="theta")), STILL_TRAIN,
           still_data, evaluate, "extractor", "face_params_sup", threads=1, sources=SOURCES,
           notes="image -> θ trained on the true θ: the supervised upper bound"),
    Recipe("face_decoder", FaceDecoder, FaceDecoder, STILL_TRAIN, still_data, evaluate, "renderer", "face_params",
           threads=1, sources=SOURCES, notes="θ -> face, learned on (face_params(y), y) pairs of still faces"),
    Recipe("face_mouth", MouthNet, MouthNet, TALK_TRAIN, talk_data, evaluate, "prior", "face_params", threads=1,
           sources=SOURCES, notes="speech (log-mel) -> mouth parameters at 25 fps, on the mouth face_params reads off the videos"),
    Recipe("face_pose", PosePrior, PosePrior, None, talk_data, evaluate, "prior", "face_params", fit=count_pose,
           threads=1, sources=SOURCES, notes="head pose, blinks and identity with no audio: AR(1) walks and blink rate, by counting"),
    Recipe("face_direct", DirectFaceNet, DirectFaceNet, TALK_TRAIN, talk_data, evaluate, "prior", "frames",
           threads=1, sources=SOURCES, notes="direct baseline: speech (log-mel) -> frames, from pixels alone"),
]}
