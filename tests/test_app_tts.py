"""The "Text → Speech" tab: its endpoint through gradio_client against the real running app, and its UI in Chromium."""

from __future__ import annotations

import pytest
import soundfile as sf

from app.speech import tts_views as tv

gradio_client = pytest.importorskip("gradio_client")
from gradio_client.exceptions import AppError  # noqa: E402

pytestmark = [pytest.mark.filterwarnings("ignore:.*no_silent_downcasting"),
              pytest.mark.filterwarnings("ignore:The copy keyword is deprecated")]


def say(client, text="the cat sat", voice="kal16", stretch=1.0, f0=90.0):
    """Call /tts_synthesize; return (two-stage wave, direct wave, picture path, {pipeline: row}, notes)."""
    two, direct, picture, table, notes = client.predict(text, voice, stretch, f0, api_name="/tts_synthesize")
    rows = {r[0].split(":")[0]: dict(zip(tv.TABLE_HEADERS, r)) for r in table["data"]}
    return sf.read(two)[0], sf.read(direct)[0], picture, rows, notes


def test_the_endpoint_is_listed(client):
    assert "/tts_synthesize" in client.view_api(print_info=False, return_format="dict")["named_endpoints"]


def test_text_becomes_speech_along_both_pipelines(client):
    from PIL import Image

    two, direct, picture, rows, notes = say(client)
    assert set(rows) == {"two-stage", "direct"}
    frames = rows["two-stage"]["frames"]
    assert 30 < frames < 200 and abs(len(two) - (frames - 1) * 128) <= 128        # one frame per 8 ms of audio
    assert abs(len(direct) - rows["direct"]["frames"] * 128) <= 128
    assert two.std() > 0.01 and direct.std() > 0.001                              # not silence
    assert "| DH AH | K AE T | S AE T |" in notes and " pau " not in notes
    assert Image.open(picture).size[1] > 300                                       # Y' over the direct model's map


def test_slower_speech_is_longer_and_the_voice_matters(client):
    *_, normal, _ = say(client, "water", "awb", 1.0)
    *_, slow, _ = say(client, "water", "awb", 1.2)
    assert slow["two-stage"]["frames"] > normal["two-stage"]["frames"]
    two_awb, *_ = say(client, "water", "awb")
    two_rms, *_ = say(client, "water", "rms")
    assert len(two_awb) != len(two_rms) or abs(two_awb - two_rms).max() > 0.01


@pytest.mark.parametrize("text, message", [
    ("", "The text is empty"),
    ("你好，世界", "written in CJK script"),
    ("12345 678", "only numbers"),
])
def test_bad_text_gets_the_text_tabs_message_and_the_app_keeps_working(client, text, message):
    with pytest.raises(AppError, match=message):
        say(client, text)
    assert set(say(client)[3]) == {"two-stage", "direct"}


def test_a_long_text_is_trimmed_with_a_note(client):
    from regen_lite.speech.synthesis_data import MAX_WORDS

    *_, rows, notes = say(client, "go on " * 30)
    assert f"only the first {MAX_WORDS} are used" in notes and rows["two-stage"]["frames"] > 100


def test_an_unknown_voice_is_refused(client):
    with pytest.raises(AppError):
        say(client, voice="slt")
    assert set(say(client)[3]) == {"two-stage", "direct"}


@pytest.mark.browser
def test_typing_a_sentence_in_the_browser_plays_both(new_page, app_url, tmp_path):
    page = new_page(slow=4)
    page.goto(app_url + "?tab=tts&tts_voice=rms")
    page.locator("#tts_text textarea").fill("hello world")
    page.locator("#tts_run").click()
    page.wait_for_function("() => document.querySelector('#tts_notes')?.innerText.includes('HH AH L OW')")
    page.wait_for_function("() => document.querySelector('#tts_table')?.innerText.includes('direct')")
    page.wait_for_selector("#tts_picture img")
    assert page.locator("#tts_voice input[value=rms]").is_checked()
    page.screenshot(path=str(tmp_path / "tts.png"), full_page=True)
