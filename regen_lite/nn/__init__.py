"""Shared network blocks and generative processes, used by every modality: attention, the U-Net, the GPT-style
transformer, vector/scalar quantizers, Gaussian diffusion and autoregressive sampling. Imports no modality."""
