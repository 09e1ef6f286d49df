"""The Music tab through gradio_client against a real launched app, and in a real headless Chromium.

Y (a shipped test chorale or an uploaded MIDI / MusicXML file) -> template Y' -> a melody rendered by the
shipped melody_renderer, beside the shipped direct model; and X = (key, bars) -> Y' from the template
prior -> melody. The rendered melody must fit the template's chords far better than the direct one,
the same seed must give the same melody (checked against the library itself), and every bad input
must get a clear message while the app keeps working.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from app.music import views as mv
from regen_lite.device import one_thread
from regen_lite.music.pipelines import load_music_models
from regen_lite.music.song import MAX_BARS, STEPS_PER_BAR, Song, get_chorale, load_song, write_midi
from regen_lite.music.template import extract_template
from regen_lite.paths import samples_dir

gradio_client = pytest.importorskip("gradio_client")
from gradio_client import handle_file  # noqa: E402
from gradio_client.exceptions import AppError  # noqa: E402

pytestmark = [pytest.mark.filterwarnings("ignore:.*no_silent_downcasting"),
              pytest.mark.filterwarnings("ignore:The copy keyword is deprecated")]

MUSIC = samples_dir() / "music"
OUTPUTS = ["y", "y_audio", "y_prime", "y_prime_text", "rendered", "rendered_audio", "rendered_midi",
           "direct", "direct_audio", "direct_midi", "table", "notes"]
CHORALES = ["bwv165.6", "bwv10.7", "bwv144.3"]          # held-out test chorales
SHOWCASE = Path("/tmp/app_music.png")


@pytest.fixture(scope="module", autouse=True)
def _one_torch_thread():
    """The music models are small: one torch thread while this file runs (in the app and here), restored
    after it (so the setting does not leak into the rest of the session)."""
    with one_thread():
        yield


@pytest.fixture(scope="module")
def models():
    """The same shipped models, in this process: the reference the app's answers are checked against."""
    return load_music_models("cpu")


def inspect(client, chorale=None, upload=None, seed=0, temperature=1.0, chords=True) -> dict:
    out = client.predict(chorale, handle_file(str(upload)) if upload else None, seed, temperature, chords,
                         api_name="/music_inspect")
    return dict(zip(OUTPUTS, out))


def generate(client, key="G major", bars=8, seed=0, temperature=1.0, chords=True) -> dict:
    out = client.predict(key, bars, seed, temperature, chords, api_name="/music_generate")
    return dict(zip(OUTPUTS, out))


def numbers(result: dict) -> dict[str, dict[str, float]]:
    """The metrics table as {row label's first word: {column: value}}."""
    headers = result["table"]["headers"]
    return {row[0].split()[0]: {h: float(v) for h, v in zip(headers[1:-1], row[1:-1])}
            for row in result["table"]["data"]}


def midi_notes(path) -> list[tuple[int, int, int]]:
    song, _ = load_song(path)
    return song.notes()


def assert_complete(result: dict, with_y: bool = True):
    """Every picture is a real image, every sound a real wave, every MIDI file readable."""
    import soundfile

    for key in (["y", "y_prime", "rendered", "direct"] if with_y else ["y_prime", "rendered", "direct"]):
        with Image.open(result[key]) as im:
            assert im.width >= 500 and im.height >= 60, f"{key}: {im.size}"
    for key in (["y_audio", "rendered_audio", "direct_audio"] if with_y else ["rendered_audio", "direct_audio"]):
        wave, sr = soundfile.read(result[key])
        assert sr == 16_000 and len(wave) > sr and np.abs(wave).max() > 0.1, key
    for key in ("rendered_midi", "direct_midi"):
        assert len(midi_notes(result[key])) >= 4, key
    if not with_y:
        assert result["y"] is None and result["y_audio"] is None


# ------------------------------------------------------------------ Y -> Y' -> render(Y')

def test_endpoints_are_listed(client):
    api = client.view_api(print_info=False, return_format="dict")
    assert {"/music_inspect", "/music_generate"} <= set(api["named_endpoints"])


def test_template_beats_direct_on_chord_tones(client):
    """The same seed for both models: the melody rendered from Y' keeps far more chord tones than the
    direct one (chance level) and keeps the template's rhythm; the chorale's own soprano fits best."""
    rendered, direct = [], []
    for name in CHORALES:
        result = inspect(client, chorale=name, seed=0)
        m = numbers(result)
        assert set(m) == {"Y", "render(Y')", "direct,"}
        assert m["Y"]["chord tones"] > 0.8 and m["Y"]["rhythm F1"] == 1.0
        assert m["render(Y')"]["rhythm F1"] > 0.9
        rendered.append(m["render(Y')"]["chord tones"])
        direct.append(m["direct,"]["chord tones"])
        assert f"`{name}`" in result["notes"] and "all the voices" in result["notes"]
    assert all(r > d + 0.2 for r, d in zip(rendered, direct)), (rendered, direct)
    assert np.mean(rendered) > 0.8 and np.mean(direct) < 0.6, (rendered, direct)
    assert_complete(result)


def test_app_returns_the_librarys_melody_for_the_seed(client, models):
    """The MIDI files hold exactly what the library samples for this template and seed; the same seed
    gives the same melodies again, another seed other ones."""
    song = get_chorale("bwv165.6")
    first = inspect(client, chorale="bwv165.6", seed=3, temperature=0.8)
    expected = mv.inspect_song(models, song, 3, 0.8)
    assert midi_notes(first["rendered_midi"]) == expected.rendered.notes()
    assert midi_notes(first["direct_midi"]) == expected.direct.notes()
    again = inspect(client, chorale="bwv165.6", seed=3, temperature=0.8)
    assert Path(again["rendered_midi"]).read_bytes() == Path(first["rendered_midi"]).read_bytes()
    assert Path(again["direct_midi"]).read_bytes() == Path(first["direct_midi"]).read_bytes()
    assert again["table"] == first["table"]
    other = inspect(client, chorale="bwv165.6", seed=4, temperature=0.8)
    assert midi_notes(other["rendered_midi"]) != midi_notes(first["rendered_midi"])
    assert "seed 3, T=0.8" in first["table"]["data"][1][0]


def test_template_summary_describes_y_prime(client):
    result = inspect(client, chorale="bwv165.6")
    text = result["y_prime_text"]
    template = extract_template(get_chorale("bwv165.6"))
    assert template.summary()["chords"] in text and template.summary()["chord_names"] in text
    assert "bits per bar" in text and "cadences" in text


# ------------------------------------------------------------------ uploads

def test_uploaded_musicxml_gives_the_shipped_chorales_template(client):
    """bwv165.6.mxl (four voices) is the same piece as the shipped chorale: the same Y'."""
    upload = inspect(client, upload=MUSIC / "bwv165.6.mxl")
    shipped = inspect(client, chorale="bwv165.6")
    assert "uploaded file `bwv165.6.mxl` (4 parts)" in upload["notes"]
    assert upload["y_prime_text"] == shipped["y_prime_text"]
    assert numbers(upload)["Y"]["chord tones"] > 0.8
    assert_complete(upload)


def test_uploaded_melody_only_midi_guesses_chords_from_the_melody(client):
    result = inspect(client, upload=MUSIC / "bwv165.6_melody.mid", seed=1)
    assert "uploaded file `bwv165.6_melody.mid` (1 part)" in result["notes"]
    assert "guessed from the melody alone" in result["notes"]
    m = numbers(result)
    assert m["render(Y')"]["chord tones"] > m["direct,"]["chord tones"]
    assert_complete(result)


def test_a_very_long_piece_is_trimmed_with_a_notice(client, tmp_path):
    """A melody of MAX_BARS + 16 bars: only the first MAX_BARS are used, and the notes say so."""
    song = get_chorale("bwv165.6")
    bars = MAX_BARS + 16
    melody = np.tile(song.melody, bars * STEPS_PER_BAR // song.n_steps + 1)[: bars * STEPS_PER_BAR]
    path = tmp_path / "very_long.mid"
    write_midi(Song(melody, song.tonic, song.mode), path)
    result = inspect(client, upload=path)
    assert f"only the first {MAX_BARS} are used" in result["notes"]
    assert f"{MAX_BARS} bars" in result["y_prime_text"]
    with Image.open(result["y"]) as y, Image.open(result["rendered"]) as r:
        assert y.size == r.size


# ------------------------------------------------------------------ X -> Y' -> Y

def test_sampling_a_template_from_the_prior(client):
    result = generate(client, key="D minor", bars=6, seed=2)
    assert_complete(result, with_y=False)
    assert "D minor, 6 bars" in result["y_prime_text"]
    assert "sampled from the template prior" in result["notes"]
    m = numbers(result)
    assert set(m) == {"render(Y')", "direct,"}
    assert m["render(Y')"]["chord tones"] > m["direct,"]["chord tones"]
    again = generate(client, key="D minor", bars=6, seed=2)
    assert again["y_prime_text"] == result["y_prime_text"]
    assert Path(again["rendered_midi"]).read_bytes() == Path(result["rendered_midi"]).read_bytes()
    assert generate(client, key="D minor", bars=6, seed=5)["y_prime_text"] != result["y_prime_text"]


# ------------------------------------------------------------------ bad input

def _text_file(tmp_path, name, text="these are not notes, just words"):
    path = tmp_path / name
    path.write_text(text)
    return path


def _truncated_midi(tmp_path):
    data = (MUSIC / "bwv165.6_melody.mid").read_bytes()
    path = tmp_path / "cut_off.mid"
    path.write_bytes(data[: len(data) // 2])
    return path


def _midi_without_notes(tmp_path):
    """A well-formed MIDI file whose only track holds no notes (just its end)."""
    from music21 import midi

    track = midi.MidiTrack(1)
    delta = midi.DeltaTime(track)
    delta.time = 0
    end = midi.MidiEvent(track, type=midi.MetaEvents.END_OF_TRACK)
    end.data = b""
    track.events += [delta, end]
    mf = midi.MidiFile()
    mf.ticksPerQuarterNote = 480
    mf.tracks.append(track)
    path = tmp_path / "silence.mid"
    path.write_bytes(mf.writestr())
    return path


BAD_UPLOADS = {
    "text file": (lambda d: _text_file(d, "notes.txt"), r"expected a MIDI \(\.mid, \.midi\) or MusicXML"),
    "text named .mid": (lambda d: _text_file(d, "fake.mid"), r"could not read fake\.mid as MIDI"),
    "text named .mxl": (lambda d: _text_file(d, "fake.mxl"), r"could not read fake\.mxl as MUSICXML"),
    "truncated MIDI": (_truncated_midi, r"cut_off\.mid is truncated"),
    "MIDI without notes": (_midi_without_notes, r"contains no pitched notes"),
    "empty file": (lambda d: _text_file(d, "empty.mid", ""), r"empty\.mid is empty"),
}


@pytest.mark.parametrize("case", list(BAD_UPLOADS))
def test_bad_upload_gives_clear_error_then_app_still_works(client, tmp_path, case):
    make, message = BAD_UPLOADS[case]
    with pytest.raises(AppError, match=message):
        inspect(client, chorale="bwv165.6", upload=make(tmp_path))
    assert numbers(inspect(client, chorale="bwv165.6"))["Y"]["rhythm F1"] == 1.0


@pytest.mark.parametrize("call, message", [
    (lambda c: inspect(c, chorale=None), "Nothing to inspect"),
    (lambda c: inspect(c, chorale=""), "Nothing to inspect"),
    (lambda c: inspect(c, chorale="bwv999.9"), "no shipped test chorale 'bwv999.9'"),
    (lambda c: inspect(c, chorale="bwv165.6", seed=None), "seed must be a whole number"),
    (lambda c: inspect(c, chorale="bwv165.6", seed=-1), "seed must be a whole number"),
    (lambda c: inspect(c, chorale="bwv165.6", temperature=0),           # the slider's own bounds check
     r"temperature must be between|0 is less than minimum value 0\.1"),
    (lambda c: generate(c, key="H major"), "Unknown key 'H major'"),
    (lambda c: generate(c, key=None), "Unknown key None"),
    (lambda c: generate(c, bars=0), "0 is less than minimum value 1"),                  # the slider's own check
    (lambda c: generate(c, bars=MAX_BARS + 1), f"{MAX_BARS + 1} is greater than maximum value {MAX_BARS}"),
], ids=["no input", "empty name", "unknown chorale", "no seed", "negative seed", "zero temperature",
        "unknown key", "no key", "zero bars", "too many bars"])
def test_bad_request_gives_clear_error_then_app_still_works(client, call, message):
    with pytest.raises(AppError, match=message):
        call(client)
    assert numbers(generate(client, bars=2))["render(Y')"]["rhythm F1"] > 0.5


# ------------------------------------------------------------------ the pictures (no server)

def test_template_chart_and_piano_roll_share_one_time_axis(models):
    """Bar lines of Y' and of the melodies line up: the pictures have the same width for one piece,
    and the roll has one row of ROW pixels per semitone of its range."""
    song = get_chorale("bwv165.6")
    result = mv.inspect_song(models, song, 0, 1.0)
    low, high = mv.pitch_range([song, result.rendered, result.direct])
    roll = mv.draw_piano_roll(song, result.template, low, high)
    chart = mv.draw_template(result.template)
    assert roll.shape[1] == chart.shape[1] == mv.LEFT + song.n_steps * mv.step_width(song.n_steps) + mv.RIGHT
    assert roll.shape[0] == mv.TOP + (high - low + 1) * mv.ROW + 16
    # every note of the melody is drawn: its onset cell has the onset colour
    cell = mv.step_width(song.n_steps)
    for on, _, p in song.notes():
        x, y = mv.LEFT + on * cell + max(1, cell // 2), mv.TOP + (high - p) * mv.ROW + mv.ROW // 2   # clear of bar lines
        assert tuple(roll[y, x]) == mv.ONSET, (on, p)


# ------------------------------------------------------------------ in a real browser

@pytest.mark.browser
def test_music_tab_in_a_browser(new_page, app_url, timeout_ms, tmp_path):
    """Open a shared link to the tab, see Y, Y' and the renderings appear; sample a new template; upload."""
    page = new_page()
    page.goto(app_url + "?tab=music&chorale=bwv290&music_seed=2")
    for elem in ("music_y", "music_y_prime", "music_y_hat", "music_direct"):   # every tab loads at once:
        page.wait_for_selector(f"#{elem} img", timeout=3 * timeout_ms)         # allow for a busy CPU
    page.wait_for_function("() => document.querySelector('#music_notes').innerText.includes('bwv290')")
    assert "seed 2" in page.locator("#music_numbers").inner_text()
    assert page.locator("#music_render").is_visible()              # the music tab is the open one
    page.screenshot(path=str(SHOWCASE), full_page=True)

    before = page.locator("#music_y_prime img").get_attribute("src")
    page.locator("#music_sample").click()                          # X -> Y' -> Y
    page.wait_for_function("() => document.querySelector('#music_y_prime_text').innerText"
                           ".includes('G major, 8 bars')")
    assert page.locator("#music_y_prime img").get_attribute("src") != before
    page.wait_for_function("() => !document.querySelector('#music_y img')")   # no Y when sampling
    page.screenshot(path=str(tmp_path / "music_sampled.png"), full_page=True)

    page.locator("#music_upload input[type=file]").set_input_files(str(MUSIC / "bwv165.6_melody.mid"))
    page.wait_for_function("() => document.querySelector('#music_notes').innerText"
                           ".includes('bwv165.6_melody.mid')")
    page.wait_for_selector("#music_y img")
    page.screenshot(path=str(tmp_path / "music_upload.png"), full_page=True)


@pytest.mark.browser
def test_opening_the_tab_by_a_click_shows_the_first_chorale(new_page, app_url, timeout_ms):
    """No link, no button: clicking the Music tab draws the selected chorale (BuiltTab.on_open), once."""
    page = new_page()
    page.goto(app_url)
    page.wait_for_selector("#y_prime img")                          # the first tab is drawn: the page is live
    assert page.locator("#music_y img").count() == 0                # nothing rendered for a tab nobody opened
    page.get_by_role("tab", name="Music").click()
    for elem in ("music_y", "music_y_prime", "music_y_hat", "music_direct"):
        page.wait_for_selector(f"#{elem} img", timeout=3 * timeout_ms)
    page.wait_for_function("() => document.querySelector('#music_notes').innerText.includes('shipped test chorale')")
