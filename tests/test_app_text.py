"""The Text tab: typed English Y -> ARPAbet phonemes Y' -> spelling render(Y').

API tests call the real launched app through gradio_client (shipped g2p/p2g weights, the real CMU
dictionary): known words, a homophone, a made-up word, every kind of bad text, both extractors. A few
direct tests of app/text/views.py check the invariants of what the tab shows. The browser tests drive
the tab in headless Chromium (skipped without it unless REGEN_LITE_REQUIRE_BROWSER=1) and leave a
screenshot in /tmp/app_text.png.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from app.text import views as tv
from regen_lite.text.lexicon import MAX_WORDS, TextError, load_lexicon, parse_text

gradio_client = pytest.importorskip("gradio_client")
from gradio_client import Client  # noqa: E402
from gradio_client.exceptions import AppError  # noqa: E402

pytestmark = [pytest.mark.filterwarnings("ignore:.*no_silent_downcasting"),
              pytest.mark.filterwarnings("ignore:The copy keyword is deprecated")]

SHOWCASE = Path("/tmp/app_text.png")


def regenerate(client: Client, text: str, extractor: str = "g2p") -> dict:
    """Call /text_regenerate; return its five outputs in plain Python form."""
    y_prime, y_hat, words, numbers, notes = client.predict(text, extractor, api_name="/text_regenerate")
    tokens = lambda value: [(t["token"], t["class_or_confidence"]) for t in value]   # noqa: E731
    rows = [dict(zip(words["headers"], r)) for r in words["data"]]
    return {"y_prime": tokens(y_prime), "y_hat": tokens(y_hat), "rows": rows,
            "numbers": dict(map(tuple, numbers["data"])), "notes": notes}


def words_of(tokens: list[tuple[str, str | None]]) -> list[tuple[str, str | None]]:
    """The per-word tokens of a highlighted output, without the separators between them."""
    return tokens[::2]


def assert_cat_works(client: Client):
    out = regenerate(client, "cat")
    assert out["y_prime"] == [("K AE T", tv.FROM_DICTIONARY)] and out["y_hat"] == [("cat", None)]


# ------------------------------------------------------------------ the endpoint, good input

def test_endpoint_is_listed(client):
    api = client.view_api(print_info=False, return_format="dict")
    assert "/text_regenerate" in api["named_endpoints"]


def test_known_word_comes_from_the_dictionary_and_renders_exactly(client):
    out = regenerate(client, "The cat sat on the mat.")
    assert words_of(out["y_prime"])[1] == ("K AE T", tv.FROM_DICTIONARY)
    assert {label for _, label in words_of(out["y_prime"])} == {tv.FROM_DICTIONARY}
    cat = out["rows"][1]
    assert (cat["word (Y)"], cat["phonemes (Y')"], cat["Y' from"], cat["render(Y')"], cat["result"]) == \
        ("cat", "K AE T", "dictionary", "cat", "exact")
    assert out["numbers"]["words"] == "6" and out["numbers"]["Y' from the dictionary"] == "6 of 6"
    assert "Read 6 words" in out["notes"]


def test_a_homophone_is_valid_but_counts_as_a_word_error(client):
    """"R AY T" has several spellings; P2G picks one for both words, so exactly one of them is
    'wrong' by WER, yet both spellings are valid regenerations of the sound."""
    out = regenerate(client, "right write")
    assert [p for p, _ in words_of(out["y_prime"])] == ["R AY T", "R AY T"]
    right, write = out["rows"]
    assert right["render(Y')"] == write["render(Y')"]                  # same Y' -> same spelling
    for row in (right, write):
        assert {"right", "write", "rite", "wright"} <= set(row["spellings of this sound in the dictionary"].split(", "))
    results = sorted(r["result"] for r in out["rows"])
    assert results in (["exact", "homophone (valid)"], ["homophone (valid)", "homophone (valid)"])
    labels = [label for _, label in words_of(out["y_hat"])]
    assert tv.HOMOPHONE in labels and tv.WRONG not in labels
    assert out["numbers"]["valid spellings (exact + homophones)"] == "2 of 2"
    assert out["numbers"]["WER (words not spelled exactly)"] == ("50.0%" if "exact" in results else "100.0%")
    assert out["numbers"]["words whose sound has several spellings"] == "2 of 2"
    nbest = [s.split(" (")[0] for s in right[tv.WORD_HEADERS[5]].split(", ")]
    assert len(nbest) == tv.NBEST and "right" in nbest


def test_a_made_up_word_goes_to_the_learned_model_and_is_marked(client):
    assert "zorptastic" not in load_lexicon()
    out = regenerate(client, "the zorptastic cat")
    labels = [label for _, label in words_of(out["y_prime"])]
    assert labels == [tv.FROM_DICTIONARY, tv.FROM_MODEL, tv.FROM_DICTIONARY]
    made_up = out["rows"][1]
    assert made_up["Y' from"] == "learned model (not in the dictionary)"
    phones = made_up["phonemes (Y')"].split()
    assert phones[0] == "Z" and 6 <= len(phones) <= 14                 # a plausible guess, z-initial
    assert "not in the dictionary" in out["notes"] and "zorptastic" in out["notes"]
    assert out["numbers"]["Y' guessed by the learned model"] == "1 of 3"


def test_both_extractors_answer_and_neural_uses_the_model_for_every_word(client):
    text = "The knight rode through the night"
    by_dict, neural = regenerate(client, text, "g2p"), regenerate(client, text, "g2p_neural")
    assert {label for _, label in words_of(by_dict["y_prime"])} == {tv.FROM_DICTIONARY}
    assert {label for _, label in words_of(neural["y_prime"])} == {tv.FROM_MODEL}
    assert {r["Y' from"] for r in neural["rows"]} == {"learned model"}
    assert neural["numbers"]["extractor"].startswith("g2p_neural")
    assert neural["numbers"]["Y' guessed by the learned model"] == "6 of 6"
    # the notes say what is true: these words are in the dictionary, g2p_neural just does not look
    assert "never looks words up" in neural["notes"] and "6 of them are in the dictionary" in neural["notes"]
    assert "is this text English" not in neural["notes"]
    assert [r["word (Y)"] for r in neural["rows"]] == [r["word (Y)"] for r in by_dict["rows"]]
    assert regenerate(client, "cat", "g2p_neural")["y_prime"] == [("K AE T", tv.FROM_MODEL)]


def test_every_shipped_sentence_round_trips(client):
    for sentence in tv.load_sentences():
        out = regenerate(client, sentence)
        words = parse_text(sentence).words
        assert [r["word (Y)"] for r in out["rows"]] == words, sentence
        assert len(words_of(out["y_hat"])) == len(words)
        exact = sum(r["result"] == "exact" for r in out["rows"])
        assert out["numbers"]["exact spellings"] == f"{exact} of {len(words)}"


# ------------------------------------------------------------------ bad input: a clear message, then still working

@pytest.mark.parametrize("text, message", [
    ("", "The text is empty"),
    ("   \n\t  ", "The text is empty"),
    ("Привет, как дела?", "written in Cyrillic script"),
    ("你好，世界", "written in CJK script"),
    ("12345 678", "only numbers"),
    ("!!! ... ??? -- :)", "only punctuation or symbols"),
])
def test_bad_text_gets_a_clear_message_and_the_app_keeps_working(client, text, message):
    with pytest.raises(AppError, match=message):
        regenerate(client, text)
    assert_cat_works(client)


def test_an_unknown_extractor_is_refused_clearly(client):
    with pytest.raises(AppError, match=r"'vqvae'.*not in the list of choices.*g2p_neural"):   # Gradio's own check
        regenerate(client, "cat", "vqvae")
    with pytest.raises(AppError, match="None is not a text extractor; choose one of: g2p, g2p_neural"):
        regenerate(client, "cat", None)
    assert_cat_works(client)


def test_very_long_text_is_trimmed_with_a_notice(client):
    out = regenerate(client, "the cat sat " * 100)                     # 300 words
    assert len(out["rows"]) == MAX_WORDS and out["numbers"]["words"] == str(MAX_WORDS)
    assert f"only the first {MAX_WORDS} are used" in out["notes"]
    out = regenerate(client, "dog " * 2000)                            # 8,000 characters
    assert "only its first" in out["notes"] and "characters are read" in out["notes"]


def test_mixed_input_keeps_the_english_words_and_says_what_it_skipped(client):
    out = regenerate(client, "Café 42 Привет cat!")
    assert [r["word (Y)"] for r in out["rows"]] == ["cafe", "cat"]
    for expected in ("Accents removed: Café", "Numbers skipped (42)", "not written with the letters a-z: привет"):
        assert expected in out["notes"], out["notes"]


# ------------------------------------------------------------------ app/text/views.py directly

@pytest.fixture(scope="module")
def extractors():
    return tv.load_text_extractors("cpu")


def test_the_view_is_consistent_with_the_round_trip(extractors):
    view = tv.regenerate_view("I knew the new gnu would know no one", extractors["g2p"])
    rows = view.result["rows"]
    assert len(view.words) == len(rows) == 9
    assert len(view.phonemes) == len(view.spelling) == 2 * len(rows) - 1      # a separator between words
    for (phones, _), (spelled, label), row in zip(view.phonemes[::2], view.spelling[::2], rows):
        assert phones == " ".join(row["phonemes"]) and spelled == row["spelling"]
        assert (label is None) == row["exact"] and (label == tv.WRONG) == (not row["valid"])
    n, exact = len(rows), sum(r["exact"] for r in rows)
    numbers = dict(map(tuple, view.numbers))
    assert numbers["WER (words not spelled exactly)"] == tv.percent(1 - exact / n)
    assert numbers["exact spellings"] == f"{exact} of {n}"


def test_none_is_empty_text(extractors):
    with pytest.raises(TextError, match="empty"):
        tv.regenerate_view(None, extractors["g2p"])


def test_neural_extractor_shares_the_loaded_models(extractors):
    assert extractors["g2p_neural"].model is extractors["g2p"].model
    assert extractors["g2p_neural"].renderer.model is extractors["g2p"].renderer.model


@pytest.mark.parametrize("text, kept", [
    ("right write", True), ("", False), ("12 34", False), ("Привет", False), ("cat " * 100, False),
])
def test_a_shared_link_keeps_only_short_english_text(text, kept):
    assert (tv.valid_url_text(text) == text) is kept


def test_building_the_tab_loads_no_model():
    """Cold start stays cheap: the dictionary and models load on the first request, not in build()."""
    import gradio as gr
    import torch

    from app.base import AppContext
    from app.main import TABS
    from app.text.tab import TAB

    assert TAB in TABS
    ctx = AppContext(torch.device("cpu"))
    with gr.Blocks():
        with gr.Tab(TAB.title, id=TAB.id):
            built = TAB.build(ctx)
    assert "text_extractors" not in ctx.cache
    assert {f.key for f in built.url_fields} == {"text", "text_extractor"}


# ------------------------------------------------------------------ the real UI in headless Chromium

@pytest.fixture
def page(new_page):
    return new_page(height=1100)


def wait_for_text(page, elem_id: str, text: str):
    page.wait_for_function("([id, t]) => document.querySelector('#' + id)?.innerText.includes(t)",
                           arg=[elem_id, text])


@pytest.mark.browser
def test_browser_pick_a_sentence_then_type_a_made_up_word(page, app_url, tmp_path):
    page.goto(app_url + "?tab=text")
    page.locator("#text_run").wait_for(state="visible")                # the Text tab is the open one
    page.locator("#text_sample input").click()
    page.locator('li[role="option"]', has_text="write the right rite").click()
    wait_for_text(page, "text_words", "wright")
    wait_for_text(page, "text_y_prime", "R AY T")
    assert "homophone" in page.locator("#text_y_hat").inner_text()       # the legend names the yellow words
    assert "write the right rite" in page.locator("#text_input textarea").input_value()
    page.screenshot(path=str(tmp_path / "text_sentence.png"), full_page=True)
    shutil.copy(tmp_path / "text_sentence.png", SHOWCASE)

    page.locator("#text_input textarea").fill("our zorptastic smoothie")
    page.locator("#text_run").click()
    wait_for_text(page, "text_words", "zorptastic")
    assert "learned model (not in the dictionary)" in page.locator("#text_words").inner_text()
    assert "guessed by the learned model" in page.locator("#text_y_prime").inner_text()
    page.wait_for_function("() => window.location.search.includes('text=our')")   # kept in the URL

    page.locator("#text_extractor").get_by_text("g2p_neural", exact=True).click()
    wait_for_text(page, "text_notes", "never looks words up")
    page.screenshot(path=str(tmp_path / "text_neural.png"), full_page=True)


@pytest.mark.browser
def test_browser_bad_text_shows_a_message_and_the_tab_keeps_working(page, app_url):
    from playwright.sync_api import expect

    page.goto(app_url + "?tab=text")
    page.locator("#text_run").wait_for(state="visible")
    page.locator("#text_input textarea").fill("Привет мир")
    page.locator("#text_run").click()
    expect(page.get_by_text("written in Cyrillic script").first).to_be_visible()
    page.locator("#text_input textarea").fill("the cat")
    page.locator("#text_run").click()
    wait_for_text(page, "text_y_prime", "K AE T")


@pytest.mark.browser
def test_browser_a_shared_link_restores_text_and_extractor(page, app_url):
    page.goto(app_url + "?tab=text&text=right%20write&text_extractor=g2p_neural")
    wait_for_text(page, "text_notes", "g2p_neural")
    wait_for_text(page, "text_words", "write")
    assert page.locator("#text_input textarea").input_value() == "right write"
