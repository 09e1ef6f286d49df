"""A procedural face: a parameter vector θ -> a 48×48 grey-scale image, drawn with soft-edged shapes so that
gradients reach θ (the differentiable renderer behind analysis-by-synthesis, analysis.py).

This is the kit's small stand-in for a 3-D morphable face model (FLAME, the Basel Face Model) and its
differentiable rasteriser: real face models and talking-face data cannot ship here. Its factorisation is ours
*by construction*: the mouth, the head pose, the eyes and the identity are separate numbers because we drew
them that way, whereas a real face model had to learn that split from scans.

θ has D = 10 numbers, all in [0, 1] except the head pose in [-1, 1]:

    0 open    mouth opening         (visemes: closed for P B M, wide for AA)
    1 width   mouth width           (spread for IY, narrow for UW)
    2 round   lip rounding          (OW, UW, W)
    3 yaw     head turn, left/right (the features slide across the face, the outline less: parallax)
    4 roll    head tilt             (the whole head rotates by up to ±0.4 rad about the neck)
    5 blink   eye closure           (1: shut)
    6 face_w  identity: face width
    7 face_h  identity: face length
    8 shade   identity: skin tone
    9 eyes    identity: eye spacing

    image = render(theta)          # (B, D) -> (B, 1, 48, 48) in [0, 1]; also (B, T, D) -> (B, T, 1, 48, 48)
"""

from __future__ import annotations

import torch

SIZE = 48
PARAMS = ("open", "width", "round", "yaw", "roll", "blink", "face_w", "face_h", "shade", "eyes")
D = len(PARAMS)
MOUTH = [0, 1, 2]                    # what speech moves
POSE = [3, 4]                        # what it does not: the head
BLINK = 5
IDENTITY = [6, 7, 8, 9]              # who: fixed for one actor
SIGNED = torch.tensor([i in POSE for i in range(D)])   # ranges: [-1, 1] for the pose, [0, 1] for the rest
NEUTRAL = torch.tensor([0.1, 0.5, 0.2, 0.0, 0.0, 0.0, 0.5, 0.5, 0.5, 0.5])   # a closed-mouth, front-facing face
EDGE = 0.6 * 2 / SIZE                # soft edge: the sigmoid's scale, 0.6 pixel (10-90% over about 2.6 pixels)


def clamp(theta: torch.Tensor) -> torch.Tensor:
    """Keep θ in its ranges ([-1, 1] for yaw and roll, [0, 1] for the rest)."""
    lo = torch.where(SIGNED, -1.0, 0.0).to(theta)
    return torch.maximum(torch.minimum(theta, torch.ones_like(lo)), lo)


def _grid(size: int, device) -> tuple[torch.Tensor, torch.Tensor]:
    """Pixel centres in [-1, 1]: x to the right, y down. Each (size, size)."""
    c = (torch.arange(size, device=device, dtype=torch.float32) + 0.5) / size * 2 - 1
    return c.view(1, size).expand(size, size), c.view(size, 1).expand(size, size)


def ellipse(x, y, cx, cy, a, b) -> torch.Tensor:
    """A soft ellipse mask in [0, 1]: 1 inside, 0 outside, a sigmoid across its edge. x, y: (H, W) grid;
    cx, cy, a, b: (B, 1, 1). With r(x, y) the ellipse's radius function (1 on the edge), the distance to the
    edge is about (r - 1) / |grad r| (one Newton step), so every edge is about EDGE wide, a thin shut eye's too."""
    dx, dy = x - cx, y - cy
    r = torch.sqrt((dx / a) ** 2 + (dy / b) ** 2 + 1e-8)
    grad = torch.sqrt((dx / a ** 2) ** 2 + (dy / b ** 2) ** 2 + 1e-8) / r
    return torch.sigmoid(-(r - 1) / grad / EDGE)


def render(theta: torch.Tensor, size: int = SIZE) -> torch.Tensor:
    """θ (..., D) -> images (..., 1, size, size) in [0, 1]. Differentiable in θ."""
    lead = theta.shape[:-1]
    t = clamp(theta.reshape(-1, D).float()).unsqueeze(-1).unsqueeze(-1)     # (B, D, 1, 1)
    opn, wid, rnd, yaw, roll, blink, fw, fh, shade, eyes = t.unbind(1)     # each (B, 1, 1)
    x, y = _grid(size, theta.device)
    # the head tilts about the neck (0, 0.9): rotate the grid the other way
    ang = 0.4 * roll
    cos, sin = torch.cos(ang), torch.sin(ang)
    px, py = x, y - 0.9
    u = cos * px + sin * py
    v = -sin * px + cos * py + 0.9
    u = u - 0.12 * yaw                       # the outline moves a little with the turn ...
    du = 0.22 * yaw                          # ... the features more (they sit in front of the head's centre)
    skin = 0.45 + 0.35 * shade
    img = torch.full_like(u, 0.92)           # background
    face = ellipse(u, v, 0.0, 0.0, 0.5 + 0.15 * fw, 0.66 + 0.14 * fh)
    img = img + (skin - img) * face
    sep = 0.17 + 0.16 * eyes
    eye_h = 0.03 + 0.06 * (1 - blink)
    for side in (-1.0, 1.0):
        eye = ellipse(u, v, side * sep + du, -0.14, torch.full_like(eye_h, 0.1), eye_h)
        img = img + (0.08 - img) * eye * face
    nose = ellipse(u, v, 1.25 * du, 0.12, torch.full_like(skin, 0.05), torch.full_like(skin, 0.11))
    img = img + (0.75 * skin - img) * nose * face
    mw = 0.1 + 0.14 * wid - 0.06 * rnd                       # half-width of the mouth's opening
    mh = 0.025 + 0.15 * opn                                  # its half-height
    lip = 0.02 + 0.08 * rnd                                  # rounded lips push out: thicker and darker
    my = 0.4 + 0.05 * fh
    lips = ellipse(u, v, du, my, mw + lip, mh + lip)
    img = img + (0.42 - 0.25 * rnd - img) * lips * face
    mouth = ellipse(u, v, du, my, mw, mh)
    img = img + (0.04 - img) * mouth * face
    return img.reshape(*lead, 1, size, size)
