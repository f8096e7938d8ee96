"""From an AnnData to model tensors: layer choice, count checks, input transform and likelihood targets.

* Encoder input: ``log1p(x)`` (``input_transform="log1p"``; ``"auto"`` picks it for raw counts, i.e.
  non-negative integers) or ``x`` unchanged (``"none"``; ``"auto"`` for already log-normalised or scaled data).
* Gaussian target: the encoder input.
* Continuous Bernoulli target: the encoder input min-max scaled per gene to [0, 1]
  (``(v - min_g) / (max_g - min_g)`` over cells, constant genes -> 0); min/max are kept for the inverse.
* Count targets (poisson, zip, nb, zinb): the raw values, which must be non-negative integers; the
  observed library size ``sum_g x`` enters the decoder.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...distributions import LIKELIHOODS
from ...errors import InputError
from .. import setup

def pick_layer(adata, layer: str | None, likelihood: str) -> str | None:
    """"auto" = layers["counts"] for count likelihoods when present, else X (core.models.setup.pick_layer)."""
    return setup.pick_layer(adata, layer, prefer_counts=LIKELIHOODS[likelihood].counts)


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
    m = setup.dense_matrix(adata, layer)
    counts = LIKELIHOODS[likelihood].counts
    if counts:
        setup.require_counts(m, adata, layer, f"The {LIKELIHOODS[likelihood].label} likelihood")
    mode = (transform or {}).get("input", input_transform)
    if mode == "auto":  # log1p for raw counts; already-transformed data (non-integer) is used as it is
        mode = "log1p" if counts or (m.min(initial=0) >= 0 and np.allclose(m, np.round(m))) else "none"
    if mode == "log1p":
        if m.min(initial=0) < 0:
            raise InputError(f"{setup.where(layer)} has negative values, so log1p cannot be applied; "
                             "use input transform 'none' or pick the raw-count layer.")
        x_in = np.log1p(m)
    elif mode == "none":
        x_in = m
    else:
        raise InputError(f"Unknown input transform {mode!r}; use auto, log1p or none.")
    info = {"input": mode, "nonnegative": bool(m.min(initial=0) >= 0)}
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
    elif transform.get("nonnegative"):  # e.g. Gaussian on log-normalised data: keep the data's support
        values = np.maximum(values, 0.0)
    return values.astype(np.float32)
