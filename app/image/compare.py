"""The "Compare direct vs regeneration" tab: the measured tables from benchmarks/results/, and a live
side-by-side of two image pipelines for the same class and seed."""

from __future__ import annotations

from pathlib import Path

import gradio as gr

from app.base import AppContext, AppTab, BuiltTab
from app.image import generate_views as gen
from app.classroom import SAMPLING
from app.image.generate import image_pipelines, sample

RESULTS_DIR = Path(__file__).resolve().parents[2] / "benchmarks" / "results"

EXPLANATION = """
**Is two-stage generation better?** Below are the kit's measured results (produced by the scripts in
`benchmarks/`, read from `benchmarks/results/`): Frechet distance to real images (lower is better) and how
often the reference classifier recognises the requested class, for the direct pipeline and each two-stage one.
Then try it yourself: the same class and seed through two pipelines.
*Learn more* (`make lab`): `notebooks/06_direct_vs_regeneration.ipynb` reproduces this table at a small
budget, and `07_tradeoffs_and_mismatch.ipynb` explains the size of Y' and oracle vs predicted Y'.
"""


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


def build(ctx: AppContext) -> BuiltTab:
    pipelines = image_pipelines(ctx)

    def run_side_by_side(pipeline_a, pipeline_b, class_index, seed, n):
        """The same class and seed through two pipelines: rendered Y of each, and their times."""
        grids, lines = [], []
        for name in (pipeline_a, pipeline_b):
            out = sample(ctx, pipelines, ctx.device, name, class_index, 25, 1.0, seed, n)
            grids.append(out["y"])
            lines.append(f"- `{name}`: {out['seconds']:.2f} s")
        return grids[0], grids[1], "\n".join(lines)

    gr.Markdown(EXPLANATION)
    gr.Markdown(results_markdown(), elem_id="results")
    if (RESULTS_DIR / "latent_size.png").exists():
        gr.Image(str(RESULTS_DIR / "latent_size.png"), label="RQ4: size of Y' vs the error of each stage",
                 interactive=False, height=360, elem_id="latent_size_plot")
    gr.Markdown("### Live: two pipelines, same class and seed")
    names = list(pipelines.available)
    with gr.Row():
        default_b = next((n for n in names if n != "direct"), None)
        a = gr.Dropdown(names, value=("direct" if "direct" in names else default_b), label="Pipeline A",
                        allow_custom_value=True, elem_id="pipeline_a")
        b = gr.Dropdown(names, value=default_b, label="Pipeline B", allow_custom_value=True, elem_id="pipeline_b")
        class_x = gr.Dropdown(gen.CLASS_CHOICES, value="0", label="Class X", elem_id="compare_class")
        seed = gr.Number(value=0, precision=0, label="Seed", elem_id="compare_seed")
        n = gr.Slider(1, gen.MAX_SAMPLES, value=6, step=1, label="Samples")
    button = gr.Button("Generate both", variant="primary", elem_id="generate_both")
    with gr.Row(equal_height=True):
        y_a = gr.Image(label="Y from pipeline A", format="png", interactive=False, elem_id="side_a")
        y_b = gr.Image(label="Y from pipeline B", format="png", interactive=False, elem_id="side_b")
    times = gr.Markdown(elem_id="side_times")
    button.click(run_side_by_side, [a, b, class_x, seed, n], [y_a, y_b, times], api_name="side_by_side",
                 **ctx.server.events(SAMPLING))
    return BuiltTab()


TAB = AppTab("compare", "Compare direct vs regeneration", "image", build)
