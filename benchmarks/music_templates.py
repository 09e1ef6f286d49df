"""How good is a chord/rhythm/cadence template as Y' for melodies? Metrics of melodies for the 42 held-out
test chorales (tunes never seen in training), from each path:

    real                    the chorales' own sopranos, scored against their own templates (the reference)
    renderer, oracle Y'     melody_renderer given extract(y) (all four voices): the rendering error alone
                            (also at sampling temperature 0.8: safer, more stepwise melodies)
    renderer, melody Y'     the same renderer given templates guessed from the melody alone
    prior + renderer        template_prior samples Y' for each chorale's key and length, then melody_renderer
    chord tones, oracle Y'  rule baseline: a random chord tone near the last note at each template onset
    direct (no Y')          melody_direct, melody from key and length alone; scored against the oracle templates
                            of the same chorales, i.e. what chance agreement with a template looks like

Sampled rows average 3 seeds (std in brackets). Columns: see regen_lite/music/metrics.py; nll = teacher-forced
negative log-likelihood of the real test melodies (nats per eighth-note step), models only.

    .venv/bin/python benchmarks/music_templates.py       # ~2-5 min on 2 CPU cores
"""

from __future__ import annotations

import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from regen_lite.music.extractors import ChordToneRenderer
from regen_lite.music.metrics import melody_metrics  # noqa: E402
from regen_lite.music.priors import load_template_prior  # noqa: E402
from regen_lite.music.recipes import teacher_forced  # noqa: E402
from regen_lite.music.renderers import DirectMelodyPrior, TemplateRenderer, load_melody_net  # noqa: E402
from regen_lite.music.song import KeyLength, load_chorales  # noqa: E402
from regen_lite.music.template import extract_template  # noqa: E402
from report import RESULTS, write_results  # noqa: E402

SEEDS = (0, 1, 2)
COLS = ["chord_tones", "chord_tones_strong", "rhythm_f1", "pc_hist_tv", "stepwise"]


def main(out_dir: Path = RESULTS):
    torch.set_num_threads(1)   # small models: one thread is faster (regen_lite/device.py, one_thread)
    test = load_chorales("test")
    oracle = [extract_template(s) for s in test]
    from_melody = [extract_template(s, source="melody") for s in test]
    keys = [KeyLength(t.tonic, t.mode, t.n_steps // 8) for t in oracle]
    net, _ = load_melody_net("melody_renderer")
    direct_net, _ = load_melody_net("melody_direct")
    renderer, direct, prior = TemplateRenderer(net), DirectMelodyPrior(direct_net), load_template_prior()
    cool = TemplateRenderer(net, temperature=0.8)
    rule = ChordToneRenderer()

    def prior_then(render):
        def run(g):
            ts = prior.sample(keys, generator=g)
            return render(ts, g), ts
        return run

    paths = {
        "real": (lambda g: (test, oracle), None),
        "renderer, oracle Y'": (lambda g: (renderer.render_batch(oracle, generator=g), oracle), teacher_forced(net, test, oracle)),
        "renderer at temperature 0.8, oracle Y'": (lambda g: (cool.render_batch(oracle, generator=g), oracle), None),
        "renderer, Y' from the melody alone": (lambda g: (renderer.render_batch(from_melody, generator=g), from_melody),
                                               teacher_forced(net, test, from_melody)),
        "template prior + renderer": (prior_then(lambda ts, g: renderer.render_batch(ts, generator=g)), None),
        "chord tones (rule baseline), oracle Y'": (lambda g: ([rule.render(t, generator=g) for t in oracle], oracle), None),
        "template prior + chord tones": (prior_then(lambda ts, g: [rule.render(t, generator=g) for t in ts]), None),
        "direct, no Y' (baseline)": (lambda g: (direct.sample(keys, generator=g), oracle), teacher_forced(direct_net, test, oracle)),
    }
    rows = []
    for name, (run, tf) in paths.items():
        t0 = time.perf_counter()
        seeds = SEEDS[:1] if name == "real" else SEEDS
        ms = [melody_metrics(*run(torch.Generator().manual_seed(s))) for s in seeds]
        sec = (time.perf_counter() - t0) / len(seeds)
        row = {"path": name, **{c: float(np.mean([m[c] for m in ms])) for c in COLS},
               **{c + "_std": float(np.std([m[c] for m in ms])) for c in COLS},
               "nll": tf["nll"] if tf else None, "notes": int(np.mean([m["notes"] for m in ms])), "seconds": sec}
        rows.append(row)
        print(f"{name:42s} " + "  ".join(f"{c}={row[c]:.3f}" for c in COLS) + (f"  nll={row['nll']:.3f}" if tf else "")
              + f"  ({sec:.1f} s)", flush=True)

    head = ("| path | chord tones | chord tones, beats 1+3 | rhythm F1 | pc-histogram TV (lower = more Bach-like) "
            "| stepwise | NLL nats/step | notes | s per run |\n|---|---|---|---|---|---|---|---|---|\n")

    def cell(r, c):
        return f"{r[c]:.3f}" + (f" ({r[c + '_std']:.3f})" if r[c + "_std"] > 0 else "")

    def nll(r):
        return "" if r["nll"] is None else f"{r['nll']:.3f}"

    lines = [f"| {r['path']} | " + " | ".join(cell(r, c) for c in COLS) + f" | {nll(r)} | {r['notes']} | {r['seconds']:.1f} |"
             for r in rows]
    md = (f"Melodies for the {len(test)} held-out test chorales (tunes unseen in training), {len(SEEDS)} seeds "
          f"(std in brackets), torch {torch.__version__}, {torch.get_num_threads()} thread, {platform.machine()} CPU shared "
          f"with other jobs (load average {os.getloadavg()[0]:.1f} at the end, so the seconds are upper bounds).\n\n"
          + head + "\n".join(lines) + "\n")
    write_results("music_templates", md, rows, out_dir=out_dir)
    print(md)


if __name__ == "__main__":
    main()
