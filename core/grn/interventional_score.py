"""CausalBench's statistical evaluation of a predicted network on interventional data.

For each predicted edge A -> B whose source A was perturbed in the data, the expression of B in control
cells is compared with B in A-perturbed cells: a two-sided Mann-Whitney U test with p < ``alpha`` counts
the edge as true, and the Wasserstein distance between the two distributions is recorded. Edges whose
source has no perturbed cells are not evaluable and are skipped.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.stats import mannwhitneyu, wasserstein_distance

from ..errors import InputError

CONTROL_LABELS = ("control", "ctrl", "non-targeting", "nontargeting", "non_targeting", "unperturbed")


def interventional_score(
    edges: pd.DataFrame,
    adata,
    perturbation_key: str = "perturbation",
    *,
    layer: str | None = None,
    top_k: int | None = 1000,
    alpha: float = 0.05,
    min_cells: int = 5,
) -> dict:
    """Score the ``top_k`` best edges; returns {n_evaluated, n_true, precision, mean_wasserstein, table}.

    ``precision`` = fraction of evaluable edges with p < alpha; ``mean_wasserstein`` over evaluable edges
    (NaN when none). ``table`` holds source, target, p_value, wasserstein, true per evaluated edge.
    """
    if perturbation_key not in adata.obs.columns:
        raise InputError(f"Perturbation key {perturbation_key!r} is not an obs column of the dataset.")
    X = adata.layers[layer] if layer else adata.X
    X = X.toarray() if sp.issparse(X) else np.asarray(X, dtype=np.float64)
    labels = adata.obs[perturbation_key].astype(str).to_numpy()
    control = np.isin(np.char.lower(labels.astype(str)), CONTROL_LABELS)
    if control.sum() < min_cells:
        raise InputError(f"obs[{perturbation_key!r}] has fewer than {min_cells} control cells ('control' / 'non-targeting').")
    col = {str(g): i for i, g in enumerate(adata.var_names)}
    ranked = edges.sort_values("weight", ascending=False, kind="stable")
    if top_k:
        ranked = ranked.head(int(top_k))
    rows = []
    for s, t in zip(ranked["source"].astype(str), ranked["target"].astype(str)):
        pert = labels == s
        if pert.sum() < min_cells or t not in col or s == t:
            continue
        a, b = X[control, col[t]], X[pert, col[t]]
        p = mannwhitneyu(a, b, alternative="two-sided").pvalue if np.ptp(np.r_[a, b]) > 0 else 1.0
        rows.append((s, t, float(p), float(wasserstein_distance(a, b)), bool(p < alpha)))
    table = pd.DataFrame(rows, columns=["source", "target", "p_value", "wasserstein", "true"])
    n = len(table)
    return {
        "n_evaluated": n,
        "n_true": int(table["true"].sum()) if n else 0,
        "precision": float(table["true"].mean()) if n else float("nan"),
        "mean_wasserstein": float(table["wasserstein"].mean()) if n else float("nan"),
        "table": table,
    }
