"""The "Talking Head" tab: its endpoints through gradio_client against the real running app, and its UI in Chromium."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from app.face import talking_views as fv
from regen_lite.face.video import read_mp4
from regen_lite.speech.words import find_clip, load_waves

gradio_client = pytest.importorskip("gradio_client")
from gradio_client import handle_file  # noqa: E402
from gradio_client.exceptions import AppError  # noqa: E402

pytestmark = [pytest.mark.filterwarnings("ignore:.*no_silent_downcasting"),
              pytest.mark.filterwarnings("ignore:The copy keyword is deprecated")]
CLIP = fv.clip_choices()[0][1]


def talk(client, upload=None, clip=CLIP, seed=0):
    """Call /talking_head; return (mp4 path, table rows, notes)."""
    video, _, table, notes = client.predict(handle_file(upload) if upload else None, clip, seed,
                                            api_name="/talking_head")
    path = video["video"] if isinstance(video, dict) else video
    return path, table["data"], notes


def test_the_endpoints_are_listed(client):
    named = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    assert "/talking_head" in named and "/face_analysis" in named


def test_a_corpus_clip_becomes_three_videos_with_its_sound(client):
    path, rows, notes = talk(client)
    frames, fps, has_audio = read_mp4(path)
    c = find_clip(CLIP)
    assert fps == 25 and has_audio
    assert frames.shape[0] == int(np.ceil(c.frames / 16000 * 25))        # 25 frames a second of speech
    assert frames.shape[2] == 3 * 192 + 2 * 16                             # real | two-stage | direct, 4x upscaled
    assert [r[0].split(":")[0] for r in rows] == ["two-stage", "direct"]
    assert all(-1 <= float(r[1].split()[0]) <= 1 and -1 <= float(r[2]) <= 1 for r in rows)
    assert c.word in notes and "real video | two-stage | direct" in notes
    assert talk(client)[1] == rows                                         # same seed, same videos


def test_an_upload_gets_two_videos_and_a_long_one_is_trimmed(client, tmp_path):
    wave = load_waves([find_clip(CLIP)])[0]
    path = tmp_path / "word.wav"
    sf.write(path, wave, 16000)
    mp4, rows, notes = talk(client, str(path))
    assert read_mp4(mp4)[0].shape[2] == 2 * 192 + 16 and "your audio `word.wav`" in notes
    assert rows[1][2] == "—"                                               # no truth to compare the lips with
    long = tmp_path / "long.wav"
    sf.write(long, np.tile(wave, 1 + int(5 * 16000 / len(wave))), 16000)
    frames = read_mp4(talk(client, str(long))[0])[0]
    assert frames.shape[0] == 100                                          # trimmed to the first 4 s


@pytest.mark.parametrize("content, message", [
    (b"", r"empty \(0 bytes\)"),
    (b"this is not audio at all", "not an audio file"),
    ("silence", "silent"),
])
def test_bad_audio_gets_the_speech_tabs_message_and_the_tab_keeps_working(client, tmp_path, content, message):
    path = tmp_path / "bad.wav"
    if content == "silence":
        sf.write(path, np.zeros(16000, np.float32), 16000)
    else:
        path.write_bytes(content)
    with pytest.raises(AppError, match=message):
        talk(client, str(path))
    assert len(talk(client)[1]) == 2


def test_face_analysis_reads_an_uploaded_face_and_refuses_a_non_image(client, tmp_path):
    from PIL import Image

    _, faces = fv.still_faces_gallery(2)
    path = tmp_path / "face.png"
    Image.fromarray(fv.upscale(faces[1], 96)).save(path)
    y, bars, y_hat, table, notes = client.predict(handle_file(str(path)), 0, api_name="/face_analysis")
    assert Image.open(y).size == (192, 192) and Image.open(y_hat).size == (192, 192)
    assert [r[0] for r in table["data"]][:3] == ["open", "width", "round"] and "uploaded file `face.png`" in notes
    assert float(notes.split("render(θ): ")[1].rstrip(".")) < 0.01
    bad = tmp_path / "bad.png"                                             # an image's name, not an image inside
    bad.write_text("no face here")
    with pytest.raises(AppError, match="could not be read as an image"):
        client.predict(handle_file(str(bad)), 0, api_name="/face_analysis")
    text = tmp_path / "face.txt"                                           # not even an image's name: Gradio says so
    text.write_text("no face here")
    with pytest.raises(AppError, match="Invalid file type"):
        client.predict(handle_file(str(text)), 0, api_name="/face_analysis")
    assert client.predict(None, 3, api_name="/face_analysis")[3]["data"][0][0] == "open"   # and it keeps working


@pytest.mark.browser
def test_the_talking_head_tab_in_a_browser(new_page, app_url, tmp_path):
    page = new_page(slow=4)
    page.goto(app_url + "?tab=face&face_seed=3")
    page.wait_for_selector("#face_video video")
    page.wait_for_function("() => document.querySelector('#face_table')?.innerText.includes('direct')")
    page.wait_for_selector("#face_tracks img")
    page.wait_for_selector("#face_theta img")
    assert page.locator("#face_seed input[type=number]").input_value() == "3"
    page.screenshot(path=str(tmp_path / "face.png"), full_page=True)
