"""Face extractors Y -> Y' (read by regen_lite.registry): a face image (B, 1, 48, 48) in [0, 1] -> ...

    face_params      θ (B, D) from the analysis-by-synthesis encoder (analysis.py); rendered back by the
                     procedural face. Table 1's "3D image analysis" row, in miniature.
    face_params_sup  the same encoder trained with the true θ: the supervised upper bound (only a synthetic
                     world has labels to offer)
    frames           Y' = Y, the direct pipeline's identity

A track (B, T, 1, 48, 48) is read frame by frame into (B, T, D).
"""

from __future__ import annotations

import torch

from ..checkpoints import CheckpointError, load_checkpoint, pretrained_path
from ..core import Renderer, TensorExtractor
from .analysis import FaceEncoder
from .render import D, PARAMS, SIZE
from .renderers import ProceduralRenderer


class FaceExtractor(TensorExtractor):
    modality = "face"
    input_shape = (1, SIZE, SIZE)
    input_bits_per_value = 8.0      # an 8-bit grey-scale frame


class _Same(Renderer):
    def render(self, y_prime, *, generator=None):
        return y_prime


class Frames(FaceExtractor):
    name, kind, layout = "frames", "explicit", "image"
    renderer = _Same()

    def extract(self, y):
        return y

    def bits_per_value(self):
        return 8.0

    def notes(self):
        return "Y' = Y: the frames themselves (the direct baseline)"


class FaceAnalysis(FaceExtractor):
    """Y' = θ̂ = encoder(y); render(Y') = the procedural face drawn from θ̂."""

    kind, layout = "implicit", "parameters"
    params = PARAMS

    def __init__(self, name: str, encoder: FaceEncoder, info: dict | None = None):
        self.name, self.encoder, self.info = name, encoder.eval(), info or {}
        self.renderer = ProceduralRenderer()

    def to(self, device):
        self.encoder.to(device)
        return self

    @torch.no_grad()
    def extract(self, y: torch.Tensor) -> torch.Tensor:
        lead = y.shape[:-3]
        flat = y.reshape(-1, 1, SIZE, SIZE).float()
        return torch.cat([self.encoder.encode(flat[i:i + 1000]) for i in range(0, len(flat), 1000)] or
                         [torch.zeros(0, D)]).reshape(*lead, D)

    def notes(self):
        how = ("the true θ as labels (supervised upper bound)" if self.encoder.cfg.target == "theta" else
               "analysis-by-synthesis: the photometric loss through the renderer, no θ labels")
        return f"{D} face parameters ({', '.join(PARAMS)}) read by a CNN trained with {how}"


def load_face_encoder(name: str = "face_params", path=None, device="cpu") -> FaceAnalysis:
    path = path or pretrained_path(name)
    try:
        model, info = load_checkpoint(path, FaceEncoder, device=device)
    except CheckpointError as e:
        raise CheckpointError(f"{e}; (re)create it with: regen-lite train {name}") from e
    return FaceAnalysis(name, model, info)


EXTRACTORS = {
    "frames": (Frames, "Y' = Y (direct generation)"),
    "face_params": (lambda **kw: load_face_encoder("face_params", **kw),
                    f"{D} face parameters, learned by analysis-by-synthesis (no labels)"),
    "face_params_sup": (lambda **kw: load_face_encoder("face_params_sup", **kw),
                        f"{D} face parameters, learned from true θ (supervised upper bound)"),
}
