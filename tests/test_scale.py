"""Real-size checks (issue 13): what only fails at the size users bring."""

import numpy as np
import anndata as ad

from core.embedding.tools import EXACT_KNN_MAX_CELLS, neighbours_leiden_umap


def test_neighbours_leiden_umap_at_20k_cells():
    """From 8,192 cells scanpy searches with pynndescent; with pynndescent >= 0.7 and scipy >= 1.14 that
    raised ``'csr_array' object has no attribute 'getnnz'`` (issue 13). 20k cells, random 10-d latent."""
    n = 20_000
    assert n > EXACT_KNN_MAX_CELLS
    rng = np.random.default_rng(0)
    centres = rng.normal(scale=6.0, size=(4, 10))
    labels = rng.integers(0, 4, size=n)
    adata = ad.AnnData(np.zeros((n, 1), dtype=np.float32))
    adata.obsm["X_z"] = (centres[labels] + rng.normal(size=(n, 10))).astype(np.float32)
    neighbours_leiden_umap(adata, "X_z", seed=0)
    dist = adata.obsp["distances"]
    assert dist.shape == (n, n) and dist.nnz >= n * 10
    assert adata.obsm["X_umap"].shape == (n, 2) and np.isfinite(adata.obsm["X_umap"]).all()
    # Leiden finds the four well-separated groups (each group may split, never two groups merge)
    from sklearn.metrics import adjusted_rand_score
    clusters = adata.obs["leiden"].astype(str).to_numpy()
    assert adata.obs["leiden"].nunique() >= 4
    purity = sum(np.bincount(labels[clusters == c]).max() for c in np.unique(clusters)) / n
    assert purity > 0.99, purity
    assert adjusted_rand_score(labels, clusters) > 0.3
