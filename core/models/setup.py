"""What every family's ``setup(adata)`` builds on: one way to pick a layer, read it, test it and normalise it.

* :func:`dataset_record` — what the Data page decided for this dataset (preprocessing steps, label and
  perturbation columns), stored in ``uns["scgrn_dataset"]`` by the data store.
* :func:`pick_layer` / :func:`dense_matrix` — the matrix a model trains on (sparse is densified here only);
  :func:`matrix` — the same checks with a sparse layer kept sparse (CSR), for families that densify per batch.
* :func:`is_counts` — whether values look like raw counts (the Data page's own test, core.data.summary).
* :func:`require_counts` — the error a count likelihood gives for anything else, naming the layer to pick.
* :func:`log_normalise` — library-size normalisation + log1p (scanpy), for families that want log-expression.
"""

from __future__ import annotations

from typing import Any

import anndata as ad
import numpy as np
import scipy.sparse as sp

from ..data.summary import value_kind
from ..errors import InputError

#: uns key holding the Data page's record of a prepared dataset (see core.data.store.save_prepared)
DATASET_KEY = "scgrn_dataset"
#: the Data page's per-dataset choices that models read from that record
DATASET_FIELDS = ("labels_key", "perturbation_key")
#: the layer in which preprocessing keeps raw counts
COUNTS_LAYER = "counts"


def dataset_record(adata: ad.AnnData) -> dict[str, Any]:
    """The Data page's choices for this dataset: ``labels_key``, ``perturbation_key``, ``preprocessing``."""
    rec = dict(adata.uns.get(DATASET_KEY, {}) or {})
    rec.setdefault("preprocessing", dict(adata.uns.get("scgrn_preprocessing", {}) or {}))
    return rec


def where(layer: str | None) -> str:
    return "X" if layer is None else f"layers[{layer!r}]"


def pick_layer(adata: ad.AnnData, layer: str | None, *, prefer_counts: bool = False) -> str | None:
    """Resolve a layer parameter: "" / None / "X" = X; "auto" = the raw-count layer when ``prefer_counts``
    and present, else X; any other name must exist."""
    if layer in (None, "", "X"):
        return None
    if layer == "auto":
        return COUNTS_LAYER if prefer_counts and COUNTS_LAYER in adata.layers else None
    if layer not in adata.layers:
        raise InputError(f"Layer {layer!r} not found; available layers: {list(adata.layers) or 'none'} (or X).")
    return layer


def dense_matrix(adata: ad.AnnData, layer: str | None = None, dtype=np.float32, min_shape: tuple[int, int] = (1, 1)
                 ) -> np.ndarray:
    """``X`` or ``layers[layer]`` as a dense cells x genes array, finite, at least ``min_shape``."""
    m = adata.X if layer is None else adata.layers[layer]
    if sp.issparse(m):
        from ..memory import require_dense

        require_dense(m.shape, np.dtype(dtype).itemsize)
    m = m.toarray() if sp.issparse(m) else np.asarray(m)
    m = np.asarray(m, dtype=dtype)
    if m.shape[0] < min_shape[0] or m.shape[1] < min_shape[1]:
        raise InputError(f"This model needs at least {min_shape[0]} cells and {min_shape[1]} genes; "
                         f"got {m.shape[0]} x {m.shape[1]}.")
    if not np.isfinite(m).all():
        raise InputError(f"{where(layer)} contains NaN or infinite values; clean the data first.")
    return m


def matrix(adata: ad.AnnData, layer: str | None = None, dtype=np.float32, min_shape: tuple[int, int] = (1, 1)):
    """``X`` or ``layers[layer]`` as cells x genes, finite, at least ``min_shape``: a sparse layer as a CSR matrix
    of ``dtype`` (never densified whole), a dense one as an ndarray (a backed layer is read into memory)."""
    m = adata.X if layer is None else adata.layers[layer]
    if not sp.issparse(m) and hasattr(m, "to_memory"):  # backed sparse dataset (anndata backed="r")
        m = m.to_memory()
    if sp.issparse(m):
        m = sp.csr_matrix(m, dtype=dtype)
        values = m.data
    else:
        m = np.asarray(m, dtype=dtype)
        values = m
    if m.shape[0] < min_shape[0] or m.shape[1] < min_shape[1]:
        raise InputError(f"This model needs at least {min_shape[0]} cells and {min_shape[1]} genes; "
                         f"got {m.shape[0]} x {m.shape[1]}.")
    if not np.isfinite(values).all():
        raise InputError(f"{where(layer)} contains NaN or infinite values; clean the data first.")
    return m


def stored_values(m) -> np.ndarray:
    """The values a matrix stores: a sparse matrix's non-zeros, a dense array as it is (for value tests)."""
    return m.data if sp.issparse(m) else m


def is_counts(m: np.ndarray) -> bool:
    """Raw counts: non-negative integers (the Data page's test) with some value above 1."""
    return bool(m.size) and value_kind(m) == "counts" and float(m.max()) > 1


def require_counts(m: np.ndarray, adata: ad.AnnData, layer: str | None, what: str) -> None:
    """Raise a specific error unless ``m`` holds non-negative integers; ``what`` names the model/likelihood."""
    bad = None
    if m.size and m.min() < 0:
        bad = f"negative values (min {m.min():.3g})"
    else:
        frac = np.abs(m - np.round(m))
        if frac.max(initial=0) > 1e-3:
            bad = f"non-integer values (e.g. {m.flat[int(np.argmax(frac))]:.4g})"
    if bad is None:
        return
    msg = f"{what} needs raw counts (non-negative integers) but {where(layer)} holds {bad}. "
    others = [k for k in adata.layers if k != layer]
    if COUNTS_LAYER in adata.layers and layer != COUNTS_LAYER:
        msg += f"This dataset has a raw-count layer: choose layer '{COUNTS_LAYER}'."
    elif others:
        msg += f"Pick a layer with raw counts ({', '.join(others)}) or a Gaussian / Continuous Bernoulli likelihood."
    else:
        msg += "Load raw counts, or use a Gaussian / Continuous Bernoulli likelihood."
    raise InputError(msg)


def log_normalise(m: np.ndarray, target_sum: float | None = None) -> np.ndarray:
    """scanpy's normalize_total (median library size unless ``target_sum``) then log1p, on a copy."""
    import scanpy as sc

    tmp = ad.AnnData(np.array(m, copy=True))
    sc.pp.normalize_total(tmp, target_sum=target_sum)
    sc.pp.log1p(tmp)
    return np.asarray(tmp.X, dtype=m.dtype)
