"""One model-agnostic fit loop: device, seeding, tqdm progress, weight EMA, resume, NaN guard, and
data parallelism over several processes.

Any model works if `model(*batch)` returns (output, loss, stats). The data is a tuple of tensors
held in memory (Fashion-MNIST is 47 MB as float32), shuffled with a seeded generator per epoch so a
resumed run sees the same batches as an uninterrupted one.

Launched as N processes (`accelerate launch --multi_gpu --num_processes N -m regen_lite.cli train NAME`,
or torchrun), fit runs data-parallel through Hugging Face Accelerate: every process draws the same
global batch of cfg.batch_size examples, takes every N-th of them, and PyTorch's DistributedDataParallel
averages the gradients, so each optimizer step follows the gradient of the whole global batch, as one
process would (to float rounding; buffers such as an EMA codebook follow process 0's share).
"""

from __future__ import annotations

import copy
import json
import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file
from tqdm.auto import tqdm

from .device import get_device, world_size


@dataclass
class TrainConfig:
    epochs: int = 5
    max_steps: int | None = None  # stop after this many optimizer steps (the budget used for priors)
    batch_size: int = 128
    lr: float = 2e-3            # peak learning rate (AdamW), after a linear warm-up
    warmup_steps: int = 200
    weight_decay: float = 0.0
    grad_clip: float = 1.0      # max global grad norm (0 = off)
    ema_decay: float = 0.999    # weight EMA (0 = off); we evaluate and ship the EMA copy
    seed: int = 0
    device: str = "auto"
    max_bad_steps: int = 20     # NaN guard: give up after this many non-finite losses in a row
    progress: bool = True


def set_seed(seed: int):
    torch.manual_seed(seed)


@torch.no_grad()
def ema_update(ema: torch.nn.Module, model: torch.nn.Module, decay: float, step: int):
    """theta_ema <- d theta_ema + (1 - d) theta, with warm-up d_t = min(decay, (1 + t) / (10 + t)).
    Buffers (BatchNorm statistics, EMA codebooks) are copied, not averaged."""
    d = min(decay, (1 + step) / (10 + step))
    for pe, p in zip(ema.parameters(), model.parameters()):
        pe.lerp_(p, 1 - d)
    for be, b in zip(ema.buffers(), model.buffers()):
        be.copy_(b)


def lr_at(step: int, total: int, cfg: TrainConfig) -> float:
    """Linear warm-up, then cosine decay to 5% of the peak."""
    if step < cfg.warmup_steps:
        return cfg.lr * (step + 1) / cfg.warmup_steps
    t = (step - cfg.warmup_steps) / max(1, total - cfg.warmup_steps)
    return cfg.lr * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(1.0, t))))


@dataclass
class FitResult:
    model: torch.nn.Module            # the EMA copy when ema_decay > 0, else the trained model
    history: list = field(default_factory=list)  # one dict of mean stats per epoch
    seconds: float = 0.0
    steps: int = 0
    skipped_steps: int = 0


# ---------------------------------------------------------------------------------------
# Resumable state: model, EMA and optimizer tensors in safetensors, counters in JSON
# ---------------------------------------------------------------------------------------

def _save_state(path: Path, model, ema, opt, meta: dict):
    tensors = {f"model.{k}": v for k, v in model.state_dict().items()}
    if ema is not None:
        tensors.update({f"ema.{k}": v for k, v in ema.state_dict().items()})
    osd = opt.state_dict()
    for pid, st in osd["state"].items():
        for k, v in st.items():
            tensors[f"opt.{pid}.{k}"] = v if torch.is_tensor(v) else torch.tensor(v)
    tensors = {k: v.detach().cpu().contiguous() for k, v in tensors.items()}
    tmp = path.with_suffix(".tmp")
    save_file(tensors, str(tmp))
    tmp.replace(path.with_suffix(".safetensors"))
    path.with_suffix(".json").write_text(json.dumps({**meta, "param_groups": osd["param_groups"]}, default=str))


def _load_state(path: Path, model, ema, opt) -> dict:
    tensors = load_file(str(path.with_suffix(".safetensors")))
    meta = json.loads(path.with_suffix(".json").read_text())
    model.load_state_dict({k[6:]: v for k, v in tensors.items() if k.startswith("model.")})
    if ema is not None:
        ema.load_state_dict({k[4:]: v for k, v in tensors.items() if k.startswith("ema.")})
    state: dict = {}
    for k, v in tensors.items():
        if k.startswith("opt."):
            _, pid, name = k.split(".", 2)
            state.setdefault(int(pid), {})[name] = v
    opt.load_state_dict({"state": state, "param_groups": meta["param_groups"]})
    return meta


def fit(model: torch.nn.Module, data: tuple[torch.Tensor, ...], cfg: TrainConfig = TrainConfig(), *,
        state_path: str | Path | None = None, resume: bool = False, desc: str = "train",
        stop_after: int | None = None) -> FitResult:
    """Train `model` on the tensors in `data` (e.g. (images, labels)). Returns a FitResult.

    state_path: where to write a resumable state after every epoch; with resume=True, continue from it.
    stop_after: end this call after that many epochs, as an interruption would (resume later).
    """
    set_seed(cfg.seed)
    device = get_device(cfg.device)
    acc = None
    if world_size() > 1:   # launched as several processes: data-parallel (gloo between CPU processes, NCCL on GPUs)
        from accelerate import Accelerator
        acc = Accelerator(cpu=device.type == "cpu")
        device = acc.device
        if cfg.batch_size % acc.num_processes:
            raise ValueError(f"batch size {cfg.batch_size} does not split evenly over {acc.num_processes} processes")
    rank, world = (acc.process_index, acc.num_processes) if acc else (0, 1)
    model.to(device).train()
    ema = copy.deepcopy(model).eval() if cfg.ema_decay > 0 else None
    for p in ema.parameters() if ema is not None else []:
        p.requires_grad_(False)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    core = model                            # the model itself: what the EMA follows and the state saves
    if acc is not None:
        model = acc.prepare(model)          # DistributedDataParallel: backward() averages gradients over processes
    n = len(data[0])
    steps_per_epoch = math.ceil(n / cfg.batch_size)
    total = steps_per_epoch * cfg.epochs if cfg.max_steps is None else min(cfg.max_steps, steps_per_epoch * cfg.epochs)
    result = FitResult(model=ema if ema is not None else core)
    start_epoch, step = 0, 0
    state_path = Path(state_path) if state_path else None
    if resume and state_path and state_path.with_suffix(".safetensors").exists():
        saved = json.loads(state_path.with_suffix(".json").read_text()).get("config", {})
        changed = {k for k in ("epochs", "batch_size", "lr", "seed", "ema_decay", "weight_decay")
                   if k in saved and saved[k] != getattr(cfg, k)}
        if changed:
            raise ValueError(f"cannot resume from {state_path}: it was trained with different {sorted(changed)}; "
                             "delete it or run without --resume")
        meta = _load_state(state_path, core, ema, opt)
        start_epoch, step, result.history = meta["epoch"], meta["step"], meta["history"]
        result.seconds = meta.get("seconds", 0.0)

    bad_in_a_row = 0
    last = cfg.epochs if stop_after is None else min(cfg.epochs, start_epoch + stop_after)
    for epoch in range(start_epoch, last):
        t0 = time.perf_counter()
        g = torch.Generator().manual_seed(cfg.seed * 1000 + epoch)
        perm = torch.randperm(n, generator=g)
        sums: dict[str, float] = {}
        count = 0
        bar = tqdm(range(steps_per_epoch), desc=f"{desc} {epoch + 1}/{cfg.epochs}",
                   disable=not cfg.progress or rank > 0, leave=False, mininterval=1.0)
        for i in bar:
            if step >= total:
                break
            idx = perm[i * cfg.batch_size:(i + 1) * cfg.batch_size][rank::world]   # this process's share
            batch = [t[idx].to(device) for t in data]
            for group in opt.param_groups:
                group["lr"] = lr_at(step, total, cfg)
            _, loss, stats = model(*batch)
            batch_loss = loss.detach() if acc is None else acc.reduce(loss.detach(), "mean")  # the global batch's
            if not torch.isfinite(batch_loss):
                bad_in_a_row += 1
                result.skipped_steps += 1
                opt.zero_grad(set_to_none=True)
                if bad_in_a_row >= cfg.max_bad_steps:
                    raise FloatingPointError(f"{desc}: loss was not finite for {bad_in_a_row} steps in a row "
                                             f"(epoch {epoch + 1}, step {step}); lower the learning rate")
                continue
            bad_in_a_row = 0
            opt.zero_grad(set_to_none=True)
            if acc is None:
                loss.backward()
            else:
                acc.backward(loss)
            if cfg.grad_clip:
                torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
            opt.step()
            if ema is not None:
                ema_update(ema, core, cfg.ema_decay, step)
            step += 1
            count += 1
            sums["loss"] = sums.get("loss", 0.0) + batch_loss.item()
            for k, v in stats.items():
                if isinstance(v, (int, float)):
                    sums[k] = sums.get(k, 0.0) + float(v)
            if i % 20 == 0:
                bar.set_postfix(loss=f"{batch_loss.item():.4f}")
        result.seconds += time.perf_counter() - t0
        if count == 0:
            break
        result.history.append({"epoch": epoch + 1, **{k: v / max(1, count) for k, v in sums.items()}})
        if state_path and rank == 0:
            state_path.parent.mkdir(parents=True, exist_ok=True)
            _save_state(state_path, core, ema, opt, {"epoch": epoch + 1, "step": step, "history": result.history,
                                                      "seconds": result.seconds, "config": asdict(cfg)})
    result.steps = step
    result.model.eval()
    return result
