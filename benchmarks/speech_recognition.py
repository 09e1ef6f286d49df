"""Speech recognition, measured: X = a spoken word -> phonemes Y' -> spelling Y (two-stage) against X -> letters
(direct), the same CTC network at the same steps, on the shipped spoken-word corpus.

    python benchmarks/speech_recognition.py                      # about 25 minutes on a 2-core CPU
    python benchmarks/speech_recognition.py --fractions full     # the shipped weights only: about 3 minutes

For each amount of paired audio (full = the 9,000 training clips, half, quarter = every 2nd / 4th training word
with all its clips) both recognisers are trained by the shipped recipes (`regen-lite train asr_phonemes --data
half` ...; for full, the shipped weights are used) and measured on three splits: heard words spoken by a new voice
setting, unheard words (in no model's training, P2G's included), and the held-out voice. The two-stage pipeline
spells with the dictionary of the CMUdict *train* split (which holds none of the unheard words), else P2G.
Prints and writes benchmarks/results/speech_recognition.md and .csv.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from regen_lite.checkpoints import load_checkpoint, read_info, weights_dir  # noqa: E402
from regen_lite.recipes import run_recipe  # noqa: E402
from regen_lite.speech.words import load_waves, word_clips  # noqa: E402
from regen_lite.text.priors import CTCRecognizer  # noqa: E402
from regen_lite.text.recipes import RECIPES  # noqa: E402
from regen_lite.text.recognition import (EVAL_SPLITS, default_renderer, recognize_clips,  # noqa: E402
                                         score_rows)
from report import markdown_table, write_results  # noqa: E402

SPLIT_NAMES = {"heard": "heard words, new voice setting", "unheard": "unheard words", "new_voice": "held-out voice"}
PAIRED = {"full": "100%", "half": "50%", "quarter": "25%"}


def models_for(source: str, out: Path) -> dict:
    """{recipe: (model, info)}: the shipped weights for full, else trained now by the shipped recipe."""
    got = {}
    for name in ("asr_phonemes", "asr_letters"):
        if source == "full":
            got[name] = load_checkpoint(weights_dir() / name, CTCRecognizer)
            continue
        stem, _ = run_recipe(RECIPES[name], data=source, out_dir=out / source, progress=False)
        got[name] = (load_checkpoint(stem, CTCRecognizer)[0], read_info(stem))
    return got


def pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--fractions", default="full,half,quarter", help="comma-separated: full, half, quarter")
    args = p.parse_args(argv)
    fractions = [f.strip() for f in args.fractions.split(",")]
    torch.set_num_threads(min(2, torch.get_num_threads()))
    renderer = default_renderer()
    clips = {s: word_clips(s) for s in EVAL_SPLITS}
    waves = {s: load_waves(c) for s, c in clips.items()}
    results, budget, examples = {}, [], []
    with tempfile.TemporaryDirectory() as tmp:
        for source in fractions:
            t0 = time.perf_counter()
            m = models_for(source, Path(tmp))
            (ph, ph_info), (le, le_info) = m["asr_phonemes"], m["asr_letters"]
            for name, (_, info) in m.items():
                budget.append({"paired audio": PAIRED[source], "model": name, "clips": info["data"]["n_train"],
                               "words": info["data"]["n_words"], "steps": info["steps"],
                               "batch": info["train_config"]["batch_size"], "params": f"{info['params']:,}",
                               "train CPU s": info["cpu_seconds"], "train wall s": info["train_seconds"]})
            budget[-1]["CPU vs phonemes"] = f"{le_info['cpu_seconds'] / ph_info['cpu_seconds']:.2f}x"
            budget[-2]["CPU vs phonemes"] = "1.00x"
            for split in EVAL_SPLITS:
                rows = recognize_clips(clips[split], ph, le, renderer, waves=waves[split])
                results[source, split] = score_rows(rows)
                if source == "full" and split == "unheard":
                    examples = rows[::60][:10]
            print(f"{source}: {time.perf_counter() - t0:.0f} s", flush=True)

    main_rows = []
    if "full" in fractions:
        for split in EVAL_SPLITS:
            r = results["full", split]
            name = f"{SPLIT_NAMES[split]} ({r['n']} clips)"
            main_rows += [
                {"split": name, "pipeline": "two-stage: X → phonemes → dictionary / P2G", "PER": pct(r["per"]),
                 "CER": pct(r["two_stage"]["cer"]), "WER": pct(r["two_stage"]["wer"]),
                 "homophones": pct(r["two_stage"]["homophone"])},
                {"split": name, "pipeline": "direct: X → letters (same network, same steps)", "PER": "",
                 "CER": pct(r["direct"]["cer"]), "WER": pct(r["direct"]["wer"]),
                 "homophones": pct(r["direct"]["homophone"])},
                {"split": name, "pipeline": "oracle Y′: true phonemes → dictionary / P2G", "PER": "0.0%",
                 "CER": pct(r["oracle_p2g"]["cer"]), "WER": pct(r["oracle_p2g"]["wer"]),
                 "homophones": pct(r["oracle_p2g"]["homophone"])},
            ]
    split_rows = [{"split": SPLIT_NAMES[s], "phonemes exactly right": pct(results["full", s]["phonemes_exact"]),
                   "two-stage wrong: acoustic (phonemes wrong)": pct(results["full", s]["two_stage_errors"]["acoustic"]),
                   "two-stage wrong: spelling (phonemes right)": pct(results["full", s]["two_stage_errors"]["spelling"]),
                   "spelled from the dictionary": pct(results["full", s]["two_stage_errors"]["dictionary_hits"])}
                  for s in EVAL_SPLITS if ("full", s) in results]
    axis_rows = [{"paired audio": PAIRED[f], "split": SPLIT_NAMES[s], "PER": pct(results[f, s]["per"]),
                  "two-stage WER": pct(results[f, s]["two_stage"]["wer"]), "direct WER": pct(results[f, s]["direct"]["wer"]),
                  "two-stage CER": pct(results[f, s]["two_stage"]["cer"]), "direct CER": pct(results[f, s]["direct"]["cer"]),
                  "WER gap (direct − two-stage)": f"{100 * (results[f, s]['direct']['wer'] - results[f, s]['two_stage']['wer']):+.1f}"}
                 for f in fractions for s in EVAL_SPLITS]
    example_rows = [{"word": r["word"], "voice": r["voice"], "phonemes heard": " ".join(r["heard"]),
                     "true phonemes": " ".join(r["phonemes"]), "two-stage": r["two_stage"], "from": r["source"],
                     "direct": r["direct"]} for r in examples]

    text = "\n\n".join([
        "# Speech recognition: X → phonemes → spelling against X → letters",
        "Both recognisers are one `CTCRecognizer` (424k parameters: two strided convolutions, three attention blocks),"
        " trained by the same recipe for the same steps and batch on the same clips; only the last layer differs (40 "
        "phoneme outputs against 27 letter outputs). Greedy CTC decoding. The two-stage pipeline spells the phonemes "
        "with the dictionary of the CMUdict train split when they are one of its pronunciations (ranked by P2G when "
        "several words share it), else with P2G (beam 4), which learned from ~106k dictionary words and no audio. "
        "CER and WER by torchmetrics; PER is WER over phoneme tokens against the closest CMUdict pronunciation. A "
        "*homophone* is a different real spelling of the same sound: counted wrong by WER and shown separately. "
        f"Splits: {', '.join(f'{SPLIT_NAMES[s]} ({len(clips[s])} clips)' for s in EVAL_SPLITS)}.",
        "## With all the paired audio (9,000 clips of 3,000 words)",
        markdown_table(main_rows) if main_rows else "(full not measured in this run)",
        "### Where the two-stage errors come from",
        markdown_table(split_rows) if split_rows else "",
        "## The paired-data axis",
        "Fewer training words (every 2nd or 4th, with all their clips), same steps, same P2G (which never needed "
        "audio). Positive gap: the two-stage pipeline makes fewer word errors.",
        markdown_table(axis_rows),
        "## The budget (one run; CPU seconds of the fit loop, both models trained the same way)",
        markdown_table(budget, list(budget[0]) if "CPU vs phonemes" in budget[0] else None),
        "## Examples (unheard words, full models)",
        markdown_table(example_rows) if example_rows else "",
    ])
    print(text)
    write_results("speech_recognition", text, axis_rows)


if __name__ == "__main__":
    main()
