"""Speech: shipped clips, upload validation, the three extractors and their renderers, the spectral
metrics (against direct reference computations), and the shipped learned mel renderer."""

import io
import math

import librosa
import numpy as np
import pytest
import scipy.fft
import soundfile as sf
import torch

from regen_lite.core import Regenerator
from regen_lite.registry import get_extractor, list_extractors
from regen_lite.speech.data import (
    SAMPLE_RATE,
    AudioError,
    audio_bytes,
    load_speech_clips,
    prepare_audio,
    read_audio,
    speech_dir,
    speech_transcripts,
)
from regen_lite.speech.features import (
    SpectrogramConfig,
    griffin_lim,
    log_mel,
    mel_filterbank,
    mel_to_magnitude,
    mfcc,
    mfcc_to_log_mel,
    stft_magnitude,
)
from regen_lite.speech.metrics import TOP_DB, log_spectral_distance, mel_cepstral_distortion
from regen_lite.speech.pipelines import PIPELINES

CFG = SpectrogramConfig()
SR = SAMPLE_RATE


@pytest.fixture(scope="module")
def clip():
    return load_speech_clips("test")[0]


def tone(seconds=1.0, f=220.0, sr=SR, amp=0.5):
    t = np.arange(int(seconds * sr)) / sr
    return (amp * np.sin(2 * np.pi * f * t)).astype(np.float32)


# ---------------------------------------------------------------- shipped clips

def test_transcripts_cover_20_sentences_3_voices_with_4_held_out():
    rows = speech_transcripts("all")
    assert len(rows) == 60
    assert {r["voice"] for r in rows} == {"en-us", "en-gb", "en-us+f3"}
    assert len({r["text"] for r in rows}) == 20
    test = speech_transcripts("test")
    assert len(test) == 12 and len({r["text"] for r in test}) == 4
    assert not {r["text"] for r in test} & {r["text"] for r in speech_transcripts("train")}


def test_clips_are_16k_mono_pcm16_between_1_and_3_seconds():
    total = 0
    for r in speech_transcripts("all"):
        path = speech_dir() / r["file"]
        info = sf.info(path)
        assert (info.samplerate, info.channels, info.subtype) == (16000, 1, "PCM_16"), r["file"]
        assert 1.0 <= info.duration <= 3.0
        assert info.duration == pytest.approx(float(r["seconds"]), abs=1e-3)
        total += path.stat().st_size
    assert total < 5e6


def test_load_speech_clips(clip):
    clips = load_speech_clips("train")
    assert len(clips) == 48
    wave, sr, text, voice = clips[0]
    assert wave.dtype == np.float32 and wave.ndim == 1 and sr == 16000
    assert 0.85 < np.abs(wave).max() <= 0.91           # peak-normalised to 0.9 by make_speech.py
    assert text == "The red boat drifted toward the shore." and voice == "en-us"
    with pytest.raises(ValueError, match="split"):
        load_speech_clips("validation")


# ---------------------------------------------------------------- upload validation

def test_read_audio_round_trips_a_wav(clip):
    a = read_audio(audio_bytes(clip.wave))
    assert a.sr == SR and a.notes == []
    np.testing.assert_allclose(a.wave, clip.wave, atol=1 / 32768)


def test_read_audio_path_and_flac(tmp_path, clip):
    sf.write(tmp_path / "x.flac", clip.wave, SR)
    assert len(read_audio(tmp_path / "x.flac").wave) == len(clip.wave)
    with pytest.raises(AudioError, match="not found"):
        read_audio(tmp_path / "missing.wav")


@pytest.mark.parametrize("data, match", [
    (b"", "empty"),
    (b"this is a text file, not a recording" * 10, "not an audio file"),
    (b"\x89PNG\r\n\x1a\n" + bytes(200), "not an audio file"),
])
def test_read_audio_refuses_non_audio(data, match):
    with pytest.raises(AudioError, match=match):
        read_audio(data)


def test_audio_error_is_a_value_error():
    assert issubclass(AudioError, ValueError)


def test_stereo_is_mixed_to_mono_in_either_layout():
    left, right = tone(f=220), tone(f=330)
    for arr in (np.stack([left, right], 1), np.stack([left, right], 0)):
        a = prepare_audio(arr, SR)
        np.testing.assert_allclose(a.wave, (left + right) / 2, atol=1e-6)
        assert any("mono" in n for n in a.notes)


def test_other_rates_are_resampled_and_int16_is_scaled():
    x = (tone(1.0, sr=44100) * 32767).astype(np.int16)
    a = prepare_audio(x, 44100)
    assert a.sr == SR and len(a.wave) == SR
    assert np.abs(a.wave).max() == pytest.approx(0.5, abs=0.01)
    assert any("44100 Hz" in n for n in a.notes)


def test_long_audio_is_trimmed_with_a_notice():
    a = prepare_audio(tone(12.0), SR, max_seconds=10.0)
    assert len(a.wave) == 10 * SR
    assert any("trimmed from 12.0 s" in n for n in a.notes)


@pytest.mark.parametrize("wave, sr, match", [
    (np.zeros(SR, np.float32), SR, "silent"),
    (1e-5 * np.random.default_rng(0).standard_normal(SR).astype(np.float32), SR, "silent"),
    (np.zeros(0, np.float32), SR, "empty"),
    (np.zeros((0, 1), np.float32), SR, "empty"),          # a WAV with a header and no samples, as soundfile reads it
    (tone(0.05), SR, "too short|at least"),
    (np.full(SR, np.nan, np.float32), SR, "NaN"),
    (tone(1.0), 100, "sample rate"),
    (np.zeros((2, 2, SR), np.float32), SR, "1-D"),
    (np.array(["a"] * SR), SR, "numbers"),
])
def test_bad_audio_gets_a_clear_error(wave, sr, match):
    with pytest.raises(AudioError, match=match):
        prepare_audio(wave, sr)


def test_loud_float_audio_is_scaled_into_range():
    a = prepare_audio(tone(amp=2.0), SR)
    assert np.abs(a.wave).max() == pytest.approx(1.0, abs=1e-4) and a.notes


# ---------------------------------------------------------------- extractors: registry, shapes, describe()

def test_registry_speech_and_image_are_separate():
    assert list_extractors("speech") == ["stft_magnitude", "log_mel", "mfcc", "wave"]
    assert not set(list_extractors("speech")) & set(list_extractors("image"))
    assert {s.extractor for s in PIPELINES.values()} == set(list_extractors("speech"))


@pytest.mark.parametrize("name, rows", [("stft_magnitude", 257), ("log_mel", 80), ("mfcc", 20)])
def test_shapes_batches_and_describe(name, rows, clip):
    e = get_extractor(name)
    assert (e.modality, e.layout, e.discrete) == ("speech", "spectrogram", False)
    y = torch.from_numpy(clip.wave)
    yp = e.extract(y)
    assert yp.dtype == torch.float32 and tuple(yp.shape) == (rows, 1 + len(y) // CFG.hop)
    assert tuple(e.extract(torch.stack([y, y])).shape) == (2, *yp.shape)          # leading batch dims
    d = e.describe()
    assert d["shape"] == [rows, 126] and d["values_per_second"] == rows * 125      # per second of audio
    assert d["compression"] == pytest.approx(16000 * 16 / (rows * 126 * 32))
    assert d["kbit_per_second"] == pytest.approx(rows * 125 * 32 / 1000)


def test_abstraction_order_is_size_order():
    sizes = [get_extractor(n).describe()["numel"] for n in ("stft_magnitude", "log_mel", "mfcc")]
    assert sizes[0] > sizes[1] > sizes[2]


def test_learned_renderer_only_for_log_mel():
    with pytest.raises(ValueError, match="only the explicit"):
        get_extractor("mfcc", renderer="learned")
    with pytest.raises(ValueError, match="explicit' or 'learned"):
        get_extractor("log_mel", renderer="wavenet")


# ---------------------------------------------------------------- our wrappers against librosa / direct formulas

def test_log_mel_matches_librosa_melspectrogram(clip):
    ref = librosa.power_to_db(librosa.feature.melspectrogram(y=clip.wave, sr=SR, n_fft=512, hop_length=128,
                                                             n_mels=80, power=2.0), ref=1.0, top_db=None)
    np.testing.assert_allclose(log_mel(clip.wave), ref, atol=1e-3)


def test_mfcc_is_the_truncated_orthonormal_dct_of_log_mel(clip):
    lm = log_mel(clip.wave).astype(np.float64)
    ref = scipy.fft.dct(lm, type=2, norm="ortho", axis=0)[:20]
    np.testing.assert_allclose(mfcc(clip.wave), ref, rtol=1e-4, atol=1e-2)


def test_mel_filterbank_rows_are_triangles_over_the_linear_bins():
    m = mel_filterbank()
    assert m.shape == (80, 257) and (m >= 0).all()
    assert (m.sum(1) > 0).all()                                          # no empty filter at n_fft 512
    peaks = m.argmax(1)
    assert (np.diff(peaks) >= 0).all()                                   # centres rise with the band index


def test_mfcc_inverse_is_exact_when_all_coefficients_are_kept(clip):
    cfg = SpectrogramConfig(n_mfcc=80)
    lm = log_mel(clip.wave, cfg)
    np.testing.assert_allclose(mfcc_to_log_mel(mfcc(clip.wave, cfg), cfg), lm, atol=0.05)
    coarse = mfcc_to_log_mel(mfcc(clip.wave), CFG)                       # 20 of 80: a smoothed envelope
    assert np.abs(coarse - lm).mean() > 1.0


def test_explicit_mel_inverse_reproduces_the_mel_bands(clip):
    lm = log_mel(clip.wave[:SR])
    mag = mel_to_magnitude(lm)
    assert mag.shape == (257, lm.shape[1]) and (mag >= 0).all()
    again = 10 * np.log10(np.maximum(mel_filterbank() @ mag ** 2, CFG.amin))
    loud = lm > lm.max() - 60                                            # where the speech is
    assert np.abs(again - lm)[loud].mean() < 1.0


def test_explicit_mel_inverse_matches_librosa_mel_to_stft(clip):
    lm = log_mel(clip.wave[:SR])
    ref = librosa.feature.inverse.mel_to_stft(librosa.db_to_power(lm), sr=SR, n_fft=512, power=2.0)
    ours = mel_to_magnitude(lm)
    np.testing.assert_allclose(ours, ref, rtol=1e-3, atol=1e-4 * ref.max())


def test_griffin_lim_is_librosa_with_a_fixed_seed_and_is_deterministic(clip):
    mag = stft_magnitude(clip.wave[:SR])
    ref = librosa.griffinlim(mag, n_iter=32, hop_length=128, n_fft=512, momentum=0.99, random_state=0)
    np.testing.assert_allclose(griffin_lim(mag), ref, atol=1e-6)
    e = get_extractor("stft_magnitude")
    y_prime = e.extract(clip.wave[:SR])
    a, b = e.render(y_prime), e.render(y_prime)
    assert torch.equal(a, b)
    c = e.render(y_prime, generator=torch.Generator().manual_seed(1))
    d = e.render(y_prime, generator=torch.Generator().manual_seed(1))
    assert torch.equal(c, d) and not torch.equal(a, c)


def test_griffin_lim_is_consistent_and_improves_with_iterations(clip):
    y = clip.wave[:SR]
    mag = stft_magnitude(y)

    def spectral_convergence(iters):
        y_hat = griffin_lim(mag, SpectrogramConfig(gl_iters=iters))
        return np.linalg.norm(stft_magnitude(y_hat)[:, :mag.shape[1]] - mag) / np.linalg.norm(mag)

    sc = [spectral_convergence(i) for i in (2, 8, 32)]
    assert sc[0] > sc[1] > sc[2]
    assert sc[2] < 0.15
    assert len(griffin_lim(mag)) == (mag.shape[1] - 1) * CFG.hop


def test_reconstruct_runs_every_explicit_path_and_keeps_the_order(clip):
    y = torch.from_numpy(clip.wave)
    lsd = {}
    for name in ("stft_magnitude", "log_mel", "mfcc"):
        y_prime, y_hat = Regenerator(get_extractor(name)).reconstruct(y)
        assert y_hat.dtype == torch.float32 and y_hat.shape == (len(y) // 128 * 128,)
        lsd[name] = log_spectral_distance(y_hat, y)
    assert lsd["stft_magnitude"] < lsd["log_mel"] < lsd["mfcc"]


# ---------------------------------------------------------------- metrics

def _reference_powers(y_hat, y):
    p = np.abs(librosa.stft(y, n_fft=512, hop_length=128)) ** 2
    q = np.abs(librosa.stft(y_hat, n_fft=512, hop_length=128)) ** 2
    n = min(p.shape[1], q.shape[1])
    floor = p.max() * 10 ** (-TOP_DB / 10)
    return np.maximum(p[:, :n], floor), np.maximum(q[:, :n], floor), floor


def test_lsd_matches_a_frame_by_frame_reference(clip):
    y = clip.wave
    y_hat = griffin_lim(stft_magnitude(y))
    p, q, _ = _reference_powers(y_hat, y)
    per_frame = [math.sqrt(sum((10 * math.log10(p[f, n]) - 10 * math.log10(q[f, n])) ** 2 for f in range(p.shape[0]))
                           / p.shape[0]) for n in range(p.shape[1])]
    assert log_spectral_distance(y_hat, y) == pytest.approx(sum(per_frame) / len(per_frame), rel=1e-4)


def test_mcd_matches_a_direct_cosine_sum_reference(clip):
    y = clip.wave[:SR]
    y_hat = get_extractor("mfcc").render(get_extractor("mfcc").extract(y)).numpy()
    p, q, floor = _reference_powers(y_hat, y)
    mel_p = np.maximum(librosa.feature.melspectrogram(S=p, sr=SR, n_mels=80), floor)
    mel_q = np.maximum(librosa.feature.melspectrogram(S=q, sr=SR, n_mels=80), floor)
    k = np.arange(80)
    basis = np.stack([np.cos(np.pi * d * (k + 0.5) / 80) for d in range(1, 25)])      # (24, 80)
    c_p = basis @ (0.5 * np.log(mel_p)) / 80
    c_q = basis @ (0.5 * np.log(mel_q)) / 80
    ref = np.mean([10 / math.log(10) * math.sqrt(2 * sum((c_p[d, n] - c_q[d, n]) ** 2 for d in range(24)))
                   for n in range(p.shape[1])])
    assert mel_cepstral_distortion(y_hat, y) == pytest.approx(ref, rel=1e-4)


def test_metric_invariants_identity_and_gain():
    y = (0.1 * np.random.default_rng(0).standard_normal(SR)).astype(np.float32)    # no bin near the floor
    assert log_spectral_distance(y, y) == 0.0 and mel_cepstral_distortion(y, y) == 0.0
    assert log_spectral_distance(2 * y, y) == pytest.approx(20 * math.log10(2), abs=1e-3)   # 6.02 dB everywhere
    assert mel_cepstral_distortion(2 * y, y) == pytest.approx(0.0, abs=1e-4)              # gain is c_0 only
    assert log_spectral_distance(torch.from_numpy(y[:-300]), y) >= 0                       # lengths may differ


def test_lsd_and_mcd_grow_with_distortion(clip):
    y = clip.wave
    rng = np.random.default_rng(0)
    small, big = (y + a * rng.standard_normal(len(y)).astype(np.float32) for a in (0.003, 0.03))
    assert log_spectral_distance(small, y) < log_spectral_distance(big, y)
    assert mel_cepstral_distortion(small, y) < mel_cepstral_distortion(big, y)


@pytest.mark.slow
def test_pitch_metrics_see_a_semitone_and_lost_voicing():
    from regen_lite.speech.metrics import pitch_metrics

    y = tone(1.0, 200.0)
    same = pitch_metrics(y, y)
    assert same["voicing_error"] == 0 and same["f0_cents"] == 0 and same["voiced_kept"] == 1
    up = pitch_metrics(tone(1.0, 200.0 * 2 ** (1 / 12)), y)
    assert up["f0_cents"] == pytest.approx(100, abs=15)
    noise = pitch_metrics((0.3 * np.random.default_rng(0).standard_normal(SR)).astype(np.float32), y)
    assert noise["voiced_kept"] < 0.2


@pytest.mark.slow
@pytest.mark.parametrize("i", [0, 1])           # a male (en-us) and a British (en-gb) voice: low pitch, close harmonics
def test_mfcc_loses_the_pitch_that_log_mel_keeps(i):
    """The paper's point, on held-out clips: MFCCs are too abstract to render speech from. The mel renderers,
    explicit and learned, keep the voicing (pYIN finds most voiced frames again); the MFCC one does not."""
    from regen_lite.speech.metrics import pitch_metrics

    clip = load_speech_clips("test")[i]
    kept = {}
    for name, renderer in (("log_mel", "explicit"), ("log_mel", "learned"), ("mfcc", "explicit")):
        e = get_extractor(name, renderer=renderer)
        kept[name, renderer] = pitch_metrics(e.render(e.extract(clip.wave)).numpy(), clip.wave)["voiced_kept"]
    assert min(kept["log_mel", "explicit"], kept["log_mel", "learned"]) > 0.8 > 0.3 > kept["mfcc", "explicit"], kept


def test_audio_bytes_is_a_16bit_wav(clip):
    info = sf.info(io.BytesIO(audio_bytes(clip.wave)))
    assert (info.samplerate, info.channels, info.subtype, info.format) == (16000, 1, "PCM_16", "WAV")


def test_a_wav_with_no_samples_is_called_empty(tmp_path):
    """A valid header and zero frames: the message says empty (not NaN), with no warnings on the way."""
    import warnings

    sf.write(tmp_path / "none.wav", np.zeros((0, 1), np.float32), SR)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(AudioError, match="empty"):
            read_audio(tmp_path / "none.wav")
