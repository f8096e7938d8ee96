"""Which edges the GRN view shows: threshold by weight and/or top-k, a gene's neighbourhood, a draw cap."""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numpy as np
import pandas as pd

from ...errors import InputError
from ..edges import with_rank

MAX_DRAWN_EDGES = 2000


@dataclass
class EdgeSelection:
    """The edges to draw (``edges``, ranked) and what was left out."""

    edges: pd.DataFrame  # drawn: source, target, weight[, signed_weight], rank
    matching: pd.DataFrame  # every edge passing threshold / top-k / neighbourhood (before the cap)
    n_total: int  # edges in the whole network
    cap: int
    focus: str | None = None

    @property
    def n_matching(self) -> int:
        return len(self.matching)

    @property
    def capped(self) -> bool:
        return self.n_matching > len(self.edges)

    @property
    def note(self) -> str | None:
        """A plain-text note for the user when the cap cut the view (None otherwise)."""
        if not self.capped:
            return None
        return (
            f"Showing the {len(self.edges):,} strongest of {self.n_matching:,} matching edges "
            f"(draw cap {self.cap:,}); raise the threshold or lower top-k to see all of them."
        )

    @property
    def genes(self) -> list[str]:
        return sorted(set(self.edges["source"]).union(self.edges["target"]))


def ranked(edges: pd.DataFrame) -> pd.DataFrame:
    """Edges sorted by weight with a 1-based ``rank`` (kept as is when already ranked)."""
    if "rank" in edges.columns and edges["weight"].is_monotonic_decreasing:
        return edges
    return with_rank(edges)


def neighbourhood(edges: pd.DataFrame, gene: str, steps: int = 1) -> pd.DataFrame:
    """Edges among genes within ``steps`` links of ``gene`` (regulators and targets, either direction)."""
    if steps not in (1, 2):
        raise InputError("neighbourhood steps must be 1 or 2")
    G = nx.from_pandas_edgelist(edges, "source", "target", create_using=nx.DiGraph)
    if gene not in G:
        raise InputError(f"gene {gene!r} has no edge at this threshold")
    keep = set(nx.ego_graph(G, gene, radius=steps, undirected=True).nodes)
    if steps == 1:  # a 1-step view shows the gene's own edges only, not edges among its neighbours
        mask = (edges["source"] == gene) | (edges["target"] == gene)
    else:
        mask = edges["source"].isin(keep) & edges["target"].isin(keep)
    return edges[mask]


def select_edges(
    edges: pd.DataFrame,
    *,
    threshold: float | None = None,
    top_k: int | None = None,
    gene: str | None = None,
    steps: int = 1,
    cap: int = MAX_DRAWN_EDGES,
    cut: tuple[str, float] | None = None,
    min_confidence: float | None = None,
) -> EdgeSelection:
    """Edges with ``weight >= threshold``, then the best ``top_k``, then ``gene``'s neighbourhood, capped.

    ``cut`` = (mode, value) applies a rank cut of :mod:`.cuts` (top-k edges, edges per target, rank quantile)
    before the neighbourhood; ``min_confidence`` (applied first) keeps edges whose ``confidence`` column reaches it.

    The cap keeps the strongest ``cap`` edges; :attr:`EdgeSelection.note` says so when it applies.
    """
    table = ranked(edges)
    sel = table
    if min_confidence is not None and "confidence" in sel.columns:
        sel = sel[sel["confidence"] >= float(min_confidence)]
    if threshold is not None:
        sel = sel[sel["weight"] >= float(threshold)]
    if top_k is not None:
        if int(top_k) < 1:
            raise InputError("top-k must be at least 1")
        sel = sel.head(int(top_k))
    if cut is not None:
        from .cuts import cut_edges

        sel = cut_edges(sel, *cut)
    focus = None
    if gene:
        gene = str(gene).strip()
        known = set(table["source"]).union(table["target"])
        if gene not in known:
            raise InputError(f"gene {gene!r} is not in this network")
        sel = neighbourhood(sel, gene, steps)
        focus = gene
    drawn = sel.head(int(cap)).reset_index(drop=True)
    return EdgeSelection(edges=drawn, matching=sel, n_total=len(table), cap=int(cap), focus=focus)


def mark_reference(edges: pd.DataFrame, reference: pd.DataFrame | None) -> pd.DataFrame:
    """Add a boolean ``in_reference`` column: is (source, target) a directed edge of ``reference``?"""
    out = edges.copy()
    if reference is None:
        return out
    ref = set(zip(reference["source"].astype(str), reference["target"].astype(str)))
    out["in_reference"] = np.fromiter(
        ((s, t) in ref for s, t in zip(out["source"], out["target"])), dtype=bool, count=len(out)
    )
    return out


def default_threshold(edges: pd.DataFrame, n_edges: int = 500) -> float:
    """The weight of the ``n_edges``-th strongest edge: a readable starting threshold."""
    w = np.sort(edges["weight"].to_numpy())[::-1]
    if len(w) == 0:
        return 0.0
    return float(w[min(n_edges, len(w)) - 1])


def threshold_grid(edges: pd.DataFrame, n_default: int = 300, n_steps: int = 500) -> dict[str, float]:
    """Slider bounds for the weight threshold: ``min``, ``max``, ``step`` and a ``value`` on the step grid
    that shows at least ``n_default`` edges (so a slider widget does not snap it elsewhere)."""
    lo, hi = float(edges["weight"].min()), float(edges["weight"].max())
    step = float(f"{max((hi - lo) / n_steps, 1e-9):.1g}")  # one significant digit
    lo = np.floor(lo / step) * step
    hi = np.ceil(hi / step) * step
    value = np.floor(default_threshold(edges, n_default) / step) * step
    digits = max(0, -int(np.floor(np.log10(step))))
    return {"min": round(float(lo), digits), "max": round(float(hi), digits), "step": step,
            "value": round(float(min(max(value, lo), hi)), digits)}
