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
    """Per-cell (total, genes detected) and per-gene (mean, detection fraction, variance) QC tables, from one
    pass over the stored values (:func:`~core.data.matrix_stats.matrix_stats`)."""
    from .matrix_stats import matrix_stats

    st = matrix_stats(adata.X)
    n_obs = max(adata.n_obs, 1)
    mean = st.gene_sum / n_obs
    var = np.maximum(st.gene_sumsq / n_obs - mean**2, 0.0)
    cells = pd.DataFrame({"total": st.cell_sum, "genes_detected": st.cell_nonzero}, index=adata.obs_names)
    genes = pd.DataFrame({"mean": mean, "detected_fraction": st.gene_nonzero / n_obs, "variance": var},
                         index=adata.var_names)
    return cells, genes
