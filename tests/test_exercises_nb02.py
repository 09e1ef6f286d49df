"""The nb02 checks catch the usual wrong-but-plausible answers (tests/test_notebooks.py covers the reference
solutions and the stubs), and the library's Monte Carlo KL that the notebook relies on is right."""

import torch

from regen_lite.exercises.nb02_autoencoders import (
    check_interpolate,
    check_kl_closed_form,
    check_kl_monte_carlo,
    check_reparameterize,
)
from regen_lite.image.autoencoders import kl_monte_carlo, kl_standard_normal


def hints(result) -> str:
    return " ".join(h for ok, _, h in result.lines if not ok)


def test_reparameterize_catches_sigma_squared_and_an_ignored_generator():
    bad = check_reparameterize(lambda mu, logvar, generator=None:
                               mu + logvar.exp() * torch.randn(mu.shape, generator=generator))
    assert not bad.passed and "exp(0.5 * logvar)" in hints(bad)
    unseeded = check_reparameterize(lambda mu, logvar, generator=None: mu + (0.5 * logvar).exp() * torch.randn_like(mu))
    assert not unseeded.passed and "generator" in hints(unseeded)
    detached = check_reparameterize(lambda mu, logvar, generator=None:
                                    (mu + (0.5 * logvar).exp() * torch.randn(mu.shape, generator=generator)).detach())
    assert not detached.passed and "differentiable" in hints(detached)


def test_kl_closed_form_names_the_missing_half_and_the_mean():
    no_half = check_kl_closed_form(lambda mu, lv: (mu**2 + lv.exp() - 1 - lv).flatten(1).sum(1))
    assert not no_half.passed and "1/2" in hints(no_half)
    mean = check_kl_closed_form(lambda mu, lv: 0.5 * (mu**2 + lv.exp() - 1 - lv).flatten(1).mean(1))
    assert not mean.passed and "sum" in hints(mean)
    scalar = check_kl_closed_form(lambda mu, lv: 0.5 * (mu**2 + lv.exp() - 1 - lv).sum())
    assert not scalar.passed and len(scalar.lines) == 1          # stops after the shape line, no crash


def test_kl_monte_carlo_catches_sampling_from_the_prior():
    def from_prior(mu, logvar, n_samples, generator=None):
        z = torch.randn((n_samples, *mu.shape), generator=generator)
        q = torch.distributions.Normal(mu, (0.5 * logvar).exp())
        return (q.log_prob(z) - torch.distributions.Normal(0.0, 1.0).log_prob(z)).flatten(2).sum(2).mean(0)
    result = check_kl_monte_carlo(from_prior)
    assert not result.passed and "from q" in hints(result)


def test_interpolate_catches_a_missing_end_point():
    result = check_interpolate(lambda z0, z1, steps: torch.stack([torch.lerp(z0, z1, k / steps) for k in range(steps)]))
    assert not result.passed and "linspace" in hints(result)


def test_library_kl_monte_carlo_is_unbiased_and_seeded():
    g = torch.Generator().manual_seed(0)
    mu, logvar = torch.randn(2, 4, 7, 7, generator=g), 0.5 * torch.randn(2, 4, 7, 7, generator=g)
    exact = kl_standard_normal(mu, logvar)
    est = kl_monte_carlo(mu, logvar, 4000, generator=torch.Generator().manual_seed(1))
    assert est.shape == (2,) and torch.allclose(est, exact, rtol=0.02)
    again = kl_monte_carlo(mu, logvar, 4000, generator=torch.Generator().manual_seed(1))
    assert torch.equal(est, again)
    # q = p: every sample of log q - log p is exactly zero
    zero = kl_monte_carlo(torch.zeros(1, 2, 2, 2), torch.zeros(1, 2, 2, 2), 3)
    assert zero.abs().max() < 1e-6
