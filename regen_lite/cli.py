"""`regen-lite info | train | data | app` — the only place that parses arguments."""

from __future__ import annotations

import argparse
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
    try:
        import gradio
        print(f"gradio {gradio.__version__}")
    except ImportError:
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


def cmd_train(args) -> int:
    from .recipes import run_recipe
    from .registry import get_recipe, list_recipes

    if args.name not in list_recipes():
        print(f"unknown model {args.name!r}; choose from: {', '.join(list_recipes())}", file=sys.stderr)
        return 2
    stem, info = run_recipe(get_recipe(args.name), epochs=args.epochs, data=args.data, device=args.device,
                            out_dir=args.out, resume=args.resume, progress=not args.quiet, seed=args.seed,
                            max_steps=args.steps)
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


def cmd_sample(args) -> int:
    import time

    import torch
    from torchvision.utils import save_image

    from .device import get_device
    from .image.pipelines import build_pipeline

    label = parse_class(args.cls)
    device = get_device(args.device)
    pipe, spec = build_pipeline(args.pipeline, device=device)
    kw = dict(spec.sample_kw)
    if args.steps is not None:
        if "steps" not in kw:
            raise ValueError(f"pipeline {args.pipeline!r} samples codes one by one; --steps does not apply")
        kw["steps"] = args.steps
    if args.guidance is not None:
        kw["guidance"] = args.guidance
    g = torch.Generator(device=device).manual_seed(args.seed)
    t0 = time.perf_counter()
    y_prime, y = pipe.generate(torch.full((args.n,), label, dtype=torch.long), generator=g, **kw)
    seconds = time.perf_counter() - t0
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    save_image(y.cpu(), out, nrow=int(args.n ** 0.5 + 0.999), padding=2, pad_value=0.5)
    print(f"wrote {out}: {args.n} samples of class {label} from pipeline {args.pipeline!r} "
          f"({spec.summary}) in {seconds:.2f} s on {device}; Y' shape {tuple(y_prime.shape[1:])}")
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
    runpy.run_path(str(main_py), run_name="__main__")
    return 0


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="regen-lite", description="Regeneration learning teaching kit: X -> Y' -> Y")
    sub = p.add_subparsers(dest="cmd", required=True)

    s = sub.add_parser("info", help="versions, device, datasets and weights found")
    s.add_argument("--device", default=None, help="auto (default), cpu, cuda, mps; or set REGEN_LITE_DEVICE")
    s.set_defaults(fn=cmd_info)

    s = sub.add_parser("train", help="train one of the shipped models from scratch")
    s.add_argument("name", help="classifier, ae, vae, vqvae, fsq, sr_x4, or a prior: prior_direct, prior_vae, ...")
    s.add_argument("--epochs", type=int, default=None, help="override the recipe's epochs")
    s.add_argument("--steps", type=int, default=None, help="override the recipe's optimizer-step budget")
    s.add_argument("--device", default="auto")
    s.add_argument("--data", choices=["full", "sample"], default="full",
                   help="full = 60k images from a local folder; sample = the shipped 5k subset")
    s.add_argument("--out", default=None, help="folder for the checkpoint (default: data_samples/weights)")
    s.add_argument("--seed", type=int, default=None)
    s.add_argument("--resume", action="store_true", help="continue an interrupted run from its saved state (OUT/.state/NAME)")
    s.add_argument("--quiet", action="store_true", help="no progress bars")
    s.set_defaults(fn=cmd_train)

    s = sub.add_parser("sample", help="generate a grid X -> Y' -> Y with a shipped pipeline")
    s.add_argument("--pipeline", default="latent", help="direct, latent, vq, fsq or lowres")
    s.add_argument("--class", dest="cls", default="sneaker", help="class name (sneaker, bag, ...) or 0-9")
    s.add_argument("-n", type=int, default=16, help="number of samples")
    s.add_argument("--steps", type=int, default=None, help="DDIM steps (diffusion pipelines)")
    s.add_argument("--guidance", type=float, default=None, help="classifier-free guidance weight (0 = off)")
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--device", default="auto")
    s.add_argument("--out", default="grid.png")
    s.set_defaults(fn=cmd_sample)

    s = sub.add_parser("data", help="make the shipped subset, or download the full set (needs internet)")
    s.add_argument("action", choices=["make-sample", "download"])
    s.add_argument("--out", default=None)
    s.set_defaults(fn=cmd_data)

    s = sub.add_parser("app", help="launch the Gradio app on http://127.0.0.1:7860")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=7860)
    s.add_argument("--device", default=None)
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
