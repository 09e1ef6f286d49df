"""The diffusion process and samplers: moments of q(x_t|x_0), determinism, guidance, and a
cross-check of our DDIM update against diffusers' DDIMScheduler."""

import pytest
import torch

from regen_lite.nn.diffusion import (
    DiffusionConfig,
    GaussianDiffusion,
    cosine_betas,
    ddim_sample,
    ddim_step,
    ddim_timesteps,
    ddpm_sample,
    guided,
    linear_betas,
)


@pytest.mark.parametrize("schedule", ["cosine", "linear"])
def test_q_sample_has_the_right_mean_and_variance(schedule):
    d = GaussianDiffusion(DiffusionConfig(schedule=schedule))
    x0 = torch.full((200000,), 0.7)
    for t in (0, 250, 999):
        tt = torch.full((len(x0),), t)
        xt = d.q_sample(x0, tt, torch.randn_like(x0))
        abar = d.alphas_cumprod[t].item()
        assert xt.mean().item() == pytest.approx(abar ** 0.5 * 0.7, abs=0.01)
        assert xt.var().item() == pytest.approx(1 - abar, abs=0.01)


def test_schedules_run_from_signal_to_noise():
    for betas in (cosine_betas(1000), linear_betas(1000)):
        abar = torch.cumprod(1 - betas, 0)
        assert betas.dtype == torch.float64 and torch.all(betas > 0) and torch.all(betas <= 0.999)
        assert abar[0] > 0.99 and abar[-1] < 1e-3 and torch.all(abar[1:] < abar[:-1])
    assert GaussianDiffusion().alphas_cumprod.dtype == torch.float32


def test_v_and_eps_parameterisations_recover_x0_and_eps():
    d = GaussianDiffusion(DiffusionConfig(prediction="v"))
    x0, eps = torch.randn(4, 3, 5, 5), torch.randn(4, 3, 5, 5)
    t = torch.tensor([3, 100, 500, 990])
    xt = d.q_sample(x0, t, eps)
    eps_hat, x0_hat = d.eps_and_x0(d.target(x0, t, eps), xt, t)
    assert torch.allclose(eps_hat, eps, atol=1e-4) and torch.allclose(x0_hat, x0, atol=1e-4)


def test_ddim_timesteps():
    assert ddim_timesteps(1000, 4) == [750, 500, 250, 0]
    with pytest.raises(ValueError):
        ddim_timesteps(1000, 0)


def _toy_model(x, t, cond=None):
    """A fixed, smooth stand-in network: enough to exercise the samplers' arithmetic."""
    c = 0 if cond is None else cond.float().view(-1, *[1] * (x.ndim - 1))
    return 0.3 * x + 0.001 * t.float().view(-1, *[1] * (x.ndim - 1)) + 0.1 * c


def test_ddim_eta0_is_deterministic_for_a_fixed_seed():
    d = GaussianDiffusion()
    fn = lambda x, t: _toy_model(x, t)  # noqa: E731
    a = ddim_sample(d, fn, (2, 1, 4, 4), steps=10, generator=torch.Generator().manual_seed(1))
    b = ddim_sample(d, fn, (2, 1, 4, 4), steps=10, generator=torch.Generator().manual_seed(1))
    c = ddim_sample(d, fn, (2, 1, 4, 4), steps=10, generator=torch.Generator().manual_seed(2))
    assert torch.equal(a, b) and not torch.equal(a, c)
    # eta > 0 injects fresh noise each step, so the same x_T gives different samples
    xT = torch.randn(2, 1, 4, 4)
    s1 = ddim_sample(d, fn, xT.shape, steps=10, eta=1.0, x_T=xT, generator=torch.Generator().manual_seed(3))
    s2 = ddim_sample(d, fn, xT.shape, steps=10, eta=1.0, x_T=xT, generator=torch.Generator().manual_seed(4))
    assert not torch.allclose(s1, s2)


@pytest.mark.parametrize("eta", [0.0, 0.7])
@pytest.mark.parametrize("prediction", ["epsilon", "v_prediction"])
def test_ddim_step_matches_diffusers(eta, prediction):
    diffusers = pytest.importorskip("diffusers")
    sched = diffusers.DDIMScheduler(num_train_timesteps=1000, beta_schedule="squaredcos_cap_v2", clip_sample=False,
                                    set_alpha_to_one=True, prediction_type=prediction, timestep_spacing="leading")
    sched.set_timesteps(20)
    ours = GaussianDiffusion(DiffusionConfig(prediction="eps" if prediction == "epsilon" else "v"))
    assert torch.allclose(sched.alphas_cumprod, ours.alphas_cumprod, atol=1e-6)
    assert sched.timesteps.tolist() == ddim_timesteps(1000, 20)
    g = torch.Generator().manual_seed(0)
    ts = ddim_timesteps(1000, 20)
    for i, t in enumerate(ts):
        x_t, out, z = (torch.randn(2, 3, 4, 4, generator=g) for _ in range(3))
        ref = sched.step(out, t, x_t, eta=eta, variance_noise=z).prev_sample
        tb = torch.full((2,), t)
        eps, x0 = ours.eps_and_x0(out, x_t, tb)
        abar_prev = ours.alphas_cumprod[ts[i + 1]] if i + 1 < len(ts) else torch.tensor(1.0)
        mine = ddim_step(x_t, eps, x0, ours.alphas_cumprod[t], abar_prev, eta, z)
        assert torch.allclose(mine, ref, atol=1e-5), (t, (mine - ref).abs().max())


def test_guidance_weight_zero_is_the_conditional_model():
    x, t = torch.randn(3, 1, 4, 4), torch.tensor([5, 50, 500])
    cond, null = torch.tensor([1, 2, 3]), torch.tensor([10, 10, 10])
    assert torch.equal(guided(_toy_model, cond, null, 0.0)(x, t), _toy_model(x, t, cond))
    w = 2.0
    expect = _toy_model(x, t, cond) + w * (_toy_model(x, t, cond) - _toy_model(x, t, null))
    assert torch.allclose(guided(_toy_model, cond, null, w)(x, t), expect, atol=1e-6)


def test_ddpm_with_a_perfect_denoiser_returns_the_data_point():
    """If the model knows x_0 exactly (the data is a single point), DDPM must end on that point."""
    d = GaussianDiffusion(DiffusionConfig(timesteps=100))
    x_star = torch.full((2, 1, 3, 3), 0.5)

    def oracle(x, t):
        a, s = d.sqrt_abar[t].view(-1, 1, 1, 1), d.sqrt_one_minus_abar[t].view(-1, 1, 1, 1)
        return (x - a * x_star) / s   # the eps that explains x_t given x_0 = x_star
    out = ddpm_sample(d, oracle, x_star.shape, generator=torch.Generator().manual_seed(0))
    assert torch.allclose(out, x_star, atol=1e-3)
    out = ddim_sample(d, oracle, x_star.shape, steps=10, generator=torch.Generator().manual_seed(0))
    assert torch.allclose(out, x_star, atol=1e-3)


def _gaussian_eps(m: float, s: float, d: GaussianDiffusion):
    """The exact noise prediction E[eps | x_t] when the data is N(m, s^2) in every entry."""
    def fn(x, t):
        a = d.alphas_cumprod[t].view(-1, *[1] * (x.dim() - 1))
        return (1 - a).sqrt() * (x - a.sqrt() * m) / (a * s ** 2 + 1 - a)
    return fn


def test_ddim_inversion_round_trips_and_maps_data_to_noise():
    """With the exact eps of Gaussian data the DDIM ODE is a bijection: inversion gives an x_T that looks like
    N(0, I), and sampling from it returns to x_0; the error halves when the steps double (the inversion is a
    first-order scheme, exact only in the limit)."""
    from regen_lite.nn.diffusion import ddim_invert
    d, m, s = GaussianDiffusion(), 0.3, 0.5
    fn = _gaussian_eps(m, s, d)
    x0 = m + s * torch.randn(256, 1, 4, 4, generator=torch.Generator().manual_seed(0))
    errors = []
    for steps in (50, 100):
        x_T = ddim_invert(d, fn, x0, steps=steps)
        back = ddim_sample(d, fn, x0.shape, steps=steps, x_T=x_T)
        errors.append((back - x0).abs().mean().item())
    assert 1.8 < errors[0] / errors[1] < 2.2 and errors[1] < 0.015, errors
    assert abs(x_T.mean().item()) < 0.05 and abs(x_T.std().item() - 1) < 0.05   # data mapped onto the noise
