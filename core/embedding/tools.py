"""scanpy graph tools on a latent representation: neighbours, Leiden clusters, UMAP.

The kNN graph uses scanpy's ``method="gauss"`` connectivities (adaptive Gaussian kernel, exact kNN for
small data): unlike ``method="umap"`` it needs no numba compilation, which otherwise costs each job
process 30-60 s on a small CPU. Leiden and UMAP run on that graph.
"""

from __future__ import annotations

import warnings


def neighbours_leiden_umap(adata, rep_key: str, *, n_neighbors: int = 15, resolution: float = 1.0,
                           seed: int = 0, umap: bool = True) -> None:
    """In place: kNN graph on ``obsm[rep_key]``, ``obs["leiden"]`` and ``obsm["X_umap"]``."""
    import scanpy as sc

    n_neighbors = max(2, min(n_neighbors, adata.n_obs - 1))
    sc.pp.neighbors(adata, use_rep=rep_key, n_neighbors=n_neighbors, method="gauss", random_state=seed)
    sc.tl.leiden(adata, resolution=resolution, key_added="leiden", flavor="igraph", n_iterations=2,
                 directed=False, random_state=seed)
    if umap:
        verbosity = sc.settings.verbosity
        sc.settings.verbosity = 0  # silence "connectivities have not been computed using umap"
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                sc.tl.umap(adata, random_state=seed)
        finally:
            sc.settings.verbosity = verbosity
