"""Per-cell and per-gene statistics of a cells x genes matrix in one pass over its stored values.

Input checks (all-zero / constant genes and cells, extreme values) and QC tables need the same sums, extremes
and non-zero counts. For a sparse matrix they come from one loop over CSR ``data``/``indices``/``indptr``
(numba): no CSC copy, no float64 copy of the values, so at 100k x 2k the cost is a fraction of a second and
a few per-gene / per-cell vectors of memory. Implicit zeros count in every minimum and maximum.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np
import scipy.sparse as sp


@dataclass(frozen=True)
class MatrixStats:
    """Per-cell (``cell_*``, length n_cells) and per-gene (``gene_*``, length n_genes) statistics.

    ``*_nonzero`` counts entries != 0 (stored zeros are not detected); ``*_min``/``*_max`` include implicit
    zeros; ``n_nan``/``n_inf`` count non-finite values (sums and extremes are then meaningless)."""

    cell_sum: np.ndarray
    cell_nonzero: np.ndarray
    cell_min: np.ndarray
    cell_max: np.ndarray
    gene_sum: np.ndarray
    gene_sumsq: np.ndarray
    gene_nonzero: np.ndarray
    gene_min: np.ndarray
    gene_max: np.ndarray
    n_nan: int
    n_inf: int

    @property
    def abs_max(self) -> float:
        return float(max(np.abs(self.gene_max).max(initial=0.0), np.abs(self.gene_min).max(initial=0.0)))


@numba.njit(cache=True, nogil=True)
def _csr_pass(data, indices, indptr, n_cols):  # pragma: no cover - compiled
    n_rows = indptr.size - 1
    r_sum = np.zeros(n_rows)
    r_nz = np.zeros(n_rows, dtype=np.int64)
    r_min = np.zeros(n_rows)
    r_max = np.zeros(n_rows)
    c_sum = np.zeros(n_cols)
    c_sq = np.zeros(n_cols)
    c_nz = np.zeros(n_cols, dtype=np.int64)
    c_stored = np.zeros(n_cols, dtype=np.int64)
    c_min = np.full(n_cols, np.inf)
    c_max = np.full(n_cols, -np.inf)
    n_nan = 0
    n_inf = 0
    for i in range(n_rows):
        lo = np.inf
        hi = -np.inf
        s = 0.0
        nz = 0
        for k in range(indptr[i], indptr[i + 1]):
            v = np.float64(data[k])
            j = indices[k]
            if np.isnan(v):
                n_nan += 1
            elif np.isinf(v):
                n_inf += 1
            s += v
            if v != 0.0:
                nz += 1
                c_nz[j] += 1
            lo = min(lo, v)
            hi = max(hi, v)
            c_sum[j] += v
            c_sq[j] += v * v
            c_min[j] = min(c_min[j], v)
            c_max[j] = max(c_max[j], v)
            c_stored[j] += 1
        stored = indptr[i + 1] - indptr[i]
        if stored < n_cols:  # an implicit zero in the row
            lo = min(lo, 0.0)
            hi = max(hi, 0.0)
        r_sum[i] = s
        r_nz[i] = nz
        r_min[i] = lo
        r_max[i] = hi
    for j in range(n_cols):
        if c_stored[j] < n_rows:
            c_min[j] = min(c_min[j], 0.0)
            c_max[j] = max(c_max[j], 0.0)
    return r_sum, r_nz, r_min, r_max, c_sum, c_sq, c_nz, c_min, c_max, n_nan, n_inf


def matrix_stats(X) -> MatrixStats:
    """Statistics of ``X`` (scipy sparse, numpy or array-like; cells as rows)."""
    if sp.issparse(X):
        X = X.tocsr() if X.format != "csr" else X
        out = _csr_pass(X.data, X.indices, X.indptr, X.shape[1])
        return MatrixStats(*out[:9], n_nan=int(out[9]), n_inf=int(out[10]))
    X = np.asarray(X)
    if X.dtype.kind == "b":
        X = X.astype(np.float32)
    n_nan = int(np.isnan(X).sum()) if X.dtype.kind == "f" else 0
    n_inf = int(np.isinf(X).sum()) if X.dtype.kind == "f" else 0
    X64 = X.astype(np.float64, copy=False)
    nz = X != 0
    empty = X.size == 0
    return MatrixStats(
        cell_sum=X64.sum(axis=1), cell_nonzero=nz.sum(axis=1),
        cell_min=X64.min(axis=1) if not empty else np.zeros(X.shape[0]),
        cell_max=X64.max(axis=1) if not empty else np.zeros(X.shape[0]),
        gene_sum=X64.sum(axis=0), gene_sumsq=np.einsum("ij,ij->j", X64, X64), gene_nonzero=nz.sum(axis=0),
        gene_min=X64.min(axis=0) if not empty else np.zeros(X.shape[1]),
        gene_max=X64.max(axis=0) if not empty else np.zeros(X.shape[1]),
        n_nan=n_nan, n_inf=n_inf,
    )
