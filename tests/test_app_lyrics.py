"""The "Lyrics → Melody" tab: its endpoint through gradio_client against the real running app, and its UI in Chromium."""

from __future__ import annotations

import pytest

from app.music import lyrics_views as lv

gradio_client = pytest.importorskip("gradio_client")
from gradio_client.exceptions import AppError  # noqa: E402

pytestmark = [pytest.mark.filterwarnings("ignore:.*no_silent_downcasting"),
              pytest.mark.filterwarnings("ignore:The copy keyword is deprecated")]

TEXT = "Nun dan-ket al-le Gott, mit Her-zen, Mund und Hän-den."


def sing(client, text=TEXT, key="G major", seed=0, temperature=1.0, chorale="bwv10.7"):
    """Call /lyrics_to_melody; return ({melody: row}, notes, the other outputs)."""
    out = client.predict(text, key, seed, temperature, chorale, api_name="/lyrics_to_melody")
    table, notes = out[9], out[10]
    rows = {r[0].split(":")[0]: dict(zip(lv.TABLE_HEADERS, r)) for r in table["data"]}
    return rows, notes, out


def test_the_endpoint_is_listed(client):
    assert "/lyrics_to_melody" in client.view_api(print_info=False, return_format="dict")["named_endpoints"]


def test_typed_lyrics_become_two_melodies_with_their_files(client):
    from PIL import Image

    rows, notes, out = sing(client)
    assert set(rows) == {"two-stage", "direct"}                   # typed text: no Bach row
    assert rows["two-stage"]["syllables sung"] == "13 / 13"      # the template places every syllable
    assert rows["two-stage"]["at punctuation"].endswith("/ 3")
    assert "13 syllables in 3 phrases" in notes
    y_prime, _, two_stage, two_audio, two_midi, direct, _, direct_midi, bach = out[:9]
    assert bach is None
    assert Image.open(two_stage).size[1] > Image.open(y_prime).size[1] // 3
    assert open(two_midi, "rb").read(4) == b"MThd" and open(direct_midi, "rb").read(4) == b"MThd"


def test_a_chorale_text_shows_bachs_setting_and_the_same_seed_gives_the_same_melodies(client):
    text, key = lv.chorale_text("bwv10.7")
    rows, _, out = sing(client, text, key, seed=3)
    assert set(rows) == {"two-stage", "direct", "Bach"} and out[8] is not None
    n = len(lv.lyric_chorales()["bwv10.7"][1])
    assert rows["Bach"]["syllables sung"] == f"{n} / {n}"
    again, _, _ = sing(client, text, key, seed=3)
    assert again == rows


@pytest.mark.parametrize("text, message", [
    ("", "The lyrics are empty"),
    ("brr pst", "has no vowel"),
    ("call 911 now", "is not a word"),
    ("a-b-c", "has no vowel; put the hyphen elsewhere"),
    ("la " * 200, "the limit is 160"),
])
def test_lyrics_that_cannot_be_split_get_a_clear_message_and_the_app_keeps_working(client, text, message):
    with pytest.raises(AppError, match=message):
        sing(client, text)
    assert set(sing(client)[0]) == {"two-stage", "direct"}


def test_an_unknown_key_or_seed_is_refused(client):
    with pytest.raises(AppError, match="Unknown key"):
        sing(client, key="H major")
    with pytest.raises(AppError, match="seed"):
        sing(client, seed=-1)
    assert set(sing(client)[0]) == {"two-stage", "direct"}


@pytest.mark.browser
def test_picking_a_chorale_in_the_browser_sets_its_text_to_music(new_page, app_url, tmp_path):
    page = new_page(slow=4)
    page.goto(app_url + "?tab=lyrics&lyrics_chorale=bwv10.7")
    page.wait_for_function("() => document.querySelector('#lyrics_text textarea')?.value.startsWith('Mei-ne Seel')")
    page.locator("#lyrics_text textarea").fill("Lo-be den Her-ren, den mäch-ti-gen Kö-nig der Eh-ren.")
    page.locator("#lyrics_run").click()
    page.wait_for_function("() => document.querySelector('#lyrics_notes')?.innerText.includes('14 syllables')")
    page.wait_for_function("() => document.querySelector('#lyrics_numbers')?.innerText.includes('direct')")
    page.wait_for_selector("#lyrics_two_stage img")
    page.wait_for_selector("#lyrics_direct img")
    page.screenshot(path=str(tmp_path / "lyrics.png"), full_page=True)
    other = list(lv.lyric_chorales())[5]                              # a shared link to another chorale
    text, key = lv.chorale_text(other)
    page.goto(app_url + f"?tab=lyrics&lyrics_chorale={other}")
    page.wait_for_function("t => document.querySelector('#lyrics_text textarea')?.value === t", arg=text)
    assert page.locator("#lyrics_key input").input_value() == key
