"""Checks for notebooks/04_diffusion.ipynb: the forward process, the eps-prediction loss, one DDIM step
and the classifier-free guidance combination.

Each check compares the student's function with the library's reference in regen_lite.nn.diffusion
(GaussianDiffusion.q_sample, GaussianDiffusion.loss, ddim_step, guided; ddim_step is itself checked
against diffusers' DDIMScheduler in tests/test_diffusion.py) and tests the properties that catch the
usual slips: a missing square root, per-example timesteps that do not broadcast, a sum where a mean
belongs, the wrong guidance convention.
"""

from __future__ import annotations

import torch

from regen_lite.exercises.checking import Check, CheckResult, close

from ..nn.diffusion import DiffusionConfig, GaussianDiffusion, ddim_step, ddim_timesteps, guided

__all__ = ["check_q_sample", "check_eps_loss", "check_ddim_step", "check_cfg"]

_SCHEDULES = {name: GaussianDiffusion(DiffusionConfig(schedule=name)) for name in ("cosine", "linear")}


def _shape(x) -> str:
    return f"shape {tuple(x.shape)}" if torch.is_tensor(x) else f"a {type(x).__name__}"


def _is(x, shape) -> bool:
    return torch.is_tensor(x) and tuple(x.shape) == tuple(shape) and x.is_floating_point()


def check_q_sample(fn) -> CheckResult:
    """fn(x0, t, noise, alphas_cumprod) -> x_t = sqrt(abar_t) x0 + sqrt(1 - abar_t) noise, for per-example t."""
    check = Check("q_sample")
    with check:
        g = torch.Generator().manual_seed(0)
        x0, noise = torch.randn(4, 1, 5, 5, generator=g), torch.randn(4, 1, 5, 5, generator=g)
        t = torch.tensor([0, 10, 500, 999])
        for name, d in _SCHEDULES.items():
            out = check.call(fn, x0, t, noise, d.alphas_cumprod)
            if not check.expect(_is(out, x0.shape), f"returns a tensor shaped like x0 ({name} schedule)",
                                f"got {_shape(out)}; index alphas_cumprod[t] (B,) and reshape it to (B, 1, 1, 1) "
                                "so each example gets its own noise level"):
                return check.result()
            ref = d.q_sample(x0, t, noise)
            abar = d.alphas_cumprod[t].view(-1, 1, 1, 1)
            hint = "x_t = sqrt(abar_t) * x0 + sqrt(1 - abar_t) * noise, with abar_t = alphas_cumprod[t]"
            if close(out, abar * x0 + (1 - abar) * noise):
                hint = "you used abar_t and 1 - abar_t as the weights: take their square roots (the variances add up to 1)"
            check.expect(close(out, ref), f"matches GaussianDiffusion.q_sample ({name} schedule)", hint)
        d = _SCHEDULES["cosine"]
        check.expect(close(out[0], x0[0], atol=0.05) if torch.is_tensor(out) else False,
                     "at t = 0, x_t is almost x0", "sqrt(abar_0) is close to 1 and sqrt(1 - abar_0) close to 0")
        # any shape: a batch of 2-D points (B, 2)
        p0, pn = torch.randn(3, 2, generator=g), torch.randn(3, 2, generator=g)
        t2 = torch.tensor([999, 300, 0])
        out2 = check.call(fn, p0, t2, pn, d.alphas_cumprod)
        hint = ("reshape abar_t to (B, 1, ..., 1) with as many ones as x0 has dimensions after the first: "
                "abar.view(-1, *[1] * (x0.ndim - 1))") if not _is(out2, p0.shape) else "right shape, wrong values (see above)"
        check.expect(close(out2, d.q_sample(p0, t2, pn)), "works for any data shape, e.g. 2-D points (B, 2)", hint)
        check.expect(close(out2[0], pn[0], atol=0.05) if torch.is_tensor(out2) else False,
                     "at t = T - 1, x_t is almost pure noise", "sqrt(abar_{T-1}) is close to 0")
    return check.result()


def _linear_model():
    """A tiny fixed eps-network with parameters: eps = W [x_t, t/T] (for points (B, 2))."""
    g = torch.Generator().manual_seed(0)
    lin = torch.nn.Linear(3, 2)
    with torch.no_grad():
        lin.weight.copy_(0.5 * torch.randn(2, 3, generator=g))
        lin.bias.copy_(0.1 * torch.randn(2, generator=g))
    return lin, (lambda x, t: lin(torch.cat([x, t.float()[:, None] / 1000], dim=1)))


def check_eps_loss(fn) -> CheckResult:
    """fn(model_fn, x0, t, noise, alphas_cumprod) -> mean over everything of (model_fn(x_t, t) - noise)^2."""
    check = Check("eps_loss")
    with check:
        d = _SCHEDULES["cosine"]
        lin, model_fn = _linear_model()
        x0 = torch.randn(16, 2, generator=torch.Generator().manual_seed(1))
        # draw t and noise exactly as GaussianDiffusion.loss does, so both see the same x_t
        g = torch.Generator().manual_seed(2)
        t = torch.randint(0, d.T, (16,), generator=g)
        noise = torch.randn(x0.shape, generator=g)
        loss = check.call(fn, model_fn, x0, t, noise, d.alphas_cumprod)
        if not check.expect(torch.is_tensor(loss) and loss.ndim == 0, "returns one number (a 0-dim tensor)",
                            f"got {_shape(loss)}; average the squared error over every entry (F.mse_loss does)"):
            return check.result()
        ref, _ = d.loss(model_fn, x0, generator=torch.Generator().manual_seed(2))
        hint = "noise the data with q_sample, ask the model for eps at (x_t, t), return F.mse_loss(prediction, noise)"
        if torch.isclose(loss, ref * x0.numel(), rtol=1e-4):
            hint = "you summed the squared errors: take the mean"
        check.expect(torch.isclose(loss, ref, rtol=1e-4), "matches GaussianDiffusion.loss for the same t and noise", hint)
        check.expect(loss.requires_grad, "gradients can flow to the model's parameters",
                     "do not detach the prediction or wrap the loss in torch.no_grad()")

        def oracle(x_t, tt):   # knows x0, so it can recover the exact noise
            a, s = d.sqrt_abar[tt][:, None], d.sqrt_one_minus_abar[tt][:, None]
            return (x_t - a * x0) / s
        zero = check.call(fn, oracle, x0, t, noise, d.alphas_cumprod)
        check.expect(torch.is_tensor(zero) and zero.abs().item() < 1e-6, "is 0 for a model that predicts the noise exactly",
                     "the target is the noise itself (eps-prediction), not x0 or x_t")
        blind = check.call(fn, lambda x_t, tt: torch.zeros_like(x_t), x0, t, noise, d.alphas_cumprod)
        check.expect(torch.is_tensor(blind) and torch.isclose(blind, noise.pow(2).mean(), rtol=1e-5),
                     "equals mean(noise^2) for a model that always predicts 0",
                     "compare the prediction with the noise, and average over every entry")
    return check.result()


def check_ddim_step(fn) -> CheckResult:
    """fn(x_t, eps, abar_t, abar_prev) -> x_prev, the deterministic DDIM update (eta = 0)."""
    check = Check("ddim_step")
    with check:
        d = _SCHEDULES["cosine"]
        abar = d.alphas_cumprod
        ts = ddim_timesteps(d.T, 10)
        g = torch.Generator().manual_seed(0)
        ok = True
        for i, t in enumerate(ts):
            x_t, eps = torch.randn(3, 1, 4, 4, generator=g), torch.randn(3, 1, 4, 4, generator=g)
            abar_prev = abar[ts[i + 1]] if i + 1 < len(ts) else torch.tensor(1.0)
            out = check.call(fn, x_t, eps, abar[t], abar_prev)
            if i == 0 and not check.expect(_is(out, x_t.shape), "returns a tensor shaped like x_t",
                                           f"got {_shape(out)}; abar_t and abar_prev are 0-dim tensors"):
                return check.result()
            x0 = (x_t - (1 - abar[t]).sqrt() * eps) / abar[t].sqrt()
            ok = ok and close(out, ddim_step(x_t, eps, x0, abar[t], abar_prev, eta=0.0), atol=1e-4)
        check.expect(ok, "matches regen_lite.nn.diffusion.ddim_step (eta = 0) at every step of a 10-step schedule",
                     "first x0 = (x_t - sqrt(1 - abar_t) eps) / sqrt(abar_t), "
                     "then x_prev = sqrt(abar_prev) x0 + sqrt(1 - abar_prev) eps")
        x_t, eps = torch.randn(2, 3, generator=g), torch.randn(2, 3, generator=g)
        a = abar[400]
        same = check.call(fn, x_t, eps, a, a)
        check.expect(close(same, x_t), "a step to the same noise level leaves x_t unchanged",
                     "with abar_prev = abar_t your update must give back x_t")
        last = check.call(fn, x_t, eps, a, torch.tensor(1.0))
        check.expect(close(last, (x_t - (1 - a).sqrt() * eps) / a.sqrt(), atol=1e-4),
                     "the last step (abar_prev = 1) returns the predicted x0",
                     "with abar_prev = 1 the noise term vanishes: x_prev = x0")
    return check.result()


def _cond_model(x, t, c):
    """A fixed stand-in network whose output depends on the class c (index 10 = the null class)."""
    return 0.3 * x + 0.001 * t.float().view(-1, 1) + 0.1 * c.float().view(-1, 1) ** 1.5


def check_cfg(fn) -> CheckResult:
    """fn(eps_cond, eps_uncond, w) -> eps_cond + w (eps_cond - eps_uncond)."""
    check = Check("cfg")
    with check:
        g = torch.Generator().manual_seed(0)
        x, t = torch.randn(3, 4, generator=g), torch.tensor([5, 50, 500])
        cond, null = torch.tensor([1, 2, 3]), torch.full((3,), 10)
        e_c, e_u = _cond_model(x, t, cond), _cond_model(x, t, null)
        zero = check.call(fn, e_c, e_u, 0.0)
        check.expect(close(zero, e_c), "w = 0 gives the plain conditional prediction",
                     "in this kit (Ho & Salimans 2022) w = 0 means no guidance. diffusers' guidance_scale s "
                     "is the other convention, eps_u + s (eps_c - eps_u), with s = 1 + w")
        ok = True
        for w in (1.0, 3.0, 0.5):
            out = check.call(fn, e_c, e_u, w)
            ok = ok and close(out, guided(_cond_model, cond, null, w)(x, t))
        check.expect(ok, "matches regen_lite.nn.diffusion.guided for w = 1, 3 and 0.5",
                     "eps = eps_cond + w * (eps_cond - eps_uncond): move *away* from the unconditional prediction")
        minus = check.call(fn, e_c, e_u, -1.0)
        check.expect(close(minus, e_u), "w = -1 gives the unconditional prediction", "check the sign of the difference")
    return check.result()
