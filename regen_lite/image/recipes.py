"""The image recipes behind `regen-lite train NAME`: one per shipped Fashion-MNIST checkpoint.

Each trains on Fashion-MNIST (the full 60k from a local folder, or the shipped 5k sample) through
recipes.run_recipe, and is measured here on the test set. Labels are used only where X is the class:
the classifier and the priors X -> Y'. The autoencoders and the super-resolution renderer are
self-supervised on Y alone.
"""

from __future__ import annotations

from dataclasses import replace

import torch

from ..checkpoints import load_checkpoint, weights_dir
from ..core import Regenerator
from ..recipes import Recipe
from ..train import TrainConfig
from . import metrics
from .autoencoders import (
    AE,
    FSQVAE,
    RVQVAE,
    VAE,
    VQVAE,
    AEConfig,
    FSQVAEConfig,
    RVQVAEConfig,
    VAEConfig,
    VQVAEConfig,
)
from .data import data_hash, load_fashion_mnist, to_float
from .diffae import DiffAE, DiffAEConfig
from .extractors import EXTRACTORS, AutoencoderExtractor, load_autoencoder
from .networks import Classifier, ClassifierConfig
from .pipelines import PIPELINE_OF_PRIOR, PIPELINES, build_pipeline
from .priors import CodePrior, CodePriorConfig, DiffusionPrior, DiffusionPriorConfig
from .renderers import LearnedRenderer, SuperResConfig, SuperResolution

AE_SIZE = dict(ch=64, n_res=0)  # the classic conv autoencoder's shape (networks.Encoder/Decoder)
# 4 epochs of 60k images in batches of 64 (3,752 steps); batch 64 rather than 128 bought 0.56 dB on the ae at
# 10% more CPU time (26.34 against 25.78 dB test PSNR): at this size more, smaller steps learn faster per image
AE_TRAIN = TrainConfig(epochs=4, batch_size=64, lr=2e-3)
# targets of the shipped representations on the full 10k test set: (min PSNR dB, min fraction of codes used)
REPRESENTATION_TARGETS = {"ae": (25.0, None), "vae": (23.0, None), "vqvae": (23.0, 0.95), "fsq": (22.0, 0.95),
                          "rvq": (25.0, 0.95)}
# optimizer steps of each prior X -> Y', chosen so that each trains in about 8 CPU-minutes on 2 cores
# (prior_diffae, whose Y' is 16 numbers, gets prior_vae's steps: 24 s, far less time than the others)
PRIOR_STEPS = {"prior_direct": 480, "prior_vae": 2000, "prior_lowres": 2000, "prior_vqvae": 1200, "prior_fsq": 1200,
               "prior_diffae": 2000}

PER_CLASS = 20        # samples per class a prior is scored on ("sample_test", the number the README quotes)
SMALL_PER_CLASS = 2   # ... and on a small fixed subset ("sample_test_small", what the tests re-measure in seconds)


# ---------------------------------------------------------------- Recipe.data: the training tensors

@torch.no_grad()
def extract_all(extractor, images: torch.Tensor, batch_size: int = 1000) -> torch.Tensor:
    return torch.cat([extractor.extract(images[i:i + batch_size]).cpu() for i in range(0, len(images), batch_size)])


def fashion_data(recipe: Recipe, model, source: str, extractor=None) -> tuple[tuple[torch.Tensor, ...], dict]:
    """Fashion-MNIST train images Y (N, 1, 28, 28) in [0, 1], as the recipe's kind needs them:
    (Y, labels) for the classifier, (Y' = extract(Y), labels) for a prior, (Y,) for the rest.
    A prior over an unregistered Y' (a study variant) gets its `extractor` object."""
    x, y = load_fashion_mnist("train", source)
    info = {"source": source, "n_train": len(x), "hash": data_hash(x, y)}
    images = to_float(x)
    if recipe.kind == "classifier":
        return (images, y), info
    if recipe.kind == "prior":
        y_prime = extract_all(extractor or EXTRACTORS[recipe.extractor][0](), images)   # EXTRACTORS: (factory, summary)
        if isinstance(model, DiffusionPrior):
            model.set_normalization(y_prime)
        return (y_prime, y), info
    return (images,), info


# ---------------------------------------------------------------- Recipe.evaluate: metrics on the test set

def evaluate(recipe: Recipe, model, source: str, extractor=None, per_class: int = PER_CLASS) -> dict:
    """The metrics recorded in the JSON: on the shipped 1k test sample ("sample_test"), and on the full
    10k test set when trained on the full data; a prior (per_class samples of each class) also on its
    small fixed subset."""
    x, labels = load_fashion_mnist("test", "sample")
    out = {"sample_test": measure(recipe, model, x, labels, extractor, per_class=per_class)}
    if recipe.kind == "prior" or isinstance(model, DiffAE):   # sampled: also a small set, re-measured by tests
        out["sample_test_small"] = measure(recipe, model, x, labels, extractor,
                                           per_class=min(per_class, SMALL_PER_CLASS))
    elif source == "full" and not isinstance(model, DiffAE):   # the diffae's DDIM renders: the 1k sample only
        out["full_test"] = measure(recipe, model, *load_fashion_mnist("test", "full"))
    return out


def measure(recipe: Recipe, model, x: torch.Tensor, labels: torch.Tensor, extractor=None,
            per_class: int = PER_CLASS) -> dict:
    """Metrics of a trained model on one test split (x uint8 (N, 28, 28), labels (N,))."""
    images = to_float(x)
    if recipe.kind == "classifier":
        return {"accuracy": metrics.classifier_accuracy(model, images, labels), "n": len(x)}
    if isinstance(model, DiffAE):   # a stochastic renderer: two reconstructions of per_class images of each class
        clf, _ = load_checkpoint(weights_dir() / "classifier", Classifier)
        keep = torch.cat([(labels == c).nonzero().flatten()[:per_class] for c in range(10)])
        return metrics.diffae_metrics(load_autoencoder(recipe.name, DiffAE, model=model), images[keep],
                                      labels[keep], clf)
    if recipe.kind == "autoencoder":
        return {**metrics.reconstruction_metrics(AutoencoderExtractor(recipe.name, model), images), "n": len(x)}
    if recipe.kind == "renderer":
        ext = EXTRACTORS["downsample_x4"][0]()
        y_hat = LearnedRenderer(model).render(ext.extract(images))
        return {"psnr": metrics.psnr(y_hat, images), "ssim": metrics.ssim(y_hat, images),
                "bicubic_psnr": metrics.psnr(ext.render(ext.extract(images)), images), "n": len(x)}
    return evaluate_prior(recipe, model, images, per_class=per_class, extractor=extractor)


def evaluate_prior(recipe: Recipe, prior, real: torch.Tensor, per_class: int = PER_CLASS, seed: int = 0,
                   extractor=None) -> dict:
    """Generate per_class samples of each class with a fixed seed, render them, and score them with the
    reference classifier: accuracy (does a 'sneaker' look like a sneaker?) and Frechet distance to `real`.
    The prior of a shipped pipeline is plugged into it; otherwise into Regenerator(extractor, prior)."""
    if extractor is None:   # a shipped prior, or a variant of one (found by the Y' it models)
        pipeline = PIPELINE_OF_PRIOR.get(recipe.name) or next(
            (s.name for s in PIPELINES.values() if s.extractor == recipe.extractor), None)
        if pipeline is None:
            raise KeyError(f"no pipeline samples Y' = {recipe.extractor!r} for prior {recipe.name!r}; "
                           "pass its extractor= instead")
        pipe, spec = build_pipeline(pipeline, prior=prior), PIPELINES[pipeline]
    else:   # a variant prior (e.g. over another latent size): default sampling of its family
        pipe, spec = Regenerator(extractor, prior), PIPELINES["latent" if isinstance(prior, DiffusionPrior) else "vq"]
    clf, _ = load_checkpoint(weights_dir() / "classifier", Classifier)
    labels = torch.arange(10).repeat_interleave(per_class)
    g = torch.Generator().manual_seed(seed)
    _, y = pipe.generate(labels, generator=g, **spec.sample_kw)
    return {"accuracy": metrics.classifier_accuracy(clf, y, labels),
            "frechet": metrics.frechet_distance(clf, real, y), "n": len(labels), "seed": seed,
            "sample_kw": spec.sample_kw}


# ---------------------------------------------------------------- the table

def fashion_recipe(name: str, model: type, build, train: TrainConfig, kind: str, extractor: str | None = None,
                   notes: str = "") -> Recipe:
    """An image recipe: trains on --data full or sample; a prior may be handed another Y' (extractor=)."""
    return Recipe(name, model, build, train, fashion_data, evaluate, kind, extractor, sources=("full", "sample"),
                  any_extractor=kind == "prior", notes=notes)


RECIPES = {r.name: r for r in [
    fashion_recipe("classifier", Classifier, lambda: Classifier(ClassifierConfig(ch=32)),
                   TrainConfig(epochs=5, lr=3e-3, weight_decay=5e-4), "classifier",
                   notes="reference classifier for accuracy and Frechet distance"),
    fashion_recipe("ae", AE, lambda: AE(AEConfig(latent_ch=4, **AE_SIZE)), AE_TRAIN,
                   "autoencoder", notes="plain autoencoder, Y' = 4x7x7 latent"),
    fashion_recipe("vae", VAE, lambda: VAE(VAEConfig(latent_ch=4, beta=0.01, **AE_SIZE)),
                   AE_TRAIN, "autoencoder", notes="VAE (beta 0.01), Y' = 4x7x7 latent"),
    # weight EMA is off for the VQ-VAE: its codebook is itself an EMA of the *current* encoder's outputs,
    # and an averaged encoder would no longer match it.
    fashion_recipe("vqvae", VQVAE, lambda: VQVAE(VQVAEConfig(code_dim=8, num_codes=512, **AE_SIZE)),
                   replace(AE_TRAIN, ema_decay=0.0), "autoencoder",
                   notes="VQ-VAE, Y' = 7x7 codes from a 512-entry codebook"),
    fashion_recipe("fsq", FSQVAE, lambda: FSQVAE(FSQVAEConfig(levels=(8, 8, 8), **AE_SIZE)),
                   AE_TRAIN, "autoencoder", notes="FSQ autoencoder, Y' = 7x7 codes on an 8x8x8 grid"),
    # residual VQ: 4 stages of 256 codes (32 bits a position against the VQ-VAE's 9); no weight EMA, as above
    fashion_recipe("rvq", RVQVAE, lambda: RVQVAE(RVQVAEConfig(code_dim=8, num_stages=4, num_codes=256, **AE_SIZE)),
                   replace(AE_TRAIN, ema_decay=0.0), "autoencoder",
                   notes="residual VQ-VAE, Y' = 4 code maps 7x7 from 256-entry codebooks"),
    # the diffusion autoencoder trains with the diffusion loss alone; its decoder is prior_direct's TinyUNet with z
    # for the class, given prior_direct's budget (480 steps of 128, about 8 CPU-minutes); its encoder's features are
    # the shipped VAE's, frozen (diffae.py says why)
    fashion_recipe("diffae", DiffAE, lambda: DiffAE.from_vae(DiffAEConfig(z_dim=16), load_checkpoint(
                       weights_dir() / "vae", VAE)[0]),
                   TrainConfig(epochs=100, max_steps=480, lr=1e-3, warmup_steps=50), "autoencoder",
                   notes="diffusion autoencoder, Y' = semantic code z (16 numbers) + a DDIM decoder"),
    fashion_recipe("sr_x4", SuperResolution, lambda: SuperResolution(SuperResConfig()), TrainConfig(epochs=3, lr=2e-3),
                   "renderer", notes="learned super-resolution renderer for downsample_x4"),
    # the same renderer trained on noisy Y': a remedy for the train/inference mismatch (it sees extracted Y'
    # in training but the prior's imperfect Y' at inference)
    fashion_recipe("sr_x4_noisy", SuperResolution, lambda: SuperResolution(SuperResConfig(noise_aug=0.05)),
                   TrainConfig(epochs=3, lr=2e-3), "renderer",
                   notes="super-resolution renderer trained with Gaussian noise (std 0.05) on Y'"),
    # priors X -> Y': each gets the same CPU time (about 8 minutes on 2 cores, batch 128), written down as a
    # step count so the command is reproducible; steps and seconds are both recorded in the JSON.
    # (At equal *steps* the pixel-space model would need ~4.5x the time of the latent one: that is the point.)
    fashion_recipe("prior_direct", DiffusionPrior,
                   lambda: DiffusionPrior(DiffusionPriorConfig(shape=(1, 28, 28), ch=32, ch_mult=(1, 2, 2))),
                   TrainConfig(epochs=100, max_steps=PRIOR_STEPS["prior_direct"], lr=1e-3, warmup_steps=50), "prior",
                   "identity", notes="direct baseline: pixel-space diffusion, Y' = Y"),
    fashion_recipe("prior_vae", DiffusionPrior, lambda: DiffusionPrior(DiffusionPriorConfig(shape=(4, 7, 7), ch=64, ch_mult=(1, 2))),
                   TrainConfig(epochs=100, max_steps=PRIOR_STEPS["prior_vae"], lr=1e-3, warmup_steps=50), "prior",
                   "vae", notes="latent diffusion on the VAE"),
    fashion_recipe("prior_lowres", DiffusionPrior,
                   lambda: DiffusionPrior(DiffusionPriorConfig(shape=(1, 7, 7), ch=64, ch_mult=(1, 2))),
                   TrainConfig(epochs=100, max_steps=PRIOR_STEPS["prior_lowres"], lr=1e-3, warmup_steps=50), "prior",
                   "downsample_x4", notes="diffusion over the 7x7 block-mean image"),
    fashion_recipe("prior_diffae", DiffusionPrior,
                   lambda: DiffusionPrior(DiffusionPriorConfig(shape=(16, 1, 1), ch=64, ch_mult=(1,))),
                   TrainConfig(epochs=100, max_steps=PRIOR_STEPS["prior_diffae"], lr=1e-3, warmup_steps=50), "prior",
                   "diffae", notes="diffusion over the diffusion autoencoder's semantic code z"),
    fashion_recipe("prior_vqvae", CodePrior, lambda: CodePrior(CodePriorConfig(vocab=512)),
                   TrainConfig(epochs=100, max_steps=PRIOR_STEPS["prior_vqvae"], lr=1e-3, warmup_steps=50,
                               weight_decay=0.01), "prior", "vqvae", notes="autoregressive transformer over VQ-VAE codes"),
    fashion_recipe("prior_fsq", CodePrior, lambda: CodePrior(CodePriorConfig(vocab=512)),
                   TrainConfig(epochs=100, max_steps=PRIOR_STEPS["prior_fsq"], lr=1e-3, warmup_steps=50,
                               weight_decay=0.01), "prior", "fsq", notes="autoregressive transformer over FSQ codes"),
]}
