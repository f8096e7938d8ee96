"""The naive peer: cells drawn gene-wise independently from each gene's empirical distribution.

Each gene's marginal distribution is preserved (up to resampling noise), but every gene-gene dependence
(co-expression, cell types, library size) is destroyed. A generative model should beat it.
"""

from __future__ import annotations

import anndata as ad
import numpy as np
import pandas as pd

from .compare import dense_matrix


def naive_peer(adata: ad.AnnData, n_cells: int | None = None, layer: str | None = None, seed: int = 0) -> ad.AnnData:
    """``n_cells`` (default: as many as given) cells whose gene j is resampled, with replacement and
    independently of every other gene, from the observed values of gene j."""
    X = dense_matrix(adata, layer)
    n = int(n_cells or adata.n_obs)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, X.shape[0], size=(n, X.shape[1]))
    Y = np.take_along_axis(X, idx, axis=0).astype(np.float32)
    obs = pd.DataFrame(
        {"source": pd.Categorical(["naive"] * n), "origin": pd.Categorical(["gene-wise resample"] * n)},
        index=[f"naive{i + 1:06d}" for i in range(n)],
    )
    out = ad.AnnData(Y, obs=obs, var=pd.DataFrame(index=adata.var_names.copy()))
    if layer:
        out.layers[layer] = Y.copy()
    out.uns["run_id"] = "naive"
    return out
