"""Checkpoints: safetensors + JSON round trip, and clear errors for corrupt, mismatched or foreign files."""

import json
import pickle

import pytest
import torch

from regen_lite.checkpoints import CheckpointError, load_checkpoint, save_checkpoint
from regen_lite.image.autoencoders import AE, VQVAE, AEConfig, VQVAEConfig
from regen_lite.registry import get_extractor


@pytest.fixture
def saved(tmp_path):
    m = AE(AEConfig(latent_ch=2, ch=8, n_res=1))
    stem = save_checkpoint(tmp_path / "ae", m, m.cfg, metrics={"x": 1.0})
    return m, stem


def test_round_trip_rebuilds_the_model_from_its_config(saved, small_batch):
    m, stem = saved
    m2, info = load_checkpoint(stem, AE)
    assert isinstance(m2, AE) and m2.cfg == m.cfg and info["metrics"] == {"x": 1.0}
    y = small_batch[0][:4]
    assert torch.equal(m.eval()(y)[0], m2(y)[0])
    ext = get_extractor("ae", path=stem)
    assert ext.describe()["shape"] == [2, 7, 7]


def test_tuple_config_survives_json(tmp_path):
    from regen_lite.image.autoencoders import FSQVAE, FSQVAEConfig
    m = FSQVAE(FSQVAEConfig(levels=(8, 5, 5), ch=8, n_res=1))
    m2, _ = load_checkpoint(save_checkpoint(tmp_path / "f", m, m.cfg), FSQVAE)
    assert m2.cfg.levels == (8, 5, 5) and m2.num_codes == 200


def test_corrupt_weights(saved):
    _, stem = saved
    st = stem.with_suffix(".safetensors")
    st.write_bytes(st.read_bytes()[:100])
    with pytest.raises(CheckpointError, match="corrupt or not a safetensors"):
        load_checkpoint(stem, AE)


def test_mismatched_weights(saved, tmp_path):
    _, stem = saved
    info = json.loads(stem.with_suffix(".json").read_text())
    info["config"]["latent_ch"] = 4                      # config no longer matches the tensors
    stem.with_suffix(".json").write_text(json.dumps(info))
    with pytest.raises(CheckpointError, match="do not match"):
        load_checkpoint(stem, AE)


def test_wrong_model_kind(saved):
    _, stem = saved
    with pytest.raises(CheckpointError, match="holds a AE but a VQVAE"):
        load_checkpoint(stem, VQVAE)


def test_foreign_json_and_unknown_fields(saved):
    _, stem = saved
    stem.with_suffix(".json").write_text(json.dumps({"hello": "world"}))
    with pytest.raises(CheckpointError, match="not a regen-lite checkpoint"):
        load_checkpoint(stem, AE)
    stem.with_suffix(".json").write_text("{not json")
    with pytest.raises(CheckpointError, match="not valid JSON"):
        load_checkpoint(stem, AE)
    stem.with_suffix(".json").write_text(json.dumps({"format": "regen-lite/1", "model": "AE", "config": {"bogus": 1}}))
    with pytest.raises(CheckpointError, match="bogus"):
        load_checkpoint(stem, AE)


def test_pickles_are_refused_without_being_opened(tmp_path):
    evil = tmp_path / "model.pt"
    evil.write_bytes(pickle.dumps({"a": 1}))
    with pytest.raises(CheckpointError, match="pickle-based files are never loaded"):
        load_checkpoint(evil, AE)


def test_missing_checkpoint_says_how_to_make_it(tmp_path):
    with pytest.raises(CheckpointError, match="regen-lite train vqvae"):
        get_extractor("vqvae", path=tmp_path / "nothing")


def test_vq_codebook_buffers_are_saved(tmp_path, small_batch):
    m = VQVAE(VQVAEConfig(num_codes=16, ch=8, n_res=1)).train()
    m(small_batch[0])
    m2, _ = load_checkpoint(save_checkpoint(tmp_path / "v", m, m.cfg), VQVAE)
    assert torch.equal(m2.quantizer.embed, m.quantizer.embed)
    assert torch.equal(m2.encode(small_batch[0]), m.eval().encode(small_batch[0]))
