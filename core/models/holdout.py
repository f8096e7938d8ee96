"""Held-out count recovery: how well a denoiser predicts counts it never saw (DCA / scVI imputation test).

    masked, hidden = hide_counts(X, fraction=0.1, seed=0)     # a copy with 10 % of non-zero counts set to 0
    pred = <denoise masked>                                   # expected counts at the masked library size
    scores = recovery(X, masked, pred, hidden)                # r, median absolute error, ...

Predictions are compared with the hidden values after **library scaling**: each cell's prediction is multiplied
by (library before masking) / (library after masking), the same for every method. ``gene_mean_floor`` is the
baseline any denoiser must beat: each gene's mean fraction of the library, times the cell's library.
"""

from __future__ import annotations

import numpy as np


def hide_counts(X: np.ndarray, fraction: float = 0.1, seed: int = 0) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]:
    """A copy of counts ``X`` with ``fraction`` of its non-zero entries set to 0, and their (rows, cols)."""
    rng = np.random.default_rng(seed)
    rows, cols = np.nonzero(X)
    pick = rng.choice(rows.size, max(1, int(round(fraction * rows.size))), replace=False)
    rows, cols = rows[pick], cols[pick]
    masked = np.array(X, dtype=np.float32, copy=True)
    masked[rows, cols] = 0
    empty = masked.sum(1) == 0  # never empty a cell completely: give back one hidden entry
    if empty.any():
        keep = np.isin(rows, np.flatnonzero(empty))
        first = {r: i for i, r in reversed(list(enumerate(rows))) if keep[i]}
        back = np.zeros(rows.size, bool)
        back[list(first.values())] = True
        masked[rows[back], cols[back]] = X[rows[back], cols[back]]
        rows, cols = rows[~back], cols[~back]
    return masked, (rows, cols)


def gene_mean_floor(masked: np.ndarray) -> np.ndarray:
    """Each gene's mean library fraction times each cell's library (the no-structure prediction)."""
    lib = masked.sum(1, keepdims=True)
    frac = (masked / np.maximum(lib, 1)).mean(0, keepdims=True)
    return lib * frac


def recovery(X: np.ndarray, masked: np.ndarray, pred: np.ndarray, hidden: tuple[np.ndarray, np.ndarray]) -> dict[str, float]:
    """Scores of ``pred`` on the hidden entries: Pearson r of log1p values, median absolute error and RMSE of
    log1p values, after library scaling (see the module docstring)."""
    rows, cols = hidden
    scale = X.sum(1) / np.maximum(masked.sum(1), 1e-8)
    p = np.asarray(pred, dtype=np.float64)[rows, cols] * scale[rows]
    t = np.asarray(X, dtype=np.float64)[rows, cols]
    lp, lt = np.log1p(np.maximum(p, 0)), np.log1p(t)
    return {"r_log": float(np.corrcoef(lp, lt)[0, 1]), "r": float(np.corrcoef(p, t)[0, 1]),
            "median_abs_error": float(np.median(np.abs(p - t))), "rmse_log": float(np.sqrt(np.mean((lp - lt) ** 2))),
            "n_hidden": int(rows.size)}
