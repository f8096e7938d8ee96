"""A small single-cell simulator driven by a known gene regulatory network.

Genes are sampled in topological order of a random DAG: each gene's log-mean is a basal level, plus a
cell-state effect (for the master regulators), plus a signed sum of its regulators' standardised log
expression; counts are then drawn from a negative binomial (gamma-Poisson) with a per-cell library size.
Because a regulator's *sampled* expression drives its targets, the data carry real (noisy) causal
structure. Optional knock-down / knock-out cells multiply a gene's rate by ``knockdown`` before its targets
are sampled, and carry the perturbed gene's name in ``obs["perturbation"]`` ("control" otherwise).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import anndata as ad
import numpy as np
import pandas as pd


@dataclass(frozen=True)
class SyntheticNetwork:
    genes: list[str]
    tfs: list[str]
    weights: np.ndarray  # weights[target, source], signed; zero = no edge
    order: list[int]  # topological order

    def edges(self) -> pd.DataFrame:
        """Ground truth in BEELINE format: Gene1 (regulator), Gene2 (target), Type (+/-)."""
        t, s = np.nonzero(self.weights)
        w = self.weights[t, s]
        return pd.DataFrame(
            {"Gene1": [self.genes[i] for i in s], "Gene2": [self.genes[i] for i in t], "Type": np.where(w > 0, "+", "-")}
        )


def random_network(n_genes: int = 60, n_tfs: int = 12, max_regulators: int = 3, seed: int = 0) -> SyntheticNetwork:
    """A random DAG: TFs regulate TFs earlier in the order and any target; 1..max_regulators parents each."""
    if n_tfs < 2 or n_genes <= n_tfs:
        raise ValueError("need at least 2 TFs and more genes than TFs")
    rng = np.random.default_rng(seed)
    tfs = [f"TF{i + 1:02d}" for i in range(n_tfs)]
    targets = [f"G{i + 1:03d}" for i in range(n_genes - n_tfs)]
    genes = tfs + targets
    W = np.zeros((n_genes, n_genes))
    n_master = max(2, n_tfs // 4)
    for g in range(n_master, n_genes):
        candidates = np.arange(min(g, n_tfs))  # TFs before g in the order (all TFs for targets)
        k = rng.integers(1, max_regulators + 1)
        k = min(k, len(candidates))
        parents = rng.choice(candidates, size=k, replace=False)
        W[g, parents] = rng.choice([-1.0, 1.0], size=k, p=[0.3, 0.7]) * rng.uniform(0.6, 1.2, size=k)
    return SyntheticNetwork(genes=genes, tfs=tfs, weights=W, order=list(range(n_genes)))


def simulate_counts(
    network: SyntheticNetwork,
    n_cells: int = 600,
    n_states: int = 3,
    seed: int = 0,
    mean_library: float = 2000.0,
    dispersion: float = 5.0,
    perturbations: Sequence[str] = (),
    cells_per_perturbation: int = 100,
    knockdown: float = 0.0,
) -> ad.AnnData:
    """Simulate a counts AnnData from ``network``.

    ``perturbations`` lists genes to knock down in extra cells (``cells_per_perturbation`` each); their
    rate is multiplied by ``knockdown`` (0 = knock-out). ``dispersion`` is the NB inverse dispersion.
    """
    rng = np.random.default_rng(seed)
    G = len(network.genes)
    gene_index = {g: i for i, g in enumerate(network.genes)}
    unknown = [p for p in perturbations if p not in gene_index]
    if unknown:
        raise ValueError(f"cannot perturb genes not in the network: {unknown}")
    n_total = n_cells + cells_per_perturbation * len(perturbations)
    labels = np.array(["control"] * n_cells + [p for p in perturbations for _ in range(cells_per_perturbation)], dtype=object)
    states = rng.integers(0, n_states, size=n_total)
    n_master = int((np.abs(network.weights).sum(axis=1) == 0).sum())
    basal = rng.uniform(-8.0, -4.5, size=G)  # log fraction of the library
    state_effect = np.zeros((n_states, G))
    state_effect[:, :n_master] = rng.normal(0.0, 1.2, size=(n_states, n_master))
    library = rng.lognormal(np.log(mean_library), 0.35, size=n_total)
    kd_factor = np.ones((n_total, G))
    for p in perturbations:
        kd_factor[labels == p, gene_index[p]] = knockdown
    counts = np.zeros((n_total, G))
    std_log = np.zeros((n_total, G))
    for g in network.order:
        logit = basal[g] + state_effect[states, g] + 0.15 * rng.normal(size=n_total)
        parents = np.nonzero(network.weights[g])[0]
        if len(parents):
            logit = logit + std_log[:, parents] @ network.weights[g, parents]
        mu = library * np.exp(np.clip(logit, -12, 0)) * kd_factor[:, g]
        lam = rng.gamma(dispersion, mu / dispersion)  # gamma-Poisson = negative binomial
        counts[:, g] = rng.poisson(lam)
        lg = np.log1p(counts[:, g] / library * 1e4)
        sd = lg[labels == "control"].std()
        std_log[:, g] = (lg - lg[labels == "control"].mean()) / (sd if sd > 0 else 1.0)
    obs = pd.DataFrame(
        {"cell_state": pd.Categorical([f"state{s + 1}" for s in states]), "library_size": counts.sum(axis=1)},
        index=[f"cell{i + 1:05d}" for i in range(n_total)],
    )
    if len(perturbations):
        obs["perturbation"] = pd.Categorical(labels)
    adata = ad.AnnData(X=counts.astype(np.float32), obs=obs, var=pd.DataFrame(index=network.genes))
    adata.var["is_tf"] = [g in set(network.tfs) for g in network.genes]
    adata.layers["counts"] = adata.X.copy()
    adata.uns["synthetic"] = {"seed": seed, "n_states": n_states, "dispersion": dispersion, "knockdown": knockdown}
    return adata


def synthetic_dataset(
    n_cells: int = 600, n_genes: int = 60, n_tfs: int = 12, n_states: int = 3, seed: int = 0, **kwargs
) -> tuple[ad.AnnData, pd.DataFrame, list[str]]:
    """Counts AnnData, its ground-truth network (BEELINE format) and its TF list."""
    net = random_network(n_genes=n_genes, n_tfs=n_tfs, seed=seed)
    adata = simulate_counts(net, n_cells=n_cells, n_states=n_states, seed=seed + 1, **kwargs)
    return adata, net.edges(), net.tfs
