"""The "Generate X → Y' → Y" tab: a class X through any shipped image pipeline, on a chosen device,
with a progress bar. Logic in app/image/generate_views.py."""

from __future__ import annotations

import gradio as gr

from app.base import AppContext, AppTab, BuiltTab
from app.batching import Busy
from app.classroom import SAMPLING
from app.image import generate_views as gen
from app.url_state import CLASS_ALLOWED, MAX_SEED, SEED_ALLOWED, UrlField, fashion_class, int_in
from regen_lite.device import get_device

EXPLANATION = """
**Generation in two stages.** Pick a class X. The prior samples a compact Y' for it (left), and the
renderer turns Y' into the image Y (right). The `direct` pipeline is the same code with Y' = Y: one
big generative problem instead of two smaller ones. The same seed always gives the same images.
*Learn more* (`make lab`): `notebooks/04_diffusion.ipynb` (how the diffusion priors sample) and
`05_two_stage_generation.ipynb` (latent diffusion and the autoregressive code priors).
"""
FIRST_N = 6   # samples in the grid drawn when the tab first opens: one row, 0.3 s with `latent` on a 2-core CPU


def image_pipelines(ctx: AppContext) -> gen.PipelineSet:
    """The shipped image pipelines on the app's device, loaded once and shared with the Compare tab."""
    return ctx.shared("image_pipelines", lambda: gen.load_pipelines(ctx.device))


def sample(ctx: AppContext, pipelines: gen.PipelineSet, device, pipeline, class_index, steps, guidance, seed, n,
           callback=None) -> dict:
    """One user's request, sampled alone (default mode) or through the class's SamplingQueue (classroom
    mode: batched with the requests waiting beside it, each with its own seed). Refusals become gr.Error."""
    try:
        request = gen.check(pipelines, pipeline, class_index, steps, guidance, seed, n)
        if ctx.server.sampling is None:
            return gen.sample_batch(pipelines, [request], device, callback)[0]

        def run_batch(items):       # items: (request, callback) of every request in this loop
            def report(done, total):
                for _, cb in items:
                    if cb is not None:
                        cb(done, total)
            return gen.sample_batch(pipelines, [r for r, _ in items], device, report)

        key = (str(device),) + request.batch_key
        return ctx.server.sampling.submit(key, (request, callback), run_batch, size=request.n)
    except gen.GenerateError as e:
        raise gr.Error(str(e), title="Cannot generate", print_exception=False) from e
    except Busy as e:
        raise gr.Error(str(e), title="Busy", duration=e.seconds, print_exception=False) from e


def pipeline_status(pipelines: gen.PipelineSet) -> str:
    lines = ["**Pipelines**"] + [f"- `{n}`: {spec.summary}" for n, (_, spec) in pipelines.available.items()]
    lines += [f"- `{n}`: **disabled**. {reason}" for n, reason in pipelines.unavailable.items()]
    return "\n".join(lines)


def class_value(text: str) -> str | None:
    """?class=7 or ?class=sneaker in a link -> the Class X dropdown's value '7' (None if not a class)."""
    index = fashion_class(text)
    return None if index is None else str(index)


def build(ctx: AppContext) -> BuiltTab:
    pipelines = image_pipelines(ctx)
    devices = gen.device_choices()
    pipelines_on = {ctx.device.type: pipelines}   # device name -> PipelineSet, loaded on first use

    def run_generate(pipeline, class_index, steps, guidance, seed, n, device_name=ctx.device.type,
                     progress=gr.Progress()):
        """Sample n images of one class: X -> Y' (the prior) -> Y (the renderer), on `device_name`."""
        def report(done, total):
            progress((done, total), desc=f"sampling Y' with {pipeline}", unit="steps")

        if device_name not in devices:
            raise gr.Error(f"Device {device_name!r} is not available here; choose one of: {', '.join(devices)}.",
                           title="Cannot generate", print_exception=False)
        if device_name not in pipelines_on:
            pipelines_on[device_name] = gen.load_pipelines(get_device(device_name))
        out = sample(ctx, pipelines_on[device_name], get_device(device_name),
                     pipeline, class_index, steps, guidance, seed, n, report)
        return out["y_prime"], out["y"], out["summary"]

    def show_once(shown, pipeline, class_index, steps, guidance, seed, n, device_name, progress=gr.Progress()):
        """The first time the tab opens (or a link opens it), draw one row of the chosen class with the tab's
        settings and seed, so that its pictures are not empty; later visits keep the view."""
        if shown or pipeline not in pipelines.available:   # a missing pipeline is already listed as disabled
            return (True,) + (gr.update(),) * len(outputs)
        return (True,) + run_generate(pipeline, class_index, steps, guidance, seed, min(int(n), FIRST_N),
                                      device_name, progress)

    def restore(shown, pipeline, class_index, steps, guidance, seed, n, device_name, request: gr.Request,
                progress=gr.Progress()):
        """After a link's settings were applied: draw the link's class, pipeline and seed if the link opens this
        tab or sets its settings (the link opens the tab in the browser, which may draw it with the defaults
        before the link's settings arrive); otherwise wait until someone opens the tab."""
        query = dict(request.query_params) if request is not None else {}
        if query.get("tab") == TAB.id or {"pipeline", "class", "seed"} & set(query):
            return show_once(False, pipeline, class_index, steps, guidance, seed, n, device_name, progress)
        return (shown,) + (gr.update(),) * len(outputs)

    gr.Markdown(EXPLANATION)
    with gr.Row():
        with gr.Column(scale=1, min_width=300):
            names = list(pipelines.available)
            pipeline = gr.Dropdown(names, value=("latent" if "latent" in names else (names or [None])[0]),
                                   label="Pipeline", allow_custom_value=True, elem_id="pipeline")
            class_x = gr.Dropdown(gen.CLASS_CHOICES, value="7", label="Class X", elem_id="class")
            steps = gr.Slider(1, gen.MAX_STEPS, value=25, step=1, label="DDIM steps (diffusion priors)")
            guidance = gr.Slider(0, 10, value=1.0, step=0.5, label="Guidance weight (0 = off)")
            seed = gr.Number(value=0, precision=0, label="Seed", elem_id="seed")
            n = gr.Slider(1, gen.MAX_SAMPLES, value=12, step=1, label="Number of samples")
            device = gr.Radio(devices, value=ctx.device.type, label="Device", elem_id="device",
                              info="cuda is offered when PyTorch sees a GPU")
            button = gr.Button("Generate", variant="primary", elem_id="generate")
            gr.Markdown(pipeline_status(pipelines))
        with gr.Column(scale=3):
            with gr.Row(equal_height=True):
                y_prime = gr.Image(label="sampled Y'", format="png", interactive=False, elem_id="gen_y_prime")
                y = gr.Image(label="rendered Y", format="png", interactive=False, elem_id="gen_y")
            summary = gr.Markdown(elem_id="gen_summary")

    shown = gr.State(False)

    inputs = [pipeline, class_x, steps, guidance, seed, n, device]
    outputs = [y_prime, y, summary]
    button.click(run_generate, inputs, outputs, api_name="generate", **ctx.server.events(SAMPLING))

    available = lambda text: text if text in pipelines.available else None   # noqa: E731
    return BuiltTab(url_fields=[
        UrlField("pipeline", pipeline, available, "available: " + ", ".join(pipelines.available)),
        UrlField("class", class_x, class_value, CLASS_ALLOWED),
        UrlField("seed", seed, int_in(0, MAX_SEED), SEED_ALLOWED)],
        after_url_restore=(restore, [shown] + inputs, [shown] + outputs),
        on_open=(show_once, [shown] + inputs, [shown] + outputs))


TAB = AppTab("generate", "Generate X → Y' → Y", "image", build)
