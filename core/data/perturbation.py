"""Simulated perturbation (knock-down / knock-out) data from the project's synthetic GRN simulator."""

from __future__ import annotations

import anndata as ad
import numpy as np
import pandas as pd

from .synthetic import random_network, simulate_counts


def perturbation_dataset(
    n_genes: int = 60,
    n_tfs: int = 12,
    n_perturbed: int = 6,
    n_control: int = 600,
    cells_per_perturbation: int = 100,
    knockdown: float = 0.0,
    seed: int = 0,
) -> tuple[ad.AnnData, pd.DataFrame, list[str], list[str]]:
    """Counts AnnData with control and perturbed cells, its true network, TFs and the perturbed genes.

    The ``n_perturbed`` TFs with the most targets are knocked down (``knockdown`` = remaining fraction,
    0 = knock-out); ``obs["perturbation"]`` names the perturbed gene, "control" otherwise.
    """
    net = random_network(n_genes=n_genes, n_tfs=n_tfs, seed=seed)
    n_targets = (net.weights[:, : len(net.tfs)] != 0).sum(axis=0)
    order = np.argsort(-n_targets, kind="stable")
    perturbed = [net.tfs[i] for i in order[: min(n_perturbed, len(net.tfs))] if n_targets[i] > 0]
    adata = simulate_counts(
        net, n_cells=n_control, seed=seed + 1, perturbations=perturbed,
        cells_per_perturbation=cells_per_perturbation, knockdown=knockdown,
    )
    return adata, net.edges(), net.tfs, perturbed
