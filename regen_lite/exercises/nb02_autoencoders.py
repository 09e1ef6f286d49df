"""Checks for notebooks/02_autoencoders_vae.ipynb: the VAE's sampling, its KL term, and latent interpolation.

Each check compares the student's function with the library's reference (VAE.reparameterize,
kl_standard_normal, kl_monte_carlo) or with torch itself (torch.distributions, torch.lerp), and
tests the properties that catch the usual slips (sigma vs sigma^2, a missing 1/2, a mean where a
sum belongs, an interpolation that misses its end point).
"""

from __future__ import annotations

import math

import torch

from regen_lite.exercises.checking import Check, CheckResult

from ..image.autoencoders import VAE, kl_monte_carlo, kl_standard_normal

__all__ = ["check_reparameterize", "check_kl_closed_form", "check_kl_monte_carlo", "check_interpolate"]


def _posterior(seed: int = 0, shape=(3, 2, 2, 2)):
    """A small fixed posterior (mu, logvar) of shape (B, C, H, W)."""
    g = torch.Generator().manual_seed(seed)
    return torch.randn(shape, generator=g), 0.6 * torch.randn(shape, generator=g)


def check_reparameterize(fn) -> CheckResult:
    """fn(mu, logvar, generator=None) -> z = mu + exp(logvar / 2) * eps, eps ~ N(0, I)."""
    check = Check("reparameterize")
    with check:
        mu, logvar = _posterior()
        z = check.call(fn, mu, logvar, generator=torch.Generator().manual_seed(1))
        if not check.expect(_is(z, mu.shape) and z.dtype == mu.dtype, "returns a float tensor of the same shape as mu",
                            f"got {_shape(z)}; draw eps with torch.randn(mu.shape, generator=generator)"):
            return check.result()
        z2 = check.call(fn, mu, logvar, generator=torch.Generator().manual_seed(1))
        check.expect(torch.is_tensor(z2) and torch.equal(z, z2), "the same seeded generator gives the same z",
                     "pass generator=generator to torch.randn so that a seed fixes eps")
        ref = VAE.reparameterize(mu, logvar, generator=torch.Generator().manual_seed(1))
        check.expect(torch.allclose(z, ref, atol=1e-6), "matches VAE.reparameterize for the same generator",
                     "z = mu + torch.exp(0.5 * logvar) * torch.randn(mu.shape, generator=generator)")

        # moments: mu = 1.5, sigma = 0.5 (logvar = log 0.25), 100k draws
        n = 100_000
        m = torch.full((n,), 1.5)
        lv = torch.full((n,), math.log(0.25))
        zs = check.call(fn, m, lv, generator=torch.Generator().manual_seed(2))
        if not check.expect(_is(zs, m.shape), "works for any shape (here 100,000 values)", f"got {_shape(zs)}"):
            return check.result()
        mean, std = zs.mean().item(), zs.std().item()
        check.expect(abs(mean - 1.5) < 0.01, f"mean of z is mu (1.5; got {mean:.3f})",
                     "eps must have mean 0: use torch.randn, not torch.rand")
        check.expect(abs(std - 0.5) < 0.01, f"std of z is sigma = exp(logvar / 2) (0.5; got {std:.3f})",
                     "logvar is log sigma^2, so sigma = torch.exp(0.5 * logvar), not exp(logvar)")

        # gradients flow to both mu and logvar: dz/dmu = 1, dz/dlogvar = sigma * eps / 2
        mu_g, lv_g = mu.clone().requires_grad_(True), logvar.clone().requires_grad_(True)
        zg = check.call(fn, mu_g, lv_g, generator=torch.Generator().manual_seed(3))
        if not (_is(zg, mu.shape) and zg.requires_grad):
            check.expect(False, "gradients flow back to mu and logvar",
                         "build z from mu and logvar with differentiable torch ops (no .detach(), no torch.no_grad)")
        else:
            zg.sum().backward()
            eps = (zg.detach() - mu) / torch.exp(0.5 * logvar)
            check.expect(mu_g.grad is not None and torch.allclose(mu_g.grad, torch.ones_like(mu)),
                         "dz/dmu = 1: the gradient reaches mu", "z should be mu + (something): add mu itself")
            expected = 0.5 * torch.exp(0.5 * logvar) * eps
            check.expect(lv_g.grad is not None and torch.allclose(lv_g.grad, expected, atol=1e-5),
                         "dz/dlogvar = sigma * eps / 2: the gradient reaches logvar",
                         "the noise must be scaled by torch.exp(0.5 * logvar), computed from logvar inside the graph")
    return check.result()


def check_kl_closed_form(fn) -> CheckResult:
    """fn(mu, logvar) -> KL(N(mu, sigma^2) || N(0, I)) summed over all but the batch dim, shape (B,)."""
    check = Check("kl_closed_form")
    with check:
        mu, logvar = _posterior(shape=(4, 3, 2, 2))
        kl = check.call(fn, mu, logvar)
        if not check.expect(_is(kl, (4,)), "returns one KL per image, shape (B,)",
                            f"got {_shape(kl)}; sum over every dim but the first: .flatten(1).sum(1)"):
            return check.result()
        ref = kl_standard_normal(mu, logvar)
        close = torch.allclose(kl, ref, rtol=1e-4, atol=1e-5)
        hint = "KL = 0.5 * (mu^2 + exp(logvar) - 1 - logvar), summed over C, H, W"
        if not close:
            if torch.allclose(kl, 2 * ref, rtol=1e-4):
                hint = "twice too big: you are missing the factor 1/2"
            elif torch.allclose(kl * mu[0].numel(), ref, rtol=1e-4):
                hint = "you averaged over the latent dims; the KL of independent dims is their sum"
        check.expect(close, "matches regen_lite's kl_standard_normal", hint)
        q = torch.distributions.Normal(mu, torch.exp(0.5 * logvar))
        p = torch.distributions.Normal(torch.zeros_like(mu), torch.ones_like(mu))
        td = torch.distributions.kl_divergence(q, p).flatten(1).sum(1)
        check.expect(torch.allclose(kl, td, rtol=1e-4, atol=1e-5),
                     "matches torch.distributions.kl_divergence(q, N(0, 1))", hint)
        zero = check.call(fn, torch.zeros(2, 3, 2, 2), torch.zeros(2, 3, 2, 2))
        check.expect(_is(zero, (2,)) and zero.abs().max().item() < 1e-6, "KL(N(0, 1) || N(0, 1)) = 0",
                     "at mu = 0, logvar = 0 every term must cancel: mu^2 + exp(0) - 1 - 0 = 0")
        check.expect(bool((kl >= 0).all()), "KL is never negative", hint)
    return check.result()


def check_kl_monte_carlo(fn) -> CheckResult:
    """fn(mu, logvar, n_samples, generator=None) -> the Monte Carlo estimate of the KL, shape (B,)."""
    check = Check("kl_monte_carlo")
    with check:
        mu, logvar = _posterior(shape=(3, 2, 2, 2))
        est = check.call(fn, mu, logvar, 10, generator=torch.Generator().manual_seed(0))
        if not check.expect(_is(est, (3,)), "returns one estimate per image, shape (B,)",
                            f"got {_shape(est)}; sum the log-ratio over C, H, W and average over the samples"):
            return check.result()
        again = check.call(fn, mu, logvar, 10, generator=torch.Generator().manual_seed(0))
        check.expect(_is(again, (3,)) and torch.equal(est, again), "the same seeded generator gives the same estimate",
                     "pass generator=generator to torch.randn")
        ref = kl_monte_carlo(mu, logvar, 10, generator=torch.Generator().manual_seed(0))
        check.expect(torch.allclose(est, ref, rtol=1e-4, atol=1e-4),
                     "matches regen_lite's kl_monte_carlo for the same generator",
                     "draw eps = torch.randn((n_samples, *mu.shape), generator=generator), z = mu + sigma * eps, "
                     "then average log q(z) - log p(z) over the samples")
        # q = p: every sample of log q - log p is exactly 0
        same = check.call(fn, torch.zeros(2, 2, 2, 2), torch.zeros(2, 2, 2, 2), 5,
                          generator=torch.Generator().manual_seed(0))
        check.expect(_is(same, (2,)) and same.abs().max().item() < 1e-5,
                     "when q = N(0, 1) every sample gives log q(z) - log p(z) = 0",
                     "log q(z) = -0.5 (log 2 pi + logvar + eps^2), log p(z) = -0.5 (log 2 pi + z^2)")
        # many samples: agrees with the closed form (standard error here is about 0.02 nats)
        many = check.call(fn, mu, logvar, 20_000, generator=torch.Generator().manual_seed(1))
        exact = kl_standard_normal(mu, logvar)
        ok = _is(many, (3,)) and torch.allclose(many, exact, rtol=0.03, atol=0.05)
        check.expect(ok, f"with 20,000 samples it agrees with the closed form {_fmt(exact)}"
                     + (f" (yours: {_fmt(many)})" if _is(many, (3,)) else ""),
                     "estimate E_q[log q(z) - log p(z)] with z drawn from q = N(mu, sigma^2), not from N(0, 1)")
    return check.result()


def check_interpolate(fn) -> CheckResult:
    """fn(z0, z1, steps) -> (steps, *z0.shape): z0, ..., z1 on the straight line, equally spaced."""
    check = Check("interpolate")
    with check:
        g = torch.Generator().manual_seed(0)
        z0, z1 = torch.randn(4, 7, 7, generator=g), torch.randn(4, 7, 7, generator=g)
        path = check.call(fn, z0, z1, 5)
        if not check.expect(_is(path, (5, 4, 7, 7)), "returns (steps, *z0.shape) = (5, 4, 7, 7)",
                            f"got {_shape(path)}; stack the steps along a new first dim"):
            return check.result()
        check.expect(torch.allclose(path[0], z0, atol=1e-6) and torch.allclose(path[-1], z1, atol=1e-6),
                     "starts at z0 and ends at z1",
                     "t must run from 0 to 1 inclusive: torch.linspace(0, 1, steps)")
        check.expect(torch.allclose(path[2], (z0 + z1) / 2, atol=1e-6), "the middle of 5 steps is (z0 + z1) / 2",
                     "z(t) = (1 - t) z0 + t z1")
        t = torch.linspace(0, 1, 5).view(5, 1, 1, 1)
        check.expect(torch.allclose(path, torch.lerp(z0, z1, t), atol=1e-6), "matches torch.lerp(z0, z1, t) at every t",
                     "z(t) = (1 - t) z0 + t z1 for t in torch.linspace(0, 1, steps)")
        two = check.call(fn, z0, z1, 2)
        check.expect(_is(two, (2, 4, 7, 7)) and torch.allclose(two[0], z0)
                     and torch.allclose(two[1], z1), "steps = 2 gives just the two end points",
                     "use torch.linspace(0, 1, steps) for t")
    return check.result()


def _is(x, shape) -> bool:
    return isinstance(x, torch.Tensor) and tuple(x.shape) == tuple(shape) and x.is_floating_point()


def _shape(x) -> str:
    return f"shape {tuple(x.shape)}" if isinstance(x, torch.Tensor) else f"a {type(x).__name__}"


def _fmt(x: torch.Tensor) -> str:
    return "[" + ", ".join(f"{v:.2f}" for v in x.tolist()) + "]"
