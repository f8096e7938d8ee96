"""scanpy graph tools on a latent representation: neighbours, Leiden clusters, UMAP."""

from __future__ import annotations


def neighbours_leiden_umap(adata, rep_key: str, *, n_neighbors: int = 15, resolution: float = 1.0,
                           seed: int = 0, umap: bool = True) -> None:
    """In place: kNN graph on ``obsm[rep_key]``, ``obs["leiden"]`` and ``obsm["X_umap"]``."""
    import scanpy as sc

    n_neighbors = max(2, min(n_neighbors, adata.n_obs - 1))
    sc.pp.neighbors(adata, use_rep=rep_key, n_neighbors=n_neighbors, random_state=seed)
    sc.tl.leiden(adata, resolution=resolution, key_added="leiden", flavor="igraph", n_iterations=2,
                 directed=False, random_state=seed)
    if umap:
        sc.tl.umap(adata, random_state=seed)
