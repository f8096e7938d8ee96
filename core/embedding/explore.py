"""What the Embedding page explores with a run's trained model: denoised expression (raw vs denoised, side by
side) and latent interpolation between two groups of cells (drawn over the UMAP).

    den = denoised(run, adata)                      # cells x model genes, cached as the run's denoised.h5ad
    raw, clean, scale = gene_raw_and_denoised(adata, den, "CD3E")
    mask_a = group(adata, "column", "cell_type", "B cells"); mask_b = group(adata, "cells", cells=names)
    path = interpolate_run(run, adata, mask_a, mask_b, labels=("B cells", "selection"))
    path.heatmap(20), path.to_csv(), path.umap       # core.embedding.interpolate.Interpolation

Denoised values of count models are expected counts per 10k (``get_denoised(library=1e4)``); the raw values
shown beside them are the counts normalised to 10k per cell; both on a log1p scale. Models with a continuous
likelihood give values on the scale of the layer they were fitted on; the raw values are then that layer.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import anndata as ad
import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..errors import InputError
from ..models.base import CHECKPOINT, BaseModel
from .interpolate import Interpolation, group_mask, interpolate, label_mask

DENOISED = "denoised.h5ad"
LIBRARY = 1e4


AUTO_DENOISE_CELLS = 10_000  # above this the page denoises (and draws two more UMAPs) only when asked


def denoise_bytes(adata: ad.AnnData) -> int:
    """Size of the dense denoised layer of ``adata`` (float32), what denoising every cell writes and holds."""
    return int(adata.n_obs) * int(adata.n_vars) * 4


def _checkpoint(run: Any) -> Path:
    return Path(run.path) / "checkpoints" / CHECKPOINT


def run_model(run: Any, adata: ad.AnnData | None = None) -> BaseModel:
    """The trained model of a finished run (its checkpoint), on the CPU."""
    path = _checkpoint(run)
    if not path.exists():
        raise InputError(f"Run {run.id} saved no model (checkpoints/{CHECKPOINT}); train it again to explore it.")
    return BaseModel.load(path, adata, device="cpu")


def _spec(run: Any):
    from ..registry import get_method

    try:
        return get_method(str(run.params.get("method")), run.params.get("origin"))
    except Exception:
        return None


def can_denoise(run: Any) -> bool:
    spec = _spec(run)
    return bool(spec is not None and spec.can("denoise") and _checkpoint(run).exists())


def can_interpolate(run: Any) -> bool:
    """VAE-like runs: a saved model with a decoder of latent points."""
    spec = _spec(run)
    return bool(spec is not None and spec.can("latent") and spec.can("simulate") and _checkpoint(run).exists())


def _counts_model(model: BaseModel) -> bool:
    from ..distributions import LIKELIHOODS

    lk = LIKELIHOODS.get(str(model.params.get("likelihood")))
    return bool(lk is not None and lk.counts)


def denoised(run: Any, adata: ad.AnnData) -> ad.AnnData:
    """The run's denoised expression of ``adata``'s cells (AnnData: model genes, ``layers["denoised"]``,
    ``uns["scale"]``), computed once and cached as ``denoised.h5ad`` in the run folder."""
    path = Path(run.path) / DENOISED
    if path.exists():
        cached = ad.read_h5ad(path)
        if cached.n_obs == adata.n_obs and (cached.obs_names == adata.obs_names).all():
            return cached
    model = run_model(run, adata)
    counts = _counts_model(model)
    out = model.denoise(adata, **({"library": LIBRARY} if counts else {}))
    small = ad.AnnData(sp.csr_matrix((out.n_obs, out.n_vars), dtype=np.float32), obs=pd.DataFrame(index=out.obs_names),
                       var=pd.DataFrame(index=out.var_names))
    small.layers["denoised"] = np.asarray(out.layers["denoised"], np.float32)
    small.uns["scale"] = "per10k" if counts else "layer"
    small.uns["layer"] = str(model.state.get("layer") or "X")
    tmp = path.with_suffix(".tmp.h5ad")
    small.write_h5ad(tmp)
    os.replace(tmp, path)
    return small


def gene_raw_and_denoised(adata: ad.AnnData, den: ad.AnnData, gene: str) -> tuple[np.ndarray, np.ndarray, str]:
    """(raw values, denoised values, what the scale is in words) of one gene for every cell of ``adata``."""
    if gene not in den.var_names:
        raise InputError(f"Gene {gene!r} is not among the model's genes.")
    clean = np.asarray(den[adata.obs_names, gene].layers["denoised"]).ravel().astype(np.float64)
    if den.uns.get("scale") == "per10k":
        X = adata.layers["counts"] if "counts" in adata.layers else adata.X
        lib = np.asarray(X.sum(1)).ravel()
        col = X[:, adata.var_names.get_loc(gene)]
        col = col.toarray().ravel() if sp.issparse(col) else np.asarray(col).ravel()
        raw = col / np.maximum(lib, 1e-8) * LIBRARY
        return np.log1p(raw), np.log1p(np.maximum(clean, 0)), "log1p(counts per 10k)"
    layer = den.uns.get("layer", "X")
    X = adata.layers[layer] if layer in adata.layers else adata.X
    col = X[:, adata.var_names.get_loc(gene)]
    raw = col.toarray().ravel() if sp.issparse(col) else np.asarray(col).ravel()
    return raw.astype(np.float64), clean, f"values of layer {layer}"


def group_choices(adata: ad.AnnData, max_values: int = 60) -> dict[str, list[str]]:
    """Annotation columns a group of cells can be picked from (labels, clusters, saved selections) and their
    values."""
    out = {}
    for c in adata.obs.columns:
        n = adata.obs[c].nunique()
        if 2 <= n <= max_values and not pd.api.types.is_float_dtype(adata.obs[c]):
            out[str(c)] = sorted(adata.obs[c].astype(str).unique(), key=lambda v: (not v.isdigit(), int(v) if v.isdigit() else 0, v))
    return out


def group(adata: ad.AnnData, kind: str, column: str | None = None, value: str | None = None, cells=None,
          what: str = "Group") -> np.ndarray:
    """A boolean mask of cells: ``kind="column"`` (cells whose ``obs[column] == value``) or ``kind="cells"``
    (cell names, e.g. a lasso selection)."""
    if kind == "column":
        return group_mask(adata, label_mask(adata, str(column), str(value)), what)
    if kind == "cells":
        return group_mask(adata, [] if cells is None else list(cells), what)
    raise InputError(f"Unknown group kind {kind!r}; use 'column' or 'cells'.")


def group_labels(mask_a: np.ndarray, mask_b: np.ndarray, labels: tuple[str, str]) -> np.ndarray:
    """Per cell: ``"A: <label>"``, ``"B: <label>"`` or ``"other"`` (a cell in both counts as A)."""
    out = np.full(len(mask_a), "other", dtype=object)
    out[np.asarray(mask_b, bool)] = f"B: {labels[1]}"
    out[np.asarray(mask_a, bool)] = f"A: {labels[0]}"
    return out


def interpolate_run(run: Any, adata: ad.AnnData, mask_a: np.ndarray, mask_b: np.ndarray, n_steps: int = 20,
                    labels: tuple[str, str] = ("A", "B")) -> Interpolation:
    """Latent interpolation with the run's model on its embedding (``adata`` = the run's embedding.h5ad)."""
    model = run_model(run)
    return interpolate(model, adata, mask_a, mask_b, n_steps=n_steps, labels=labels)
