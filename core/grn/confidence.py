"""Edge confidence: how reproducibly an edge ranks among the strongest.

* Ensembles: the share of members that rank the edge in their top ``k`` (:func:`member_confidence`).
* Single models: the share of bootstrap resamples of the cells whose network ranks it in the top ``k``
  (:func:`bootstrap_confidence`; the GRN page runs it as a background job, see :mod:`.confidence_task`).

``k`` defaults to 1 % of the candidate edges, at least 50 and at most 5,000 (:func:`default_k`). The
result is a ``confidence`` column in [0, 1] of the edge table (written to ``edges.tsv``).
"""

from __future__ import annotations

import warnings
from typing import Callable

import numpy as np
import pandas as pd

from ..errors import InputError


def default_k(n_candidates: int) -> int:
    """Top-k used for confidence: 1 % of the candidate edges, clipped to [50, 5000] (and to the candidates)."""
    return int(min(n_candidates, max(50, min(5000, round(0.01 * n_candidates)))))


def top_k_share(scores: np.ndarray, k: int) -> np.ndarray:
    """Per column: the share of rows (members, resamples) whose ``k`` largest |scores| include it.
    ``scores``: (rows, candidates). Ties at the k-th value are not broken in the edge's favour."""
    S = np.abs(np.asarray(scores, dtype=np.float64))
    if S.ndim != 2 or S.shape[0] == 0:
        raise ValueError("scores must be (members, candidates) with at least one member")
    k = int(min(max(1, k), S.shape[1]))
    hits = np.zeros(S.shape[1])
    for row in S:
        hits[np.argpartition(-row, k - 1)[:k]] += 1
    return hits / S.shape[0]


def member_confidence(W: np.ndarray, candidates: np.ndarray, k: int | None = None) -> np.ndarray:
    """Ensemble confidence matrix (target, source) from members' W (members, target, source): the share of
    members ranking each candidate edge in their top ``k`` (0 outside ``candidates``)."""
    cand = np.asarray(candidates, bool)
    flat = np.abs(np.asarray(W, dtype=np.float64)).reshape(len(W), -1)[:, cand.ravel()]
    out = np.zeros(cand.shape)
    out[cand] = top_k_share(flat, k or default_k(int(cand.sum())))
    return out


def attach(edges: pd.DataFrame, matrix: np.ndarray, genes, *, rows: str = "target") -> pd.DataFrame:
    """Add ``confidence`` to ``edges`` from a (target, source) matrix (``rows="source"``: (source, target))."""
    index = {str(g): i for i, g in enumerate(genes)}
    s = edges["source"].map(index).to_numpy()
    t = edges["target"].map(index).to_numpy()
    out = edges.copy()
    out["confidence"] = matrix[t, s] if rows == "target" else matrix[s, t]
    return out


def top_k_pairs(edges: pd.DataFrame, k: int) -> set[tuple[str, str]]:
    """The (source, target) pairs of the ``k`` strongest edges."""
    top = edges.sort_values("weight", ascending=False, kind="stable").head(int(k))
    return set(zip(top["source"].astype(str), top["target"].astype(str)))


def bootstrap_confidence(
    adata,
    infer: Callable[[object, int], pd.DataFrame],
    edges: pd.DataFrame,
    *,
    n_boot: int = 10,
    k: int | None = None,
    seed: int = 0,
    progress: Callable[[int, int], None] | None = None,
) -> pd.DataFrame:
    """``edges`` with ``confidence`` = share of ``n_boot`` resamples of the cells (with replacement) whose
    network (``infer(adata_resampled, b)``) ranks the edge in its top ``k`` (default :func:`default_k` of
    the edge count)."""
    if n_boot < 2:
        raise InputError("a bootstrap needs at least 2 resamples")
    k = int(k or default_k(len(edges)))
    rng = np.random.default_rng(seed)
    counts: dict[tuple[str, str], int] = {}
    for b in range(n_boot):
        idx = rng.integers(0, adata.n_obs, adata.n_obs)
        with warnings.catch_warnings():  # resampled cells repeat their names; made unique just below
            warnings.simplefilter("ignore", UserWarning)
            sub = adata[np.sort(idx)].copy()
        sub.obs_names_make_unique()
        for pair in top_k_pairs(infer(sub, b), k):
            counts[pair] = counts.get(pair, 0) + 1
        if progress is not None:
            progress(b + 1, n_boot)
    out = edges.copy()
    out["confidence"] = [counts.get((str(s), str(t)), 0) / n_boot for s, t in zip(out["source"], out["target"])]
    return out


def confidence_curve(edges: pd.DataFrame, reference: pd.DataFrame, top: int,
                     bins=(0.0, 0.25, 0.5, 0.75, 1.0)) -> pd.DataFrame:
    """Among the ``top`` strongest edges, precision against ``reference`` per confidence bin ([lo, hi); the
    last bin is closed): ``bin, n_edges, precision``."""
    head = edges.sort_values("weight", ascending=False, kind="stable").head(int(top))
    ref = set(zip(reference["source"].astype(str), reference["target"].astype(str)))
    hit = np.array([(s, t) in ref for s, t in zip(head["source"].astype(str), head["target"].astype(str))])
    c = head["confidence"].to_numpy(float)
    rows = []
    for i in range(len(bins) - 1):
        lo, hi = bins[i], bins[i + 1]
        last = i == len(bins) - 2
        m = (c >= lo) & ((c <= hi) if last else (c < hi))
        rows.append({"bin": f"[{lo:g}, {hi:g}{']' if last else ')'}", "n_edges": int(m.sum()),
                     "precision": float(hit[m].mean()) if m.any() else float("nan")})
    return pd.DataFrame(rows)
