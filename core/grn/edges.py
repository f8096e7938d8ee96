"""The edge-table convention shared by every GRN method, exporter and scorer.

An edge table is a pandas DataFrame with columns ``source`` (regulator), ``target``, ``weight`` (the
ranking score, larger = more confident, non-negative) and optionally ``signed_weight`` (the signed value
the score came from) and ``confidence`` (in [0, 1], see :mod:`.confidence`). Rows are sorted by ``weight`` descending; ``rank`` starts at 1. Self-loops never
appear.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

EDGE_COLUMNS = ["source", "target", "weight"]


def adjacency_to_edges(
    scores: np.ndarray,
    genes: Sequence[str],
    *,
    tfs: Sequence[str] | None = None,
    signed: np.ndarray | None = None,
    top_k: int | None = None,
) -> pd.DataFrame:
    """Turn a square score matrix ``scores[source, target]`` into a ranked edge table.

    ``tfs`` restricts sources to those genes (unknown names are ignored); ``signed`` is a matrix of the same
    shape kept as ``signed_weight``; ``top_k`` keeps only the best k edges.
    """
    scores = np.asarray(scores, dtype=np.float64)
    genes = np.asarray([str(g) for g in genes], dtype=object)
    n = len(genes)
    if scores.shape != (n, n):
        raise ValueError(f"score matrix is {scores.shape}, expected ({n}, {n})")
    src_idx = np.arange(n)
    if tfs is not None:
        tf_set = set(map(str, tfs))
        src_idx = np.array([i for i, g in enumerate(genes) if g in tf_set], dtype=int)
    sub = scores[src_idx]
    rows, cols = np.meshgrid(src_idx, np.arange(n), indexing="ij")
    mask = rows != cols
    s, t, w = rows[mask], cols[mask], sub[mask]
    order = np.argsort(-w, kind="stable")
    if top_k is not None:
        order = order[: int(top_k)]
    df = pd.DataFrame({"source": genes[s[order]], "target": genes[t[order]], "weight": w[order]})
    if signed is not None:
        signed = np.asarray(signed, dtype=np.float64)
        df["signed_weight"] = signed[s[order], t[order]]
    return df.reset_index(drop=True)


def with_rank(edges: pd.DataFrame) -> pd.DataFrame:
    """Return a copy sorted by weight (descending) with a 1-based ``rank`` column."""
    out = edges.sort_values("weight", ascending=False, kind="stable").reset_index(drop=True)
    out["rank"] = np.arange(1, len(out) + 1)
    return out


def write_edges(edges: pd.DataFrame, path: str | Path) -> None:
    """Write an edge table as TSV (``source, target, weight[, signed_weight][, confidence]``)."""
    cols = [c for c in ["source", "target", "weight", "signed_weight", "confidence"] if c in edges.columns]
    edges[cols].to_csv(path, sep="\t", index=False)


def read_edges(path: str | Path) -> pd.DataFrame:
    """Read an edge table written by :func:`write_edges` (or any reference-network format)."""
    from ..io.networks import read_network

    return read_network(path)
