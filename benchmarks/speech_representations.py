"""Which speech Y' renders back best? STFT magnitude, log-mel (explicit or learned inverse) and MFCC,
each followed by Griffin-Lim, on the held-out clips (sentences the learned renderer never saw).

    python benchmarks/speech_representations.py              # the 12 held-out clips (about 2 minutes)
    python benchmarks/speech_representations.py --split all  # all 60 clips
    python benchmarks/speech_representations.py --threads 1  # on a shared CPU (see the table's header)

Prints a Markdown table and writes benchmarks/results/speech_representations.{md,csv}. For each Y' -> Y
path: log-spectral distance and mel-cepstral distortion of the rendered wave (dB, lower is better;
regen_lite/speech/metrics.py), whether the pitch survives (pYIN: voicing error, fraction of voiced
frames kept, median F0 error in cents), the size of Y' per second of speech, and the time to extract
and to render one second of speech on this machine (median over clips, after a warm-up).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np
import torch

from regen_lite.checkpoints import CheckpointError
from regen_lite.speech.data import SAMPLE_RATE, load_speech_clips
from regen_lite.speech.metrics import pitch_metrics, speech_metrics
from regen_lite.speech.pipelines import PATHS, build_pipeline
from report import markdown_table, write_results

PCM_KBPS = SAMPLE_RATE * 16 / 1000     # Y itself: 256 kbit/s of 16-bit PCM


def measure_path(extractor, clips) -> dict:
    """Mean metrics and median per-second timings of render(extract(y)) over the clips."""
    extractor.render(extractor.extract(clips[0].wave[:SAMPLE_RATE]))     # warm-up (librosa/numba first calls)
    rows, t_ext, t_ren = [], [], []
    for c in clips:
        y = torch.from_numpy(c.wave)
        seconds = len(c.wave) / SAMPLE_RATE
        t0 = time.perf_counter()
        y_prime = extractor.extract(y)
        t1 = time.perf_counter()
        y_hat = extractor.render(y_prime).numpy()
        t2 = time.perf_counter()
        t_ext.append((t1 - t0) / seconds)
        t_ren.append((t2 - t1) / seconds)
        rows.append({**speech_metrics(y_hat, c.wave), **pitch_metrics(y_hat, c.wave)})
    cents = [r["f0_cents"] for r in rows if r["f0_cents"] is not None]
    return {
        "lsd_db": float(np.mean([r["lsd_db"] for r in rows])),
        "mcd_db": float(np.mean([r["mcd_db"] for r in rows])),
        "voicing_error": float(np.mean([r["voicing_error"] for r in rows])),
        "voiced_kept": float(np.mean([r["voiced_kept"] for r in rows])),
        "f0_cents": float(np.median(cents)) if cents else None,
        "clips_with_f0": len(cents),
        "extract_ms_per_s": 1000 * statistics.median(t_ext),
        "render_ms_per_s": 1000 * statistics.median(t_ren),
    }


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--split", choices=["test", "train", "all"], default="test")
    p.add_argument("--threads", type=int, default=None, help="torch threads for the learned renderer (default: torch's choice)")
    args = p.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    clips = load_speech_clips(args.split)
    rows = []
    for path, spec in PATHS.items():
        name, renderer = spec.extractor, "learned" if spec.renderer else "explicit"
        try:
            e = build_pipeline(path).extractor
        except CheckpointError as err:
            print(f"skipping {path}: {str(err).splitlines()[-1]}")
            continue
        d = e.describe()
        m = measure_path(e, clips)
        rows.append({
            "path Y' -> Y": path, "Y'": name, "renderer": renderer, "Y' per frame": d["shape"][0],
            "values/s": round(d["values_per_second"]), "kbit/s (float32)": round(d["kbit_per_second"], 1),
            "vs 16-bit PCM": round(PCM_KBPS / d["kbit_per_second"], 2),
            "LSD dB": round(m["lsd_db"], 2), "MCD dB": round(m["mcd_db"], 3),
            "voicing error": round(m["voicing_error"], 3), "voiced frames kept": f"{m['voiced_kept']:.0%}",
            "F0 error cents": "" if m["f0_cents"] is None else round(m["f0_cents"], 1),
            "clips with F0": f"{m['clips_with_f0']}/{len(clips)}",
            "extract ms per s": round(m["extract_ms_per_s"], 1), "render ms per s": round(m["render_ms_per_s"], 1),
        })
    import librosa

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    lines = [f"Speech representations on the {len(clips)} {args.split} clips of data_samples/speech "
             f"({sum(len(c.wave) for c in clips) / SAMPLE_RATE:.1f} s; espeak-ng, 3 voices, 16 kHz), librosa "
             f"{librosa.__version__}, torch {torch.__version__} with {torch.get_num_threads()} thread(s), CPU ({os.cpu_count()} "
             f"cores, load average {load:.1f} while measuring). LSD/MCD in dB, lower is better; pitch by pYIN "
             "(60-500 Hz, a 10-cent grid) on the original and the rendered wave: voicing error = frames voiced in "
             "exactly one of the two, F0 error = median over frames voiced in both, for clips with >= 10 such "
             "frames; sizes per second of speech, floats at 32 bits (Y itself is 256 kbit/s); times are the median "
             "over clips per second of audio.", "", markdown_table(rows)]
    table = "\n".join(lines)
    print(table)
    command = ("python benchmarks/speech_representations.py"
               + ("" if args.split == "test" else f" --split {args.split}")
               + (f" --threads {args.threads}" if args.threads else ""))
    write_results("speech_representations", table, rows, command=command)
    return rows


if __name__ == "__main__":
    main()
