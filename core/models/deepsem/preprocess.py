"""DeepSEM's input transforms (the two presets) and their inverse.

* ``zscore`` (non-specific preset): per-gene z-score over all cells; the loss sees every entry.
* ``nonzero`` (cell-type-specific preset): per-gene standardisation using the NON-ZERO values only, clipped to
  [-10, 10]; the loss sees only the non-zero entries (``mask``).

Raw integer counts are first library-size normalised and log1p-transformed (scanpy); BEELINE-style
log-expression is used as is.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...errors import InputError
from ..setup import dense_matrix, is_counts, log_normalise

TRANSFORMS = ("zscore", "nonzero")


def expression_matrix(adata, layer: str | None = None) -> tuple[np.ndarray, bool]:
    """Dense float64 cells x genes log-expression of ``layer`` (or X) and whether raw counts were log-normalised."""
    X = dense_matrix(adata, layer, np.float64, min_shape=(2, 2))
    counts = is_counts(X)
    return (log_normalise(X) if counts else X), counts


@dataclass
class Transform:
    """Per-gene affine transform ``(x - mean) / std`` (+ clipping for ``nonzero``), with its inverse."""

    kind: str
    mean: np.ndarray
    std: np.ndarray

    @classmethod
    def fit(cls, X: np.ndarray, kind: str) -> "Transform":
        if kind not in TRANSFORMS:
            raise InputError(f"Unknown DeepSEM transform {kind!r}; choose from {list(TRANSFORMS)}.")
        if kind == "zscore":
            mean, std = X.mean(0), X.std(0)
        else:
            nz = X != 0
            cnt = nz.sum(0)
            with np.errstate(invalid="ignore", divide="ignore"):
                mean = np.where(cnt > 0, (X * nz).sum(0) / cnt, 0.0)
                var = np.where(cnt > 0, (((X - mean) * nz) ** 2).sum(0) / cnt, 0.0)
            std = np.sqrt(var)
        std = np.where(np.isfinite(std) & (std > 0), std, 1.0)  # constant genes map to 0 instead of NaN
        return cls(kind, np.asarray(mean, dtype=np.float64), np.asarray(std, dtype=np.float64))

    def apply(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """Transformed matrix (float32) and the loss mask (non-zero entries) for ``nonzero``, else None."""
        Z = (X - self.mean) / self.std
        mask = None
        if self.kind == "nonzero":
            Z = np.clip(Z, -10.0, 10.0)
            mask = (X != 0).astype(np.float32)
        return Z.astype(np.float32), mask

    def inverse(self, Z: np.ndarray) -> np.ndarray:
        """Back to the log-expression scale (negative values clipped to 0)."""
        return np.maximum(np.asarray(Z, dtype=np.float64) * self.std + self.mean, 0.0)

    def to_dict(self) -> dict:
        return {"kind": self.kind, "mean": self.mean.tolist(), "std": self.std.tolist()}

    @classmethod
    def from_dict(cls, d: dict) -> "Transform":
        return cls(d["kind"], np.asarray(d["mean"], dtype=np.float64), np.asarray(d["std"], dtype=np.float64))
