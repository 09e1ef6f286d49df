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
import tempfile
from pathlib import Path

os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"  # before gradio is imported: no usage reporting

if __package__ in (None, ""):  # run as a script (`python app/main.py`): make `app` and `regen_lite` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import gradio as gr  # noqa: E402

from app import generate as gen  # noqa: E402
from app import url_state  # noqa: E402
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


COMPARE_EXPLANATION = """
**Is two-stage generation better?** Below are the kit's measured results (produced by the scripts in
`benchmarks/`, read from `benchmarks/results/`): Frechet distance to real images (lower is better) and how
often the reference classifier recognises the requested class, for the direct pipeline and each two-stage one.
Then try it yourself: the same class and seed through two pipelines.
"""
RESULTS_DIR = Path(__file__).resolve().parent.parent / "benchmarks" / "results"


def results_markdown() -> str:
    """The shipped benchmark tables (and the latent-size plot) as Markdown; says so when one is missing."""
    parts = []
    for name, title in [("direct_vs_regeneration", "Equal CPU time"), ("same_steps", "Equal optimizer steps"),
                        ("latent_size", "Size of Y' (RQ4)")]:
        path = RESULTS_DIR / f"{name}.md"
        if path.exists():
            text = path.read_text().replace("![latent size](latent_size.png)", "(plot below)")
            parts.append(f"### {title}\n\n{text}")
        else:
            parts.append(f"### {title}\n\n*Not measured yet: run `python benchmarks/{name}.py`.*")
    return "\n\n".join(parts)


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
    devices = gen.device_choices()
    pipelines_on = {device.type: pipelines}   # device name -> PipelineSet, loaded on first use
    sketch_dir = tempfile.mkdtemp(prefix="regen-lite-sketches-")

    def run_generate(pipeline, class_index, steps, guidance, seed, n, device_name=device.type, progress=gr.Progress()):
        """Sample n images of one class: X -> Y' (the prior) -> Y (the renderer), on `device_name`."""
        def report(done, total):
            progress((done, total), desc=f"sampling Y' with {pipeline}", unit="steps")

        if device_name not in devices:
            raise gr.Error(f"Device {device_name!r} is not available here; choose one of: {', '.join(devices)}.",
                           title="Cannot generate", print_exception=False)
        if device_name not in pipelines_on:
            pipelines_on[device_name] = gen.load_pipelines(get_device(device_name))
        try:
            out = gen.generate(pipelines_on[device_name], pipeline, class_index, steps, guidance, seed, n,
                               get_device(device_name), callback=report)
        except gen.GenerateError as e:
            raise gr.Error(str(e), title="Cannot generate", print_exception=False) from e
        return out["y_prime"], out["y"], out["summary"]

    def run_side_by_side(pipeline_a, pipeline_b, class_index, seed, n):
        """The same class and seed through two pipelines: rendered Y of each, and their times."""
        grids, lines = [], []
        for name in (pipeline_a, pipeline_b):
            try:
                out = gen.generate(pipelines, name, class_index, 25, 1.0, seed, n, device)
            except gen.GenerateError as e:
                raise gr.Error(str(e), title="Cannot generate", print_exception=False) from e
            grids.append(out["y"])
            lines.append(f"- `{name}`: {out['seconds']:.2f} s")
        return grids[0], grids[1], "\n".join(lines)

    def restore_from_url(request: gr.Request):
        """Apply the settings in the page URL (a shared link); anything invalid is ignored with a note."""
        query = dict(request.query_params) if request is not None else {}
        s = url_state.parse_query(query, extractors.names, list(pipelines.available), len(samples))
        keep = gr.update()
        pick = lambda value: keep if value is None else value   # noqa: E731
        # (the tab itself is opened in the browser by url_state.OPEN_TAB_JS)
        return (pick(s.extractor), pick(s.sample), pick(s.pipeline),
                pick(s.class_index), pick(s.seed), "\n".join(f"- {p}" for p in s.problems))

    gallery_items = [(views.upscale(img, 28 * GALLERY_SCALE), f"{i}: {cap}")
                     for i, (img, cap) in enumerate(zip(samples, captions))]

    with gr.Blocks(title="regen-lite", analytics_enabled=False) as demo:
        gr.Markdown("# regen-lite: Y → Y' → Y")
        url_note = gr.Markdown(elem_id="url_note")
        with gr.Tabs(selected="inspect", elem_id="tabs"):
            with gr.Tab("Inspect Y'", id="inspect") as tab_inspect:
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
            with gr.Tab("Generate X → Y' → Y", id="generate") as tab_generate:
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
                        g_device = gr.Radio(devices, value=device.type, label="Device", elem_id="device",
                                            info="cuda is offered when PyTorch sees a GPU")
                        g_button = gr.Button("Generate", variant="primary", elem_id="generate")
                        gr.Markdown(gen_status(pipelines))
                    with gr.Column(scale=3):
                        with gr.Row(equal_height=True):
                            g_yp = gr.Image(label="sampled Y'", format="png", interactive=False, elem_id="gen_y_prime")
                            g_y = gr.Image(label="rendered Y", format="png", interactive=False, elem_id="gen_y")
                        g_summary = gr.Markdown(elem_id="gen_summary")

            with gr.Tab("Compare direct vs regeneration", id="compare") as tab_compare:
                gr.Markdown(COMPARE_EXPLANATION)
                gr.Markdown(results_markdown(), elem_id="results")
                if (RESULTS_DIR / "latent_size.png").exists():
                    gr.Image(str(RESULTS_DIR / "latent_size.png"), label="RQ4: size of Y' vs the error of each stage",
                             interactive=False, height=360, elem_id="latent_size_plot")
                gr.Markdown("### Live: two pipelines, same class and seed")
                with gr.Row():
                    default_b = next((n for n in names if n != "direct"), None)
                    c_a = gr.Dropdown(names, value=("direct" if "direct" in names else default_b), label="Pipeline A",
                                      allow_custom_value=True, elem_id="pipeline_a")
                    c_b = gr.Dropdown(names, value=default_b, label="Pipeline B", allow_custom_value=True,
                                      elem_id="pipeline_b")
                    c_class = gr.Dropdown([(c, i) for i, c in enumerate(views.FASHION_CLASSES)], value=0,
                                          label="Class X", elem_id="compare_class")
                    c_seed = gr.Number(value=0, precision=0, label="Seed", elem_id="compare_seed")
                    c_n = gr.Slider(1, gen.MAX_SAMPLES, value=6, step=1, label="Samples")
                c_button = gr.Button("Generate both", variant="primary", elem_id="generate_both")
                with gr.Row(equal_height=True):
                    c_y_a = gr.Image(label="Y from pipeline A", format="png", interactive=False, elem_id="side_a")
                    c_y_b = gr.Image(label="Y from pipeline B", format="png", interactive=False, elem_id="side_b")
                c_times = gr.Markdown(elem_id="side_times")

        inputs = [upload, sample, choice]
        outputs = [y_img, y_prime_img, y_hat_img, table, notes]
        choice.change(run_inspect, inputs, outputs, api_name="inspect")
        gallery.select(pick_sample, None, [sample, upload], api_visibility="private").then(
            run_inspect, inputs, outputs, api_visibility="private")
        upload.upload(run_inspect, inputs, outputs, api_visibility="private")
        use_sketch.click(sketch_as_upload, sketch, upload, api_name="sketch").success(run_inspect, inputs, outputs,
                                                                                      api_visibility="private")
        upload.clear(run_inspect, inputs, outputs, api_visibility="private")
        compare_button.click(run_compare_all, [upload, sample], [compare_gallery, compare_table], api_name="compare_all")
        reload.click(reload_extractors, None, [choice, status], api_visibility="private")
        # settings live in the URL: read once per page load, written by the browser on every change
        demo.load(restore_from_url, None, [choice, sample, g_pipeline, g_class, g_seed, url_note],
                  api_visibility="private").then(run_inspect, inputs, outputs, api_visibility="private")
        for component in (choice, sample, g_pipeline, g_class, g_seed):
            component.change(None, [choice, sample, g_pipeline, g_class, g_seed], None, js=url_state.SYNC_URL_JS,
                             api_visibility="private")
        demo.load(None, None, None, js=url_state.OPEN_TAB_JS, api_visibility="private")
        tab_inspect.select(None, None, None, js=url_state.tab_js("inspect"), api_visibility="private")
        tab_generate.select(None, None, None, js=url_state.tab_js("generate"), api_visibility="private")
        tab_compare.select(None, None, None, js=url_state.tab_js("compare"), api_visibility="private")
        c_button.click(run_side_by_side, [c_a, c_b, c_class, c_seed, c_n], [c_y_a, c_y_b, c_times],
                       api_name="side_by_side")
        g_button.click(run_generate, [g_pipeline, g_class, g_steps, g_guidance, g_seed, g_n, g_device],
                       [g_yp, g_y, g_summary],
                       api_name="generate")
    return demo


def launch_options() -> dict:
    """Keyword arguments for `demo.launch` shared by main() and the tests."""
    return {"share": False, "theme": gr.themes.Soft(), "max_file_size": f"{views.MAX_UPLOAD_MB}mb",
            "head": url_state.HEAD}


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
