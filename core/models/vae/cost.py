"""The VAE/GMVAE cost model (core.jobs.estimate): per cell, the first encoder and last decoder layers over the
genes (G x hidden each; the decoder's per-gene outputs counted twice for the likelihood's parameters), the
hidden layers (hidden^2), forward + backward. ``EFFICIENCY`` and ``STEP_FLOPS`` fitted on measured runs."""

from __future__ import annotations

import math

from ...jobs.cost import Cost
from .train import default_epochs

EFFICIENCY = 0.05
SPARSE_DENSITY = 0.35
STEP_FLOPS = 3e9  # per-step overhead in matmul-equivalent FLOPs


def cost(n_cells: int, n_genes: int, params: dict) -> Cost:
    n, G, H = float(n_cells), float(n_genes), float(params["hidden"])
    b = max(1, int(params["batch_size"]))
    epochs = int(params.get("epochs") or default_epochs(n_cells, b))
    layers = max(1, int(params.get("n_layers", 1)))
    per_cell = 6 * (3 * G * H + 2 * (layers - 1) * H * H + 4 * H * int(params.get("latent_dim", 10)))
    steps = math.ceil(n / b)
    # X stays sparse (CSR) and mini-batches are densified one at a time: CSR at the densest 10x data measured in
    # issue 13 (35 % non-zero, 12 bytes per stored value with its index), weights + Adam, a few dense batches
    host = n * G * SPARSE_DENSITY * 12
    device = 3 * G * H * 4 * 4 + 8 * b * G * 4
    return Cost(flops=epochs * (n * per_cell / EFFICIENCY + steps * STEP_FLOPS), bytes=host + device,
                device_bytes=device, epochs=epochs, members=1)
