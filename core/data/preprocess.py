"""Preprocessing presets built on scanpy. Each step is recorded in ``adata.uns["scgrn_preprocessing"]``."""

from __future__ import annotations

import anndata as ad
import numpy as np
import scipy.sparse as sp

from ..errors import InputError
from .summary import value_kind

#: a few words per preset for banners and captions (the dataset's preprocessing as shown to users)
PRESET_TITLES = {
    "none": "values used as given",
    "log1p": "library-size normalised, log1p",
    "log1p_hvg": "library-size normalised, log1p, highly variable genes",
    "zscore": "per-gene z-score",
    "nonzero_std": "per-gene standardised on non-zero values",
}

PRESETS = {
    "none": "Use the values as they are.",
    "log1p": "Keep raw counts in layers['counts'], normalise each cell to 10,000 counts, then log1p.",
    "log1p_hvg": "As log1p, then keep the top highly variable genes.",
    "zscore": "Per-gene z-score (mean 0, variance 1) of the current values.",
    "nonzero_std": "Standardise each gene on its non-zero values only, zeros stay 0, clipped to [-10, 10].",
}


def _record(adata: ad.AnnData, step: str, **details) -> None:
    """Append a step to ``uns["scgrn_preprocessing"]`` as {"01_step": {details}} (h5ad-writable)."""
    steps = dict(adata.uns.get("scgrn_preprocessing", {}))
    steps[f"{len(steps) + 1:02d}_{step}"] = {k: v for k, v in details.items() if v is not None}
    adata.uns["scgrn_preprocessing"] = steps


def keep_counts(adata: ad.AnnData) -> None:
    """Store raw counts in ``layers["counts"]`` (once), when X holds counts."""
    if "counts" not in adata.layers and value_kind(adata.X) == "counts":
        adata.layers["counts"] = adata.X.copy()
        _record(adata, "keep_counts")


def normalize_log1p(adata: ad.AnnData, target_sum: float = 1e4) -> None:
    """normalize_total + log1p (scanpy); refuses data that are already log-normalised or scaled."""
    import scanpy as sc

    kind = value_kind(adata.X)
    if kind != "counts":
        raise InputError(f"Normalise + log1p needs raw counts, but the values look {kind}. Skip this step.")
    keep_counts(adata)
    sc.pp.normalize_total(adata, target_sum=target_sum)
    sc.pp.log1p(adata)
    _record(adata, "normalize_log1p", target_sum=target_sum)


def highly_variable(adata: ad.AnnData, n_top_genes: int = 2000) -> ad.AnnData:
    """Subset to the top highly variable genes (scanpy, seurat flavour on log data)."""
    import scanpy as sc

    if n_top_genes >= adata.n_vars:
        return adata
    sc.pp.highly_variable_genes(adata, n_top_genes=n_top_genes)
    out = adata[:, adata.var["highly_variable"]].copy()
    _record(out, "highly_variable_genes", n_top_genes=n_top_genes)
    return out


def zscore(adata: ad.AnnData, max_value: float | None = None) -> None:
    """Per-gene z-score (scanpy.pp.scale); constant genes become 0."""
    import scanpy as sc

    sc.pp.scale(adata, zero_center=True, max_value=max_value)
    _record(adata, "zscore", max_value=max_value)


def nonzero_standardize(X, clip: float = 10.0):
    """Standardise each column on its non-zero entries only; zeros stay 0; clip to [-clip, clip]. A sparse matrix
    stays sparse (CSR float32: only its stored values change), a dense one gives a dense float64 array."""
    sparse = sp.issparse(X)
    if sparse:
        m = sp.csc_matrix(X, dtype=np.float64, copy=True)
        m.eliminate_zeros()
        cols, v = np.repeat(np.arange(m.shape[1]), np.diff(m.indptr)), m.data
    else:
        dense = np.asarray(X, dtype=np.float64)
        cols, rows = np.nonzero(dense.T)  # (column, row) of each non-zero
        v = dense[rows, cols]
    n = np.bincount(cols, minlength=X.shape[1]).astype(np.float64)
    mean = np.bincount(cols, v, minlength=X.shape[1]) / np.maximum(n, 1)
    sd = np.sqrt(np.maximum(np.bincount(cols, (v - mean[cols]) ** 2, minlength=X.shape[1]) / np.maximum(n, 1), 0))
    z = np.clip((v - mean[cols]) / np.where(sd > 0, sd, 1.0)[cols], -clip, clip)
    if sparse:
        m.data = z
        return m.tocsr().astype(np.float32)
    out = np.zeros_like(dense)
    out[rows, cols] = z
    return out


def apply_preset(adata: ad.AnnData, preset: str, n_top_genes: int = 2000) -> ad.AnnData:
    """Apply a named preset (see PRESETS) to a copy and return it."""
    if preset not in PRESETS:
        raise InputError(f"Unknown preprocessing preset {preset!r}; choose from {', '.join(PRESETS)}.")
    adata = adata.copy()
    keep_counts(adata)
    if preset == "log1p":
        normalize_log1p(adata)
    elif preset == "log1p_hvg":
        normalize_log1p(adata)
        adata = highly_variable(adata, n_top_genes)
    elif preset == "zscore":
        zscore(adata)
    elif preset == "nonzero_std":
        adata.X = nonzero_standardize(adata.X).astype(np.float32)
        _record(adata, "nonzero_standardize", clip=10.0)
    return adata
