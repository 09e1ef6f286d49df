"""Priors X -> Y': the AR prior is causal and respects top-k; the diffusion prior trains and samples
with the right shapes; the Regenerator composes prior and renderer (direct = identity extractor)."""

import pytest
import torch

from regen_lite.core import Regenerator
from regen_lite.image.priors import CodePrior, CodePriorConfig, DiffusionPrior, DiffusionPriorConfig, drop_labels
from regen_lite.nn.transformer import TinyTransformer, TransformerConfig
from regen_lite.nn.unet import TinyUNet, UNetConfig
from regen_lite.registry import get_extractor
from regen_lite.train import TrainConfig, fit


def test_transformer_logits_are_causal():
    torch.manual_seed(0)
    net = TinyTransformer(TransformerConfig(vocab=16, seq_len=10, d=32, n_layer=2, n_head=2, dropout=0.0)).eval()
    codes = torch.randint(0, 16, (3, 9))
    labels = torch.tensor([0, 1, 2])
    base = net(codes, labels)
    for j in range(9):
        changed = codes.clone()
        changed[:, j] = (changed[:, j] + 1) % 16
        out = net(changed, labels)
        # logits at positions 0..j only see codes before position j: unchanged
        assert torch.allclose(out[:, : j + 1], base[:, : j + 1], atol=1e-6)
        assert not torch.allclose(out[:, j + 1:], base[:, j + 1:])


def test_code_prior_sampling_respects_top_k():
    torch.manual_seed(0)
    prior = CodePrior(CodePriorConfig(vocab=32, h=2, w=3, d=32, n_layer=1, n_head=2, dropout=0.0)).eval()
    with torch.no_grad():  # make the model prefer codes 0..3 strongly, then forbid all but the top 2
        prior.net.head.bias.copy_(torch.arange(32, 0, -1).float())
    codes = prior.sample(torch.arange(10) % 10, top_k=2, generator=torch.Generator().manual_seed(0))
    assert codes.shape == (10, 2, 3)
    top2 = torch.topk(prior.net(torch.zeros(1, 0, dtype=torch.long), torch.tensor([0]))[0, -1], 2).indices
    assert set(codes.flatten().tolist()) <= set(top2.tolist())
    with pytest.raises(ValueError):
        prior.sample(torch.tensor([0]), temperature=0)


def test_code_prior_learns_a_class_dependent_pattern():
    """Class c -> all codes equal c: after a short fit, sampling at low temperature reproduces it."""
    prior = CodePrior(CodePriorConfig(vocab=10, h=2, w=2, d=32, n_layer=1, n_head=2, dropout=0.0, p_uncond=0.0))
    labels = torch.arange(10).repeat(20)
    codes = labels[:, None, None].expand(-1, 2, 2).clone()
    fit(prior, (codes, labels), TrainConfig(epochs=40, batch_size=50, lr=3e-3, warmup_steps=5, ema_decay=0, progress=False, device="cpu"))
    out = prior.sample(torch.arange(10), temperature=0.5, generator=torch.Generator().manual_seed(0))
    assert torch.equal(out, torch.arange(10)[:, None, None].expand(-1, 2, 2))


@pytest.mark.parametrize("shape,mult", [((1, 28, 28), (1, 2, 2)), ((4, 7, 7), (1, 2)), ((1, 7, 7), (1,))])
def test_unet_keeps_shape(shape, mult):
    net = TinyUNet(UNetConfig(in_ch=shape[0], ch=16, ch_mult=mult))
    x = torch.randn(2, *shape)
    assert net(x, torch.tensor([1, 999]), torch.tensor([3, 10])).shape == x.shape


def test_drop_labels():
    torch.manual_seed(0)
    d = drop_labels(torch.zeros(10000, dtype=torch.long), 0.1, 10)
    assert set(d.unique().tolist()) == {0, 10} and abs((d == 10).float().mean().item() - 0.1) < 0.01


def test_diffusion_prior_fits_and_the_regenerator_composes_it(small_batch):
    """A pixel-space diffusion prior with the identity extractor is the direct pipeline; the same
    Regenerator with a 7x7 downsample extractor is a two-stage one."""
    y, labels = small_batch
    for name, shape in (("identity", (1, 28, 28)), ("downsample_x4", (1, 7, 7))):
        e = get_extractor(name)
        y_prime = e.extract(y)
        prior = DiffusionPrior(DiffusionPriorConfig(shape=shape, ch=16, ch_mult=(1,), timesteps=100))
        prior.set_normalization(y_prime)
        res = fit(prior, (y_prime, labels), TrainConfig(epochs=10, batch_size=32, warmup_steps=2, progress=False,
                                                    device="cpu", ema_decay=0))
        assert sum(h["loss"] for h in res.history[-3:]) / 3 < res.history[0]["loss"]
        pipe = Regenerator(e, prior)
        yp, yy = pipe.generate(torch.tensor([7, 7]), steps=5, generator=torch.Generator().manual_seed(0))
        assert yp.shape == (2, *shape) and yy.shape == (2, 1, 28, 28)
        yp2, _ = pipe.generate(torch.tensor([7, 7]), steps=5, generator=torch.Generator().manual_seed(0))
        assert torch.equal(yp, yp2)   # same seed, same images


def test_regenerator_without_prior_only_reconstructs(small_batch):
    with pytest.raises(RuntimeError, match="no prior"):
        Regenerator(get_extractor("identity")).generate(torch.tensor([0]))


@pytest.mark.parametrize("kind", ["ddim", "ddpm", "codes"])
def test_sampling_reports_progress_and_the_callback_does_not_change_the_result(kind):
    """The app's progress bar: callback(done, total) once per step, counting up to total; same samples."""
    torch.manual_seed(0)
    if kind == "codes":
        prior = CodePrior(CodePriorConfig(vocab=8, h=2, w=3, d=16, n_layer=1, n_head=2)).eval()
        kw, total = {"guidance": 1.0}, 6
    else:
        prior = DiffusionPrior(DiffusionPriorConfig(shape=(1, 4, 4), ch=8, ch_mult=(1,), timesteps=20)).eval()
        kw, total = ({"steps": 5}, 5) if kind == "ddim" else ({"sampler": "ddpm"}, 20)
    calls = []
    labels = torch.tensor([1, 2])
    a = prior.sample(labels, generator=torch.Generator().manual_seed(3), callback=lambda i, n: calls.append((i, n)), **kw)
    b = prior.sample(labels, generator=torch.Generator().manual_seed(3), **kw)
    assert calls == [(i, total) for i in range(1, total + 1)]
    assert torch.equal(a, b)
