"""The checks of notebook 4 catch plausible wrong answers, not only the unwritten stub."""

import torch.nn.functional as F

from regen_lite.exercises import check_cfg, check_ddim_step, check_eps_loss, check_q_sample


def _abar(alphas_cumprod, t, x0):
    return alphas_cumprod[t].view(-1, *[1] * (x0.ndim - 1))


def test_q_sample_without_square_roots_fails_with_a_hint():
    def no_sqrt(x0, t, noise, alphas_cumprod):
        a = _abar(alphas_cumprod, t, x0)
        return a * x0 + (1 - a) * noise
    result = check_q_sample(no_sqrt)
    assert not result.passed and "square roots" in repr(result)


def test_q_sample_that_only_broadcasts_over_images_fails():
    def images_only(x0, t, noise, alphas_cumprod):
        a = alphas_cumprod[t].view(-1, 1, 1, 1)
        return a.sqrt() * x0 + (1 - a).sqrt() * noise
    result = check_q_sample(images_only)
    assert not result.passed and "any data shape" in repr(result)


def test_eps_loss_with_a_sum_or_the_wrong_target_fails():
    def summed(model_fn, x0, t, noise, alphas_cumprod):
        a = _abar(alphas_cumprod, t, x0)
        x_t = a.sqrt() * x0 + (1 - a).sqrt() * noise
        return (model_fn(x_t, t) - noise).pow(2).sum()

    def predicts_x0(model_fn, x0, t, noise, alphas_cumprod):
        a = _abar(alphas_cumprod, t, x0)
        x_t = a.sqrt() * x0 + (1 - a).sqrt() * noise
        return F.mse_loss(model_fn(x_t, t), x0)
    summed_result = check_eps_loss(summed)
    assert not summed_result.passed and "take the mean" in repr(summed_result)
    assert not check_eps_loss(predicts_x0).passed


def test_ddim_step_that_reuses_x_t_instead_of_x0_fails():
    def forgets_x0(x_t, eps, abar_t, abar_prev):
        return abar_prev.sqrt() * x_t + (1 - abar_prev).sqrt() * eps
    assert not check_ddim_step(forgets_x0).passed


def test_cfg_with_the_diffusers_convention_fails_with_a_hint():
    result = check_cfg(lambda c, u, w: u + w * (c - u))
    assert not result.passed and "guidance_scale" in repr(result)
    assert check_cfg(lambda c, u, w: (1 + w) * c - w * u).passed      # the same formula, rearranged
