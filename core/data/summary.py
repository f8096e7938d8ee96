"""Dataset summary: shape, value kind (raw counts / log-normalised / scaled), sparsity, QC, label columns."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import anndata as ad
import numpy as np
import pandas as pd
import scipy.sparse as sp

VALUE_KINDS = ("counts", "log-normalised", "scaled", "non-negative")


def _values(X, max_values: int = 2_000_000, seed: int = 0) -> np.ndarray:
    data = X.data if sp.issparse(X) else np.asarray(X).ravel()
    if data.size > max_values:  # a sample with replacement: O(max_values), not a permutation of every value
        data = data[np.random.default_rng(seed).integers(0, data.size, max_values)]
    return np.asarray(data, dtype=np.float64)


def value_kind(X) -> str:
    """Classify a matrix: ``counts`` (non-negative integers), ``scaled`` (has negatives, e.g. z-scores),
    ``log-normalised`` (non-negative non-integers with max <= 30, as log1p data are) or ``non-negative``."""
    v = _values(X)
    if v.size == 0:
        return "counts"
    if (v < 0).any():
        return "scaled"
    if np.allclose(v, np.round(v), atol=1e-6):
        return "counts"
    return "log-normalised" if v.max() <= 30 else "non-negative"


def counts_layer(adata: ad.AnnData) -> str | None:
    """Name of the layer holding raw counts ("X" when X itself is counts), or None."""
    if "counts" in adata.layers and value_kind(adata.layers["counts"]) == "counts":
        return "counts"
    if value_kind(adata.X) == "counts":
        return "X"
    return None


def label_columns(adata: ad.AnnData, max_categories: int = 50) -> list[str]:
    """obs columns usable as cell labels: categorical/string with 2..max_categories values."""
    out = []
    for col in adata.obs.columns:
        s = adata.obs[col]
        if isinstance(s.dtype, pd.CategoricalDtype) or s.dtype == object or pd.api.types.is_bool_dtype(s):
            n = s.nunique(dropna=True)
            if 2 <= n <= max_categories:
                out.append(col)
    return out


@dataclass
class DatasetSummary:
    n_cells: int
    n_genes: int
    value_kind: str
    sparsity: float  # fraction of zero entries
    min_value: float
    max_value: float
    counts_layer: str | None
    label_columns: list[str]
    layout: str | None
    layout_rule: str | None
    warnings: list[str]  # odd names, degenerate genes/cells, extreme values: shown before any training

    def to_dict(self) -> dict:
        return asdict(self)


def summarize(adata: ad.AnnData) -> DatasetSummary:
    """Compute the dataset summary shown on the Data page and printed by ``scgrn inspect``."""
    X = adata.X
    nnz = X.nnz if sp.issparse(X) else int(np.count_nonzero(np.asarray(X)))
    v = _values(X)
    info = adata.uns.get("scgrn_input", {})
    return DatasetSummary(
        n_cells=int(adata.n_obs),
        n_genes=int(adata.n_vars),
        value_kind=value_kind(X),
        sparsity=round(1.0 - nnz / max(adata.n_obs * adata.n_vars, 1), 4),
        min_value=float(v.min()) if v.size else 0.0,
        max_value=float(v.max()) if v.size else 0.0,
        counts_layer=counts_layer(adata),
        label_columns=label_columns(adata),
        layout=info.get("layout"),
        layout_rule=info.get("layout_rule"),
        warnings=data_warnings(adata),
    )


def data_warnings(adata: ad.AnnData) -> list[str]:
    """The reader's warnings plus degenerate genes/cells and extreme values (an InputError for data no model
    can use: all zero, constant, overflowing)."""
    from ..io.checks import value_checks

    found = list(adata.uns.get("scgrn_input", {}).get("warnings", []) or [])
    return list(dict.fromkeys(found + value_checks(adata.X)))


def qc_metrics(adata: ad.AnnData) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-cell (total, genes detected) and per-gene (mean, detection fraction, variance) QC tables."""
    X = adata.X
    if sp.issparse(X):  # one pass over the stored values, no copy of the matrix
        X = X.tocsr()
        n_obs, n_vars = X.shape
        data = X.data
        zeros = np.flatnonzero(data == 0)  # stored zeros are not detected genes
        total = np.asarray(X.sum(axis=1), dtype=np.float64).ravel()
        detected = np.diff(X.indptr).astype(np.int64)
        frac = np.bincount(X.indices, minlength=n_vars).astype(np.float64)
        if zeros.size:
            detected -= np.bincount(np.searchsorted(X.indptr, zeros, side="right") - 1, minlength=n_obs)
            frac -= np.bincount(X.indices[zeros], minlength=n_vars)
        frac /= max(n_obs, 1)
        mean = np.bincount(X.indices, weights=data, minlength=n_vars) / max(n_obs, 1)
        var = np.bincount(X.indices, weights=data * data, minlength=n_vars) / max(n_obs, 1) - mean**2
    else:
        X = np.asarray(X, dtype=np.float64)
        total, detected = X.sum(axis=1), (X != 0).sum(axis=1)
        mean, frac, var = X.mean(axis=0), (X != 0).mean(axis=0), X.var(axis=0)
    cells = pd.DataFrame({"total": total, "genes_detected": detected}, index=adata.obs_names)
    genes = pd.DataFrame({"mean": mean, "detected_fraction": frac, "variance": var}, index=adata.var_names)
    return cells, genes
