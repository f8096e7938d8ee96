"""From an AnnData to model inputs: layer choice, count checks, input transform and likelihood targets.

* Encoder input: ``log1p(x)`` (``input_transform="log1p"``; ``"auto"`` picks it for raw counts, i.e.
  non-negative integers) or ``x`` unchanged (``"none"``; ``"auto"`` for already log-normalised or scaled data).
* Gaussian target: the encoder input.
* Continuous Bernoulli target: the encoder input min-max scaled per gene to [0, 1]
  (``(v - min_g) / (max_g - min_g)`` over cells, constant genes -> 0); min/max are kept for the inverse.
* Count targets (poisson, zip, nb, zinb): the raw values, which must be non-negative integers; the
  observed library size ``sum_g x`` enters the decoder.

A sparse layer stays sparse (CSR): rows are densified per mini-batch (:meth:`Prepared.rows`), never the whole
matrix, so a 100k x 2k dataset trains in the memory of its non-zeros.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ...distributions import LIKELIHOODS
from ...errors import InputError
from .. import setup

def pick_layer(adata, layer: str | None, likelihood: str) -> str | None:
    """"auto" = layers["counts"] for count likelihoods when present, else X (core.models.setup.pick_layer)."""
    return setup.pick_layer(adata, layer, prefer_counts=LIKELIHOODS[likelihood].counts)


@dataclass
class Prepared:
    """The layer a model reads (``source``: CSR when the layer is sparse, never densified whole) and how each
    row becomes encoder input and likelihood target: :meth:`rows` densifies only the rows asked for."""

    source: np.ndarray | sp.csr_matrix  # (n_cells, n_genes) float32
    mode: str  # encoder input: "log1p" | "none"
    counts: bool  # count likelihood: the target is the raw values
    log_library: np.ndarray | None
    transform: dict  # plain JSON: {"input": "log1p"|"none", "cb_min": [...], "cb_max": [...]} for the inverse

    def __post_init__(self) -> None:
        self._cb = None
        if "cb_min" in self.transform:
            lo = np.asarray(self.transform["cb_min"], np.float32)
            hi = np.asarray(self.transform["cb_max"], np.float32)
            self._cb = (lo, np.where(hi - lo > 0, hi - lo, 1.0).astype(np.float32))

    def __len__(self) -> int:
        return self.source.shape[0]

    @property
    def sparse(self) -> bool:
        return sp.issparse(self.source)

    def rows(self, idx, target: bool = True) -> tuple[np.ndarray, np.ndarray | None]:
        """Dense (encoder input, likelihood target or None) of the cells ``idx`` (an index array or a slice)."""
        m = self.source[idx]
        m = m.toarray() if sp.issparse(m) else np.asarray(m)
        m = m.astype(np.float32, copy=False)
        x_in = np.log1p(m) if self.mode == "log1p" else m
        if not target:
            return x_in, None
        if self.counts:
            return x_in, m
        if self._cb is not None:
            lo, span = self._cb
            return x_in, np.clip((x_in - lo) / span, 0.0, 1.0).astype(np.float32)
        return x_in, x_in

    def chunks(self, values: int = 1 << 21, target: bool = False):
        """(start, encoder input, target or None) per block of cells, in order; a block holds about ``values``
        values (at least 64 cells), so its memory does not grow with the number of cells."""
        size = max(64, values // max(1, self.source.shape[1]))
        for i in range(0, len(self), size):
            yield (i, *self.rows(slice(i, i + size), target))

    @property
    def x_in(self) -> np.ndarray:
        """Every cell's encoder input, dense (small data and tests only; training and inference use rows)."""
        return self.rows(slice(None))[0]

    @property
    def x_target(self) -> np.ndarray:
        return self.rows(slice(None))[1]


def _gene_extremes(m, mode: str) -> tuple[np.ndarray, np.ndarray]:
    """Per-gene min and max of the encoder input (implicit zeros of a sparse matrix count); log1p is monotonic."""
    if sp.issparse(m):
        lo, hi = (np.asarray(m.min(axis=0).toarray()).ravel(), np.asarray(m.max(axis=0).toarray()).ravel())
    else:
        lo, hi = m.min(0), m.max(0)
    if mode == "log1p":
        lo, hi = np.log1p(lo), np.log1p(hi)
    return lo.astype(np.float32), hi.astype(np.float32)


def prepare(adata, likelihood: str, layer: str | None, input_transform: str = "auto",
            transform: dict | None = None) -> Prepared:
    """What training / inference read. ``transform`` (from a trained model) reuses its CB scaling. A sparse
    layer stays sparse: every test below reads its stored values (implicit zeros are non-negative integers)."""
    if likelihood not in LIKELIHOODS:
        raise InputError(f"Unknown likelihood {likelihood!r}; choose from {', '.join(LIKELIHOODS)}.")
    m = setup.matrix(adata, layer)
    values = setup.stored_values(m)
    counts = LIKELIHOODS[likelihood].counts
    if counts:
        setup.require_counts(values, adata, layer, f"The {LIKELIHOODS[likelihood].label} likelihood")
    vmin = float(values.min(initial=0))
    mode = (transform or {}).get("input", input_transform)
    if mode == "auto":  # log1p for raw counts; already-transformed data (non-integer) is used as it is
        mode = "log1p" if counts or (vmin >= 0 and np.allclose(values, np.round(values))) else "none"
    if mode == "log1p":
        if vmin < 0:
            raise InputError(f"{setup.where(layer)} has negative values, so log1p cannot be applied; "
                             "use input transform 'none' or pick the raw-count layer.")
    elif mode != "none":
        raise InputError(f"Unknown input transform {mode!r}; use auto, log1p or none.")
    info = {"input": mode, "nonnegative": bool(vmin >= 0)}
    log_lib = None
    if counts:
        total = np.asarray(m.sum(axis=1), dtype=np.float64).reshape(-1, 1)
        log_lib = np.log(np.maximum(total, 1.0)).astype(np.float32)
    elif likelihood == "cb":
        if transform:
            lo, hi = np.asarray(transform["cb_min"], np.float32), np.asarray(transform["cb_max"], np.float32)
        else:
            lo, hi = _gene_extremes(m, mode)
        info.update(cb_min=lo.tolist(), cb_max=hi.tolist())
    return Prepared(m, mode, counts, log_lib, info)


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
