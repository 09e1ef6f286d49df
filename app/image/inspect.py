"""The "Inspect Y'" tab: a Fashion-MNIST image Y (shipped sample, upload or sketch) -> Y' -> render(Y'),
for any image extractor in the registry, plus every extractor at once. Logic in app/image/inspect_views.py."""

from __future__ import annotations

import os
import tempfile

import gradio as gr

from app.base import AppContext, AppTab, BuiltTab
from app.classroom import CHEAP
from app.image import inspect_views as views
from app.url_state import UrlField, int_in

PREFERRED_DEFAULTS = ["vqvae", "ae", "dct_lowpass"]   # the first available one is selected at start
GALLERY_SCALE = 4                                      # gallery thumbnails are 112 x 112

EXPLANATION = """
**What you are looking at.** On the left is Y, a 28 x 28 Fashion-MNIST image. The extractor turns it
into a compact representation Y' (middle): a smaller picture, a few frequencies, real-valued latent
channels or a grid of discrete codes, depending on the extractor. On the right is Y rendered back
from Y' alone; the table says how many bits Y' needs and how much of Y survived the round trip
(PSNR and SSIM: higher is better, identical images give infinite PSNR and SSIM 1).
*Learn more* (`make lab`): `notebooks/01_explicit_representations.ipynb` (downsampling, DCT),
`02_autoencoders_vae.ipynb` (AE, VAE) and `03_vector_quantization.ipynb` (VQ-VAE, FSQ).
"""


def pick_default(names: list[str]) -> str | None:
    """The extractor selected when the app opens."""
    for name in PREFERRED_DEFAULTS:
        if name in names:
            return name
    return names[0] if names else None


def picture(label: str, elem_id: str, scale: int) -> gr.Image:
    """An output image shown whole (PNG keeps the pixels exact)."""
    return gr.Image(label=label, format="png", interactive=False, height=320, scale=scale, elem_id=elem_id)


def build(ctx: AppContext) -> BuiltTab:
    extractors = ctx.shared("image_extractors", lambda: views.load_extractors(ctx.device))
    samples, captions = views.load_samples(per_class=2)
    sketch_dir = tempfile.mkdtemp(prefix="regen-lite-sketches-")

    def input_image(upload: str | None, sample: float | None):
        """The image to inspect: an uploaded file if given, else shipped sample number `sample`.
        Returns (y, notices about conversions, a words description of the source)."""
        try:
            if upload:
                y, notices = views.prepare_upload(upload)
                source = f"uploaded file `{os.path.basename(upload)}`"
            else:
                index = int(sample or 0)
                y, notices = views.sample_tensor(samples, index), []
                source = f"shipped test sample {index} ({captions[index]})"
        except views.UploadError as e:
            raise gr.Error(f"{e} Pick a shipped sample or upload another file.", title="Cannot use this image",
                           print_exception=False) from e
        if notices:
            gr.Info(" ".join(notices), title="Input adjusted")
        return y, notices, source

    def run_inspect(upload: str | None, sample: float | None, extractor: str | None):
        """Inspect one image: an uploaded file if given, else shipped sample number `sample`."""
        if extractor not in extractors.available:
            reason = extractors.unavailable.get(extractor, f"choose one of: {', '.join(extractors.names)}")
            raise gr.Error(f"Extractor {extractor!r} is not available: {reason}", print_exception=False)
        y, notices, source = input_image(upload, sample)
        try:
            result = views.inspect(extractors.available[extractor], y, extractors.descriptions[extractor])
        except Exception as e:  # a model failing (e.g. out of GPU memory) must not leave a bare "Error"
            raise gr.Error(f"{extractor} failed on this image: {type(e).__name__}: {e}") from e
        notes = "\n".join([f"**Input:** {source}"] + [f"- {n}" for n in notices])
        return result.y, result.y_prime, result.y_hat, result.table, notes

    def sketch_as_upload(value):
        """The drawing becomes the uploaded file, so every view (and an extractor swap) uses it."""
        try:
            return views.sketch_to_file(value, sketch_dir)
        except views.UploadError as e:
            raise gr.Error(str(e), title="Nothing to inspect", print_exception=False) from e

    def run_compare_all(upload: str | None, sample: float | None):
        """Every available extractor on the same input: a gallery of (Y', render) pairs and one table."""
        y, _, _ = input_image(upload, sample)
        try:
            items, rows = views.compare_all(extractors, y)
        except Exception as e:
            raise gr.Error(f"Comparing extractors failed: {type(e).__name__}: {e}") from e
        return items, rows

    def pick_sample(evt: gr.SelectData):
        """A click in the gallery: remember the sample and forget any uploaded file."""
        return evt.index, None

    def reload_extractors():
        """Look again for checkpoints (e.g. after `regen-lite train vqvae` finished)."""
        fresh = views.load_extractors(ctx.device)
        for name in fresh.names:
            if name not in extractors.available:
                extractors.available[name] = fresh.available[name]
                extractors.descriptions[name] = fresh.descriptions[name]
                extractors.unavailable.pop(name, None)
        for name, reason in fresh.unavailable.items():   # still missing: keep the latest reason
            if name not in extractors.available:
                extractors.unavailable[name] = reason
        return gr.update(choices=extractors.names), views.status_markdown(extractors)

    gallery_items = [(views.upscale(img, 28 * GALLERY_SCALE), f"{i}: {cap}")
                     for i, (img, cap) in enumerate(zip(samples, captions))]

    gr.Markdown(EXPLANATION)
    with gr.Row():
        with gr.Column(scale=1, min_width=320):
            gallery = gr.Gallery(gallery_items, label="Shipped test samples (click one)", columns=4,
                                 height=320, object_fit="contain", allow_preview=False, format="png",
                                 elem_id="samples")
            upload = gr.File(label="… or upload an image (PNG, JPEG, …)", file_types=["image"],
                             type="filepath", elem_id="upload")
            with gr.Accordion("… or draw one", open=False):
                sketch = gr.Sketchpad(type="numpy", image_mode="RGBA", canvas_size=(280, 280),
                                      brush=gr.Brush(colors=["#000000"], color_mode="fixed", default_size=18),
                                      label="Sketch (black on white; it is inverted like Fashion-MNIST)",
                                      elem_id="sketch")
                use_sketch = gr.Button("Inspect my drawing", size="sm", elem_id="use_sketch")
            # allow_custom_value: a disabled or unknown name reaches run_inspect, which says why
            choice = gr.Dropdown(extractors.names, value=pick_default(extractors.names),
                                 label="Extractor (Y → Y')", allow_custom_value=True, elem_id="extractor")
            status = gr.Markdown(views.status_markdown(extractors), elem_id="status")
            reload = gr.Button("Look for newly trained weights", size="sm")
        with gr.Column(scale=3):
            with gr.Row(equal_height=True):
                y_img = picture("Y (input)", "y", scale=1)
                y_prime_img = picture("Y' = extract(Y)", "y_prime", scale=2)
                y_hat_img = picture("render(Y')", "y_hat", scale=1)
            table = gr.Dataframe(headers=["quantity", "value"], interactive=False, elem_id="numbers")
            notes = gr.Markdown(elem_id="notes")
    with gr.Accordion("Compare all extractors on this input", open=False):
        compare_button = gr.Button("Compare all", elem_id="compare_all")
        compare_gallery = gr.Gallery(label="Y' and render(Y') for every extractor", columns=6, height="auto",
                                     object_fit="contain", allow_preview=False, format="png",
                                     elem_id="compare_gallery")
        compare_table = gr.Dataframe(headers=views.COMPARE_HEADERS, interactive=False, elem_id="compare_table")
    sample = gr.Number(value=0, precision=0, visible=False, label="sample index")

    inputs = [upload, sample, choice]
    cheap = ctx.server.events(CHEAP)    # classroom mode: their own workers, never behind sampling
    outputs = [y_img, y_prime_img, y_hat_img, table, notes]
    choice.change(run_inspect, inputs, outputs, api_name="inspect", **cheap)
    gallery.select(pick_sample, None, [sample, upload], api_visibility="private").then(
        run_inspect, inputs, outputs, api_visibility="private", **cheap)
    upload.upload(run_inspect, inputs, outputs, api_visibility="private", **cheap)
    use_sketch.click(sketch_as_upload, sketch, upload, api_name="sketch").success(run_inspect, inputs, outputs,
                                                                                  api_visibility="private", **cheap)
    upload.clear(run_inspect, inputs, outputs, api_visibility="private", **cheap)
    compare_button.click(run_compare_all, [upload, sample], [compare_gallery, compare_table], api_name="compare_all")
    reload.click(reload_extractors, None, [choice, status], api_visibility="private")

    available = lambda text: text if text in extractors.available else None   # noqa: E731
    return BuiltTab(
        url_fields=[UrlField("extractor", choice, available, "available: " + ", ".join(extractors.names)),
                    UrlField("sample", sample, int_in(0, len(samples) - 1), f"a number 0..{len(samples) - 1}")],
        after_url_restore=(run_inspect, inputs, outputs))


TAB = AppTab("inspect", "Inspect Y'", "image", build)
