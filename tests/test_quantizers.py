"""Invariants of vector quantization and FSQ, and a cross-check against vector-quantize-pytorch."""

import pytest
import torch

from regen_lite.image.autoencoders import FSQVAE, VQVAE, FSQVAEConfig, VQVAEConfig
from regen_lite.nn.quantizers import FSQ, VectorQuantizer


def test_vq_eval_decode_of_indices_equals_quantized_tensor(small_batch):
    m = VQVAE(VQVAEConfig(num_codes=64)).train()
    m(small_batch[0])                      # k-means init + one EMA update
    m.eval()
    z_q, _, stats = m.quantizer(m.encoder(small_batch[0]))
    # z_q = z_e + sg[e - z_e] equals e up to one float rounding
    assert torch.allclose(m.quantizer.lookup(stats["indices"]), z_q, atol=1e-6)
    assert torch.equal(m.encode(small_batch[0]), stats["indices"])
    assert torch.allclose(m.decode(stats["indices"]), m.decoder(z_q))


def test_vq_picks_the_nearest_code():
    vq = VectorQuantizer(num_codes=16, dim=4, kmeans_init=False).eval()
    z = torch.randn(2, 4, 3, 3)
    _, _, stats = vq(z)
    flat = z.permute(0, 2, 3, 1).reshape(-1, 4)
    brute = torch.cdist(flat, vq.embed).argmin(1)
    assert torch.equal(stats["indices"].flatten(), brute)


def test_straight_through_gradients_reach_the_encoder(small_batch):
    m = VQVAE(VQVAEConfig(num_codes=32)).train()
    y_hat, loss, _ = m(small_batch[0])
    loss.backward()
    for name, p in m.encoder.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, name
    # the codebook is a buffer updated by EMA: no gradient flows into it
    assert not m.quantizer.embed.requires_grad


def test_commitment_term_pulls_only_the_encoder():
    """beta ||z_e - sg[e]||^2: its gradient w.r.t. z_e is 2 beta (z_e - e) / n, and the codes get none."""
    vq = VectorQuantizer(num_codes=8, dim=2, beta=0.25, kmeans_init=False).eval()
    z_e = torch.randn(1, 2, 2, 2, requires_grad=True)
    z_q, loss, stats = vq(z_e)
    loss.backward()
    e = vq.lookup(stats["indices"])
    assert torch.allclose(z_e.grad, 2 * 0.25 * (z_e - e).detach() / z_e.numel(), atol=1e-7)
    # straight-through: d(z_q)/d(z_e) is the identity
    z_e2 = z_e.detach().clone().requires_grad_(True)
    vq(z_e2)[0].sum().backward()
    assert torch.equal(z_e2.grad, torch.ones_like(z_e2))


def test_ema_moves_codes_towards_their_assigned_means_and_restarts_dead_codes():
    torch.manual_seed(0)
    vq = VectorQuantizer(num_codes=4, dim=2, decay=0.5, kmeans_init=False, restart_threshold=0.6).train()
    vq.embed.copy_(torch.tensor([[0.0, 0.0], [10.0, 10.0], [50.0, 50.0], [-50.0, -50.0]]))
    vq.embed_sum.copy_(vq.embed)
    z = torch.tensor([[1.0, 1.0], [1.2, 0.8], [9.0, 9.0]]).T.reshape(1, 2, 1, 3)
    vq(z)
    assert (vq.embed[0] - torch.tensor([1.1, 0.9])).norm() < (torch.tensor([0.0, 0.0]) - torch.tensor([1.1, 0.9])).norm()
    # codes 2 and 3 got no vectors: their EMA count fell to 0.5 < 0.6, so they were moved onto encoder outputs
    for k in (2, 3):
        assert any(torch.allclose(vq.embed[k], z.reshape(2, 3).T[j]) for j in range(3))


def test_fsq_matches_vector_quantize_pytorch(small_batch):
    vqp = pytest.importorskip("vector_quantize_pytorch")
    levels = [8, 5, 5, 5]
    ours = FSQ(levels)
    ref = vqp.FSQ(levels=levels)
    z = torch.randn(8, len(levels), 7, 7) * 2
    z_q, _, stats = ours(z)
    ref_q, ref_idx = ref(z)                          # 4-D input: the reference treats dim 1 as channels
    assert torch.allclose(z_q, ref_q, atol=1e-6)
    assert torch.equal(stats["indices"], ref_idx.long())
    assert torch.allclose(ours.lookup(stats["indices"]), z_q, atol=1e-6)


def test_fsq_uses_exactly_prod_levels_codes_and_round_trips_indices():
    fsq = FSQ((8, 8, 8))
    grid = torch.arange(512).view(1, 16, 32)
    assert torch.equal(fsq.codes_to_indices(fsq.lookup(grid)), grid)
    z_q, loss, stats = fsq(torch.randn(4, 3, 7, 7) * 3)
    assert loss.item() == 0.0 and stats["indices"].max() < 512 and stats["indices"].min() >= 0


def test_fsq_gradients_pass_the_rounding(small_batch):
    m = FSQVAE(FSQVAEConfig())
    _, loss, _ = m(small_batch[0])
    loss.backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in m.encoder.parameters())


# ---------------------------------------------------------------- residual VQ

def _trained_rvq(stages=4, codes=32, dim=4, seed=0):
    """A ResidualVQ whose codebooks were fitted (k-means init + EMA) on a few batches of Gaussian latents."""
    from regen_lite.nn.quantizers import ResidualVQ

    torch.manual_seed(seed)
    rvq = ResidualVQ(num_stages=stages, num_codes=codes, dim=dim).train()
    for _ in range(5):
        rvq(torch.randn(16, dim, 7, 7))
    return rvq.eval()


def test_residual_vq_matches_vector_quantize_pytorch():
    vqp = pytest.importorskip("vector_quantize_pytorch")
    ours = _trained_rvq()
    ref = vqp.ResidualVQ(dim=4, num_quantizers=4, codebook_size=32).eval()
    for layer, stage in zip(ref.layers, ours.stages):                  # the same codebooks in both
        layer._codebook.embed.data.copy_(stage.embed[None])
    z = torch.randn(8, 4, 7, 7)
    z_q, _, stats = ours(z)
    ref_q, ref_idx, _ = ref(z.permute(0, 2, 3, 1).reshape(8, 49, 4))    # theirs reads (B, positions, D) sequences
    assert torch.equal(stats["indices"], ref_idx.long().reshape(8, 7, 7, 4).permute(0, 3, 1, 2))
    assert torch.allclose(z_q, ref_q.reshape(8, 7, 7, 4).permute(0, 3, 1, 2), atol=1e-5)
    assert torch.allclose(ours.lookup(stats["indices"]), z_q, atol=1e-5)


def test_each_residual_stage_lowers_the_error_on_data_like_its_training():
    rvq = _trained_rvq()
    z = torch.randn(32, 4, 7, 7)
    _, _, stats = rvq(z)
    errors = [(rvq.lookup(stats["indices"], n) - z).pow(2).mean().item() for n in range(1, 5)]
    assert all(b < a for a, b in zip(errors, errors[1:])), errors       # the rate-distortion ladder goes down
    assert errors[-1] == pytest.approx(stats["residual_rms"] ** 2, rel=1e-4)
    with pytest.raises(ValueError, match="between 1 and 4"):
        rvq.lookup(stats["indices"], 0)


def test_residual_vq_sends_one_straight_through_gradient_to_the_encoder():
    rvq = _trained_rvq()
    z = torch.randn(2, 4, 7, 7, requires_grad=True)
    z_q, loss, _ = rvq(z)
    z_q.sum().backward()
    assert torch.equal(z.grad, torch.ones_like(z))                     # d z_q / d z_e = identity, once
    z2 = z.detach().clone().requires_grad_(True)
    _, loss, _ = rvq(z2)
    loss.backward()
    assert torch.allclose(z2.grad, 2 * 0.25 * (z2 - rvq.lookup(rvq(z2)[2]["indices"])).detach() / z2.numel(), atol=1e-6)


def test_the_residual_vq_autoencoder_trains_and_decodes_from_any_number_of_stages(small_batch):
    from regen_lite.image.autoencoders import RVQVAE, RVQVAEConfig

    m = RVQVAE(RVQVAEConfig(num_stages=3, num_codes=32, ch=16)).train()
    y = small_batch[0]
    _, loss, stats = m(y)
    loss.backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in m.encoder.parameters())
    m.eval()
    codes = m.encode(y)
    assert codes.shape == (len(y), 3, 7, 7) and codes.dtype == torch.int64 and codes.max() < 32
    assert torch.allclose(m.decode(codes), m.decoder(m.quantizer(m.encoder(y))[0]), atol=1e-5)
    assert m.decode(codes, 1).shape == y.shape
