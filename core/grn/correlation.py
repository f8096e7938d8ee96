"""Correlation baselines: absolute Pearson / Spearman correlation as edge scores."""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.stats import rankdata

from ..context import RunContext
from .edges import adjacency_to_edges


def _dense(adata, layer: str | None) -> np.ndarray:
    X = adata.layers[layer] if layer else adata.X
    from ..memory import require_memory

    n, g = X.shape
    require_memory(8.0 * (2 * n * g + 2 * g * g), f"A correlation of {g:,} genes over {n:,} cells")
    X = X.toarray() if sp.issparse(X) else np.asarray(X)
    return X.astype(np.float64, copy=False)


def correlation_matrix(X: np.ndarray, method: str = "pearson") -> np.ndarray:
    """Gene x gene correlation of a cells x genes matrix; constant genes get 0 correlation."""
    if method == "spearman":
        X = np.apply_along_axis(rankdata, 0, X)
    Xc = X - X.mean(axis=0)
    norms = np.linalg.norm(Xc, axis=0)
    norms[norms == 0] = np.inf
    Z = Xc / norms
    C = Z.T @ Z
    np.fill_diagonal(C, 0.0)
    return C


def _corr_grn(adata, ctx: RunContext | None, method: str, layer: str = "") -> pd.DataFrame:
    ctx = ctx or RunContext()
    ctx.log(f"{method} correlation on {adata.n_obs} cells x {adata.n_vars} genes")
    C = correlation_matrix(_dense(adata, layer or None), method)
    ctx.progress(1, 1)
    return adjacency_to_edges(np.abs(C), adata.var_names, tfs=ctx.tfs, signed=C)


def pearson_grn(adata, ctx: RunContext | None = None, layer: str = "") -> pd.DataFrame:
    """Edges scored by |Pearson r| (``signed_weight`` = r)."""
    return _corr_grn(adata, ctx, "pearson", layer)


def spearman_grn(adata, ctx: RunContext | None = None, layer: str = "") -> pd.DataFrame:
    """Edges scored by |Spearman rho| (``signed_weight`` = rho)."""
    return _corr_grn(adata, ctx, "spearman", layer)
