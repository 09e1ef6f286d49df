"""The app's "inspect" endpoint, called through gradio_client against a real running server.

Every explicit extractor must work; a learned one is skipped only when its .safetensors file
is absent (the app then disables it with a reason). Bad uploads must give a clear error, and the
app must keep answering afterwards. A few direct tests of app/image/inspect_views.py cover the drawing of
every kind of Y', using untrained learned models so they run even before weights exist.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from app.image import inspect_views as views
from regen_lite.checkpoints import pretrained_path
from regen_lite.registry import get_extractor, list_extractors

gradio_client = pytest.importorskip("gradio_client")
from gradio_client import Client, handle_file  # noqa: E402
from gradio_client.exceptions import AppError  # noqa: E402

# gradio's own use of pandas warns under pandas 3; that is not ours to fix
pytestmark = [pytest.mark.filterwarnings("ignore:.*no_silent_downcasting"),
              pytest.mark.filterwarnings("ignore:The copy keyword is deprecated")]

EXPLICIT = ["identity", "downsample_x2", "downsample_x4", "dct_lowpass"]
IMAGE_EXTRACTORS = list_extractors("image")


def weights_file(name: str) -> Path:
    return pretrained_path(name).with_suffix(".safetensors")


def inspect(client: Client, extractor: str, upload: str | None = None, sample: int = 0):
    """Call the endpoint; return (y path, y' path, y_hat path, {quantity: value}, notes)."""
    y, y_prime, y_hat, table, notes = client.predict(
        handle_file(upload) if upload else None, sample, extractor, api_name="/inspect")
    return y, y_prime, y_hat, dict(map(tuple, table["data"])), notes


def psnr_of(numbers: dict) -> float:
    return float(numbers["PSNR"].split()[0])  # "23.41 dB" or "inf dB (exact copy)"


def assert_good_result(result, extractor: str):
    y, y_prime, y_hat, numbers, _ = result
    for path in (y, y_prime, y_hat):
        assert Path(path).is_file(), f"{path} was not returned as a file"
        with Image.open(path) as im:
            assert min(im.size) >= 28
    value = psnr_of(numbers)
    if extractor == "identity":
        assert math.isinf(value) and numbers["SSIM"] == "1.000"
    else:
        assert 5.0 < value < 60.0, f"{extractor}: PSNR {value} dB is not a sensible reconstruction"
    assert float(numbers["compression vs 8-bit Y"].rstrip("x")) > 0


# ------------------------------------------------------------------ every extractor

def test_endpoint_is_listed(client):
    api = client.view_api(print_info=False, return_format="dict")
    assert "/inspect" in api["named_endpoints"]


@pytest.mark.parametrize("name", IMAGE_EXTRACTORS)
def test_inspect_every_extractor(client, app_server, name):
    with_weights = app_server.weights
    if name not in EXPLICIT and name not in with_weights:
        pytest.skip(f"{weights_file(name)} is absent: train it with `regen-lite train {name}`")
    result = inspect(client, name, sample=7)
    assert_good_result(result, name)
    assert "shipped test sample 7" in result[4]


def test_inspect_shows_the_residual_stages_and_the_diffusion_autoencoders_vector(client, app_server):
    """rvq's Y' is four 7x7 code maps, drawn side by side; diffae's is 16 numbers, drawn as bars, and its render
    (from fresh noise, seeded) is the same picture on every visit."""
    if not {"rvq", "diffae"} <= app_server.weights:
        pytest.fail("rvq or diffae weights are missing from data_samples/weights")
    _, y_prime, _, numbers, _ = inspect(client, "rvq", sample=3)
    assert numbers["shape of Y'"] == "4 x 7 x 7" and numbers["values"] == "discrete codes (K=256)"
    with Image.open(y_prime) as im:
        assert im.size[0] > 3 * im.size[1]                              # four code maps in a row
    first, second = inspect(client, "diffae", sample=3), inspect(client, "diffae", sample=3)
    assert first[3]["shape of Y'"] == "16 x 1 x 1" and first[3]["values"] == "continuous (real values)"
    assert first[3]["PSNR"] == second[3]["PSNR"] and psnr_of(first[3]) < 20   # invented details, seeded
    with Image.open(first[1]) as a, Image.open(second[2]) as b:
        assert a.size[0] > a.size[1] and b.size == (280, 280)


def test_corrupt_or_missing_weights_disable_only_that_extractor(tmp_path, monkeypatch, start_app):
    """A second app whose weights folder has a corrupt vqvae file and no fsq at all: those two are
    disabled with their reason, every other extractor still works."""
    import shutil

    for name in ("ae", "vae", "vqvae"):
        for suffix in (".safetensors", ".json"):
            shutil.copy(pretrained_path(name).with_suffix(suffix), tmp_path / f"{name}{suffix}")
    (tmp_path / "vqvae.safetensors").write_bytes(b"\x00" * 64)          # corrupt
    monkeypatch.setenv("REGEN_LITE_WEIGHTS", str(tmp_path))
    client, _ = start_app()
    with pytest.raises(AppError, match=r"(?s)not available.*corrupt.*regen-lite train vqvae"):
        inspect(client, "vqvae")
    with pytest.raises(AppError, match=r"(?s)not available.*regen-lite train fsq"):
        inspect(client, "fsq")
    for name in ("ae", "dct_lowpass"):
        assert_good_result(inspect(client, name), name)


def test_explicit_extractors_are_registered():
    assert set(EXPLICIT) <= set(IMAGE_EXTRACTORS)


# ------------------------------------------------------------------ uploads, good and bad

def make_text_renamed_png(folder: Path) -> Path:
    path = folder / "not_really.png"
    path.write_text("this is a text file with a .png name\n")
    return path


def make_truncated_png(folder: Path) -> Path:
    whole = folder / "whole.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (64, 64), dtype=np.uint8)).save(whole)
    path = folder / "truncated.png"
    path.write_bytes(whole.read_bytes()[:200])
    return path


def make_too_wide_png(folder: Path) -> Path:
    path = folder / "too_wide.png"
    Image.new("L", (views.MAX_SIDE + 1, 8)).save(path)
    return path


def make_empty_png(folder: Path) -> Path:
    path = folder / "empty.png"
    path.write_bytes(b"")
    return path


@pytest.mark.parametrize("make, message", [
    (make_empty_png, r"empty.png is empty \(0 bytes\)\. Pick a shipped sample"),   # as the Speech tab says it
    (make_text_renamed_png, "could not be read as an image"),
    (make_truncated_png, "could not be read as an image"),
    (make_too_wide_png, f"largest the app accepts is {views.MAX_SIDE} px"),
])
def test_bad_upload_gives_clear_error_then_app_still_works(client, tmp_path, make, message):
    with pytest.raises(AppError, match=message):
        inspect(client, "dct_lowpass", upload=str(make(tmp_path)))
    assert_good_result(inspect(client, "dct_lowpass", sample=3), "dct_lowpass")


def test_sample_index_out_of_range_is_an_error(client):
    with pytest.raises(AppError, match="out of range"):
        inspect(client, "identity", sample=999)
    assert_good_result(inspect(client, "identity"), "identity")


def test_colour_rgba_upload_is_converted(client, tmp_path):
    """A red shirt-like shape on a transparent background: alpha on white, greyscale, then inverted."""
    img = Image.new("RGBA", (200, 120), (0, 0, 0, 0))
    ImageDraw.Draw(img).ellipse((60, 10, 140, 110), fill=(200, 30, 30, 255))
    path = tmp_path / "red_rgba.png"
    img.save(path)
    result = inspect(client, "downsample_x2", upload=str(path))
    assert_good_result(result, "downsample_x2")
    notes = result[4]
    for expected in ("transparency", "greyscale", "inverted", "padded", "downscaled to 28 x 28"):
        assert expected in notes, f"no notice about {expected!r} in: {notes}"
    assert_good_result(inspect(client, "downsample_x2", sample=1), "downsample_x2")


def test_large_upload_is_downscaled_with_notice(client, tmp_path):
    img = Image.new("L", (3000, 3000), 0)
    ImageDraw.Draw(img).rectangle((900, 300, 2100, 2700), fill=220)   # a light "trouser" on black
    path = tmp_path / "big.png"
    img.save(path)
    result = inspect(client, "dct_lowpass", upload=str(path))
    assert_good_result(result, "dct_lowpass")
    assert "3000 x 3000 image was downscaled to 28 x 28" in result[4]
    assert "inverted" not in result[4]                                 # it already had a black background
    assert_good_result(inspect(client, "dct_lowpass", sample=2), "dct_lowpass")


# ------------------------------------------------------------------ app/image/inspect_views.py directly

def test_prepare_upload_matches_fashion_mnist_convention(tmp_path):
    """A dark object on white becomes a light object on black, 28 x 28, in [0, 1]."""
    img = Image.new("RGB", (56, 56), "white")
    ImageDraw.Draw(img).rectangle((14, 14, 41, 41), fill="black")
    img.save(tmp_path / "dark_on_white.jpg")
    y, notices = views.prepare_upload(tmp_path / "dark_on_white.jpg")
    assert y.shape == (1, 1, 28, 28) and 0.0 <= y.min() and y.max() <= 1.0
    assert y[0, 0, 14, 14] > 0.9 and y[0, 0, 0, 0] < 0.1
    assert any("inverted" in n for n in notices)


def test_prepare_upload_refuses_files_over_the_size_limit(tmp_path):
    path = tmp_path / "huge.png"
    with open(path, "wb") as f:
        f.truncate(views.MAX_UPLOAD_MB * 2**20 + 1)   # sparse: no real disk space is used
    with pytest.raises(views.UploadError, match=f"largest file the app accepts is {views.MAX_UPLOAD_MB} MB"):
        views.prepare_upload(path)


@pytest.mark.parametrize("name, style", [
    ("identity", "image"), ("downsample_x4", "image"), ("dct_lowpass", "dct"),
    ("ae", "channels"), ("vae", "channels"), ("vqvae", "codes"), ("fsq", "codes"), ("rvq", "codes"),
    ("diffae", "vector"),
])
def test_draw_y_prime_suits_each_kind(name, style):
    """Every kind of Y' gets its own picture. Learned models are untrained here: only shapes matter."""
    from regen_lite.image import autoencoders as ae

    from regen_lite.image.diffae import DiffAE

    untrained = {"ae": ae.AE, "vae": ae.VAE, "vqvae": ae.VQVAE, "fsq": ae.FSQVAE, "rvq": ae.RVQVAE, "diffae": DiffAE}
    extractor = get_extractor(name, model=untrained[name]()) if name in untrained else get_extractor(name)
    images, _ = views.load_samples(per_class=1)
    result = views.inspect(extractor, views.sample_tensor(images, 0))
    assert views.y_prime_style(extractor, extractor.extract(views.sample_tensor(images, 0))) == style
    assert result.y_prime.dtype == np.uint8 and min(result.y_prime.shape[:2]) >= 28
    assert result.y.shape == result.y_hat.shape == (280, 280)
    numbers = dict(map(tuple, result.table))
    assert numbers["values"].startswith("discrete" if style == "codes" else "continuous")


# ------------------------------------------------------------------ compare all

def test_compare_all_shows_every_available_extractor_for_one_input(client, app_server):
    with_weights = app_server.weights
    items, table = client.predict(None, 3, api_name="/compare_all")
    rows = {r[0]: r for r in table["data"]}
    expected = set(EXPLICIT) | (with_weights & set(IMAGE_EXTRACTORS))
    assert set(rows) == expected
    assert len(items) == 2 * len(expected)                      # a Y' picture and a rendering for each
    for item in items:   # gradio_client gives {"image": path, "caption": ...} (or a dict with "path")
        image = item["image"] if isinstance(item, dict) else item[0]
        assert Path(image["path"] if isinstance(image, dict) else image).is_file()
    assert items[0]["caption"] == f"{next(iter(rows))}: Y'"
    assert rows["identity"][4].startswith("inf")
    psnr = {n: float(r[4].split()[0]) for n, r in rows.items() if n != "identity"}
    if "vqvae" in psnr:   # a learned 7x7 code map keeps more of Y than the explicit 7x7 block mean
        assert psnr["vqvae"] > psnr["downsample_x4"] + 3


def test_compare_all_refuses_a_bad_upload_clearly(client, tmp_path):
    bad = tmp_path / "notes.png"
    bad.write_text("this is not an image")
    with pytest.raises(AppError, match="Cannot use this image|not an image|cannot"):
        client.predict(handle_file(str(bad)), 0, api_name="/compare_all")
    items, _ = client.predict(None, 0, api_name="/compare_all")   # and keeps working
    assert items


# ------------------------------------------------------------------ sketchpad

def sketch_value(path: Path, draw: bool) -> dict:
    """What the browser's Sketchpad sends: a transparent 280 x 280 canvas, with black strokes if `draw`."""
    canvas = Image.new("RGBA", (280, 280), (0, 0, 0, 0))
    if draw:
        d = ImageDraw.Draw(canvas)
        d.rectangle([90, 40, 190, 240], fill=(0, 0, 0, 255))      # a rough dress / shirt shape
        d.rectangle([40, 40, 240, 90], fill=(0, 0, 0, 255))
    canvas.save(path)
    return {"background": None, "layers": [], "composite": handle_file(str(path))}


def test_a_drawing_is_inspected_like_an_upload(client, tmp_path):
    drawn = client.predict(sketch_value(tmp_path / "drawn.png", True), api_name="/sketch")
    with Image.open(drawn) as im:
        grey = np.asarray(im.convert("L"))
    assert grey.min() == 0 and grey.max() == 255
    y, _, _, numbers, notes = inspect(client, "dct_lowpass", upload=drawn)
    assert "inverted" in notes and "downscaled" in notes     # black-on-white drawing -> light on black, 28 x 28
    with Image.open(y) as im:
        shown = np.asarray(im.convert("L"), dtype=float)
    assert shown[shown.shape[0] // 2, shown.shape[1] // 2] > 200   # the drawn body is now light
    assert psnr_of(numbers) > 5


def test_an_empty_sketch_gets_a_clear_message(client, tmp_path):
    with pytest.raises(AppError, match="sketch is empty"):
        client.predict(sketch_value(tmp_path / "empty.png", False), api_name="/sketch")
    with pytest.raises(AppError, match="sketch is empty"):
        client.predict(None, api_name="/sketch")
    assert_good_result(inspect(client, "dct_lowpass"), "dct_lowpass")   # still working


def test_a_new_tab_plugs_in_without_touching_the_image_tabs():
    """The app is a list of tabs: one more (as a later modality would add) appears next to the image
    tabs, and its URL setting joins theirs."""
    import gradio as gr

    from app.base import AppTab, BuiltTab
    from app.main import TABS, build_demo
    from app.url_state import UrlField, one_of

    def build(ctx):
        word = gr.Textbox(label="word", elem_id="word")
        return BuiltTab(url_fields=[UrlField("word", word, one_of(["cat", "dog"]), "cat or dog")])

    demo = build_demo(device="cpu", tabs=TABS + [AppTab("words", "Words", "text", build)])
    labels = [c["props"].get("label") for c in demo.config["components"] if c["type"] == "tabitem"]
    assert labels == [t.title for t in TABS] + ["Words"]
