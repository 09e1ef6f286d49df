"""The named image pipelines X = class -> Y' -> Y = 28x28 image. Each is one Regenerator(extractor, prior,
renderer); "direct" is the same class with the identity extractor.

    name     extractor (Y -> Y')   prior (X -> Y')                  renderer (Y' -> Y)
    direct   identity              pixel-space diffusion             identity
    latent   vae                   latent diffusion (4x7x7)          VAE decoder
    vq       vqvae                 AR transformer over 7x7 codes     VQ-VAE decoder
    fsq      fsq                   AR transformer over 7x7 codes     FSQ decoder
    lowres   downsample_x4         diffusion over the 7x7 image      learned super-resolution
    diffae   diffae                diffusion over the semantic z     DDIM decoder (as costly as direct)
"""

from __future__ import annotations

import torch

from ..checkpoints import CheckpointError, load_checkpoint, pretrained_path
from ..core import PipelineSpec, Regenerator, RoundTrip
from .extractors import EXTRACTORS
from .metrics import psnr, ssim
from .priors import CodePrior, DiffusionPrior

DIFFUSION = {"steps": 25, "guidance": 1.0}                     # DDIM steps, classifier-free guidance weight
AUTOREGRESSIVE = {"temperature": 1.0, "top_k": None, "guidance": 1.0}

PIPELINES = {s.name: s for s in [
    PipelineSpec("direct", "image", "identity", "prior_direct", None, DIFFUSION,
                 "pixel diffusion X -> Y (the direct baseline)", direct=True),
    PipelineSpec("latent", "image", "vae", "prior_vae", None, DIFFUSION,
                 "latent diffusion X -> VAE latent -> Y", baseline="direct"),
    PipelineSpec("vq", "image", "vqvae", "prior_vqvae", None, AUTOREGRESSIVE,
                 "AR prior X -> VQ codes -> Y", baseline="direct"),
    PipelineSpec("fsq", "image", "fsq", "prior_fsq", None, AUTOREGRESSIVE,
                 "AR prior X -> FSQ codes -> Y", baseline="direct"),
    PipelineSpec("lowres", "image", "downsample_x4", "prior_lowres", "sr_x4", DIFFUSION,
                 "diffusion X -> 7x7 image -> super-resolution -> Y", baseline="direct"),
    # the renderer is itself a 25-step DDIM sampler in pixel space: this pipeline samples as slowly as direct
    PipelineSpec("diffae", "image", "diffae", "prior_diffae", None, DIFFUSION,
                 "diffusion X -> semantic z (16) -> DDIM decoder -> Y", baseline="direct"),
]}
PIPELINE_OF_PRIOR = {s.prior: s.name for s in PIPELINES.values()}


def _spec(name: str) -> PipelineSpec:
    if name not in PIPELINES:
        raise KeyError(f"unknown image pipeline {name!r}; choose from {', '.join(PIPELINES)}")
    return PIPELINES[name]


def build_pipeline(name: str, *, prior=None, device="cpu") -> Regenerator:
    """Assemble pipeline `name` from the shipped checkpoints (or around a given prior)."""
    spec = _spec(name)
    extractor = EXTRACTORS[spec.extractor][0]()     # (factory, summary)
    if prior is None:
        prior_class = CodePrior if "temperature" in spec.sample_kw else DiffusionPrior
        try:
            prior, _ = load_checkpoint(pretrained_path(spec.prior), prior_class, device=device)
        except CheckpointError as e:
            raise CheckpointError(f"{e}; (re)create it with: regen-lite train {spec.prior}") from e
    renderer = None                                 # None: the extractor's own renderer
    if spec.renderer is not None:
        from .renderers import load_renderer
        renderer = load_renderer(spec.renderer, device=device)
    return Regenerator(extractor.to(device), prior.to(device).eval(), renderer)


def round_trip(name: str, y: torch.Tensor, *, pipe: Regenerator | None = None, device="cpu") -> RoundTrip:
    """Y (B, 1, 28, 28) in [0, 1] -> Y' -> render(Y'), with PSNR and SSIM of render(Y') against Y.
    Pass `pipe` (built by build_pipeline on `device`) to reuse its loaded models."""
    spec = _spec(name)
    pipe = pipe or build_pipeline(name, device=device)
    rt = RoundTrip.run(pipe, y.to(device), generator=torch.Generator(device=device).manual_seed(0))
    rt.y, rt.y_hat = y.cpu(), rt.y_hat.cpu()
    rt.metrics = {"psnr": psnr(rt.y_hat, rt.y), "ssim": ssim(rt.y_hat, rt.y)}
    if spec.direct:
        rt.notes.append("Y' = Y: the direct pipeline reconstructs exactly; its prior models every pixel")
    elif hasattr(pipe.extractor, "invert"):    # diffae: a stochastic renderer
        rt.notes.append(f"Y' = z {tuple(rt.y_prime.shape[1:])}, the semantic code: render(z) starts from fresh "
                        "noise (seed 0), so it keeps what z holds and invents the details; the DDIM-inverted x_T "
                        "gives them back")
    else:
        rt.notes.append(f"Y' = {spec.extractor} {tuple(rt.y_prime.shape[1:])}: render(Y') shows what the "
                        f"{'learned ' if spec.renderer else ''}renderer restores of Y")
    return rt
