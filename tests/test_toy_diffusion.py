"""The 2-D toy diffusion of notebook 4 (regen_lite.toy.ring_diffusion): the data, its quality measure, and a
denoiser that learns the ring with the kit's own GaussianDiffusion and trainer."""

import pytest
import torch

from regen_lite.toy.ring_diffusion import ToyDenoiser, ToyDenoiserConfig, mode_stats, ring_centres, ring_of_gaussians
from regen_lite.train import TrainConfig, fit


def test_ring_of_gaussians_and_mode_stats():
    pts = ring_of_gaussians(4000, generator=torch.Generator().manual_seed(0))
    assert pts.shape == (4000, 2)
    assert (pts.norm(dim=1) - 2).abs().mean() < 0.15                     # on the ring of radius 2
    s = mode_stats(pts)
    assert s["on_mode"] > 0.98 and s["modes_covered"] == 8
    centre_only = ring_centres()[:1].expand(100, -1)                      # every sample on one blob
    assert mode_stats(centre_only) == {"on_mode": 1.0, "modes_covered": 1}
    assert mode_stats(torch.zeros(100, 2))["on_mode"] == 0.0              # the ring's centre is no mode


def test_toy_denoiser_learns_the_ring():
    """A few hundred steps already put most DDIM samples near the ring (the notebook trains 3,200)."""
    data = ring_of_gaussians(1024, generator=torch.Generator().manual_seed(0))
    torch.manual_seed(0)
    result = fit(ToyDenoiser(ToyDenoiserConfig()), (data,),
                 TrainConfig(epochs=60, batch_size=256, lr=5e-3, warmup_steps=20, ema_decay=0.0, device="cpu",
                             progress=False))
    assert result.history[-1]["loss"] < 0.7 * result.history[0]["loss"]
    model = result.model
    samples = model.sample(500, steps=20, generator=torch.Generator().manual_seed(1))
    assert samples.shape == (500, 2)
    assert (samples.norm(dim=1) - 2).abs().median() < 0.5
    a, b = (model.sample(4, steps=10, generator=torch.Generator().manual_seed(2)) for _ in range(2))
    assert torch.equal(a, b)                                              # DDIM eta = 0: seed fixes the sample
    assert model.sample(4, sampler="ddpm", generator=torch.Generator().manual_seed(2)).shape == (4, 2)
    with pytest.raises(ValueError):
        model.sample(4, sampler="euler")
