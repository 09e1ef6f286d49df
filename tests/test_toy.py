"""The 2-D toy of notebook 0 (regen_lite/toy/pinwheel.py): the data are what the docstring says, the grid extractor
round-trips, a direct MSE regressor lands between the modes, and the two-stage model lands on them."""

import math

import pytest
import torch

from regen_lite.core import Regenerator
from regen_lite.device import one_thread
from regen_lite.toy.pinwheel import (
    DirectRegressor,
    GridConfig,
    GridExtractor,
    ToyConfig,
    ToyIdentity,
    conditional_mean,
    mode_frequencies,
    mode_points,
    mode_weights,
    nearest_mode,
    sample_toy,
    toy_train_config,
    train_toy,
)
from regen_lite.train import fit


def test_mode_points_lie_on_evenly_spaced_arms_of_growing_radius():
    cfg = ToyConfig(num_modes=4, twist=0.0, r0=0.5)
    x = torch.tensor([[0.0], [0.5], [1.0]])
    p = mode_points(x, cfg)                                                   # (3, 4, 2)
    assert p.shape == (3, 4, 2)
    assert torch.allclose(p.norm(dim=-1), (0.5 + x).expand(3, 4), atol=1e-6)
    angles = torch.atan2(p[0, :, 1], p[0, :, 0])
    assert torch.allclose(angles.diff() % (2 * math.pi), torch.full((3,), math.pi / 2), atol=1e-5)
    assert torch.allclose(mode_weights(ToyConfig(num_modes=3, skew=0.0)), torch.full((3,), 1 / 3))
    assert mode_weights(ToyConfig(num_modes=3, skew=0.5)).diff().lt(0).all()   # decreasing weights


def test_samples_are_seeded_and_sit_on_the_arms_with_the_right_frequencies():
    cfg = ToyConfig()
    x, y, m = sample_toy(cfg)
    x2, y2, _ = sample_toy(cfg)
    assert torch.equal(x, x2) and torch.equal(y, y2)                          # the training set is fixed by cfg.seed
    dist, nearest = nearest_mode(y, x, cfg)
    # the distance to the arm is |noise|: a 2-D Gaussian norm has mean sigma * sqrt(pi / 2)
    assert dist.mean().item() == pytest.approx(cfg.noise * math.sqrt(math.pi / 2), rel=0.1)
    assert (nearest == m).float().mean() > 0.99
    assert torch.allclose(mode_frequencies(y, x, cfg), mode_weights(cfg), atol=0.03)


def test_conditional_mean_minimises_the_squared_error():
    cfg = ToyConfig()
    g = torch.Generator().manual_seed(1)
    x = torch.full((20_000, 1), 0.3)
    m = torch.multinomial(mode_weights(cfg), len(x), replacement=True, generator=g)
    y = mode_points(x, cfg)[torch.arange(len(x)), m]
    c = conditional_mean(x[:1], cfg)                                           # (1, 2)
    assert torch.allclose(y.mean(0, keepdim=True), c, atol=0.02)
    mse_at_mean = ((y - c) ** 2).sum(1).mean()
    for p in mode_points(x[:1], cfg)[0]:                                       # any single mode is worse
        assert ((y - p) ** 2).sum(1).mean() > mse_at_mean
    sym = ToyConfig(num_modes=4, skew=0.0)
    assert torch.allclose(conditional_mean(torch.rand(5, 1), sym), torch.zeros(5, 2), atol=1e-6)


def test_grid_extractor_round_trips_within_half_a_cell():
    grid = GridExtractor(GridConfig(cells=8, extent=2.0))
    y = (torch.rand(1000, 2, generator=torch.Generator().manual_seed(0)) - 0.5) * 3.9   # inside the grid
    codes = grid.extract(y)
    assert codes.dtype == torch.long and codes.shape == (1000,)
    assert ((grid.centres(codes) - y).abs() <= grid.cell_size / 2 + 1e-6).all()
    every = torch.arange(grid.num_codes)
    assert torch.equal(grid.extract(grid.centres(every)), every)               # extract(centre(i)) == i
    far = torch.tensor([[-10.0, -10.0], [10.0, 10.0], [10.0, -10.0]])
    assert grid.extract(far).tolist() == [0, 63, 7]                            # off-grid points go to the border
    d = grid.describe()
    assert d["bits"] == 6 and d["compression"] == pytest.approx(64 / 6) and d["discrete"]


@pytest.fixture(scope="module")
def trained():
    return train_toy(ToyConfig())


def test_direct_regressor_averages_the_modes(trained):
    cfg = trained.cfg
    x = torch.linspace(0, 1, 200)[:, None]
    _, y = trained.direct_pipeline().generate(x)
    assert nearest_mode(y, x, cfg).values.mean() > 0.5                         # far from every arm
    assert (y - conditional_mean(x, cfg)).norm(dim=1).mean() < 0.1             # it learned E[y | x]


def test_two_stage_samples_land_on_the_modes_as_often_as_the_data(trained):
    cfg = trained.cfg
    x = torch.rand(3000, 1, generator=torch.Generator().manual_seed(1))
    y_prime, y = trained.two_stage().generate(x, generator=torch.Generator().manual_seed(2))
    assert y_prime.shape == (3000,) and y_prime.dtype == torch.long and y.shape == (3000, 2)
    assert nearest_mode(y, x, cfg).values.mean() < 0.15
    assert torch.allclose(mode_frequencies(y, x, cfg), mode_weights(cfg), atol=0.05)
    # a cold prior (T -> 0) always picks the most likely cell for one x: sharp, but no diversity left
    x0 = torch.full((200, 1), 0.3)
    cold, _ = trained.two_stage().generate(x0, temperature=0.01, generator=torch.Generator().manual_seed(2))
    warm, _ = trained.two_stage().generate(x0, temperature=1.0, generator=torch.Generator().manual_seed(2))
    assert cold.unique().numel() == 1 and warm.unique().numel() >= cfg.num_modes


def test_same_seed_same_samples(trained):
    x = torch.rand(50, 1, generator=torch.Generator().manual_seed(3))
    a = trained.two_stage().generate(x, generator=torch.Generator().manual_seed(4))[1]
    b = trained.two_stage().generate(x, generator=torch.Generator().manual_seed(4))[1]
    assert torch.equal(a, b)


def test_learned_renderer_reaches_the_per_cell_mean(trained):
    """The renderer is trained by MSE on (extract(y), y): it should beat the cell centre and reach the best
    any function of Y' alone can do, the mean of the ys in each cell."""
    x, y, _ = sample_toy(trained.cfg)
    grid = trained.extractor
    codes = grid.extract(y)
    err_centre = (grid.render(codes) - y).norm(dim=1).mean()
    _, y_hat = trained.two_stage().reconstruct(y)
    err_learned = (y_hat - y).norm(dim=1).mean()
    counts = torch.bincount(codes, minlength=grid.num_codes).clamp(min=1)
    cell_means = torch.zeros(grid.num_codes, 2).index_add_(0, codes, y) / counts[:, None]
    err_best = (cell_means[codes] - y).norm(dim=1).mean()
    assert err_learned < 0.9 * err_centre
    assert err_learned < err_best + 0.01


def test_with_one_mode_the_direct_regressor_is_accurate():
    """The failure of section 2 comes from the one-to-many mapping, not from a weak network."""
    cfg = ToyConfig(num_modes=1)
    x, y, _ = sample_toy(cfg)
    direct = DirectRegressor()
    with one_thread():
        fit(direct, (x, y), toy_train_config())
    x = torch.linspace(0, 1, 200)[:, None]
    assert nearest_mode(direct.sample(x), x, cfg).values.mean() < 0.08


def test_toy_training_is_deterministic_and_identity_pipeline_is_direct():
    a = train_toy(ToyConfig(), steps=30)
    b = train_toy(ToyConfig(), steps=30)
    x = torch.rand(10, 1, generator=torch.Generator().manual_seed(0))
    assert torch.equal(a.prior.probs(x), b.prior.probs(x))
    pipe = a.direct_pipeline()
    assert isinstance(pipe, Regenerator) and isinstance(pipe.extractor, ToyIdentity)
    y_prime, y = pipe.generate(x)
    assert torch.equal(y_prime, y)                                             # Y' = Y: nothing to render
