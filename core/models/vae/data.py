"""From an AnnData to model tensors: layer choice, count checks, input transform and likelihood targets.

* Encoder input: ``log1p(x)`` (``input_transform="log1p"``; ``"auto"`` picks it for non-negative data)
  or ``x`` unchanged (``"none"``, e.g. for already log-normalised or scaled data).
* Gaussian target: the encoder input.
* Continuous Bernoulli target: the encoder input min-max scaled per gene to [0, 1]
  (``(v - min_g) / (max_g - min_g)`` over cells, constant genes -> 0); min/max are kept for the inverse.
* Count targets (poisson, zip, nb, zinb): the raw values, which must be non-negative integers; the
  observed library size ``sum_g x`` enters the decoder.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ...distributions import LIKELIHOODS
from ...errors import InputError

AUTO_LAYER = "auto"


def pick_layer(adata, layer: str | None, likelihood: str) -> str | None:
    """Resolve the layer name: "auto" = layers["counts"] for count likelihoods when present, else X."""
    if layer in (None, "", "X"):
        return None
    if layer == AUTO_LAYER:
        return "counts" if LIKELIHOODS[likelihood].counts and "counts" in adata.layers else None
    if layer not in adata.layers:
        raise InputError(f"Layer {layer!r} not found; available layers: {list(adata.layers) or 'none'} (or X).")
    return layer


def get_matrix(adata, layer: str | None) -> np.ndarray:
    m = adata.X if layer is None else adata.layers[layer]
    m = m.toarray() if sp.issparse(m) else np.asarray(m)
    m = m.astype(np.float32, copy=False)
    if not np.isfinite(m).all():
        raise InputError(f"{_where(layer)} contains NaN or infinite values; clean the data first.")
    return m


def _where(layer):
    return "X" if layer is None else f"layers[{layer!r}]"


def check_counts(m: np.ndarray, adata, layer: str | None, likelihood: str) -> None:
    """Count likelihoods need non-negative integers; say which layer to pick instead."""
    bad = None
    if m.size and m.min() < 0:
        bad = f"negative values (min {m.min():.3g})"
    else:
        frac = np.abs(m - np.round(m))
        if frac.max(initial=0) > 1e-3:
            bad = f"non-integer values (e.g. {m.flat[int(np.argmax(frac))]:.4g})"
    if bad is None:
        return
    label = LIKELIHOODS[likelihood].label
    msg = f"The {label} likelihood needs raw counts (non-negative integers) but {_where(layer)} holds {bad}. "
    others = [k for k in adata.layers if k != layer]
    if "counts" in adata.layers and layer != "counts":
        msg += "This dataset has a raw-count layer: choose layer 'counts'."
    elif others:
        msg += f"Pick a layer with raw counts ({', '.join(others)}) or a Gaussian / Continuous Bernoulli likelihood."
    else:
        msg += "Load raw counts, or use a Gaussian / Continuous Bernoulli likelihood."
    raise InputError(msg)


@dataclass
class Prepared:
    x_in: np.ndarray
    x_target: np.ndarray
    log_library: np.ndarray | None
    transform: dict  # plain JSON: {"input": "log1p"|"none", "cb_min": [...], "cb_max": [...]} for the inverse


def prepare(adata, likelihood: str, layer: str | None, input_transform: str = "auto",
            transform: dict | None = None) -> Prepared:
    """Tensors for training / inference. ``transform`` (from a trained model) reuses its CB scaling."""
    if likelihood not in LIKELIHOODS:
        raise InputError(f"Unknown likelihood {likelihood!r}; choose from {', '.join(LIKELIHOODS)}.")
    m = get_matrix(adata, layer)
    counts = LIKELIHOODS[likelihood].counts
    if counts:
        check_counts(m, adata, layer, likelihood)
    mode = (transform or {}).get("input", input_transform)
    if mode == "auto":
        mode = "log1p" if m.min(initial=0) >= 0 else "none"
    if mode == "log1p":
        if m.min(initial=0) < 0:
            raise InputError(f"{_where(layer)} has negative values, so log1p cannot be applied; "
                             "use input transform 'none' or pick the raw-count layer.")
        x_in = np.log1p(m)
    elif mode == "none":
        x_in = m
    else:
        raise InputError(f"Unknown input transform {mode!r}; use auto, log1p or none.")
    info = {"input": mode}
    target, log_lib = x_in, None
    if counts:
        target = m
        log_lib = np.log(np.maximum(m.sum(1, keepdims=True), 1.0)).astype(np.float32)
    elif likelihood == "cb":
        lo = np.asarray(transform["cb_min"], np.float32) if transform else x_in.min(0)
        hi = np.asarray(transform["cb_max"], np.float32) if transform else x_in.max(0)
        span = np.where(hi - lo > 0, hi - lo, 1.0)
        target = np.clip((x_in - lo) / span, 0.0, 1.0).astype(np.float32)
        info.update(cb_min=lo.tolist(), cb_max=hi.tolist())
    return Prepared(x_in.astype(np.float32), target.astype(np.float32), log_lib, info)


def to_data_scale(values: np.ndarray, likelihood: str, transform: dict) -> np.ndarray:
    """Map samples of the likelihood back to the scale of the input layer (counts stay counts)."""
    if LIKELIHOODS[likelihood].counts:
        return values
    if likelihood == "cb":
        lo, hi = np.asarray(transform["cb_min"]), np.asarray(transform["cb_max"])
        values = lo + values * np.where(hi - lo > 0, hi - lo, 0.0)
    if transform.get("input") == "log1p":
        values = np.expm1(np.maximum(values, 0.0))
    return values.astype(np.float32)
