"""The regen-lite Gradio app. Run from the repository root:

    python -m app.main                 # http://127.0.0.1:7860
    python app/main.py --port 8000 --device cpu
    regen-lite app

The UI is built from the extractor registry; all logic lives in app/views.py and all models
in regen_lite. The "Inspect Y'" view is also an API endpoint, callable with gradio_client:

    from gradio_client import Client, handle_file
    Client("http://127.0.0.1:7860/").predict(handle_file("shoe.png"), 0, "dct_lowpass", api_name="/inspect")
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"  # before gradio is imported: no usage reporting

if __package__ in (None, ""):  # run as a script (`python app/main.py`): make `app` and `regen_lite` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import gradio as gr  # noqa: E402

from app import generate as gen  # noqa: E402
from app import views  # noqa: E402
from regen_lite.device import get_device  # noqa: E402

PREFERRED_DEFAULTS = ["vqvae", "ae", "dct_lowpass"]   # the first available one is selected at start
GALLERY_SCALE = 4                                      # gallery thumbnails are 112 x 112

EXPLANATION = """
**What you are looking at.** On the left is Y, a 28 x 28 Fashion-MNIST image. The extractor turns it
into a compact representation Y' (middle): a smaller picture, a few frequencies, real-valued latent
channels or a grid of discrete codes, depending on the extractor. On the right is Y rendered back
from Y' alone; the table says how many bits Y' needs and how much of Y survived the round trip
(PSNR and SSIM: higher is better, identical images give infinite PSNR and SSIM 1).
"""


GENERATE_EXPLANATION = """
**Generation in two stages.** Pick a class X. The prior samples a compact Y' for it (left), and the
renderer turns Y' into the image Y (right). The `direct` pipeline is the same code with Y' = Y: one
big generative problem instead of two smaller ones. The same seed always gives the same images.
"""


def gen_status(pipelines) -> str:
    lines = ["**Pipelines**"] + [f"- `{n}`: {spec.summary}" for n, (_, spec) in pipelines.available.items()]
    lines += [f"- `{n}`: **disabled**. {reason}" for n, reason in pipelines.unavailable.items()]
    return "\n".join(lines)


def pick_default(names: list[str]) -> str | None:
    """The extractor selected when the app opens."""
    for name in PREFERRED_DEFAULTS:
        if name in names:
            return name
    return names[0] if names else None


def picture(label: str, elem_id: str, scale: int) -> gr.Image:
    """An output image shown whole (PNG keeps the pixels exact)."""
    return gr.Image(label=label, format="png", interactive=False, height=320, scale=scale, elem_id=elem_id)


def build_demo(device: str | None = None) -> gr.Blocks:
    """Build the app (not launched). device: None/"auto", "cpu", "cuda", ... for the learned models."""
    device = get_device(device)
    extractors = views.load_extractors(device)
    samples, captions = views.load_samples(per_class=2)

    def run_inspect(upload: str | None, sample: float | None, extractor: str | None):
        """Inspect one image: an uploaded file if given, else shipped sample number `sample`."""
        if extractor not in extractors.available:
            reason = extractors.unavailable.get(extractor, f"choose one of: {', '.join(extractors.names)}")
            raise gr.Error(f"Extractor {extractor!r} is not available: {reason}", print_exception=False)
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
        try:
            result = views.inspect(extractors.available[extractor], y, extractors.descriptions[extractor])
        except Exception as e:  # a model failing (e.g. out of GPU memory) must not leave a bare "Error"
            raise gr.Error(f"{extractor} failed on this image: {type(e).__name__}: {e}") from e
        notes = "\n".join([f"**Input:** {source}"] + [f"- {n}" for n in notices])
        return result.y, result.y_prime, result.y_hat, result.table, notes

    def pick_sample(evt: gr.SelectData):
        """A click in the gallery: remember the sample and forget any uploaded file."""
        return evt.index, None

    def reload_extractors():
        """Look again for checkpoints (e.g. after `regen-lite train vqvae` finished)."""
        fresh = views.load_extractors(device)
        for name in fresh.names:
            if name not in extractors.available:
                extractors.available[name] = fresh.available[name]
                extractors.descriptions[name] = fresh.descriptions[name]
                extractors.unavailable.pop(name, None)
        for name, reason in fresh.unavailable.items():   # still missing: keep the latest reason
            if name not in extractors.available:
                extractors.unavailable[name] = reason
        return gr.update(choices=extractors.names), views.status_markdown(extractors)

    pipelines = gen.load_pipelines(device)

    def run_generate(pipeline, class_index, steps, guidance, seed, n):
        """Sample n images of one class: X -> Y' (the prior) -> Y (the renderer)."""
        try:
            out = gen.generate(pipelines, pipeline, class_index, steps, guidance, seed, n, device)
        except gen.GenerateError as e:
            raise gr.Error(str(e), title="Cannot generate", print_exception=False) from e
        return out["y_prime"], out["y"], out["summary"]

    gallery_items = [(views.upscale(img, 28 * GALLERY_SCALE), f"{i}: {cap}")
                     for i, (img, cap) in enumerate(zip(samples, captions))]

    with gr.Blocks(title="regen-lite", analytics_enabled=False) as demo:
        gr.Markdown("# regen-lite: Y → Y' → Y")
        with gr.Tab("Inspect Y'"):
            gr.Markdown(EXPLANATION)
            with gr.Row():
                with gr.Column(scale=1, min_width=320):
                    gallery = gr.Gallery(gallery_items, label="Shipped test samples (click one)", columns=4,
                                         height=320, object_fit="contain", allow_preview=False, format="png",
                                         elem_id="samples")
                    upload = gr.File(label="… or upload an image (PNG, JPEG, …)", file_types=["image"],
                                     type="filepath", elem_id="upload")
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
            sample = gr.Number(value=0, precision=0, visible=False, label="sample index")
        with gr.Tab("Generate X → Y' → Y"):
            gr.Markdown(GENERATE_EXPLANATION)
            with gr.Row():
                with gr.Column(scale=1, min_width=300):
                    names = list(pipelines.available)
                    g_pipeline = gr.Dropdown(names, value=("latent" if "latent" in names else (names or [None])[0]),
                                             label="Pipeline", allow_custom_value=True, elem_id="pipeline")
                    g_class = gr.Dropdown([(c, i) for i, c in enumerate(views.FASHION_CLASSES)], value=7,
                                          label="Class X", elem_id="class")
                    g_steps = gr.Slider(1, gen.MAX_STEPS, value=25, step=1, label="DDIM steps (diffusion priors)")
                    g_guidance = gr.Slider(0, 10, value=1.0, step=0.5, label="Guidance weight (0 = off)")
                    g_seed = gr.Number(value=0, precision=0, label="Seed", elem_id="seed")
                    g_n = gr.Slider(1, gen.MAX_SAMPLES, value=12, step=1, label="Number of samples")
                    g_button = gr.Button("Generate", variant="primary", elem_id="generate")
                    gr.Markdown(gen_status(pipelines))
                with gr.Column(scale=3):
                    with gr.Row(equal_height=True):
                        g_yp = gr.Image(label="sampled Y'", format="png", interactive=False, elem_id="gen_y_prime")
                        g_y = gr.Image(label="rendered Y", format="png", interactive=False, elem_id="gen_y")
                    g_summary = gr.Markdown(elem_id="gen_summary")

        inputs = [upload, sample, choice]
        outputs = [y_img, y_prime_img, y_hat_img, table, notes]
        choice.change(run_inspect, inputs, outputs, api_name="inspect")
        gallery.select(pick_sample, None, [sample, upload], api_visibility="private").then(
            run_inspect, inputs, outputs, api_visibility="private")
        upload.upload(run_inspect, inputs, outputs, api_visibility="private")
        upload.clear(run_inspect, inputs, outputs, api_visibility="private")
        reload.click(reload_extractors, None, [choice, status], api_visibility="private")
        demo.load(run_inspect, inputs, outputs, api_visibility="private")
        g_button.click(run_generate, [g_pipeline, g_class, g_steps, g_guidance, g_seed, g_n], [g_yp, g_y, g_summary],
                       api_name="generate")
    return demo


def launch_options() -> dict:
    """Keyword arguments for `demo.launch` shared by main() and the tests."""
    return {"share": False, "theme": gr.themes.Soft(), "max_file_size": f"{views.MAX_UPLOAD_MB}mb"}


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description="regen-lite Gradio app")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (0.0.0.0 exposes it to the network)")
    p.add_argument("--port", type=int, default=7860)
    p.add_argument("--device", default=None, help="auto (default), cpu, cuda, mps; or set REGEN_LITE_DEVICE")
    return p.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    demo = build_demo(args.device)
    demo.launch(server_name=args.host, server_port=args.port, **launch_options())


if __name__ == "__main__":
    main()
