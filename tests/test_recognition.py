"""Speech recognition (issue 13): the spoken-word corpus, the CTC recogniser, both pipelines and the shipped
weights' recorded metrics."""

import json
import os
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from regen_lite.checkpoints import load_checkpoint, weights_dir
from regen_lite.core import Regenerator
from regen_lite.speech.words import HELD_OUT_VOICE, SPLITS, find_clip, load_waves, word_clips, words_dir
from regen_lite.text.lexicon import ARPABET, LETTERS, word_list
from regen_lite.text.priors import CTCRecognizer, RecognizerConfig, clip_features, pad_features
from regen_lite.text.recognition import (default_renderer, evaluate_models, phoneme_error_rate, spelling_scores,
                                         training_clips)

ROOT = Path(__file__).resolve().parent.parent
MAKE = ROOT / "data_samples" / "speech"


# ---------------------------------------------------------------- the corpus

def test_the_corpus_has_its_splits_and_keeps_the_held_out_words_and_voice_apart():
    counts = {s: len(word_clips(s)) for s in SPLITS}
    assert counts == {"train": 9000, "heard": 300, "unheard": 600, "new_voice": 600}
    train = word_clips("train")
    train_words = {c.word for c in train}
    assert len(train_words) == 3000 and set(word_list("train")) >= train_words
    unheard = {c.word for c in word_clips("unheard")}
    assert len(unheard) == 300 and unheard <= set(word_list("test")) and not unheard & train_words
    assert {c.voice for c in word_clips("new_voice")} == {HELD_OUT_VOICE}
    assert HELD_OUT_VOICE not in {c.voice for s in ("train", "heard", "unheard") for c in word_clips(s)}
    trained_on = {}
    for c in train:
        trained_on.setdefault(c.word, set()).add(c.voice)
    assert all(len(v) == 3 for v in trained_on.values())                  # 3 different voices per word
    assert all(c.voice not in trained_on[c.word] for c in word_clips("heard"))   # a voice new to that word
    size = sum(p.stat().st_size for p in words_dir().iterdir())
    assert size < 25e6, f"the corpus is {size / 1e6:.1f} MB"


def test_clips_decode_to_their_length_and_flite_phones_are_mapped_and_timed():
    clips = [c for c in word_clips("heard")][:40]
    waves = load_waves(clips)
    for c, w in zip(clips, waves):
        assert w.dtype == np.float32 and w.shape == (c.frames,) and 0.2 < c.seconds < 2.0
        assert 0.5 < np.abs(w).max() <= 1.0                                 # peak 0.9 before Opus
        assert set(c.cmudict) <= set(ARPABET)
        if c.engine == "flite":
            assert len(c.engine_phones) == len(c.phone_ends) and list(c.phone_ends) == sorted(c.phone_ends)
            assert c.phone_ends[-1] <= c.seconds + 1e-3
            assert list(c.arpabet) == ["AH" if p == "ax" else p.upper() for p in c.engine_phones if p != "pau"]
        else:
            assert c.arpabet == () and c.phone_ends == () and len(c.engine_phones) == 1
    assert find_clip(clips[3].clip) == clips[3]
    with pytest.raises(KeyError, match="names look like"):
        find_clip("nobody_00000")


def test_a_clip_decodes_to_the_same_samples_whichever_clips_are_loaded_with_it():
    """Opus keeps decoder state from frame to frame: a clip read on from its neighbour would differ from the same
    clip read alone, and a metric on every 10th clip would not reproduce the one measured on the whole split."""
    clips = word_clips("new_voice")[:40]                                 # neighbours in one voice file
    together = load_waves(clips)
    alone = [load_waves([c])[0] for c in clips[::7]]
    backwards = load_waves(clips[::-1])[::-1]
    assert all(np.array_equal(a, b) for a, b in zip(together[::7], alone))
    assert all(np.array_equal(a, b) for a, b in zip(together, backwards))


def test_paired_data_fractions_take_every_kth_word_with_all_its_clips():
    full, half, quarter = (training_clips(s) for s in ("full", "half", "quarter"))
    assert len(full) == 9000 and len(half) == 4500 and len(quarter) == 2250
    assert {c.word for c in quarter} <= {c.word for c in half} <= {c.word for c in full}
    with pytest.raises(KeyError, match="choose from full"):
        training_clips("tenth")


@pytest.mark.slow
def test_the_corpus_script_plans_the_shipped_index_and_writes_the_same_bytes_twice(tmp_path):
    """The plan (words, splits, voices, settings) is the shipped one; synthesis + Opus are deterministic."""
    pytest.importorskip("wordfreq", reason="the corpus script needs wordfreq (pip install wordfreq)")
    if not (shutil.which("flite") and shutil.which("espeak-ng")):
        if os.environ.get("CI"):
            pytest.fail("flite and espeak-ng are needed (apt-get install flite espeak-ng)")
        pytest.skip("flite or espeak-ng not installed")
    sys.path.insert(0, str(MAKE))
    try:
        import make_words
    finally:
        sys.path.remove(str(MAKE))
    plan = make_words.plan()
    shipped = word_clips("all")
    by_voice = {v: [r for r in plan if r["voice"] == v] for v in make_words.VOICES}
    planned = [r for v in make_words.VOICES for r in by_voice[v]]
    assert [(r["word"], r["split"], r["voice"], r["setting"]) for r in planned] == \
        [(c.word, c.split, c.voice, c.setting) for c in shipped]
    rows = [planned[i] for i in (0, 4000, 10_000)]                    # a flite, an espeak-ng and the held-out voice
    made = [make_words.synthesize(r) for r in rows]
    for m, c in zip(made, [shipped[i] for i in (0, 4000, 10_000)]):
        assert len(m["wave"]) == c.frames and m["engine_phones"] == " ".join(c.engine_phones)
    for name in ("a", "b"):
        make_words.write_voice(tmp_path / f"{name}.ogg", [m["wave"] for m in made])
    assert (tmp_path / "a.ogg").read_bytes() == (tmp_path / "b.ogg").read_bytes()


# ---------------------------------------------------------------- the recogniser

def test_the_recogniser_shapes_lengths_and_targets():
    torch.manual_seed(0)
    m = CTCRecognizer(RecognizerConfig(symbols=LETTERS, d=32, n_layer=1, n_head=2)).eval()
    waves = load_waves(word_clips("heard")[:3])
    feats, lengths = pad_features([clip_features(w) for w in waves])
    assert feats.shape[:2] == (3, 80) and lengths.tolist() == [f.shape[1] for f in map(clip_features, waves)]
    f0 = clip_features(waves[0])
    assert np.allclose(f0.mean(axis=1), 0, atol=1e-4) and abs(f0.std() - 1) < 1e-3
    lp, out_len = m.log_probs(feats, lengths)
    assert lp.shape == (3, int(out_len.max()), 27) and torch.allclose(lp.exp().sum(-1), torch.ones(()), atol=1e-5)
    conv_len = m.conv(feats[:1, :, :int(lengths[0])]).shape[-1]           # the formula = what the convolutions give
    assert int(m.out_lengths(lengths[:1])) == conv_len
    ids, n = m.encode([list("cat"), list("to")])
    assert ids.tolist() == [[3, 1, 20], [20, 15, 0]] and n.tolist() == [3, 2]
    assert m.decode_ids([3, 1, 20]) == ["c", "a", "t"]
    # padding does not change a clip's output: the attention masks it
    alone, _ = m.log_probs(feats[1:2, :, :int(lengths[1])], lengths[1:2])
    assert torch.allclose(alone[0], lp[1, :alone.shape[1]], atol=1e-5)


def test_the_ctc_loss_falls_when_overfitting_one_batch():
    torch.manual_seed(0)
    m = CTCRecognizer(RecognizerConfig(symbols=ARPABET, d=32, n_layer=1, n_head=2, dropout=0.0))
    clips = word_clips("heard")[:8]
    feats, lengths = pad_features([clip_features(w) for w in load_waves(clips)])
    ids, n = m.encode([list(c.cmudict) for c in clips])
    opt = torch.optim.Adam(m.parameters(), 3e-3)
    losses = []
    for _ in range(60):
        _, loss, stats = m(feats, lengths, ids, n)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss))
    assert losses[-1] < 0.5 * losses[0] and stats["frames_per_symbol"] > 1


def test_phoneme_and_spelling_scores_agree_with_the_hand_written_edit_distance():
    from regen_lite.text.metrics import error_rate

    hyps = [["K", "AE"], ["DH", "IH", "T"], []]
    words = ["cat", "that", "the"]
    refs = [["K", "AE", "T"], ["DH", "AE", "T"], ["DH", "AH"]]               # "the": DH AH is CMUdict's first
    assert phoneme_error_rate(hyps, words) == pytest.approx(error_rate(hyps, refs)) == pytest.approx(4 / 8)
    # each hypothesis is scored against the closest of its word's pronunciations: "that" is DH AE T or DH AH T
    assert phoneme_error_rate([["DH", "AH", "T"]], ["that"]) == 0.0
    assert phoneme_error_rate([["DH", "AH", "T"]], ["cat"]) == pytest.approx(2 / 3)
    s = spelling_scores(["cat", "rite", ""], ["cat", "right", "the"])
    assert s["wer"] == pytest.approx(2 / 3) and s["homophone"] == pytest.approx(1 / 3)
    assert s["cer"] == pytest.approx(error_rate(["cat", "rite", ""], ["cat", "right", "the"]))


# ---------------------------------------------------------------- the shipped weights and the two pipelines

@pytest.fixture(scope="module")
def shipped():
    return {n: load_checkpoint(weights_dir() / n, CTCRecognizer) for n in ("asr_phonemes", "asr_letters")}


@pytest.mark.slow
@pytest.mark.parametrize("name", ["asr_phonemes", "asr_letters"])
def test_shipped_recognisers_reproduce_their_recorded_small_metrics(name, shipped):
    model, info = shipped[name]
    phonemes = tuple(model.cfg.symbols) == ARPABET
    args = (model, None, default_renderer()) if phonemes else (None, model, None)
    got = evaluate_models(*args, small="only")
    for split, scores in got.items():
        assert scores == info["metrics"][split], split
    assert info["train_command"] == f"regen-lite train {name} --steps {info['train_config']['max_steps']} --data full"


def test_the_two_recognisers_are_one_network_at_one_budget(shipped):
    (ph, ph_info), (le, le_info) = shipped["asr_phonemes"], shipped["asr_letters"]
    assert type(ph) is type(le) and ph_info["train_config"] == le_info["train_config"]
    assert {k: v for k, v in json.loads(json.dumps(ph_info["config"])).items() if k != "symbols"} == \
        {k: v for k, v in le_info["config"].items() if k != "symbols"}
    assert abs(ph_info["params"] - le_info["params"]) < 0.01 * ph_info["params"]   # only the last layer differs
    assert ph_info["data"]["hash"] == le_info["data"]["hash"]                     # the same clips


def test_both_pipelines_are_one_regenerator_and_hear_a_clip():
    from regen_lite.text.pipelines import build_pipeline

    two, direct = build_pipeline("asr"), build_pipeline("asr_direct")
    assert type(two) is type(direct) is Regenerator
    assert two.extractor.name == "g2p" and direct.extractor.name == "spelling"
    clip = [c for c in word_clips("heard") if c.word == "the" or len(c.word) > 3][0]
    wave = load_waves([clip])
    y_prime, y = two.generate(wave)
    assert len(y_prime) == len(y) == 1 and set(y_prime[0]) <= set(ARPABET)
    letters, spelled = direct.generate(wave)
    assert spelled == ["".join(letters[0])] and set(letters[0]) <= set(LETTERS)
    assert direct.reconstruct(["cat"]) == ([["c", "a", "t"]], ["cat"])          # the identity: Y' = Y
