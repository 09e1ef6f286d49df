"""A 2-D toy where X -> Y is one-to-many: direct regression averages the modes, X -> Y' -> Y keeps them.

The data (a "pinwheel" of M curved arms):

    x ~ U(0, 1)                                   the condition X, one number
    m ~ Categorical(w),  w_m ∝ exp(-skew m)       which arm y lies on (hidden: never given to a model)
    p_m(x) = (r0 + x) (cos φ, sin φ),  φ = 2π m / M + twist x
    y = p_m(x) + σ ε,  ε ~ N(0, I)                the target Y, a point in the plane

For one x there are M places y can be. A regressor trained with MSE learns E[y | x] = Σ_m w_m p_m(x)
(`conditional_mean`): a point between the arms where no real y ever lies.

The two-stage model splits the problem, with the kit's three roles (regen_lite.core):

    extract   Y  -> Y'   GridExtractor: the index of the cell of a coarse grid that holds y (a rule)
    prior     X  -> Y'   CellPrior: an MLP classifier giving P(Y' | x) over the cells, *sampled*
    render    Y' -> Y    CellRenderer: the cell's centre plus a learned offset per cell, trained by MSE
                         on (extract(y), y) pairs: self-supervised, it never sees x

Sampling a cell picks one arm, and inside one cell y is nearly unique, so MSE is harmless there.
The direct baseline is the same Regenerator with an identity extractor (`ToyModels.direct_pipeline`).
Everything trains in a few seconds on a laptop CPU with the kit's own fit loop (regen_lite.train).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..core import Regenerator, Renderer, TensorExtractor
from ..device import one_thread
from ..train import TrainConfig, fit

# ---------------------------------------------------------------------------------------
# The data
# ---------------------------------------------------------------------------------------

@dataclass
class ToyConfig:
    num_modes: int = 3      # M: how many places y can be for one x (arms of the pinwheel)
    skew: float = 0.5       # mode weights w_m ∝ exp(-skew m); 0 makes the arms equally likely
    twist: float = 2.0      # radians each arm turns as x goes from 0 to 1
    r0: float = 0.5         # radius of every arm at x = 0 (it grows to r0 + 1 at x = 1)
    noise: float = 0.03     # σ, std of the Gaussian noise on y
    n_train: int = 4000     # training pairs (x, y)
    seed: int = 0           # seed of the training set


def mode_weights(cfg: ToyConfig) -> torch.Tensor:
    """w (M,): the probability of each arm, the same for every x."""
    w = torch.exp(-cfg.skew * torch.arange(cfg.num_modes, dtype=torch.float32))
    return w / w.sum()


def mode_points(x: torch.Tensor, cfg: ToyConfig) -> torch.Tensor:
    """The noise-free modes p_m(x): x (N, 1) or (N,) -> (N, M, 2)."""
    x = x.reshape(-1, 1)                                                          # (N, 1)
    phi = 2 * math.pi * torch.arange(cfg.num_modes) / cfg.num_modes + cfg.twist * x   # (N, M)
    r = (cfg.r0 + x)[..., None]                                                   # (N, 1, 1)
    return r * torch.stack([phi.cos(), phi.sin()], dim=-1)                        # (N, M, 2)


def sample_toy(cfg: ToyConfig, n: int | None = None, generator: torch.Generator | None = None):
    """n pairs from the toy: x (N, 1), y (N, 2) and the hidden arm m (N,) (for plots and metrics only).
    Without a generator the set is drawn from cfg.seed, so it is the same every time."""
    g = generator if generator is not None else torch.Generator().manual_seed(cfg.seed)
    n = n or cfg.n_train
    x = torch.rand(n, 1, generator=g)                                             # (N, 1)
    m = torch.multinomial(mode_weights(cfg), n, replacement=True, generator=g)    # (N,)
    p = mode_points(x, cfg)[torch.arange(n), m]                                   # (N, 2)
    y = p + cfg.noise * torch.randn(n, 2, generator=g)                            # (N, 2)
    return x, y, m


def conditional_mean(x: torch.Tensor, cfg: ToyConfig) -> torch.Tensor:
    """E[y | x] = Σ_m w_m p_m(x), (N, 2): the minimiser of the MSE, i.e. what a direct regressor learns."""
    return (mode_weights(cfg)[None, :, None] * mode_points(x, cfg)).sum(1)


def nearest_mode(y: torch.Tensor, x: torch.Tensor, cfg: ToyConfig) -> tuple[torch.Tensor, torch.Tensor]:
    """For each y (N, 2) at its x (N, 1): (distance to the nearest mode p_m(x) (N,), that m (N,))."""
    d = (y[:, None, :] - mode_points(x, cfg)).norm(dim=-1)                       # (N, M)
    return d.min(dim=1)


def mode_frequencies(y: torch.Tensor, x: torch.Tensor, cfg: ToyConfig) -> torch.Tensor:
    """Fraction of the samples y whose nearest mode is each arm, (M,): compare with mode_weights."""
    _, m = nearest_mode(y, x, cfg)
    return torch.bincount(m, minlength=cfg.num_modes).float() / len(m)


# ---------------------------------------------------------------------------------------
# Extract: Y -> Y', a coarse grid (the toy's "downsampling"), and the identity for the direct baseline
# ---------------------------------------------------------------------------------------

@dataclass
class GridConfig:
    cells: int = 16         # cells per side: Y' takes cells² values
    extent: float = 2.0     # the grid covers the square [-extent, extent]²; points outside go to the border cell


class CellCentreRenderer(Renderer):
    """The algorithmic renderer: Y' -> the centre of its cell (the toy's "bicubic upsampling")."""

    def __init__(self, grid: "GridExtractor"):
        self.grid = grid

    def render(self, y_prime, *, generator=None):
        return self.grid.centres(y_prime)


class GridExtractor(TensorExtractor):
    """Y' = the index of the grid cell holding y, row-major: index = row * cells + col (row from y[1])."""

    name, modality, kind, discrete, layout = "toy_grid", "toy", "explicit", True, "codes"
    input_shape = (2,)               # one Y is a point (2 floats)
    input_bits_per_value = 32

    def __init__(self, cfg: GridConfig = GridConfig()):
        self.cfg = cfg
        self.num_codes = cfg.cells ** 2
        self.renderer = CellCentreRenderer(self)

    @property
    def cell_size(self) -> float:
        return 2 * self.cfg.extent / self.cfg.cells

    def extract(self, y):
        ij = ((y + self.cfg.extent) / self.cell_size).floor().long().clamp(0, self.cfg.cells - 1)   # (N, 2)
        return ij[:, 1] * self.cfg.cells + ij[:, 0]                                                  # (N,)

    def centres(self, y_prime):
        """Cell index (N,) -> its centre (N, 2)."""
        col, row = y_prime % self.cfg.cells, torch.div(y_prime, self.cfg.cells, rounding_mode="floor")
        return (torch.stack([col, row], dim=-1).float() + 0.5) * self.cell_size - self.cfg.extent

    def bits_per_value(self):
        return math.log2(self.num_codes)

    def notes(self):
        return f"index of the {self.cell_size:.2g}-wide cell of a {self.cfg.cells}x{self.cfg.cells} grid"


class _Passthrough(Renderer):
    def render(self, y_prime, *, generator=None):
        return y_prime


class ToyIdentity(TensorExtractor):
    """Y' = Y: with this extractor a Regenerator is direct generation X -> Y."""

    name, modality, kind, discrete, layout = "toy_identity", "toy", "explicit", False, "channels"
    input_shape = (2,)
    input_bits_per_value = 32

    def __init__(self):
        self.renderer = _Passthrough()

    def extract(self, y):
        return y


# ---------------------------------------------------------------------------------------
# The models: three tiny MLPs, each returning (output, loss, stats) for regen_lite.train.fit
# ---------------------------------------------------------------------------------------

@dataclass
class MLPConfig:
    hidden: int = 64        # width of each hidden layer
    layers: int = 3         # number of hidden layers


def mlp(n_in: int, n_out: int, cfg: MLPConfig) -> nn.Sequential:
    """n_in -> [Linear, SiLU] x layers -> n_out."""
    dims = [n_in] + [cfg.hidden] * cfg.layers
    blocks = [m for a, b in zip(dims, dims[1:]) for m in (nn.Linear(a, b), nn.SiLU())]
    return nn.Sequential(*blocks, nn.Linear(dims[-1], n_out))


class DirectRegressor(nn.Module):
    """X -> Y by MSE: learns E[y | x]. Used as the 'prior' of the direct pipeline (Y' = Y)."""

    def __init__(self, cfg: MLPConfig = MLPConfig()):
        super().__init__()
        self.cfg, self.net = cfg, mlp(1, 2, cfg)

    def forward(self, x, y):
        y_hat = self.net(x)                                    # (B, 1) -> (B, 2)
        loss = F.mse_loss(y_hat, y)
        return y_hat, loss, {"mse": loss.item()}

    @torch.no_grad()
    def sample(self, x, *, generator=None):
        return self.net(x)                                     # deterministic: one answer per x


class CellPrior(nn.Module):
    """P(Y' | X): an MLP from x to logits over the K grid cells, trained by cross-entropy."""

    def __init__(self, num_codes: int, cfg: MLPConfig = MLPConfig()):
        super().__init__()
        self.cfg, self.num_codes, self.net = cfg, num_codes, mlp(1, num_codes, cfg)

    def forward(self, x, y_prime):
        logits = self.net(x)                                   # (B, 1) -> (B, K)
        loss = F.cross_entropy(logits, y_prime)
        return logits, loss, {"bits": loss.item() / math.log(2)}

    @torch.no_grad()
    def probs(self, x, temperature: float = 1.0):
        return F.softmax(self.net(x) / temperature, dim=-1)   # (B, K)

    @torch.no_grad()
    def sample(self, x, *, temperature: float = 1.0, generator=None):
        """One cell per x, drawn from P(Y' | x): (B, 1) -> (B,) long. Sampling, not averaging, keeps the modes."""
        return torch.multinomial(self.probs(x, temperature), 1, generator=generator)[:, 0]


class CellRenderer(nn.Module, Renderer):
    """Y' -> Y: the cell's centre plus a learned offset, trained by MSE on (extract(y), y) pairs.
    It never sees x: the pairs come from Y alone (self-supervised). Each cell has a learned vector
    (an embedding, like a token's) that an MLP turns into the offset, so the renderer can learn a
    different correction for every cell."""

    def __init__(self, grid: GridExtractor, cfg: MLPConfig = MLPConfig()):
        super().__init__()
        self.grid, self.cfg = grid, cfg
        self.embed = nn.Embedding(grid.num_codes, cfg.hidden)   # (K, hidden)
        self.net = mlp(cfg.hidden, 2, cfg)

    def decode(self, y_prime):
        # (B,) int64 -> (B, 2): centre of the cell + MLP(embedding of the cell)
        return self.grid.centres(y_prime) + self.net(self.embed(y_prime))

    def forward(self, y_prime, y):
        y_hat = self.decode(y_prime)
        loss = F.mse_loss(y_hat, y)
        return y_hat, loss, {"mse": loss.item()}

    @torch.no_grad()
    def render(self, y_prime, *, generator=None):
        return self.decode(y_prime)


# ---------------------------------------------------------------------------------------
# Training all of it
# ---------------------------------------------------------------------------------------

def toy_train_config(steps: int = 600, **kw) -> TrainConfig:
    """The fit settings of every toy model: CPU, no EMA, no progress bar unless asked."""
    base = dict(epochs=10_000, max_steps=steps, batch_size=256, lr=3e-3, warmup_steps=50, ema_decay=0.0,
                device="cpu", progress=False)
    return TrainConfig(**{**base, **kw})


@dataclass
class ToyModels:
    cfg: ToyConfig
    extractor: GridExtractor
    direct: DirectRegressor | None
    prior: CellPrior
    renderer: CellRenderer
    seconds: dict = field(default_factory=dict)   # training time of each model

    def two_stage(self) -> Regenerator:
        """X -> Y' (sampled cell) -> Y (rendered point)."""
        return Regenerator(self.extractor, self.prior, self.renderer)

    def direct_pipeline(self) -> Regenerator:
        """The same class with the identity extractor: X -> Y directly."""
        return Regenerator(ToyIdentity(), self.direct)


def train_toy(cfg: ToyConfig = ToyConfig(), grid: GridConfig = GridConfig(), net: MLPConfig = MLPConfig(),
              steps: int = 600, progress: bool = False, with_direct: bool = True) -> ToyModels:
    """Train the direct regressor, the cell prior and the cell renderer on sample_toy(cfg), `steps` optimizer
    steps each: about a second per model on a laptop CPU. with_direct=False skips the direct regressor
    (its field is then None)."""
    x, y, _ = sample_toy(cfg)
    extractor = GridExtractor(grid)
    y_prime = extractor.extract(y)                               # (N,) cell indices: no labels needed
    tc = toy_train_config(steps, progress=progress, seed=cfg.seed)
    torch.manual_seed(cfg.seed)
    direct, prior, renderer = DirectRegressor(net), CellPrior(extractor.num_codes, net), CellRenderer(extractor, net)
    jobs = [("direct", direct, (x, y))] if with_direct else []
    jobs += [("prior", prior, (x, y_prime)), ("renderer", renderer, (y_prime, y))]
    seconds = {}
    with one_thread():
        for name, model, data in jobs:
            seconds[name] = fit(model, data, tc, desc=f"toy {name}").seconds
    return ToyModels(cfg, extractor, direct.eval() if with_direct else None, prior.eval(), renderer.eval(), seconds)
