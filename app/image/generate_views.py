"""The "Generate" view's logic: X (a class) -> Y' (sampled by the prior) -> Y (rendered), for every
shipped pipeline. Plain functions, no Gradio, so they are easy to test; all models come from regen_lite."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import torch
from matplotlib import colormaps

from regen_lite.checkpoints import CheckpointError
from regen_lite.image.data import FASHION_CLASSES
from regen_lite.image.pipelines import PIPELINES, build_pipeline
from regen_lite.nn.noise import RowGenerators

MAX_STEPS, MAX_SAMPLES, MAX_SEED = 200, 36, 2**31 - 1
TILE = 56   # pixels per sample in the grids
# Class X in the dropdowns, (label, value): the API takes the strings '0'..'9', the way gradio_client lists them
CLASS_CHOICES = [(name, str(i)) for i, name in enumerate(FASHION_CLASSES)]


class GenerateError(ValueError):
    """A request the app refuses, with a message for the user."""


@dataclass
class PipelineSet:
    available: dict = field(default_factory=dict)     # name -> (Regenerator, PipelineSpec)
    unavailable: dict = field(default_factory=dict)   # name -> reason


def load_pipelines(device) -> PipelineSet:
    """Every shipped pipeline; one whose weights are missing or broken is listed with its reason."""
    found = PipelineSet()
    for name in PIPELINES:
        try:
            found.available[name] = build_pipeline(name, device=device), PIPELINES[name]
        except (CheckpointError, OSError, RuntimeError) as e:
            found.unavailable[name] = str(e)
    return found


def device_choices() -> list[str]:
    """The devices offered in the UI: always cpu, plus cuda / mps when PyTorch can use them."""
    choices = ["cpu"]
    if torch.cuda.is_available():
        choices.append("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        choices.append("mps")
    return choices


def check_request(steps, guidance, seed, n) -> tuple[int, float, int, int]:
    """Validate the user's numbers and say exactly what is wrong."""
    try:
        steps, guidance, seed, n = int(steps), float(guidance), int(seed), int(n)
    except (TypeError, ValueError) as e:
        raise GenerateError(f"steps, guidance, seed and number of samples must be numbers ({e})") from e
    if not 1 <= steps <= MAX_STEPS:
        raise GenerateError(f"steps must be between 1 and {MAX_STEPS}, not {steps}")
    if not 0.0 <= guidance <= 20.0:
        raise GenerateError(f"guidance must be between 0 and 20, not {guidance}")
    if not 0 <= seed <= MAX_SEED:
        raise GenerateError(f"seed must be between 0 and {MAX_SEED}, not {seed}")
    if not 1 <= n <= MAX_SAMPLES:
        raise GenerateError(f"number of samples must be between 1 and {MAX_SAMPLES}, not {n}")
    return steps, guidance, seed, n


def _nearest(img: np.ndarray, size: int) -> np.ndarray:
    """(h, w[, 3]) -> (size, size[, 3]) with square pixels."""
    h, w = img.shape[:2]
    return img[np.arange(size) * h // size][:, np.arange(size) * w // size]


def y_prime_tile(y_prime: torch.Tensor, layout: str, num_codes: int | None) -> np.ndarray:
    """One sampled Y' as an RGB float tile (TILE, TILE, 3): codes through a colour map, one channel or
    a low-res image in grey, several latent channels side by side."""
    yp = y_prime.detach().cpu().float()
    if layout == "codes":
        rgb = colormaps["viridis"](yp.numpy() / max(1, (num_codes or 1) - 1))[..., :3]
        return _nearest(rgb, TILE)
    chans = yp if yp.dim() == 3 else yp[None]
    lo, hi = chans.min(), chans.max()
    chans = ((chans - lo) / (hi - lo + 1e-8)).numpy()
    strip = np.concatenate(list(chans), axis=1)             # (h, C*w): channels side by side
    side = max(strip.shape)
    square = np.zeros((side, side))
    top = (side - strip.shape[0]) // 2
    square[top: top + strip.shape[0], : strip.shape[1]] = strip
    return np.repeat(_nearest(square, TILE)[..., None], 3, axis=2)


def grid(tiles: list[np.ndarray], columns: int) -> np.ndarray:
    """Tiles (TILE, TILE, 3) in [0, 1] -> one uint8 image with a 2-pixel grey gap."""
    rows = -(-len(tiles) // columns)
    gap = 2
    out = np.full((rows * (TILE + gap) + gap, columns * (TILE + gap) + gap, 3), 0.5)
    for i, t in enumerate(tiles):
        r, c = divmod(i, columns)
        out[gap + r * (TILE + gap): gap + r * (TILE + gap) + TILE, gap + c * (TILE + gap): gap + c * (TILE + gap) + TILE] = t
    return np.round(out * 255).astype(np.uint8)


@dataclass(frozen=True)
class Request:
    """One user's request, checked: n samples of one class through one pipeline with one seed."""

    pipeline: str
    class_index: int
    steps: int
    guidance: float
    seed: int
    n: int

    @property
    def batch_key(self) -> tuple:
        """Requests with the same key can share one sampling loop (each keeps its own class and seed)."""
        return self.pipeline, self.steps, self.guidance


def check(pipelines: PipelineSet, name: str, class_index, steps, guidance, seed, n) -> Request:
    """Validate a request and say exactly what is wrong (GenerateError)."""
    if name not in pipelines.available:
        reason = pipelines.unavailable.get(name, f"choose one of: {', '.join(pipelines.available)}")
        raise GenerateError(f"pipeline {name!r} is not available: {reason}")
    try:
        class_index = int(class_index)
    except (TypeError, ValueError) as e:
        raise GenerateError(f"class must be 0..{len(FASHION_CLASSES) - 1}, not {class_index!r}") from e
    if not 0 <= class_index < len(FASHION_CLASSES):
        raise GenerateError(f"class must be 0..{len(FASHION_CLASSES) - 1}")
    steps, guidance, seed, n = check_request(steps, guidance, seed, n)
    if "steps" not in pipelines.available[name][1].sample_kw:
        steps = 0     # code priors draw one code at a time; the steps setting does not apply (or split a batch)
    return Request(name, class_index, steps, guidance, seed, n)


def sample_batch(pipelines: PipelineSet, requests: list[Request], device, callback=None) -> list[dict]:
    """Sample several requests with the same batch_key in ONE loop of the pipeline: the classes are
    concatenated into one batch X (sum of n, ), and RowGenerators gives every request's rows the noise
    of its own seed, so each gets exactly the images it would get alone. Returns one result per request
    (pictures of its Y' and Y, and the loop's time). callback(done, total) after each sampling step."""
    if len({r.batch_key for r in requests}) != 1:
        raise ValueError(f"requests with different pipelines or settings cannot share a loop: {requests}")
    first = requests[0]
    pipe, spec = pipelines.available[first.pipeline]
    kw = dict(spec.sample_kw, guidance=first.guidance, callback=callback)
    if "steps" in kw:
        kw["steps"] = first.steps
    x = torch.cat([torch.full((r.n,), r.class_index, dtype=torch.long) for r in requests])       # (sum n,)
    seeds = RowGenerators([torch.Generator(device=device).manual_seed(r.seed) for r in requests],
                          [r.n for r in requests])
    t0 = time.perf_counter()
    y_prime, y = pipe.generate(x, generator=seeds, **kw)   # one request: its generator's draws, exactly
    seconds = time.perf_counter() - t0
    parts = zip(requests, y_prime.split(seeds.sizes), y.split(seeds.sizes))
    return [pictures(pipe, spec, r, yp, yy, seconds, device, len(x)) for r, yp, yy in parts]


def pictures(pipe, spec, r: Request, y_prime: torch.Tensor, y: torch.Tensor, seconds: float, device,
             batch: int) -> dict:
    """One request's sampled Y' (n, ...) and Y (n, 1, 28, 28) as two grids, with a summary."""
    layout = pipe.extractor.layout
    num_codes = getattr(getattr(pipe.extractor, "model", None), "num_codes", None)
    columns = min(r.n, 6)
    yp_tiles = [y_prime_tile(yp, layout, num_codes) for yp in y_prime]
    y_tiles = [np.repeat(_nearest(img[0].cpu().numpy(), TILE)[..., None], 3, axis=2) for img in y]
    used = "" if "steps" in spec.sample_kw else " (codes are sampled one at a time: 49 steps, the steps slider does not apply)"
    shared = f" in one loop with {batch - r.n} images of other requests" if batch > r.n else ""
    return {
        "y_prime": grid(yp_tiles, columns), "y": grid(y_tiles, columns), "seconds": seconds,
        "summary": (f"**{r.n} × {FASHION_CLASSES[r.class_index]}** from `{r.pipeline}` ({spec.summary}); "
                    f"Y' shape {tuple(y_prime.shape[1:])}; guidance {r.guidance}, seed {r.seed}, "
                    f"{'steps ' + str(r.steps) if 'steps' in spec.sample_kw else ''}{used}; "
                    f"**{seconds:.2f} s** on {device}{shared}."),
    }

