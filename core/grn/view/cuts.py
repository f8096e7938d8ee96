"""Thresholds people reason with: the top k edges, the best edges per target, or a rank quantile.

A network's raw weights are often useless as a threshold (a DeepSEM ensemble's useful range is 0.97-1), so
the GRN page cuts by rank; the weight at the cut is reported as a detail (:func:`weight_at_cut`).
"""

from __future__ import annotations

import pandas as pd

from ...errors import InputError

MODES = {"top_k": "Top edges", "per_target": "Edges per target", "quantile": "Rank quantile (top %)"}
TOP_K_STEPS = (10, 25, 50, 100, 200, 300, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000)
PER_TARGET_STEPS = (1, 2, 3, 4, 5, 7, 10, 15, 20)
QUANTILE_STEPS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 25.0, 50.0, 100.0)
DEFAULTS = {"top_k": 300, "per_target": 2, "quantile": 1.0}


def cut_steps(mode: str, n_edges: int) -> list:
    """The values a cut control offers for a network of ``n_edges`` edges (top-k ends at "all" = n_edges)."""
    if mode == "top_k":
        return [k for k in TOP_K_STEPS if k < n_edges] + [int(n_edges)]
    if mode == "per_target":
        return list(PER_TARGET_STEPS)
    if mode == "quantile":
        return list(QUANTILE_STEPS)
    raise InputError(f"unknown cut {mode!r}; choose one of {', '.join(MODES)}")


def default_step(mode: str, n_edges: int, n_genes: int | None = None) -> float:
    """The step nearest the mode's default. Top-k: about two edges per gene, at most 300 (a readable
    drawing, not a hairball), or all of a smaller network."""
    steps = cut_steps(mode, n_edges)
    want = DEFAULTS[mode]
    if mode == "top_k" and n_genes:
        want = min(want, 2 * int(n_genes))
    return min(steps, key=lambda v: (abs(v - want), v))


def cut_edges(edges: pd.DataFrame, mode: str, value: float) -> pd.DataFrame:
    """The edges kept by a cut of a ranked (weight-descending) edge table."""
    if mode == "top_k":
        if int(value) < 1:
            raise InputError("top-k must be at least 1")
        return edges.head(int(value))
    if mode == "per_target":
        if int(value) < 1:
            raise InputError("edges per target must be at least 1")
        return edges[edges.groupby("target", sort=False).cumcount() < int(value)]
    if mode == "quantile":
        if not 0 < float(value) <= 100:
            raise InputError("the rank quantile must be in (0, 100] %")
        return edges.head(max(1, int(round(len(edges) * float(value) / 100))))
    raise InputError(f"unknown cut {mode!r}; choose one of {', '.join(MODES)}")


def describe_cut(mode: str, value: float) -> str:
    """The cut in words, e.g. "top 300 edges"."""
    if mode == "top_k":
        return f"top {int(value):,} edges"
    if mode == "per_target":
        return f"best {int(value)} regulator{'s' if int(value) != 1 else ''} per target"
    return f"top {value:g} % of edges by rank"


def describe_selection(cut_words: str, n_edges: int, gene: str | None = None, steps: int = 1) -> str:
    """What is shown, in words: the cut alone, or the edges of the cut within ``steps`` of a searched gene
    ("Showing 17 edges of the top 200 edges within 1 step of TF01")."""
    if not gene:
        return f"Showing the {cut_words}"
    noun = "edge" if n_edges == 1 else "edges"
    return f"Showing {n_edges:,} {noun} of the {cut_words} within {steps} step{'s' if steps != 1 else ''} of {gene}"


def weight_at_cut(kept: pd.DataFrame) -> str:
    """The raw weight range of the kept edges, as a detail ("weight 0.971 – 1")."""
    if kept.empty:
        return "no edge"
    lo, hi = float(kept["weight"].min()), float(kept["weight"].max())
    return f"weight {lo:.4g} – {hi:.4g}"
