"""Text-to-speech (issue 14): X and its durations from the corpus, the length regulator, the STFT loss, the model's
two outputs, and the shipped weights' recorded metrics."""

import math

import numpy as np
import pytest
import torch

from regen_lite.checkpoints import load_checkpoint, weights_dir
from regen_lite.speech.synthesis import (POSITION_BINS, SYMBOLS, VOICES, TextToSpeech, TTSConfig, length_regulate,
                                         stft_loss)
from regen_lite.speech.synthesis_data import (MAX_WORDS, clip_durations, clip_phonemes, durations_of, encode_x,
                                              n_frames, parse_setting, text_to_x, tts_clips, tts_tensors)
from regen_lite.text.lexicon import TextError

# ---------------------------------------------------------------- X, Y and the durations


def test_the_tts_clips_are_flite_clips_of_the_three_training_voices():
    counts = {s: len(tts_clips(s)) for s in ("train", "heard", "unheard", "new_voice")}
    assert counts == {"train": 4475, "heard": 172, "unheard": 290, "new_voice": 0}     # slt is held out
    assert {c.voice for c in tts_clips("train")} == set(VOICES)
    assert not {c.word for c in tts_clips("unheard")} & {c.word for c in tts_clips("train")}


def test_durations_cover_every_frame_of_every_clip_and_phones_are_symbols():
    for c in tts_clips("train")[::7]:
        phones, d = clip_phonemes(c), clip_durations(c)
        assert len(phones) == len(d) and sum(d) == n_frames(c.frames) and min(d) >= 0
        assert set(phones) <= set(SYMBOLS) and phones[0] == phones[-1] == "pau"
    c = tts_clips("train")[0]                                    # "to": pau t ax pau, ends 0.2 0.296 0.348 0.441 s
    assert clip_phonemes(c) == ["pau", "T", "AH", "pau"] and clip_durations(c) == [25, 12, 7, 12]


def test_settings_and_x_tensors():
    assert parse_setting("stretch=1.2 f0=110", "kal16") == pytest.approx((0.2, 2 / 3))
    assert parse_setting("stretch=0.85", "awb") == pytest.approx((-0.15, 0.0))
    clips = tts_clips("heard")[:5]
    phonemes, voice, setting = encode_x(clips)
    assert phonemes.shape == durations_of(clips).shape and ((phonemes > 0) == (durations_of(clips) >= 0)).any()
    assert voice.tolist() == [VOICES.index(c.voice) for c in clips] and setting.shape == (5, 2)
    *_, target, frames = tts_tensors(clips, "mel")
    assert target.shape == (5, 80, int(frames.max())) and frames.tolist() == durations_of(clips).sum(1).tolist()


def test_typed_text_becomes_phonemes_with_pauses_and_bad_text_is_refused():
    phones, (ids, voice, setting), notices = text_to_x("The cat!", "rms", stretch=1.2)
    assert phones == ["pau", "DH", "AH", "pau", "K", "AE", "T", "pau"] and ids.shape == (1, 8) and notices == []
    assert voice.tolist() == [VOICES.index("rms")] and setting.tolist() == [[pytest.approx(0.2), 0.0]]
    with pytest.raises(TextError):
        text_to_x("   ")
    phones, _, notices = text_to_x("the cat " * 40)                       # 80 words: trimmed to MAX_WORDS
    assert phones.count("pau") == MAX_WORDS + 1
    assert notices == [f"the text has 80 words; only the first {MAX_WORDS} are used"]
    with pytest.raises(ValueError, match="unknown voice 'slt'"):
        text_to_x("hello", "slt")


# ---------------------------------------------------------------- the length regulator and the loss


def test_the_length_regulator_repeats_each_phoneme_by_its_duration():
    torch.manual_seed(0)
    h = torch.randn(3, 4, 5)
    d = torch.tensor([[2, 0, 3, 1], [1, 1, 0, 0], [0, 4, 0, 0]])
    frames, lengths, where = length_regulate(h, d)
    assert lengths.tolist() == [6, 2, 4] and frames.shape == (3, 6, 5)
    for b in range(3):
        ref = torch.repeat_interleave(h[b], d[b], dim=0)
        assert torch.equal(frames[b, :len(ref)], ref) and (frames[b, len(ref):] == 0).all()
    assert where[0].tolist() == [0, 5, 0, 3, 6, 0] and where[2].tolist() == [0, 2, 5, 7, 0, 0]
    assert int(where.max()) < POSITION_BINS


def test_the_stft_loss_is_zero_for_the_same_wave_and_log2_plus_half_for_half_the_amplitude():
    torch.manual_seed(0)
    y = torch.randn(2, 4096)
    assert float(stft_loss(y, y)) == pytest.approx(0.0, abs=1e-6)
    # |STFT(y / 2)| = |STFT(y)| / 2: spectral convergence 1/2, mean |log S - log S/2| = log 2, at every resolution
    assert float(stft_loss(y / 2, y)) == pytest.approx(0.5 + math.log(2), rel=1e-4)


@pytest.mark.parametrize("output", ["mel", "wave"])
def test_the_loss_falls_when_overfitting_one_batch(output):
    torch.manual_seed(0)
    m = TextToSpeech(TTSConfig(output=output, d=32, n_encoder=1, n_decoder=2, dropout=0.0))
    batch = tts_tensors(tts_clips("heard")[:8], output)
    opt = torch.optim.Adam(m.parameters(), 3e-3)
    losses = []
    for _ in range(40):
        y_hat, loss, stats = m(*batch)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.7 * losses[0] and set(stats) == {"output_loss", "duration_loss"}
    frames = int(batch[-1].max())
    assert y_hat.shape == ((8, 80, frames) if output == "mel" else (8, frames * 128))


def test_synthesis_follows_the_durations_it_is_given_and_sample_takes_one_utterance():
    torch.manual_seed(0)
    m = TextToSpeech(TTSConfig(output="mel", d=32, n_encoder=1, n_decoder=1)).eval()
    clips = tts_clips("heard")[:3]
    out, used = m.synthesize(*encode_x(clips), durations=durations_of(clips))
    assert [y.shape[1] for y in out] == [n_frames(c.frames) for c in clips] and torch.equal(used, durations_of(clips))
    out, used = m.synthesize(*encode_x(clips))                               # predicted: at least 1 frame each
    mask = encode_x(clips)[0] > 0
    assert (used[mask] >= 1).all() and (used[~mask] == 0).all() and [y.shape[1] for y in out] == used.sum(1).tolist()
    with pytest.raises(ValueError, match="one utterance"):
        m.sample(encode_x(clips))


@pytest.mark.parametrize("output", ["mel", "wave"])
def test_an_utterance_comes_out_the_same_alone_or_padded_in_a_batch(output):
    """Padding must not leak into real frames: not through a LayerNorm (it maps zeros to its bias) before a
    convolution, nor through the overlapping kernels of the wave model's upsampler."""
    torch.manual_seed(0)
    m = TextToSpeech(TTSConfig(output=output, d=32, n_encoder=2, n_decoder=2)).eval()
    with torch.no_grad():                      # nonzero LayerNorm biases, as any trained model has
        for mod in m.modules():
            if isinstance(mod, torch.nn.LayerNorm):
                mod.bias.normal_()
    clips = tts_clips("heard")[:4]
    x, d = encode_x(clips), durations_of(clips)
    batch, _ = m.synthesize(*x, durations=d)
    for b in range(len(clips)):
        n = int((x[0][b] > 0).sum())
        alone, _ = m.synthesize(x[0][b:b + 1, :n], x[1][b:b + 1], x[2][b:b + 1], durations=d[b:b + 1, :n])
        assert alone[0].shape == batch[b].shape
        assert torch.allclose(alone[0], batch[b], atol=1e-4), (b, (alone[0] - batch[b]).abs().max().item())


# ---------------------------------------------------------------- the shipped weights


@pytest.fixture(scope="module")
def shipped():
    return {n: load_checkpoint(weights_dir() / n, TextToSpeech) for n in ("tts_mel", "tts_wave")}


def test_the_two_models_share_everything_but_the_output(shipped):
    (mel, mel_info), (wave, wave_info) = shipped["tts_mel"], shipped["tts_wave"]
    assert type(mel) is type(wave) and (mel.cfg.output, wave.cfg.output) == ("mel", "wave")
    assert {k: v for k, v in mel_info["config"].items() if k != "output"} == \
        {k: v for k, v in wave_info["config"].items() if k != "output"}
    assert mel_info["data"]["hash"] == wave_info["data"]["hash"]                  # the same clips
    assert abs(mel_info["params"] - wave_info["params"]) < 0.15 * mel_info["params"]
    cpu = mel_info["cpu_seconds"], wave_info["cpu_seconds"]
    assert max(cpu) < 1.5 * min(cpu), cpu                                          # about the same CPU time


@pytest.mark.slow
@pytest.mark.parametrize("name", ["tts_mel", "tts_wave"])
def test_shipped_tts_models_reproduce_their_recorded_small_metrics(name, shipped):
    """Re-measured on the small subsets. Griffin-Lim and the convolutions run in float32 with a batch-size- and
    thread-dependent summation order, so the dB figures are compared to 0.01 dB, not to the last digit."""
    from regen_lite.speech.recipes import evaluate_tts

    model, info = shipped[name]
    got = evaluate_tts(None, model, "full", small_only=True)
    for split, scores in got.items():
        want = info["metrics"][split]
        assert scores["n"] == want["n"] and scores.keys() == want.keys(), split
        for k in scores:
            assert scores[k] == pytest.approx(want[k], abs=0.01), (split, k)
    assert info["train_command"] == f"regen-lite train {name} --steps {info['train_config']['max_steps']} --data full"
