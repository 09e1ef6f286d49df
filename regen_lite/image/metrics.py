"""How good is Y' and how good is the Y rendered from it.

Pixel fidelity:  PSNR and SSIM (torchmetrics), images in [0, 1].
Realism:         Frechet distance between Gaussian fits of the reference classifier's 128-d
                 features (torchmetrics' FID machinery with our classifier instead of Inception),
                 and the classifier's accuracy on images whose class we know.
Codes:           usage and perplexity over a whole split, bits per image.
"""

from __future__ import annotations

import math

import torch

# torchmetrics is imported inside the functions that use it: it takes seconds to import (it pulls in
# torchvision), and the app should answer its first page before anyone asks for a PSNR.


def psnr(y_hat: torch.Tensor, y: torch.Tensor) -> float:
    """Mean over images of 10 log10(1 / MSE), images (N, 1, H, W) in [0, 1]."""
    from torchmetrics.functional.image import peak_signal_noise_ratio
    return peak_signal_noise_ratio(y_hat.clamp(0, 1), y, data_range=1.0, dim=(1, 2, 3),
                                   reduction="elementwise_mean").item()


def ssim(y_hat: torch.Tensor, y: torch.Tensor) -> float:
    """Mean SSIM (Gaussian window 11, sigma 1.5)."""
    from torchmetrics.functional.image import structural_similarity_index_measure
    return structural_similarity_index_measure(y_hat.clamp(0, 1), y, data_range=1.0).item()


@torch.no_grad()
def batched(fn, x: torch.Tensor, batch_size: int = 500) -> torch.Tensor:
    """Apply fn to x in chunks (keeps memory flat on a laptop) and concatenate."""
    return torch.cat([fn(x[i:i + batch_size]) for i in range(0, len(x), batch_size)])


@torch.no_grad()
def reconstruction_metrics(extractor, y: torch.Tensor, batch_size: int = 500) -> dict:
    """PSNR/SSIM of render(extract(y)) against y, plus code usage for discrete Y'."""
    codes, recons = [], []
    for i in range(0, len(y), batch_size):
        yp = extractor.extract(y[i:i + batch_size])
        recons.append(extractor.render(yp).cpu())
        if extractor.discrete:
            codes.append(yp.cpu())
    y_hat = torch.cat(recons)
    out = {"psnr": psnr(y_hat, y), "ssim": ssim(y_hat, y)}
    if codes:
        codes, k = torch.cat(codes), extractor.model.num_codes
        if codes.dim() == 4:   # residual VQ (N, S, H, W): each stage has its own codebook, so count each alone
            per_stage = [codebook_usage(codes[:, s], k) for s in range(codes.shape[1])]
            out.update(usage=min(u["usage"] for u in per_stage), usage_by_stage=[u["usage"] for u in per_stage],
                       perplexity_by_stage=[u["perplexity"] for u in per_stage],
                       psnr_by_stages=stage_ladder(extractor.model, y, codes, batch_size))
        else:
            out.update(codebook_usage(codes, k))
    return out


@torch.no_grad()
def stage_ladder(model, y: torch.Tensor, codes: torch.Tensor | None = None, batch_size: int = 500) -> list[float]:
    """The rate-distortion ladder of a residual-VQ model: PSNR of decode(codes, n) against y for n = 1..S
    stages, all from one trained model (codes (N, S, H, W) from model.encode(y), found here if not given)."""
    p = next(model.parameters())
    if codes is None:
        codes = batched(lambda b: model.encode(b.to(p.device, p.dtype)).cpu(), y, batch_size)
    ladder = []
    for n in range(1, codes.shape[1] + 1):
        y_hat = batched(lambda c: model.decode(c.to(p.device), n).clamp(0, 1).cpu(), codes, batch_size)
        ladder.append(psnr(y_hat, y))
    return ladder


@torch.no_grad()
def diffae_metrics(extractor, y: torch.Tensor, labels: torch.Tensor, classifier, seed: int = 0,
                   batch_size: int = 250) -> dict:
    """The two reconstructions of a diffusion autoencoder (extractors.DiffAEExtractor) on y (N, 1, 28, 28):
        psnr_z         render(z) from fresh noise (seeded): the semantic part alone
        class_kept     the reference classifier's accuracy on those renders: does z keep the class?
        psnr_seeds     PSNR between two renders of the same z with different noise (how much detail is invented)
        psnr_inverted  render(z, x_T) from the DDIM-inverted x_T: near-lossless"""
    g = torch.Generator().manual_seed(seed)
    z = batched(extractor.extract, y, batch_size).cpu()
    y_z = batched(lambda b: extractor.render(b, generator=g).cpu(), z, batch_size)
    y_z2 = batched(lambda b: extractor.render(b, generator=g).cpu(), z, batch_size)
    y_inv = torch.cat([extractor.render_inverted(z[i:i + batch_size], extractor.invert(y[i:i + batch_size])).cpu()
                       for i in range(0, len(y), batch_size)])
    return {"psnr_z": psnr(y_z, y), "ssim_z": ssim(y_z, y), "class_kept": classifier_accuracy(classifier, y_z, labels),
            "psnr_seeds": psnr(y_z2, y_z), "psnr_inverted": psnr(y_inv, y), "ssim_inverted": ssim(y_inv, y),
            "n": len(y), "seed": seed}


def codebook_usage(indices: torch.Tensor, num_codes: int) -> dict:
    """Over all positions of a whole split: fraction of the K codes used, and the perplexity
    exp(H(p)) of the code histogram (K when all codes are equally used, 1 when one code is)."""
    counts = torch.bincount(indices.flatten().long(), minlength=num_codes).double()
    p = counts / counts.sum()
    nz = p[p > 0]
    return {"usage": (counts > 0).float().mean().item(),
            "perplexity": math.exp(-(nz * nz.log()).sum().item())}


def bits_per_image(extractor) -> float:
    return extractor.describe()["bits"]


class ClassifierFeatures(torch.nn.Module):
    """Wraps the reference classifier as torchmetrics' feature extractor: (N, 1, 28, 28) -> (N, 128)."""

    def __init__(self, classifier):
        super().__init__()
        self.classifier = classifier.eval()
        self.num_features = classifier.num_features

    def forward(self, x):
        return self.classifier.embed(x.float())


@torch.no_grad()
def frechet_distance(classifier, real: torch.Tensor, fake: torch.Tensor, batch_size: int = 500) -> float:
    """Frechet distance ||mu_r - mu_f||^2 + Tr(S_r + S_f - 2 (S_r S_f)^{1/2}) in classifier-feature space."""
    from torchmetrics.image.fid import FrechetInceptionDistance
    fid = FrechetInceptionDistance(feature=ClassifierFeatures(classifier), normalize=True,
                                   input_img_size=(1, 28, 28))
    for i in range(0, len(real), batch_size):
        fid.update(real[i:i + batch_size], real=True)
    for i in range(0, len(fake), batch_size):
        fid.update(fake[i:i + batch_size], real=False)
    return fid.compute().item()


@torch.no_grad()
def classifier_accuracy(classifier, y: torch.Tensor, labels: torch.Tensor) -> float:
    """Fraction of images the reference classifier puts in their intended class."""
    classifier.eval()
    logits = batched(lambda b: classifier(b)[0], y)
    return (logits.argmax(1) == labels).float().mean().item()
