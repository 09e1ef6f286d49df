"""Lyrics -> melody, measured: X = the lyrics of a held-out chorale (+ its key) -> template Y' -> melody Y (two-stage,
TeleMelody's split) against X -> melody (direct, the same MelodyNet conditioned on the syllables), and how each
fares with less paired (lyrics, melody) data.

    python benchmarks/lyrics_to_melody.py                       # about 10 minutes on a 2-core CPU
    python benchmarks/lyrics_to_melody.py --seeds 0 --fractions full    # the shipped weights only: about 1 minute

For each amount of paired data (full = the 241 training chorales with lyrics, half, quarter: nested subsets) and
each training seed, both lyrics-dependent models are trained by the shipped recipes (`regen-lite train
lyrics_template --data half --seed 1` ...; full with seed 0 is the shipped weights), 250 optimizer steps each.
The unpaired parts of the two-stage pipeline (the chord chain, the melody renderer) are the shipped ones, trained
on all 277 training melodies. Each model then sets the lyrics of the 39 held-out chorales 3 times (sampling seeds
0, 1, 2). Reference rows: Bach's own melodies, the oracle Y' (the renderer given Bach's template and syllable
positions: the rendering error alone), and a rule Y' with no data at all. Metrics: regen_lite/music/lyric_metrics.py.
Prints and writes benchmarks/results/lyrics_to_melody.{md,csv,png}.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from regen_lite.checkpoints import load_checkpoint, read_info, weights_dir  # noqa: E402
from regen_lite.music.lyric_metrics import bach_song, setting_metrics  # noqa: E402
from regen_lite.music.lyric_recipes import RECIPES, evaluate_lyric_model, shipped_parts  # noqa: E402
from regen_lite.music.lyric_template import LyricsRenderer, LyricsTemplatePrior, LyricTemplate  # noqa: E402
from regen_lite.music.lyrics import LyricsKey, load_lyric_chorales, syllable_settings  # noqa: E402
from regen_lite.music.template import extract_template  # noqa: E402
from report import RESULTS, markdown_table, write_results  # noqa: E402

PAIRED = {"quarter": "25%", "half": "50%", "full": "100%"}
SAMPLE_SEEDS = (0, 1, 2)
MODELS = {"lyrics_template": "two-stage", "lyrics_direct": "direct"}
COLS = {"syllable_agreement": "syllables ✓", "fermata_recall": "fermata at punct.", "fermata_precision":
        "punct. at fermata", "rhythm_f1": "rhythm F1", "length_ratio": "length", "chord_tones": "chord tones",
        "pc_hist_tv": "pc-hist TV", "stepwise": "stepwise", "notes_per_syllable": "notes/syllable",
        "nll_total": "NLL/step"}


def averaged(runs: list[dict]) -> dict:
    """Mean and std of every numeric metric over runs."""
    keys = [k for k in runs[0] if isinstance(runs[0][k], (int, float))]
    return {k: (float(np.mean([r[k] for r in runs])), float(np.std([r[k] for r in runs]))) for k in keys}


def fmt(ms: tuple | None, digits: int = 3) -> str:
    if ms is None or ms[0] != ms[0]:
        return "—"
    return f"{ms[0]:.{digits}f}" + (f" ± {ms[1]:.{digits}f}" if ms[1] > 0 else "")


def reference_rows(pairs) -> dict:
    chords, renderer = shipped_parts()
    templates = [extract_template(s) for s, _ in pairs]
    bach = setting_metrics([bach_song(s, ly) for s, ly in pairs], pairs, templates)
    oracle, rule = [], []
    for k in SAMPLE_SEEDS:
        g = torch.Generator().manual_seed(k)
        lts = []
        for (s, ly), t in zip(pairs, templates):
            fermata = syllable_settings(s, ly)[1]
            lts.append(LyricTemplate(t.chords, t.rhythm, t.cadence, t.tonic, t.mode, syllable_steps=ly.steps,
                                     fermata=fermata, lyrics=ly))
        oracle.append(setting_metrics(LyricsRenderer(renderer).render_batch(lts, generator=g), pairs, lts))
        xs = [LyricsKey(ly, s.tonic, s.mode) for s, ly in pairs]
        rts = LyricsTemplatePrior(None, chords).sample(xs, generator=g)
        rule.append(setting_metrics(LyricsRenderer(renderer).render_batch(rts, generator=g), pairs, rts))
    return {"Bach (the real melodies)": {k: (v, 0.0) for k, v in bach.items() if isinstance(v, (int, float))},
            "oracle Y′: Bach's template → renderer": averaged(oracle),
            "rule Y′: ♩ per syllable, fermata at punct. → renderer": averaged(rule)}


def train_or_load(name: str, source: str, seed: int, out: Path):
    """The shipped weights for (full, seed 0), else trained now by the shipped recipe."""
    recipe = RECIPES[name]
    if source == "full" and seed == 0:
        stem = weights_dir() / name
    else:
        from regen_lite.recipes import run_recipe
        stem, _ = run_recipe(recipe, data=source, seed=seed or None, out_dir=out / f"{source}_{seed}", progress=False)
    return load_checkpoint(stem, recipe.model)[0], read_info(stem)


def plot(curves: dict, fractions: list[str], path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    metrics = ["syllable_agreement", "fermata_recall", "rhythm_f1", "nll_total"]
    fig, axes = plt.subplots(1, len(metrics), figsize=(4 * len(metrics), 3.2))
    x = [100 * {"quarter": 0.25, "half": 0.5, "full": 1.0}[f] for f in fractions]
    for ax, m in zip(axes, metrics):
        for name, label in MODELS.items():
            # the NLL panel: each pipeline's NLL divided by its own value with all the paired data (the two
            # totals are not on one scale: the two-stage one also pays for the chords)
            scale = curves[fractions[-1], name][m][0] if m == "nll_total" else 1.0
            mean = [curves[f, name][m][0] / scale for f in fractions]
            std = [curves[f, name][m][1] / scale for f in fractions]
            ax.errorbar(x, mean, yerr=std, marker="o", capsize=3, label=label)
        ax.set_title(COLS[m] + (f" ÷ its value at {PAIRED[fractions[-1]]}" if m == "nll_total" else ""))
        ax.set_xlabel("paired chorales used (%)")
        ax.set_xticks(x)
    axes[0].legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--fractions", default="quarter,half,full", help="comma-separated: quarter, half, full")
    p.add_argument("--seeds", default="0,1,2", help="training seeds, comma-separated")
    args = p.parse_args(argv)
    fractions = [f.strip() for f in args.fractions.split(",")]
    seeds = [int(s) for s in args.seeds.split(",")]
    torch.set_num_threads(1)          # small models: one thread (regen_lite/device.py, one_thread)
    pairs = load_lyric_chorales("test")
    t0 = time.perf_counter()
    refs = reference_rows(pairs)
    curves, budget = {}, []
    with tempfile.TemporaryDirectory() as tmp:
        for source in fractions:
            for name in MODELS:
                runs = []
                for seed in seeds:
                    model, info = train_or_load(name, source, seed, Path(tmp))
                    runs += [evaluate_lyric_model(model, seed=k) for k in SAMPLE_SEEDS]
                    if seed == seeds[0]:
                        budget.append({"paired": PAIRED[source], "model": f"{name} ({MODELS[name]})",
                                       "chorales": info["data"]["n_train"], "syllables": info["data"]["syllables"],
                                       "params": f"{info['params']:,}", "steps": info["steps"],
                                       "train CPU s": info["cpu_seconds"], "train wall s": info["train_seconds"]})
                curves[source, name] = averaged(runs)
            print(f"{source}: {time.perf_counter() - t0:.0f} s", flush=True)

    def row(label, m, paired="—"):
        return {"pipeline": label, "paired": paired, **{c: fmt(m.get(k)) for k, c in COLS.items()}}

    main_rows = [row(label, m) for label, m in refs.items()]
    for source in fractions:
        main_rows += [row(f"two-stage: lyrics → template → melody", curves[source, "lyrics_template"], PAIRED[source]),
                      row(f"direct: lyrics → melody", curves[source, "lyrics_direct"], PAIRED[source])]
    def ratio(f, name):
        return curves[f, name]["nll_total"][0] / curves[fractions[-1], name]["nll_total"][0]

    nll_rows = [{"paired": PAIRED[f], "two-stage: settings": fmt(curves[f, "lyrics_template"]["nll_settings"]),
                 "+ chords": fmt(curves[f, "lyrics_template"]["nll_chords"]),
                 "+ notes given Y′": fmt(curves[f, "lyrics_template"]["nll_notes"]),
                 "= two-stage total": fmt(curves[f, "lyrics_template"]["nll_total"]),
                 "direct: notes": fmt(curves[f, "lyrics_direct"]["nll_notes"]),
                 "+ syllable decisions": fmt(curves[f, "lyrics_direct"]["nll_syllables"]),
                 "= direct total": fmt(curves[f, "lyrics_direct"]["nll_total"]),
                 "two-stage ÷ its last": f"{ratio(f, 'lyrics_template'):.3f}",
                 "direct ÷ its last": f"{ratio(f, 'lyrics_direct'):.3f}"} for f in fractions]
    plot(curves, fractions, RESULTS / "lyrics_to_melody.png")
    n_runs = len(seeds) * len(SAMPLE_SEEDS)
    text = "\n\n".join([
        "# Lyrics → melody: X → template → melody against X → melody",
        f"X = the lyrics (German syllables, word boundaries, punctuation) and key of each of the {len(pairs)} held-out "
        "chorales with lyrics (tunes never seen in training). The two-stage pipeline: `LyricsTemplateNet` writes a "
        "rhythm pattern and a fermata flag per syllable, the template prior's chord chain writes a chord per beat "
        "given those cadences, and the shipped melody renderer (trained on all 277 melodies, no lyrics needed) writes "
        "the notes on that rhythm. The direct pipeline: `LyricsMelodyNet`, the renderer's MelodyNet with the template "
        "off and the syllables as input, writes notes and decides where each syllable starts. Only the "
        "lyrics-dependent model of each pipeline sees the paired data; both take 250 optimizer steps of batch 32 "
        f"whatever its size. Model rows: mean ± std over {len(seeds)} training seed(s) × {len(SAMPLE_SEEDS)} "
        f"sampling seeds ({n_runs} melodies per chorale). Columns: syllables ✓ = a syllable sung as one note or a "
        "melisma where Bach does the same; fermata at punct. = recall of phrase ends where the text has punctuation; "
        "punct. at fermata = their precision; rhythm F1 = onsets against Bach's, step by step; length = bars / "
        "Bach's bars; notes/syllable = how often the melody spends more than one note on a syllable; chord tones = notes in the pipeline's own chord of the beat (the direct model writes no "
        "chords); pc-hist TV = distance to the corpus's pitch-class histogram (lower is better); NLL/step = "
        "teacher-forced nats per eighth-note step of Bach's setting (two-stage: an upper bound, since its Y′ also "
        "carries chords; see below).",
        markdown_table(main_rows),
        "## Where the NLL goes (nats per step, mean over training seeds)",
        "The two-stage pipeline pays for its template (the syllable settings and the chords) and then for the notes "
        "given it; the direct model pays for the notes and the syllable decisions. The chords are information "
        "Y alone does not fix, so the two-stage total bounds its −log P(Y|X) from above. The last two columns "
        f"divide each total by its own value with {PAIRED[fractions[-1]]} of the paired data: how much each "
        "pipeline loses when the pairs get fewer.",
        markdown_table(nll_rows),
        "## The budget (training seed " + str(seeds[0]) + ")",
        markdown_table(budget),
        "![paired-data curves](lyrics_to_melody.png)",
        f"Measured in {time.perf_counter() - t0:.0f} s.",
    ])
    print(text)
    csv_rows = [{"pipeline": name, "paired": PAIRED[f], **{k: round(v[0], 4) for k, v in curves[f, name].items()}}
                for f in fractions for name in MODELS]
    cols = list(dict.fromkeys(k for r in csv_rows for k in r))
    write_results("lyrics_to_melody", text, csv_rows, cols)


if __name__ == "__main__":
    main()
