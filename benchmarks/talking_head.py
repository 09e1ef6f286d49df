"""The talking head, measured: face analysis (image -> θ, Table 1) and speech -> video (Table 2), two-stage against
direct, with the spurious voice -> lean correlation broken at test.

    python benchmarks/talking_head.py             # about 3 minutes on a 2-core CPU (shipped weights)
    python benchmarks/talking_head.py --quick     # 50 faces, 40 clips: under a minute

1. Face analysis on the 1,000 held-out still faces: the analysis-by-synthesis encoder (no labels), the same encoder
   trained on the true θ (the supervised upper bound), and per-image fitting (Adam on θ through the renderer,
   300 steps from the neutral face, on the first 200 faces) and the two together (the encoder's guess, then 100
   fitting steps: amortised, then refined), with the mean |θ̂ - θ| of each group of parameters,
   the photometric error of the redrawn face and the time per face.
2. Speech -> video on the 198 unheard clips of voices A and B, whose head lean (roll around ±0.6) is drawn
   independently of the voice, while in training A always leaned left and B right. Rows: the true video (θ drawn
   by the procedural face), the oracle Y' (θ read off the true frames by the encoder, redrawn: the extract-render
   error alone), the two-stage pipeline with the procedural and with the learned renderer (3 sampling seeds: the
   pose prior is random), and the direct model. Every measure reads the frames back through the analysis encoder
   (regen_lite/face/metrics.py). Training budgets: face_mouth and face_direct both take 1,500 optimizer steps of
   16 clips; their CPU seconds and parameters are in the table.

Prints and writes benchmarks/results/talking_head.{md,csv}.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from regen_lite.checkpoints import read_info, weights_dir  # noqa: E402
from regen_lite.face.analysis import fit_theta  # noqa: E402
from regen_lite.face.data import still_faces, talking_faces  # noqa: E402
from regen_lite.face.extractors import load_face_encoder  # noqa: E402
from regen_lite.face.metrics import recovery_errors, video_metrics  # noqa: E402
from regen_lite.face.pipelines import build_pipeline  # noqa: E402
from regen_lite.face.recipes import read_tracks  # noqa: E402
from regen_lite.face.render import render  # noqa: E402
from report import markdown_table, write_results  # noqa: E402

SAMPLE_SEEDS = (0, 1, 2)
VIDEO_COLS = {"lip_sync": "lip sync (r)", "mouth_mae": "mouth error", "pose_leakage": "lean from the voice",
              "roll_follows": "lean of the real video", "frechet": "Fréchet (encoder features)"}


def analysis_rows(n_faces: int, n_fit: int) -> list[dict]:
    theta, images = still_faces("test")
    theta, images = theta[:n_faces], images[:n_faces]
    rows = []
    for name, label in (("face_params", "encoder, analysis-by-synthesis (no labels)"),
                        ("face_params_sup", "encoder, supervised by the true θ (upper bound)")):
        enc = load_face_encoder(name).encoder
        t = time.perf_counter()
        with torch.no_grad():
            theta_hat = enc.encode(images)
        sec = (time.perf_counter() - t) / len(images)
        rows.append({"method": label, "faces": len(images), **recovery_errors(theta_hat, theta),
                     "photometric": ((render(theta_hat) - images) ** 2).mean().item(), "ms per face": 1000 * sec,
                     "labels": "none" if name == "face_params" else "true θ"})
    t = time.perf_counter()
    out = fit_theta(images[:n_fit], steps=300)
    sec = (time.perf_counter() - t) / n_fit
    rows.append({"method": "per-image fitting, 300 Adam steps from the neutral face", "faces": n_fit,
                 **recovery_errors(out["theta"], theta[:n_fit]),
                 "photometric": ((render(out["theta"]) - images[:n_fit]) ** 2).mean().item(),
                 "ms per face": 1000 * sec, "labels": "none"})
    enc = load_face_encoder("face_params").encoder
    t = time.perf_counter()
    with torch.no_grad():
        guess = enc.encode(images[:n_fit])
    out = fit_theta(images[:n_fit], steps=100, init=guess)
    sec = (time.perf_counter() - t) / n_fit
    rows.append({"method": "the encoder's guess, then 100 fitting steps", "faces": n_fit,
                 **recovery_errors(out["theta"], theta[:n_fit]),
                 "photometric": ((render(out["theta"]) - images[:n_fit]) ** 2).mean().item(),
                 "ms per face": 1000 * sec, "labels": "none"})
    return rows


def video_rows(n_clips: int | None) -> list[dict]:
    talk = talking_faces("test")
    if n_clips:
        talk = type(talk)(talk.mel[:n_clips], talk.theta[:n_clips], talk.lengths[:n_clips], talk.voice[:n_clips],
                          talk.lean[:n_clips], talk.clips[:n_clips])
    enc = load_face_encoder("face_params").encoder
    rows = []

    def add(label, runs, seconds, model_names=()):
        keys = list(VIDEO_COLS)
        row = {"pipeline": label}
        for k in keys:
            vals = [r[k] for r in runs]
            row[k] = float(np.mean(vals))
            row[k + "_sd"] = float(np.std(vals))
        infos = [read_info(weights_dir() / n) for n in model_names]
        row["params"] = sum(i["params"] for i in infos) if infos else 0
        row["train CPU s"] = sum(i["cpu_seconds"] for i in infos) if infos else 0
        row["steps"] = "+".join(str(i["steps"]) for i in infos if i["steps"]) or "—"
        row["s per clip"] = seconds / len(talk)
        row["seeds"] = len(runs)
        rows.append(row)

    with torch.no_grad():
        truth = render(talk.theta)
        add("true video (θ drawn by the procedural face)", [video_metrics(enc, truth, talk)], 0.0)
        t = time.perf_counter()
        oracle = render(read_tracks(enc, talk.theta))
        add("oracle Y′: θ read off the true frames, redrawn", [video_metrics(enc, oracle, talk)],
            time.perf_counter() - t, ["face_params"])
    for name, label, parts in (
            ("talking_head", "two-stage: speech → θ → procedural face", ["face_mouth", "face_pose"]),
            ("talking_head_learned", "two-stage: speech → θ → learned decoder", ["face_mouth", "face_pose", "face_decoder"]),
            ("talking_direct", "direct: speech → frames", ["face_direct"])):
        pipe = build_pipeline(name)
        seeds = (0,) if name == "talking_direct" else SAMPLE_SEEDS       # the direct model is deterministic
        runs, seconds = [], 0.0
        for s in seeds:
            t = time.perf_counter()
            _, frames = pipe.generate(talk.mel, lengths=talk.lengths, generator=torch.Generator().manual_seed(s))
            seconds += time.perf_counter() - t
            runs.append(video_metrics(enc, frames.clamp(0, 1), talk))
        add(label, runs, seconds / len(seeds), parts)
    return rows


def fmt(row: dict, k: str, digits: int = 3) -> str:
    sd = row.get(k + "_sd", 0.0)
    return f"{row[k]:.{digits}f}" + (f" ± {sd:.{digits}f}" if sd > 0 else "")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="50 faces (20 fitted) and 40 clips")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    t0 = time.perf_counter()
    arows = analysis_rows(50 if args.quick else 1000, 20 if args.quick else 200)
    vrows = video_rows(40 if args.quick else None)

    a_table = [{"method": r["method"], "labels": r["labels"], "faces": r["faces"],
                **{g: f"{r[g]:.3f}" for g in ("mouth", "pose", "blink", "identity", "all")},
                "photometric MSE": f"{r['photometric']:.5f}", "ms per face": f"{r['ms per face']:.2f}"} for r in arows]
    v_table = [{"pipeline": r["pipeline"], **{VIDEO_COLS[k]: fmt(r, k) for k in VIDEO_COLS},
                "params": f"{r['params']:,}", "optimizer steps": r["steps"], "train CPU s": f"{r['train CPU s']:.0f}",
                "ms per clip": f"{1000 * r['s per clip']:.1f}"} for r in vrows]
    text = "\n\n".join([
        "# Talking head: speech → face parameters → video, against speech → video",
        "Everything here is drawn by the kit's procedural face (regen_lite/face/render.py): its factorisation into "
        "mouth, pose, blink and identity is ours by construction, a small stand-in for a real face model.",
        "## 1. Face analysis: image → θ (mean |θ̂ − θ| per group of parameters, held-out still faces)",
        markdown_table(a_table),
        "## 2. Speech → video, 198 unheard clips; the lean no longer follows the voice",
        "*lip sync*: correlation of the mouth opening read off the frames with the true one. *lean from the voice*: "
        "how much of the training tie (A left, B right) the video still shows (1: all of it, 0: none). *lean of the "
        "real video*: the same against the clip's true lean (which no model can hear). Fréchet: lower is closer to "
        "the real frames. Two-stage rows: mean ± std over 3 sampling seeds.",
        markdown_table(v_table),
        f"Measured in {time.perf_counter() - t0:.0f} s{' (--quick)' if args.quick else ''}.",
    ])
    print(text)
    csv_rows = [{"table": "analysis", **r} for r in arows] + [{"table": "video", **r} for r in vrows]
    cols = sorted({k for r in csv_rows for k in r}, key=lambda k: (k != "table", k))
    if not args.quick:
        write_results("talking_head", text, csv_rows, cols)


if __name__ == "__main__":
    main()
