"""The Speech tab: its endpoints through gradio_client against a real running app, and its UI in Chromium.

Every Y -> Y' -> Y path runs on a shipped clip and gives two players, three pictures and numbers in
sensible ranges, ordered as the benchmark says (|STFT| + Griffin-Lim has the lowest LSD; MFCC keeps far
fewer voiced frames than mel). Each kind of bad input gets a clear message and the app keeps answering.
Test inputs are written with soundfile / numpy / PIL into tmp_path.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from PIL import Image

from app.speech import views as sv
from regen_lite.speech.data import SAMPLE_RATE, load_speech_clips
from regen_lite.speech.metrics import cached_pitch, pitch_kept, pitch_metrics
from regen_lite.speech.pipelines import PATHS, round_trip

gradio_client = pytest.importorskip("gradio_client")
from gradio_client import Client, handle_file  # noqa: E402
from gradio_client.exceptions import AppError  # noqa: E402

pytestmark = [pytest.mark.filterwarnings("ignore:.*no_silent_downcasting"),
              pytest.mark.filterwarnings("ignore:The copy keyword is deprecated")]

CLIP = "us_00"            # "The red boat drifted toward the shore.", en-us, 2.32 s
ROWS = {"stft+gl": 257, "mel+inverse+gl": 80, "mel+learned+gl": 80, "mfcc+inverse+gl": 20}


def inspect(client: Client, path: str = sv.DEFAULT_PATH, upload: str | Path | None = None, clip: str | None = CLIP):
    """Call /speech_inspect; return (y wav, y spectrogram png, y' png, y_hat wav, y_hat png, {quantity: value}, notes)."""
    y, y_spec, y_prime, y_hat, y_hat_spec, table, notes = client.predict(
        handle_file(str(upload)) if upload else None, clip, path, api_name="/speech_inspect")
    return y, y_spec, y_prime, y_hat, y_hat_spec, dict(map(tuple, table["data"])), notes


def number(text: str) -> float:
    """The first number in a table cell: "4.69 dB" -> 4.69, "85% (197 of 231)" -> 85, "0.79x (...)" -> 0.79."""
    return float(re.match(r"-?[\d,]*\.?\d+", text).group().replace(",", ""))


def read_wav(path: str) -> np.ndarray:
    wave, sr = sf.read(path, dtype="float32")
    assert sr == SAMPLE_RATE and wave.ndim == 1
    return wave


def assert_good_result(result, path: str, seconds: float):
    y, y_spec, y_prime, y_hat, y_hat_spec, numbers, _ = result
    for audio in (y, y_hat):
        wave = read_wav(audio)
        assert abs(len(wave) / SAMPLE_RATE - seconds) < 0.02, f"{audio}: {len(wave) / SAMPLE_RATE:.2f} s"
        assert np.abs(wave).max() > 0.05, f"{audio} is (nearly) silent"
    for picture in (y_spec, y_prime, y_hat_spec):
        with Image.open(picture) as im:
            assert im.size == (sv.LEFT + sv.PLOT_W + sv.RIGHT, sv.TOP + sv.PLOT_H + sv.BOTTOM)
            assert np.asarray(im.convert("L")).std() > 10          # a picture with content, not a blank
    rows, frames = (int(n) for n in numbers["shape of Y'"].split(" (")[0].split(" x "))
    assert rows == ROWS[path] and abs(frames - (1 + int(seconds * SAMPLE_RATE) // 128)) <= 1
    assert number(numbers["frames per second"]) == 125
    assert number(numbers["numbers per second of audio"]) == ROWS[path] * 125
    assert number(numbers["compression vs 16-bit audio"]) == pytest.approx(16_000 * 16 / (ROWS[path] * 126 * 32), abs=0.01)
    assert 0.5 < number(numbers["LSD (log-spectral distance)"]) < 12
    assert 0.05 < number(numbers["MCD (mel-cepstral distortion)"]) < 3
    assert 0 <= number(numbers["voiced frames that keep their pitch"]) <= 100


# ------------------------------------------------------------------ every path on a shipped clip

def test_endpoints_are_listed(client):
    named = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    assert {"/speech_inspect", "/speech_compare_all"} <= set(named)


@pytest.mark.parametrize("path", list(PATHS))
def test_every_path_on_a_shipped_clip(client, path):
    result = inspect(client, path)
    assert_good_result(result, path, 2.32)
    numbers, notes = result[5], result[6]
    assert numbers["path"].startswith(path)
    assert "shipped clip `us_00`" in notes and "The red boat drifted toward the shore." in notes
    assert ("Pitch lost" in notes) == (path == "mfcc+inverse+gl")


def test_compare_all_ranks_the_paths_like_the_benchmark(client):
    *waves, table = client.predict(None, "gb_03", api_name="/speech_compare_all")
    assert len(waves) == len(PATHS)
    for w in waves:
        assert np.abs(read_wav(w)).max() > 0.05
    rows = {r[0]: dict(zip(table["headers"], r)) for r in table["data"]}
    assert set(rows) == set(PATHS)
    lsd = {p: float(r["LSD dB"]) for p, r in rows.items()}
    kept = {p: number(r["voiced frames kept"]) for p, r in rows.items()}
    assert min(lsd, key=lsd.get) == "stft+gl" and lsd["stft+gl"] < 3
    assert lsd["mel+learned+gl"] < lsd["mel+inverse+gl"] < lsd["mfcc+inverse+gl"]
    assert kept["stft+gl"] > 90 and kept["mel+learned+gl"] > 60
    assert kept["mfcc+inverse+gl"] < kept["mel+learned+gl"] / 2        # MFCC loses the pitch
    assert rows["mfcc+inverse+gl"]["compression"] == "3.17x" and rows["stft+gl"]["compression"] == "0.25x"


def test_compare_all_agrees_with_inspect(client):
    """Griffin-Lim is seeded, so the two endpoints give the same numbers for the same clip and path."""
    numbers = inspect(client, "mel+inverse+gl", clip="gb_03")[5]
    *_, table = client.predict(None, "gb_03", api_name="/speech_compare_all")
    row = dict(zip(table["headers"], next(r for r in table["data"] if r[0] == "mel+inverse+gl")))
    assert numbers["LSD (log-spectral distance)"] == row["LSD dB"] + " dB"
    assert numbers["voiced frames that keep their pitch"] == row["voiced frames kept"]


# ------------------------------------------------------------------ uploads, good and bad

def test_stereo_44k_upload_is_converted_with_a_notice(client, tmp_path):
    import librosa

    wave = load_speech_clips("test")[1].wave                                   # gb_16, real speech
    hi = librosa.resample(wave, orig_sr=SAMPLE_RATE, target_sr=44_100)
    path = tmp_path / "stereo_44k.wav"
    sf.write(path, np.stack([hi, 0.5 * hi], axis=1), 44_100, subtype="PCM_16")
    result = inspect(client, "mel+learned+gl", upload=path)
    notes = result[6]
    assert "your audio `stereo_44k.wav` (uploaded or recorded)" in notes
    assert "mixed 2 channels down to mono" in notes and "resampled from 44100 Hz to 16000 Hz" in notes
    assert_good_result(result, "mel+learned+gl", len(wave) / SAMPLE_RATE)


def test_minutes_long_upload_is_trimmed_with_a_notice(client, tmp_path):
    clip = load_speech_clips("test")[0].wave
    wave = np.tile(clip, 180 * SAMPLE_RATE // len(clip) + 1)[: 180 * SAMPLE_RATE]      # 3 minutes of speech
    path = tmp_path / "three_minutes.wav"
    sf.write(path, wave, SAMPLE_RATE, subtype="PCM_16")
    result = inspect(client, "stft+gl", upload=path)
    assert "trimmed from 180.0 s to the first 10 s" in result[6]
    assert_good_result(result, "stft+gl", 10.0)


def text_as_wav(folder: Path) -> Path:
    path = folder / "notes.wav"
    path.write_text("this is a text file with a .wav name\n")
    return path


def png_as_wav(folder: Path) -> Path:
    path = folder / "picture.wav"
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (32, 32), dtype=np.uint8)).save(path, format="PNG")
    return path


def corrupt_wav(folder: Path) -> Path:
    """A real WAV whose 'fmt ' chunk (sample rate, channels, bits) was overwritten with garbage."""
    path = folder / "corrupt.wav"
    sf.write(path, load_speech_clips("test")[0].wave, SAMPLE_RATE, subtype="PCM_16")
    data = path.read_bytes()
    path.write_bytes(data[:20] + bytes(range(16)) + data[36:])
    return path


def truncated_wav(folder: Path) -> Path:
    """The first 30 bytes of a WAV: cut before its data chunk."""
    path = folder / "truncated.wav"
    sf.write(path, load_speech_clips("test")[0].wave, SAMPLE_RATE, subtype="PCM_16")
    path.write_bytes(path.read_bytes()[:30])
    return path


def silent_wav(folder: Path) -> Path:
    path = folder / "silence.wav"
    sf.write(path, np.zeros(2 * SAMPLE_RATE, dtype=np.float32), SAMPLE_RATE, subtype="PCM_16")
    return path


@pytest.mark.parametrize("make, message", [
    (text_as_wav, r"notes\.wav is not an audio file we can read"),
    (png_as_wav, r"picture\.wav is not an audio file we can read"),
    (corrupt_wav, r"corrupt\.wav is not an audio file we can read.*Malformed 'fmt ' chunk"),
    (truncated_wav, r"truncated\.wav is not an audio file we can read.*No 'data' chunk"),
    (silent_wav, r"The audio is silent \(peak -240 dBFS\); record or upload some speech"),
])
def test_bad_upload_gets_a_clear_message_and_the_app_keeps_working(client, tmp_path, make, message):
    path = make(tmp_path)
    with pytest.raises(AppError, match=message) as info:
        inspect(client, upload=path)
    assert str(tmp_path) not in str(info.value)                 # no server paths in the message
    assert "Pick a shipped clip or upload another file" in str(info.value)
    assert_good_result(inspect(client, "mfcc+inverse+gl"), "mfcc+inverse+gl", 2.32)   # still working


def test_empty_request_says_what_to_do(client):
    with pytest.raises(AppError, match="nothing to listen to: pick a shipped clip, upload an audio file or record one"):
        inspect(client, clip=None)
    with pytest.raises(AppError, match="nothing to listen to"):
        client.predict(None, None, api_name="/speech_compare_all")
    assert_good_result(inspect(client, "stft+gl"), "stft+gl", 2.32)


def test_unknown_path_is_refused_with_the_choices(client):
    with pytest.raises(AppError, match=r"Path 'wavenet' is not available: choose one of: stft\+gl, mel\+inverse\+gl"):
        inspect(client, "wavenet")


# ------------------------------------------------------------------ the logic, without the server

def test_pitch_kept_matches_pitch_metrics():
    """The round trip computes the pitch figures from cached pYIN tracks; they must equal speech_metrics.pitch_metrics."""
    clip = load_speech_clips("test")[2]
    y_hat = round_trip("mfcc+inverse+gl", clip.wave, pipe=sv.load_paths().available["mfcc+inverse+gl"], pitch=False).y_hat
    ours = pitch_kept(cached_pitch(clip.wave), cached_pitch(y_hat))
    reference = pitch_metrics(y_hat, clip.wave)
    assert ours["voiced_kept"] == pytest.approx(reference["voiced_kept"])
    assert ours["f0_cents"] == reference["f0_cents"] or ours["f0_cents"] == pytest.approx(reference["f0_cents"])
    assert ours["voiced"] > 50                       # espeak-ng speech is mostly voiced


@pytest.mark.parametrize("kind, rows", [("stft_magnitude", 257), ("log_mel", 80), ("mfcc", 20)])
def test_every_y_prime_is_drawn_at_one_size(kind, rows):
    frames = [40, 300, 1300]                          # 0.3 s, 2.4 s and 10 s of audio
    sizes = set()
    for n in frames:
        values = np.random.default_rng(n).normal(size=(rows, n)).astype(np.float32)
        picture = sv.draw_y_prime(values if kind == "mfcc" else np.abs(values), kind)
        assert picture.dtype == np.uint8 and picture.shape[2] == 3
        sizes.add(picture.shape)
    assert len(sizes) == 1


def test_low_rows_are_drawn_at_the_bottom():
    values = np.zeros((80, 100), dtype=np.float32)
    values[:10] = 1.0                                 # energy in the lowest mel bands only
    picture = sv.draw_map(values, "log_mel", "test", vmin=0, vmax=1).astype(int)
    plot = picture[sv.TOP : sv.TOP + sv.PLOT_H, sv.LEFT : sv.LEFT + sv.PLOT_W]
    assert plot[-5:].sum() > plot[:5].sum()           # bright (magma's top) at the bottom


# ------------------------------------------------------------------ in a real browser

SHOWCASE = Path("/tmp/app_speech.png")


def wait_for_text(page, elem_id: str, text: str):
    page.wait_for_function("([id, t]) => document.querySelector('#' + id)?.innerText.includes(t)", arg=[elem_id, text])


def wait_for_audio(page, elem_id: str):
    """Until the player `elem_id` offers a WAV to download and the browser has read its duration."""
    page.wait_for_function("id => { const a = document.querySelector('#' + id + ' a[data-testid=download-link]');"
                           " const d = document.querySelector('#' + id + ' time#duration');"
                           " return a && a.href.endsWith('.wav') && d && d.innerText !== '0:00'; }", arg=elem_id)


def choose(page, elem_id: str, option: str):
    page.locator(f"#{elem_id} input").click()
    page.locator(f'li[role="option"][aria-label="{option}"]').click()


@pytest.fixture
def speech_page(new_page):
    return new_page(slow=4)          # the first request loads librosa's compiled kernels


@pytest.mark.browser
def test_a_link_opens_the_speech_tab_and_mfcc_loses_the_pitch(speech_page, app_url, tmp_path):
    page = speech_page
    page.goto(app_url + "?tab=speech")
    page.wait_for_selector("#speech_y_prime img")
    page.wait_for_selector("#speech_y_hat_spec img")
    wait_for_text(page, "speech_notes", "shipped clip us_00")
    wait_for_text(page, "speech_numbers", "mel+learned+gl")
    for player in ("speech_y", "speech_y_hat"):
        wait_for_audio(page, player)
    before = page.locator("#speech_y_prime img").get_attribute("src")
    choose(page, "speech_path", "mfcc+inverse+gl")
    wait_for_text(page, "speech_notes", "Pitch lost")
    wait_for_text(page, "speech_numbers", "20 x 291")
    assert page.locator("#speech_y_prime img").get_attribute("src") != before
    page.wait_for_function("() => window.location.search.includes('speech_path=mfcc')")
    page.screenshot(path=str(SHOWCASE), full_page=True)


@pytest.mark.browser
def test_clicking_the_tab_shows_a_clip_and_a_bad_upload_recovers(speech_page, app_url, tmp_path):
    from playwright.sync_api import expect

    page = speech_page
    page.goto(app_url)
    page.get_by_role("tab", name="Speech", exact=True).click()
    page.wait_for_selector("#speech_y_prime img")
    wait_for_text(page, "speech_numbers", "LSD")
    page.locator("#speech_upload input[type=file]").set_input_files(str(text_as_wav(tmp_path)))
    expect(page.get_by_text("notes.wav is not an audio file we can read").first).to_be_visible()
    page.screenshot(path=str(tmp_path / "speech_bad_upload.png"), full_page=True)
    label = next(text for text, value in sv.clip_choices() if value == "gb_03")
    choose(page, "speech_clip", label)                 # a shipped clip replaces the bad file
    wait_for_text(page, "speech_notes", "shipped clip gb_03")
    wait_for_text(page, "speech_numbers", "LSD")
    page.get_by_text("Compare all paths on this input").click()
    page.locator("#speech_compare_all").click()
    wait_for_text(page, "speech_compare_table", "mfcc+inverse+gl")
    for i in range(len(PATHS)):
        wait_for_audio(page, f"speech_compare_audio_{i}")
    page.screenshot(path=str(tmp_path / "speech_compare_all.png"), full_page=True)
    shutil.copy(tmp_path / "speech_compare_all.png", "/tmp/app_speech_compare.png")


@pytest.mark.browser
def test_a_microphone_recording_is_inspected(launch_chromium, app_url, timeout_ms, tmp_path):
    """Chromium's fake microphone (a beep) records through the real UI; stopping sends it through the path."""
    b = launch_chromium("--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream")   # a second Chromium
    page = b.new_context(permissions=["microphone"]).new_page()
    page.set_default_timeout(timeout_ms * 4)
    page.goto(app_url + "?tab=speech")
    wait_for_text(page, "speech_notes", "shipped clip us_00")
    recorder = page.locator("#speech_upload")
    recorder.get_by_role("button", name="Record audio", exact=True).click()      # the microphone source
    recorder.get_by_role("button", name="Record", exact=True).click()
    page.wait_for_timeout(2000)                    # record two seconds of the fake microphone
    recorder.get_by_role("button", name="Stop", exact=True).first.click()
    wait_for_text(page, "speech_notes", "(uploaded or recorded)")
    wait_for_text(page, "speech_numbers", "LSD")
    wait_for_audio(page, "speech_y_hat")
    page.screenshot(path=str(tmp_path / "speech_microphone.png"), full_page=True)

