"""DeepSEM's cost model (core.jobs.estimate): work and memory from the shapes and the resolved parameters.

Per member and epoch, with n cells, G genes, hidden width h, b cells per batch:

* network epochs (k1 of every k1 + k2): the two per-gene MLPs over n G tokens, forward + backward
  (12 h^2 per token), the GRN mixing (mu, logvar, z by G x G: 18 n G^2) and one G x G inverse;
* W epochs (k2): the decoder's input gradient (6 h^2 per token), the mixing, and an LU solve per batch
  (2/3 G^3 each; Newton-Schulz updates on CUDA cost about the same).

``EFFICIENCY`` (the share of matmul speed those kernels reach) and ``STEP_FLOPS`` (overhead per batch) were fitted on measured
runs (tests/test_estimate.py checks a factor of 3).
"""

from __future__ import annotations

import math

from ...jobs.cost import Cost
from .spec import SETTINGS

EFFICIENCY = 0.4
STEP_FLOPS = 2e9  # per-step overhead in matmul-equivalent FLOPs


def cost(n_cells: int, n_genes: int, params: dict) -> Cost:
    n, G = float(n_cells), float(n_genes)
    h, b = float(params["hidden"]), max(1, int(params["batch_size"]))
    S = max(1, int(params["ensemble"]))
    epochs = int(params.get("epochs") or SETTINGS[params["setting"]]["epochs"])
    k1, k2 = max(1, int(params["k1"])), max(1, int(params["k2"]))
    steps = math.ceil(n / b)
    net = n * G * 12 * h * h + 18 * n * G * G + G**3
    w = n * G * 6 * h * h + 18 * n * G * G + steps * (2 / 3) * G**3
    per_epoch = S * (k1 * net + k2 * w) / (k1 + k2)
    host = n * G * (8 + 4 + 1)  # float64 matrix, float32 transform, zero mask
    device = (n * G * 4  # Z
              + 4 * S * b * G * h * 4  # saved activations of the two MLPs (two layers each)
              + 2 * S * n * G * 4  # encoder outputs of every cell, cached through the W epochs
              + 6 * S * G * G * 4)  # W, its gradient, optimiser state, I - W^T, its inverse, LU
    flops = epochs * (per_epoch / EFFICIENCY + steps * STEP_FLOPS)
    return Cost(flops=flops, bytes=host + device,
                device_bytes=device, epochs=epochs, members=S)
