"""The fit loop: loss falls when over-fitting one batch, resume equals an uninterrupted run, NaN guard."""

import pytest
import torch

from regen_lite.image.autoencoders import AE, FSQVAE, VAE, VQVAE, AEConfig, FSQVAEConfig, VAEConfig, VQVAEConfig
from regen_lite.image.networks import Classifier, ClassifierConfig
from regen_lite.image.priors import DiffusionPrior
from regen_lite.train import TrainConfig, ema_update, fit

SMALL = dict(ch=8, n_res=1)
MODELS = {
    "ae": lambda: AE(AEConfig(**SMALL)),
    "vae": lambda: VAE(VAEConfig(beta=0.001, **SMALL)),
    "vqvae": lambda: VQVAE(VQVAEConfig(num_codes=32, **SMALL)),
    "fsq": lambda: FSQVAE(FSQVAEConfig(**SMALL)),
    "classifier": lambda: Classifier(ClassifierConfig(ch=8)),
}


@pytest.mark.parametrize("name", list(MODELS))
def test_loss_falls_when_overfitting_one_batch(name, small_batch):
    y, labels = small_batch[0][:32], small_batch[1][:32]
    data = (y, labels) if name == "classifier" else (y,)
    cfg = TrainConfig(epochs=60, batch_size=32, lr=3e-3, warmup_steps=5, ema_decay=0.0, progress=False, device="cpu")
    res = fit(MODELS[name](), data, cfg)
    first, last = res.history[0]["loss"], res.history[-1]["loss"]
    assert last < 0.5 * first, (first, last)


def test_resume_equals_uninterrupted_run(tmp_path, small_batch):
    data = (small_batch[0],)
    cfg = TrainConfig(epochs=2, batch_size=16, warmup_steps=2, progress=False, device="cpu", ema_decay=0.9)
    torch.manual_seed(0)
    full = fit(AE(AEConfig(**SMALL)), data, cfg).model
    # "interrupted" after epoch 1, then resumed from the saved state by a fresh process-like setup
    torch.manual_seed(0)
    fit(AE(AEConfig(**SMALL)), data, cfg, state_path=tmp_path / "s", stop_after=1)
    torch.manual_seed(123)  # a different init must not matter: everything comes from the state
    resumed = fit(AE(AEConfig(**SMALL)), data, cfg, state_path=tmp_path / "s", resume=True)
    assert [h["epoch"] for h in resumed.history] == [1, 2]
    for a, b in zip(full.state_dict().values(), resumed.model.state_dict().values()):
        assert torch.allclose(a, b, atol=1e-6)


class ExplodingModel(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.w = torch.nn.Parameter(torch.ones(1))

    def forward(self, y):
        return y, self.w * float("nan"), {}


def test_nan_guard_stops_with_a_clear_message(small_batch):
    cfg = TrainConfig(epochs=1, batch_size=4, progress=False, device="cpu", max_bad_steps=3)
    with pytest.raises(FloatingPointError, match="not finite for 3 steps"):
        fit(ExplodingModel(), (small_batch[0],), cfg)


def test_ema_warmup_and_buffers():
    a, b = torch.nn.BatchNorm1d(2), torch.nn.BatchNorm1d(2)
    with torch.no_grad():
        b.weight.fill_(3.0)
        b.running_mean.fill_(7.0)
    ema_update(a, b, decay=0.999, step=0)          # warm-up: d = 1/10
    assert torch.allclose(a.weight, torch.full((2,), 0.1 * 1 + 0.9 * 3))
    assert torch.equal(a.running_mean, b.running_mean)  # buffers are copied


def test_resume_refuses_a_state_from_a_different_config(tmp_path, small_batch):
    cfg = TrainConfig(epochs=1, batch_size=32, progress=False, device="cpu")
    fit(AE(AEConfig(**SMALL)), (small_batch[0],), cfg, state_path=tmp_path / "s")
    with pytest.raises(ValueError, match="different \\['lr'\\]"):
        fit(AE(AEConfig(**SMALL)), (small_batch[0],), TrainConfig(**{**cfg.__dict__, "lr": 1e-4}),
            state_path=tmp_path / "s", resume=True)


def test_recipe_variant_trains_a_vae_and_a_prior_over_its_latent(tmp_path):
    """Study variants (benchmarks/latent_size.py) reuse run_recipe with a Recipe object and an extractor that
    is not in the registry: a 2-channel VAE, then latent diffusion over it."""
    from dataclasses import replace

    from regen_lite.checkpoints import load_checkpoint
    from regen_lite.image.extractors import AutoencoderExtractor
    from regen_lite.recipes import run_recipe
    from regen_lite.image.recipes import AE_SIZE, RECIPES

    vae_r = replace(RECIPES["vae"], name="vae_c2", command="python study.py",
                    build=lambda: VAE(VAEConfig(latent_ch=2, **AE_SIZE)))
    stem, info = run_recipe(vae_r, data="sample", max_steps=3, out_dir=tmp_path, progress=False)
    assert info["train_command"] == "python study.py" and info["steps"] == 3
    vae, _ = load_checkpoint(stem, VAE)
    ext = AutoencoderExtractor("vae_c2", vae)
    cfg = replace(RECIPES["prior_vae"].build().cfg, shape=(2, 7, 7), ch=16)
    prior_r = replace(RECIPES["prior_vae"], name="prior_vae_c2", extractor="vae_c2", build=lambda: DiffusionPrior(cfg))
    stem, info = run_recipe(prior_r, data="sample", max_steps=2, out_dir=tmp_path, progress=False, extractor=ext)
    prior, _ = load_checkpoint(stem, DiffusionPrior)
    assert prior.cfg.shape == (2, 7, 7) and info["extractor"] == "vae_c2"
    m = info["metrics"]["sample_test"]
    assert 0 <= m["accuracy"] <= 1 and m["frechet"] > 0 and m["n"] == 200
    assert not (tmp_path / ".state" / "prior_vae_c2.json").exists()   # training state is cleaned up


def test_recipe_variant_of_a_shipped_prior_is_scored_in_its_pipeline(tmp_path):
    from dataclasses import replace

    from regen_lite.recipes import run_recipe
    from regen_lite.image.recipes import RECIPES

    r = replace(RECIPES["prior_lowres"], name="prior_lowres_2", build=lambda: __import__(
        "regen_lite.image.priors", fromlist=["x"]).DiffusionPrior(replace(RECIPES["prior_lowres"].build().cfg, ch=16)))
    _, info = run_recipe(r, data="sample", max_steps=2, out_dir=tmp_path, progress=False)
    assert info["steps"] == 2 and info["train_command"].startswith("regen-lite train prior_lowres_2")
    assert info["metrics"]["sample_test"]["sample_kw"]["steps"] == 25
