"""scanpy graph tools on a latent representation: neighbours, Leiden clusters, UMAP.

The kNN graph uses scanpy's ``method="gauss"`` connectivities (adaptive Gaussian kernel, exact kNN for
small data): unlike ``method="umap"`` it needs no numba compilation, which otherwise costs each job
process 30-60 s on a small CPU. Leiden and UMAP run on that graph.

From 8,192 cells scanpy switches its kNN search to pynndescent. pynndescent >= 0.7 returns a scipy
``csr_array`` and scanpy <= 1.11 then calls ``getnnz``, which sparse *arrays* do not have (scipy >= 1.14):
``AttributeError: 'csr_array' object has no attribute 'getnnz'``. We therefore pass scanpy our own
pynndescent transformer that returns a ``csr_matrix`` (:class:`CsrMatrixNNDescent`), with the settings
scanpy would have chosen, so the same code works with either version of each library.
"""

from __future__ import annotations

import warnings

import numpy as np

#: scanpy uses exact (sklearn) kNN below this many cells for the euclidean metric.
EXACT_KNN_MAX_CELLS = 8192


def _nndescent_transformer(n_obs: int, n_neighbors: int, seed: int):
    """A pynndescent kNN transformer (scanpy's/UMAP's defaults) whose output is a ``csr_matrix``."""
    from pynndescent import PyNNDescentTransformer
    from scipy import sparse

    class CsrMatrixNNDescent(PyNNDescentTransformer):
        def transform(self, X, y=None):  # noqa: N803 - sklearn signature
            return sparse.csr_matrix(super().transform(X, y))

        def fit_transform(self, X, y=None, **fit_params):  # noqa: N803
            return sparse.csr_matrix(super().fit_transform(X, y, **fit_params))

    return CsrMatrixNNDescent(
        n_neighbors=n_neighbors, metric="euclidean", random_state=seed, n_jobs=None,
        n_trees=min(64, 5 + round(n_obs ** 0.5 / 20.0)), n_iters=max(5, round(np.log2(n_obs))))


def neighbours(adata, rep_key: str, *, n_neighbors: int = 15, seed: int = 0, method: str = "gauss") -> None:
    """In place: scanpy's kNN graph on ``obsm[rep_key]`` (``obsp["distances"]``/``["connectivities"]``),
    safe at any size (see the module note on ``csr_array``)."""
    import scanpy as sc

    n_neighbors = max(2, min(n_neighbors, adata.n_obs - 1))
    transformer = (None if adata.n_obs < EXACT_KNN_MAX_CELLS
                   else _nndescent_transformer(adata.n_obs, n_neighbors, seed))
    sc.pp.neighbors(adata, use_rep=rep_key, n_neighbors=n_neighbors, method=method, random_state=seed,
                    transformer=transformer)


def neighbours_leiden_umap(adata, rep_key: str, *, n_neighbors: int = 15, resolution: float = 1.0,
                           seed: int = 0, umap: bool = True) -> None:
    """In place: kNN graph on ``obsm[rep_key]``, ``obs["leiden"]`` and ``obsm["X_umap"]``."""
    import scanpy as sc

    neighbours(adata, rep_key, n_neighbors=n_neighbors, seed=seed)
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
