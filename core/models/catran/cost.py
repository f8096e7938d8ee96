"""CaTran's cost model (core.jobs.estimate): steps per epoch from its own rule (train.steps_per_epoch), and per
step, with B cells, n genes in the batch and c = embed_dim + 1 channels: the attention mixing (6 B n^2
forward + backward), the token head (6 B n c^2) and the attention map (6 n^2 embed_dim). ``EFFICIENCY``, ``STEP_FLOPS`` and
``ELEMENT_FLOPS`` fitted on measured runs (tests/test_estimate.py checks a factor of 3)."""

from __future__ import annotations

from ...jobs.cost import Cost
from .train import effective_coverage, steps_per_epoch

EFFICIENCY = 0.3
STEP_FLOPS = 1e10  # per-step overhead in matmul-equivalent FLOPs
ELEMENT_FLOPS = 1000  # per (cell, gene, channel) element of a step: shuffles, batch norms, Huber (memory-bound)


def cost(n_cells: int, n_genes: int, params: dict) -> Cost:
    n_sub = min(int(params["max_genes"]), int(n_genes))
    B = min(int(params["batch_cells"]), int(n_cells))
    c, d = int(params["embed_dim"]) + 1, int(params["embed_dim"])
    steps = steps_per_epoch(n_cells, params["batch_cells"], params["min_steps_per_epoch"],
                            effective_coverage(n_genes, n_sub))
    per_step = 6 * B * n_sub * n_sub + 6 * B * n_sub * c * c + 6 * n_sub * n_sub * d
    S, epochs = max(1, int(params.get("ensemble", 1))), int(params["epochs"])
    host = float(n_cells) * n_genes * (8 + 4)  # the dense matrix, then its float32 tensor
    device = 8.0 * B * n_sub * c * 4 + 4.0 * n_sub * n_sub * 4  # token activations, attention and its gradients
    per_step = per_step / EFFICIENCY + ELEMENT_FLOPS * B * n_sub * c + STEP_FLOPS
    return Cost(flops=S * epochs * steps * per_step,
                bytes=host + device, device_bytes=device, epochs=epochs, members=S)
