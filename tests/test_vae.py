import torch

from regen_lite.image.autoencoders import VAE, VAEConfig, kl_standard_normal


def test_kl_matches_torch_distributions_and_monte_carlo():
    torch.manual_seed(0)
    mu, logvar = torch.randn(3, 4, 7, 7), torch.randn(3, 4, 7, 7) * 0.5
    ours = kl_standard_normal(mu, logvar)
    q = torch.distributions.Normal(mu, torch.exp(0.5 * logvar))
    p = torch.distributions.Normal(torch.zeros_like(mu), torch.ones_like(mu))
    ref = torch.distributions.kl_divergence(q, p).flatten(1).sum(1)
    assert torch.allclose(ours, ref, rtol=1e-5)
    # Monte Carlo: E_q[log q(z) - log p(z)]
    z = q.sample((20000,))
    mc = (q.log_prob(z) - p.log_prob(z)).flatten(2).sum(2).mean(0)
    assert torch.allclose(ours, mc, rtol=0.03)


def test_kl_is_zero_only_at_the_prior():
    assert kl_standard_normal(torch.zeros(1, 2, 2, 2), torch.zeros(1, 2, 2, 2)).item() == 0.0
    assert kl_standard_normal(torch.full((1, 2, 2, 2), 0.1), torch.zeros(1, 2, 2, 2)).item() > 0


def test_reparameterisation_has_the_right_moments_and_gradients():
    mu = torch.full((200000,), 1.5, requires_grad=True)
    logvar = torch.full((200000,), torch.log(torch.tensor(0.25)).item(), requires_grad=True)
    z = VAE.reparameterize(mu, logvar, generator=torch.Generator().manual_seed(0))
    assert abs(z.mean().item() - 1.5) < 0.01 and abs(z.std().item() - 0.5) < 0.01
    z.sum().backward()
    assert torch.allclose(mu.grad, torch.ones_like(mu))   # dz/dmu = 1


def test_encode_is_the_posterior_mean(small_batch):
    m = VAE(VAEConfig()).eval()
    y = small_batch[0][:4]
    assert torch.equal(m.encode(y), m.posterior(y)[0])
