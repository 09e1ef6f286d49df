"""The "Inspect Y'" view in a real headless Chromium: pick a sample, switch extractors, upload files.

The browser, the app server and the rule for a missing Chromium (skip, or fail under
REGEN_LITE_REQUIRE_BROWSER=1) are the fixtures of tests/conftest.py.
Screenshots land in pytest's tmp_path; one is also copied to /tmp/app_inspect.png.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

SHOWCASE = Path("/tmp/app_inspect.png")

pytestmark = [pytest.mark.browser,
              pytest.mark.filterwarnings("ignore:.*no_silent_downcasting"),
              pytest.mark.filterwarnings("ignore:The copy keyword is deprecated")]


@pytest.fixture
def page(new_page, app_url):
    """A fresh tab with the app loaded and the first Y' drawn."""
    page = new_page()
    page.goto(app_url)
    page.wait_for_selector("#y_prime img")
    return page


# ------------------------------------------------------------------ helpers driving the UI

def src(page, elem_id: str) -> str:
    return page.locator(f"#{elem_id} img").get_attribute("src")


def wait_for_new_src(page, elem_id: str, old: str) -> str:
    page.wait_for_function("([id, old]) => { const i = document.querySelector('#' + id + ' img');"
                           " return i && i.getAttribute('src') !== old; }", arg=[elem_id, old])
    return src(page, elem_id)


def wait_for_notes(page, text: str):
    page.wait_for_function("t => document.querySelector('#notes').innerText.includes(t)", arg=text)


def choose_extractor(page, name: str):
    page.locator("#extractor input").click()
    page.locator(f'li[role="option"][aria-label="{name}"]').click()


def pick_sample(page, index: int):
    page.locator("#samples .thumbnail-item").nth(index).click()
    wait_for_notes(page, f"shipped test sample {index} ")


def upload(page, path: Path):
    page.locator("#upload input[type=file]").set_input_files(str(path))


# ------------------------------------------------------------------ tests

def test_gallery_has_two_samples_per_class(page):
    assert page.locator("#samples .thumbnail-item").count() == 20
    assert "Extractors" in page.locator("#status").inner_text()


def test_switching_extractors_changes_y_prime(page, tmp_path):
    pick_sample(page, 5)
    y_before, shots = src(page, "y"), []
    current = src(page, "y_prime")
    for step, name in enumerate(["downsample_x4", "identity"]):
        choose_extractor(page, name)
        new = wait_for_new_src(page, "y_prime", current)
        assert new != current, f"Y' did not change after choosing {name}"
        current = new
        page.wait_for_function("n => document.querySelector('#numbers').innerText.includes(n)", arg=name)
        shot = tmp_path / f"inspect_{step}_{name}.png"
        page.screenshot(path=str(shot), full_page=True)
        shots.append(page.locator("#y_prime").screenshot())
    assert shots[0] != shots[1], "the two Y' pictures look identical on screen"
    assert src(page, "y") == y_before, "changing the extractor must not change the input Y"
    numbers = page.locator("#numbers").inner_text()
    assert "inf dB" in numbers                               # identity reproduces Y exactly
    shutil.copy(tmp_path / "inspect_0_downsample_x4.png", SHOWCASE)


def test_upload_colour_image_is_converted(page, tmp_path):
    img = Image.new("RGBA", (90, 60), (0, 0, 0, 0))
    ImageDraw.Draw(img).rectangle((30, 5, 60, 55), fill=(20, 90, 200, 255))
    path = tmp_path / "blue_rgba.png"
    img.save(path)
    before = src(page, "y")
    upload(page, path)
    wait_for_notes(page, "blue_rgba.png")
    assert wait_for_new_src(page, "y", before) != before
    notes = page.locator("#notes").inner_text()
    assert "inverted" in notes and "greyscale" in notes
    page.screenshot(path=str(tmp_path / "upload_rgba.png"), full_page=True)


def test_bad_upload_shows_error_and_app_keeps_working(page, tmp_path):
    path = tmp_path / "notes.png"
    path.write_text("not an image at all")
    upload(page, path)
    from playwright.sync_api import expect

    expect(page.get_by_text("could not be read as an image").first).to_be_visible()
    page.screenshot(path=str(tmp_path / "bad_upload.png"), full_page=True)
    pick_sample(page, 2)                                     # a sample replaces the bad file
    before = src(page, "y_prime")
    choose_extractor(page, "downsample_x2")
    assert wait_for_new_src(page, "y_prime", before) != before


def test_choices_are_written_to_the_url(page):
    choose_extractor(page, "dct_lowpass")
    page.wait_for_function("() => window.location.search.includes('extractor=dct_lowpass')")
    pick_sample(page, 4)
    page.wait_for_function("() => window.location.search.includes('sample=4')")
    page.get_by_role("tab", name="Generate").click()
    page.wait_for_function("() => window.location.search.includes('tab=generate')")


def test_opening_the_generate_tab_draws_a_first_grid(page):
    """No link, no button (issue 19): clicking the Generate tab fills both pictures with one row of the default
    class and seed (BuiltTab.on_open) instead of showing two empty frames."""
    assert page.locator("#gen_y img").count() == 0                # nothing sampled for a tab nobody opened
    page.get_by_role("tab", name="Generate").click()
    page.wait_for_selector("#gen_y_prime img")
    page.wait_for_selector("#gen_y img")
    page.wait_for_function("() => document.querySelector('#gen_summary').innerText.includes('6 × sneaker')")
    assert "seed 0" in page.locator("#gen_summary").inner_text()


def test_a_shared_url_restores_its_view_and_generates_a_grid(new_page, app_url, tmp_path):
    """A teacher's link: the generate tab, the vq pipeline, class sneaker, seed 5; then generate."""
    page = new_page()
    page.goto(app_url + "?tab=generate&pipeline=vq&class=sneaker&seed=5&extractor=dct_lowpass&sample=3")
    page.wait_for_selector("#y_prime img", state="attached")      # loaded, on the (hidden) inspect tab
    page.wait_for_function("() => document.querySelector('#seed input')?.value === '5'")
    assert page.locator("#pipeline input").input_value() == "vq"
    assert page.locator("#class input").input_value() == "sneaker"
    assert page.locator("#generate").is_visible()               # the generate tab is the open one
    page.locator("#generate").click()
    page.wait_for_selector("#gen_y img")
    page.wait_for_function("() => document.querySelector('#gen_summary').innerText.includes('seed 5')")
    summary = page.locator("#gen_summary").inner_text()
    assert "sneaker" in summary and "from vq" in summary
    page.screenshot(path=str(tmp_path / "shared_url_generate.png"), full_page=True)
    page.get_by_role("tab", name="Inspect").click()               # the inspect settings came along too
    page.wait_for_function("() => document.querySelector('#notes').innerText.includes('shipped test sample 3')")
    page.wait_for_function("() => document.querySelector('#numbers').innerText.includes('dct_lowpass')")


def test_a_bad_shared_url_says_what_it_ignored(new_page, app_url):
    page = new_page(width=None)
    page.goto(app_url + "?tab=generate&pipeline=gan&seed=7")
    page.wait_for_function("() => document.querySelector('#url_note')?.innerText.includes('pipeline=')")
    assert "ignored" in page.locator("#url_note").inner_text()
    page.wait_for_function("() => document.querySelector('#seed input')?.value === '7'")


def test_compare_all_fills_a_grid(page, tmp_path):
    page.get_by_text("Compare all extractors on this input").click()
    page.locator("#compare_all").click()
    page.wait_for_function("() => document.querySelectorAll('#compare_gallery img').length >= 8")
    assert "downsample_x4" in page.locator("#compare_table").inner_text()
    page.screenshot(path=str(tmp_path / "compare_all.png"), full_page=True)


def test_compare_tab_shows_results_and_a_live_side_by_side(page, tmp_path):
    page.get_by_role("tab", name="Compare direct vs regeneration").click()
    page.wait_for_function("() => document.querySelector('#results').innerText.includes('real vs real')")
    page.locator("#generate_both").click()
    page.wait_for_selector("#side_a img")
    page.wait_for_selector("#side_b img")
    page.screenshot(path=str(tmp_path / "compare_tab.png"), full_page=True)
