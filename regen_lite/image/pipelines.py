"""The named generation pipelines X -> Y' -> Y. Each is one Regenerator(extractor, prior, renderer);
"direct" is the same class with the identity extractor.

    name     extractor (Y -> Y')   prior (X -> Y')                  renderer (Y' -> Y)
    direct   identity              pixel-space diffusion             identity
    latent   vae                   latent diffusion (4x7x7)          VAE decoder
    vq       vqvae                 AR transformer over 7x7 codes     VQ-VAE decoder
    fsq      fsq                   AR transformer over 7x7 codes     FSQ decoder
    lowres   downsample_x4         diffusion over the 7x7 image      learned super-resolution
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..checkpoints import CheckpointError, load_checkpoint, pretrained_path
from ..core import Regenerator
from .extractors import EXTRACTORS
from .priors import CodePrior, DiffusionPrior


@dataclass
class PipelineSpec:
    name: str
    extractor: str
    prior: str                      # checkpoint name of the prior
    renderer: str | None = None     # checkpoint name of a learned renderer (None: the extractor's own)
    sample_kw: dict = field(default_factory=dict)   # default sampling settings
    summary: str = ""


PIPELINES = {s.name: s for s in [
    PipelineSpec("direct", "identity", "prior_direct", None, {"steps": 25, "guidance": 1.0},
                 "pixel diffusion X -> Y (the direct baseline)"),
    PipelineSpec("latent", "vae", "prior_vae", None, {"steps": 25, "guidance": 1.0},
                 "latent diffusion X -> VAE latent -> Y"),
    PipelineSpec("vq", "vqvae", "prior_vqvae", None, {"temperature": 1.0, "top_k": None, "guidance": 1.0},
                 "AR prior X -> VQ codes -> Y"),
    PipelineSpec("fsq", "fsq", "prior_fsq", None, {"temperature": 1.0, "top_k": None, "guidance": 1.0},
                 "AR prior X -> FSQ codes -> Y"),
    PipelineSpec("lowres", "downsample_x4", "prior_lowres", "sr_x4", {"steps": 25, "guidance": 1.0},
                 "diffusion X -> 7x7 image -> super-resolution -> Y"),
]}
PIPELINE_OF_PRIOR = {s.prior: s.name for s in PIPELINES.values()}


def build_pipeline(name: str, *, prior=None, device="cpu") -> tuple[Regenerator, PipelineSpec]:
    """Assemble pipeline `name` from shipped checkpoints (or a given prior). Returns (Regenerator, spec)."""
    if name not in PIPELINES:
        raise KeyError(f"unknown pipeline {name!r}; choose from {', '.join(PIPELINES)}")
    spec = PIPELINES[name]
    extractor = EXTRACTORS[spec.extractor][0]()     # (factory, summary)
    if prior is None:
        try:
            prior_class = CodePrior if spec.name in ("vq", "fsq") else DiffusionPrior
            prior, _ = load_checkpoint(pretrained_path(spec.prior), prior_class, device=device)
        except CheckpointError as e:
            raise CheckpointError(f"{e}; (re)create it with: regen-lite train {spec.prior}") from e
    renderer = None
    if spec.renderer is not None:
        from .renderers import load_renderer
        renderer = load_renderer(spec.renderer, device=device)
    return Regenerator(extractor, prior.to(device).eval(), renderer), spec
