"""Text-to-speech, measured: X = phonemes + voice + setting -> log-mel Y' -> wave Y (two-stage: tts_mel, then the
shipped mel renderer and Griffin-Lim) against X -> wave (direct: tts_wave), the same encoder, durations and
regulator, trained for about the same CPU time, on the flite clips of the spoken-word corpus.

    python benchmarks/speech_synthesis.py             # about 10 minutes on a 2-core CPU (pYIN is most of it)

Rows, on held-out words (the corpus's unheard split: 290 flite clips) and on heard words said with a new setting
(172 clips):
- with the engine's own durations, so every synthesised frame lines up with a frame of the recording (no DTW):
  LSD and MCD against the recording, the pitch kept (pYIN), and the phoneme error rate of the speech-recognition
  model (asr_phonemes) listening to the result;
- with the durations the model predicts (what a user hears): the PER, and the duration error;
- the oracle Y': the recording's own log-mel through the renderer (the rendering floor), and the recording itself.
The real-time factor (seconds of compute per second of audio, one thread) is measured for both in one run.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from regen_lite.checkpoints import load_checkpoint, weights_dir  # noqa: E402
from regen_lite.device import one_thread  # noqa: E402
from regen_lite.speech.features import log_mel  # noqa: E402
from regen_lite.speech.metrics import (log_spectral_distance, mel_cepstral_distortion, pitch_kept,  # noqa: E402
                                       pitch_track)
from regen_lite.speech.recipes import synthesize_waves, tts_scores  # noqa: E402
from regen_lite.speech.renderers import load_mel_renderer  # noqa: E402
from regen_lite.speech.synthesis import TextToSpeech  # noqa: E402
from regen_lite.speech.synthesis_data import tts_clips  # noqa: E402
from regen_lite.speech.words import load_waves  # noqa: E402
from regen_lite.text.priors import CTCRecognizer  # noqa: E402
from regen_lite.text.recognition import phoneme_error_rate  # noqa: E402
from report import markdown_table, write_results  # noqa: E402

SPLITS = {"unheard": "held-out words", "heard": "heard words, new setting"}


def measure(waves, refs, ref_tracks, words, recogniser, aligned: bool) -> dict:
    """LSD, MCD and pitch kept against the recordings (when the frames line up; ref_tracks: their pYIN tracks),
    and the recogniser's PER."""
    heard = [r["symbols"] for r in recogniser.recognize(waves)]
    out = {"PER (ASR)": f"{100 * phoneme_error_rate(heard, words):.1f}%"}
    if aligned:
        kept = [pitch_kept(t, pitch_track(w)) for w, t in zip(waves, ref_tracks)]
        voiced = sum(k["voiced"] for k in kept)
        out.update({"LSD dB": f"{np.mean([log_spectral_distance(w, r) for w, r in zip(waves, refs)]):.2f}",
                    "MCD dB": f"{np.mean([mel_cepstral_distortion(w, r) for w, r in zip(waves, refs)]):.2f}",
                    "voiced frames kept": f"{100 * sum(k['kept'] for k in kept) / max(1, voiced):.0f}%"})
    return out


def rtf(model: TextToSpeech, clips, renderer) -> tuple[float, float]:
    """(seconds of compute, seconds of audio) to synthesise the clips one at a time with predicted durations."""
    t0 = time.perf_counter()
    waves, _ = synthesize_waves(model, clips, renderer, oracle_durations=False, batch=1)
    return time.perf_counter() - t0, sum(len(w) for w in waves) / 16_000


def main() -> None:
    torch.manual_seed(0)
    models = {n: load_checkpoint(weights_dir() / n, TextToSpeech) for n in ("tts_mel", "tts_wave")}
    recogniser, _ = load_checkpoint(weights_dir() / "asr_phonemes", CTCRecognizer)
    renderer = load_mel_renderer()
    pipelines = {"two-stage: X → log-mel → renderer + Griffin-Lim": ("tts_mel", renderer),
                 "direct: X → wave (same encoder and durations)": ("tts_wave", None)}
    rows, durations = [], []
    for split, split_name in SPLITS.items():
        clips = tts_clips(split)
        refs, words = load_waves(clips), [c.word for c in clips]
        tracks = [pitch_track(r) for r in refs]
        print(f"{split}: {len(clips)} clips", flush=True)
        rows.append({"split": split_name, "pipeline": "the engine's recording (what the recogniser hears best)",
                     "durations": "engine", **measure(refs, refs, tracks, words, recogniser, aligned=True)})
        rendered = [renderer.render(torch.from_numpy(log_mel(r))).numpy() for r in refs]
        rows.append({"split": split_name, "pipeline": "oracle Y′: the recording's log-mel → renderer + Griffin-Lim",
                     "durations": "engine", **measure(rendered, refs, tracks, words, recogniser, aligned=True)})
        for label, (name, rend) in pipelines.items():
            model, _ = models[name]
            for oracle in (True, False):
                waves, _ = synthesize_waves(model, clips, rend, oracle_durations=oracle)
                rows.append({"split": split_name, "pipeline": label, "durations": "engine" if oracle else "predicted",
                             **measure(waves, refs, tracks, words, recogniser, aligned=oracle)})
            s = tts_scores(model, clips, rend)
            durations.append({"split": split_name, "model": name, "duration error (frames per phoneme)":
                              s["duration_error_frames"], "predicted length / true length": s["length_ratio"]})
    cols = ["split", "pipeline", "durations", "LSD dB", "MCD dB", "voiced frames kept", "PER (ASR)"]
    for r in rows:
        for c in cols:
            r.setdefault(c, "")

    speed, clips = [], tts_clips("unheard")[::5]
    with one_thread():
        for label, (name, rend) in pipelines.items():
            seconds, audio = rtf(models[name][0], clips, rend)
            speed.append({"pipeline": label, "clips": len(clips), "audio s": f"{audio:.1f}",
                          "compute s": f"{seconds:.2f}", "real-time factor": f"{seconds / audio:.3f}"})
    base = float(speed[0]["real-time factor"])
    for s in speed:
        s["vs two-stage"] = f"{float(s['real-time factor']) / base:.2f}x"

    budget = [{"model": n, "output": m.cfg.output, "params": f"{i['params']:,}", "steps": i["steps"],
               "batch": i["train_config"]["batch_size"], "train CPU s": i["cpu_seconds"],
               "train wall s": i["train_seconds"], "clips": i["data"]["n_train"]} for n, (m, i) in models.items()]

    text = "\n\n".join([
        "# Text-to-speech: X → log-mel → wave against X → wave",
        "Both models are one `TextToSpeech` (speech/synthesis.py): phoneme, voice and setting embeddings, three conv "
        "blocks, a duration predictor trained on flite's phone durations, the length regulator and four conv blocks "
        "over frames; the two-stage model ends in a linear layer to 80 log-mel bands (L1 loss) and the shipped "
        "learned mel renderer + Griffin-Lim make the wave (trained on other clips, with no text); the direct model "
        "ends in transposed convolutions to 128 samples per frame (multi-resolution STFT loss). Steps are set so that "
        "both train for about the same CPU time (the budget table). With the engine's durations the synthesised "
        "frames line up one to one with the recording's, so LSD and MCD (speech/metrics.py) compare them directly; "
        "with predicted durations only the recogniser's PER applies. PER: the asr_phonemes recogniser (issue 13, "
        "trained on the real clips) against the closest CMUdict pronunciation; voiced frames kept: pYIN on both.",
        "## Quality",
        markdown_table(rows, cols),
        "## Durations",
        markdown_table(durations),
        "## Speed (predicted durations, one clip at a time, one thread)",
        markdown_table(speed),
        "## The budget",
        markdown_table(budget),
    ])
    print(text)
    write_results("speech_synthesis", text, rows, cols)


if __name__ == "__main__":
    main()
