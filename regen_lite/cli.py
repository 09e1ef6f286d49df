"""`regen-lite info | train | sample | data | app` — the only place that parses arguments."""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import platform
import runpy
import sys
from pathlib import Path


def cmd_info(args) -> int:
    import numpy
    import torch

    from . import __version__
    from .checkpoints import list_pretrained, weights_dir
    from .device import get_device
    from .image.data import SAMPLE_FILE, find_fashion_mnist_dir
    from .paths import samples_dir

    print(f"regen-lite {__version__}  python {platform.python_version()}  torch {torch.__version__}  numpy {numpy.__version__}")
    try:   # the installed version, without importing gradio (seconds)
        print(f"gradio {importlib.metadata.version('gradio')}")
    except importlib.metadata.PackageNotFoundError:
        print("gradio: not installed (the app needs it)")
    dev = get_device(args.device)
    src = "--device" if args.device not in (None, "auto") else ("REGEN_LITE_DEVICE" if os.environ.get("REGEN_LITE_DEVICE") else "auto")
    print(f"device: {dev} (chosen by {src}; CUDA available: {torch.cuda.is_available()}, threads: {torch.get_num_threads()})")
    print("datasets:")
    sample = samples_dir() / SAMPLE_FILE
    print(f"  fashion-mnist sample subset: {'found' if sample.exists() else 'MISSING'} at {sample}")
    full = find_fashion_mnist_dir()
    print(f"  fashion-mnist full set:      {'found at ' + str(full) if full else 'not found (set REGEN_LITE_DATA or apt-get install dataset-fashion-mnist)'}")
    try:
        import sklearn  # noqa: F401
        print("  sklearn digits (8x8):        found (bundled with scikit-learn)")
    except ImportError:
        print("  sklearn digits (8x8):        scikit-learn not installed")
    print(f"pretrained weights in {weights_dir()}:")
    found = list_pretrained()
    if not found:
        print("  none found")
    for name, info in found.items():
        if "error" in info:
            print(f"  {name:12s} UNREADABLE: {info['error']}")
        else:
            print(f"  {name:12s} {info['model']:10s} trained by: {info.get('train_command', '?')}")
    return 0


def recipe_table() -> str:
    """Every recipe with the --data it takes and its one-line note (for `regen-lite train --help`)."""
    import textwrap

    from .registry import MODALITIES, get_recipe, list_recipes

    lines = ["recipes (NAME, --data choices, what it trains):"]
    for m in MODALITIES:
        for name in list_recipes(m):
            r = get_recipe(name, m)
            note = textwrap.shorten(r.notes or r.kind, 80, placeholder=" ...")
            lines.append(f"  {name:16s} {'|'.join(r.sources):12s} {note}")
    return "\n".join(lines)


def cmd_train(args) -> int:
    from .recipes import run_recipe
    from .registry import get_recipe, list_recipes

    if args.name not in list_recipes():
        print(f"unknown model {args.name!r}; choose from: {', '.join(list_recipes())}", file=sys.stderr)
        return 2
    # a flag that does not apply to the recipe (e.g. --data sample for the speech clips) is refused there
    stem, info = run_recipe(get_recipe(args.name), epochs=args.epochs, max_steps=args.steps, data=args.data,
                            device=args.device, out_dir=args.out, resume=args.resume, progress=not args.quiet,
                            seed=args.seed)
    if stem is None:   # not process 0 of a launched (data-parallel) run: process 0 reports and saves
        return 0
    print(f"saved {stem}.safetensors (+ .json) after {info['train_seconds']} s of training")
    for split, m in info["metrics"].items():
        print(f"  {split}: " + ", ".join(f"{k}={v:.4f}" if isinstance(v, float) else f"{k}={v}" for k, v in m.items()))
    return 0


def parse_class(name: str) -> int:
    """'sneaker', 'ankle boot', 'boot' or '7' -> 7."""
    from .image.data import CLASS_SLUGS, FASHION_CLASSES

    key = name.strip().lower()
    if key.isdigit() and int(key) < 10:
        return int(key)
    for i, (slug, full) in enumerate(zip(CLASS_SLUGS, FASHION_CLASSES)):
        if key in (slug, full, full.replace(" ", "-"), full.replace("/", "-")):
            return i
    raise ValueError(f"unknown class {name!r}; use 0-9 or one of: {', '.join(CLASS_SLUGS)}")


SAMPLE_FLAGS = {   # the sample flags each modality takes (every pipeline also takes --device and --out)
    "image": {"cls": "--class", "n": "-n", "steps": "--steps", "guidance": "--guidance", "seed": "--seed"},
    "music": {"key": "--key", "bars": "--bars", "temperature": "--temperature", "seed": "--seed",
              "text": "--text"},
    "speech": {"input": "--input", "text": "--text"},
    "text": {"text": "--text"},
}


def pipeline_table() -> str:
    """Every named pipeline with its modality and summary, and the flags each modality takes."""
    from .registry import MODALITIES, get_pipeline, list_pipelines

    lines = ["pipelines (NAME, modality, what it does):"]
    for m in MODALITIES:
        lines += [f"  {n:16s} {m:7s} {get_pipeline(n, m).summary}" for n in list_pipelines(m)]
    lines += ["", "flags by modality (besides --device and --out):"]
    lines += [f"  {m:7s} {', '.join(flags.values())}" for m, flags in SAMPLE_FLAGS.items()]
    return "\n".join(lines)


class TableHelp(argparse.Action):
    """-h that prints the usual help and then a table built only when asked (it imports every modality)."""

    def __init__(self, option_strings, dest, table=None, **kw):
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kw)
        self.table = table

    def __call__(self, parser, namespace, values, option_string=None):
        parser.epilog = self.table()
        parser.print_help()
        parser.exit()


def cmd_sample(args) -> int:
    """X -> Y' -> Y with a named pipeline (or Y -> Y' -> Y for a pipeline without a prior); writes one file."""
    from .device import get_device
    from .registry import build_pipeline, get_pipeline

    spec = get_pipeline(args.pipeline)
    takes = SAMPLE_FLAGS[spec.modality]
    refused = [flag for dest, flag in {k: v for f in SAMPLE_FLAGS.values() for k, v in f.items()}.items()
               if getattr(args, dest) is not None and dest not in takes]
    if refused:
        raise ValueError(f"{', '.join(refused)} does not apply to the {spec.modality} pipeline {spec.name!r}; "
                         f"it takes {', '.join(takes.values())}")
    device = get_device(args.device)
    kw = {"temperature": args.temperature if args.temperature is not None else 1.0} if spec.modality == "music" else {}
    pipe = build_pipeline(spec.name, device=device, **kw)
    out = Path(args.out or {"image": "grid.png", "music": "melody.mid", "speech": "speech.wav", "text": "text.txt"}[spec.modality])
    out.parent.mkdir(parents=True, exist_ok=True)
    return {"image": _sample_image, "music": _sample_music, "speech": _sample_speech, "text": _sample_text}[
        spec.modality](args, spec, pipe, device, out)


def _sample_image(args, spec, pipe, device, out: Path) -> int:
    import time

    import torch
    from torchvision.utils import save_image

    label, n = parse_class(args.cls or "sneaker"), args.n or 16
    kw = dict(spec.sample_kw)
    if args.steps is not None:
        if "steps" not in kw:
            raise ValueError(f"pipeline {args.pipeline!r} samples codes one by one; --steps does not apply")
        kw["steps"] = args.steps
    if args.guidance is not None:
        kw["guidance"] = args.guidance
    g = torch.Generator(device=device).manual_seed(args.seed or 0)
    t0 = time.perf_counter()
    y_prime, y = pipe.generate(torch.full((n,), label, dtype=torch.long), generator=g, **kw)
    seconds = time.perf_counter() - t0
    save_image(y.cpu(), out, nrow=int(n ** 0.5 + 0.999), padding=2, pad_value=0.5)
    print(f"wrote {out}: {n} samples of class {label} from pipeline {args.pipeline!r} "
          f"({spec.summary}) in {seconds:.2f} s on {device}; Y' shape {tuple(y_prime.shape[1:])}")
    return 0


def _sample_music(args, spec, pipe, device, out: Path) -> int:
    import time

    from .music.pipelines import LYRIC_PIPELINES, generate, generate_lyrics
    from .music.song import write_midi

    key, seed, lyric = args.key or "C major", args.seed or 0, spec.name in LYRIC_PIPELINES
    if lyric and args.bars is not None:
        raise ValueError(f"--bars does not apply to {spec.name!r}: the lyrics set the length (give --text)")
    if not lyric and args.text is not None:
        raise ValueError(f"--text does not apply to {spec.name!r}; the lyrics pipelines are {', '.join(LYRIC_PIPELINES)}")
    t0 = time.perf_counter()
    if lyric:
        y_prime, song = generate_lyrics(pipe, args.text or "Nun dan-ket al-le Gott, mit Her-zen, Mund und Hän-den.",
                                        key, seed)
    else:
        y_prime, song = generate(pipe, key, args.bars or 8, seed)
    seconds = time.perf_counter() - t0
    write_midi(song, out)
    print(f"wrote {out}: a melody in {song.key}, {song.n_bars} bars, {len(song.notes())} notes from pipeline "
          f"{spec.name!r} ({spec.summary}) in {seconds:.2f} s (seed {seed})")
    print("Y' = Y, the melody itself (direct generation)" if spec.direct else
          f"Y' = template, chords by bar: {y_prime.summary()['chord_names']}")
    return 0


def _sample_speech(args, spec, pipe, device, out: Path) -> int:
    import soundfile as sf

    from .speech.data import SAMPLE_RATE
    from .speech.pipelines import round_trip, speech_input

    if spec.prior is not None:                   # text-to-speech: X = --text
        return _synthesize(args, spec, pipe, out)
    if args.text is not None:
        raise ValueError(f"--text does not apply to {spec.name!r}, which round-trips audio (--input); "
                         "text-to-speech pipelines: tts, tts_direct")
    wave, source = speech_input(args.input)
    rt = round_trip(spec.name, wave, pipe=pipe)
    sf.write(out, rt.y_hat, SAMPLE_RATE)
    m = rt.metrics
    kept = f"{m['voiced_kept']:.0%} of {m['voiced']} voiced frames keep their pitch" if m["voiced"] else "no voiced frames"
    print(f"wrote {out}: render(Y') of {source}, {len(rt.y_hat) / SAMPLE_RATE:.2f} s, along {spec.name!r} "
          f"({spec.summary}); Y' shape {rt.y_prime.shape}; LSD {m['lsd_db']:.2f} dB, MCD {m['mcd_db']:.2f} dB, {kept}")
    return 0


def _synthesize(args, spec, pipe, out: Path) -> int:
    import soundfile as sf

    from .speech.data import SAMPLE_RATE
    from .speech.pipelines import synthesize_text

    if not args.text or args.input is not None:
        raise ValueError(f"the text-to-speech pipeline {spec.name!r} reads typed text: pass --text \"some words\" "
                         "(and no --input)")
    got = synthesize_text(spec.name, args.text, pipe=pipe)
    sf.write(out, got["wave"], SAMPLE_RATE)
    seconds = len(got["wave"]) / SAMPLE_RATE
    print(f"wrote {out}: {args.text!r} -> {' '.join(got['phonemes'])} -> {sum(got['durations'])} frames -> "
          f"Y' {tuple(got['y_prime'].shape)} -> {seconds:.2f} s of audio along {spec.name!r} ({spec.summary}), "
          f"in {got['seconds']:.2f} s")
    return 0


def _sample_text(args, spec, pipe, device, out: Path) -> int:
    from .text.pipelines import round_trip

    if not args.text:
        raise ValueError(f"the text pipeline {spec.name!r} round-trips typed text: pass --text \"some words\"")
    rt = round_trip(spec.name, args.text, pipe=pipe)
    lines = [f"Y      {rt.y}",
             f"Y'     {' | '.join(' '.join(p) for p in rt.y_prime)}",
             f"render {' '.join(rt.y_hat)}",
             f"LER {rt.metrics['ler']:.3f}, WER {rt.metrics['wer']:.3f}, "
             f"{rt.metrics['valid']:.0%} of the words spelled as a real spelling of their sound"] + rt.notes
    out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines) + f"\nwrote {out} (pipeline {spec.name!r}: {spec.summary})")
    return 0


def cmd_data(args) -> int:
    from .image.data import download_fashion_mnist, make_sample_subset
    from .paths import samples_dir

    if args.action == "make-sample":
        out = make_sample_subset(args.out or samples_dir() / "fashion_mnist_subset.npz")
        print(f"wrote {out}")
    elif args.action == "download":
        root = Path(args.out or Path.home() / ".cache" / "regen-lite")
        raw = download_fashion_mnist(root)
        print(f"downloaded to {raw}; use it with: export REGEN_LITE_DATA={raw}")
    return 0


def cmd_app(args) -> int:
    main_py = Path(__file__).resolve().parent.parent / "app" / "main.py"
    if not main_py.exists():
        print(f"the app lives in the repository's app/ folder, not found at {main_py}", file=sys.stderr)
        return 2
    sys.argv = [str(main_py), "--host", args.host, "--port", str(args.port)] + (["--device", args.device] if args.device else [])
    for flag in ("threads", "max_batch", "max_waiting"):
        if getattr(args, flag) is not None:
            sys.argv += ["--" + flag.replace("_", "-"), str(getattr(args, flag))]
    sys.argv += ["--classroom"] if args.classroom else []
    runpy.run_path(str(main_py), run_name="__main__")
    return 0


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="regen-lite", description="Regeneration learning teaching kit: X -> Y' -> Y")
    sub = p.add_subparsers(dest="cmd", required=True)

    s = sub.add_parser("info", help="versions, device, datasets and weights found")
    s.add_argument("--device", default=None, help="auto (default), cpu, cuda, mps; or set REGEN_LITE_DEVICE")
    s.set_defaults(fn=cmd_info)

    s = sub.add_parser("train", help="train one of the shipped models from scratch", add_help=False,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    s.add_argument("-h", "--help", action=TableHelp, table=recipe_table, help="show this help and every recipe, then exit")
    s.add_argument("name", help="the recipe: one of the names listed below (the shipped checkpoint it remakes)")
    s.add_argument("--epochs", type=int, default=None, help="override the recipe's epochs")
    s.add_argument("--steps", type=int, default=None, help="override the recipe's optimizer-step budget")
    s.add_argument("--device", default="auto")
    s.add_argument("--data", choices=["full", "sample"], default="full",
                   help="full = all of the recipe's training data (Fashion-MNIST: 60k images from a local folder); "
                   "sample = the shipped subset, where the recipe has one")
    s.add_argument("--out", default=None, help="folder for the checkpoint (default: data_samples/weights)")
    s.add_argument("--seed", type=int, default=None)
    s.add_argument("--resume", action="store_true", help="continue an interrupted run from its saved state (OUT/.state/NAME)")
    s.add_argument("--quiet", action="store_true", help="no progress bars")
    s.set_defaults(fn=cmd_train)

    s = sub.add_parser("sample", help="run a named pipeline X -> Y' -> Y (or Y -> Y' -> Y) and write its file",
                       add_help=False, formatter_class=argparse.RawDescriptionHelpFormatter)
    s.add_argument("-h", "--help", action=TableHelp, table=pipeline_table, help="show this help and every pipeline, then exit")
    s.add_argument("--pipeline", default="latent", help="a pipeline name listed below (default: latent)")
    s.add_argument("--class", dest="cls", default=None, help="image: class name (sneaker, bag, ...) or 0-9 (default sneaker)")
    s.add_argument("-n", type=int, default=None, help="image: number of samples (default 16)")
    s.add_argument("--steps", type=int, default=None, help="image: DDIM steps (diffusion pipelines)")
    s.add_argument("--guidance", type=float, default=None, help="image: classifier-free guidance weight (0 = off)")
    s.add_argument("--key", default=None, help="music: the key of X, e.g. 'G major', 'A minor' or 'Am' (default C major)")
    s.add_argument("--bars", type=int, default=None, help="music: the length of X in 4/4 bars (default 8)")
    s.add_argument("--temperature", type=float, default=None, help="music: the note sampler's temperature (default 1)")
    s.add_argument("--input", default=None, help="speech round trips: an audio file or a shipped clip name (default: us_16)")
    s.add_argument("--text", default=None, help="text: the words to round-trip; speech (tts, tts_direct): the words to say; "
                   "music (lyrics_template, lyrics_direct): the lyrics, syllables split by hyphens")
    s.add_argument("--seed", type=int, default=None, help="image, music: the sampling seed (default 0)")
    s.add_argument("--device", default="auto")
    s.add_argument("--out", default=None, help="the file to write (default grid.png, melody.mid, speech.wav or text.txt)")
    s.set_defaults(fn=cmd_sample)

    s = sub.add_parser("data", help="make the shipped subset, or download the full set (needs internet)")
    s.add_argument("action", choices=["make-sample", "download"])
    s.add_argument("--out", default=None)
    s.set_defaults(fn=cmd_data)

    s = sub.add_parser("app", help="launch the Gradio app on http://127.0.0.1:7860")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=7860)
    s.add_argument("--device", default=None)
    s.add_argument("--classroom", action="store_true",
                   help="one server for a class (notebooks/TEACHING.md): cheap views apart, batched generation")
    s.add_argument("--threads", type=int, default=None, help="PyTorch threads (classroom default: the cores)")
    s.add_argument("--max-batch", type=int, default=None, help="generation requests sampled together (classroom: 8)")
    s.add_argument("--max-waiting", type=int, default=None, help="generation requests waiting before 'busy' (48)")
    s.set_defaults(fn=cmd_app)

    args = p.parse_args(argv)
    try:
        return args.fn(args)
    except (RuntimeError, KeyError, ValueError) as e:  # our errors carry a message meant for the user
        from .checkpoints import CheckpointError
        from .paths import DataError
        if isinstance(e, (CheckpointError, DataError)) or args.cmd in ("train", "data", "info", "sample"):
            print(f"error: {e}", file=sys.stderr)
            return 1
        raise


if __name__ == "__main__":
    sys.exit(main())
