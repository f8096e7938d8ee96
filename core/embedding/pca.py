"""PCA embedding (the floor every learned embedding should beat): log-normalise, HVG-free PCA."""

from __future__ import annotations

import numpy as np

from ..models.vae.data import get_matrix, pick_layer


def run_pca(adata, ctx, n_comps: int = 10, layer: str = "auto", target_sum: float = 1e4):
    """obsm["X_pca"]: PCA of log1p(counts / library * target_sum) ('counts' layer when present), else of X."""
    import scanpy as sc

    layer = pick_layer(adata, layer, "nb" if layer == "auto" else "gaussian")
    m = get_matrix(adata, layer)
    if layer is not None or (m.min(initial=0) >= 0 and np.allclose(m, np.round(m))):
        lib = np.maximum(m.sum(1, keepdims=True), 1.0)
        m = np.log1p(m / lib * target_sum)
    n_comps = int(min(n_comps, m.shape[0] - 1, m.shape[1] - 1))
    out = adata.copy()
    out.obsm["X_pca"] = sc.pp.pca(m, n_comps=n_comps, random_state=ctx.seed).astype(np.float32)
    return out
