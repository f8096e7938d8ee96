"""The GRN explorer's view: edge selection, a fixed node layout, and the pyvis HTML picture.

Typical use (what the GRN page does)::

    pos = layout_for(edges, key=run_id, cache_file=run_dir / "layout.json")   # once per network
    sel = select_edges(edges, threshold=0.3, top_k=None, gene=None, cap=2000)
    html = view_html(sel, pos, tfs=infer_tfs(edges), reference=ref_df)
"""

from __future__ import annotations

import pandas as pd

from .focus import focus_layout
from .html import build_network, network_html
from .layout import compute_layout, layout_for, network_id
from .select import MAX_DRAWN_EDGES, EdgeSelection, default_threshold, mark_reference, neighbourhood, select_edges, threshold_grid


def infer_tfs(edges: pd.DataFrame, tfs=None) -> set[str]:
    """TFs to draw distinctly: the given list, else the sources when they are a strict subset of the genes."""
    if tfs is not None:
        return set(map(str, tfs))
    sources = set(edges["source"])
    genes = sources.union(edges["target"])
    return sources if len(sources) < len(genes) else set()


def view_html(
    selection: EdgeSelection,
    positions: dict[str, tuple[float, float]],
    *,
    tfs: set[str] | None = None,
    reference: pd.DataFrame | None = None,
    height: str = "640px",
    show_note: bool = True,
    modules: dict[str, int] | None = None,
) -> str:
    """The HTML of a selection: TFs as diamonds, true positives highlighted when ``reference`` is given.

    ``show_note``: print the draw-cap note above the graph (off when the page shows it itself). A searched
    gene's neighbourhood is drawn at its own layout (:func:`view_positions`); ``modules`` colours genes.
    """
    edges = mark_reference(selection.edges, reference) if reference is not None else selection.edges
    return network_html(
        edges, view_positions(selection, positions), tfs=tfs, focus=selection.focus,
        reference=reference is not None, note=selection.note if show_note else None, height=height,
        modules=modules,
    )


def view_positions(selection: EdgeSelection, positions: dict[str, tuple[float, float]]) -> dict[str, tuple[float, float]]:
    """The network's fixed layout, or, for a searched gene, the gene in the centre with its neighbours around."""
    if selection.focus and not selection.edges.empty:
        return focus_layout(selection.edges, selection.focus)
    return positions


__all__ = [
    "MAX_DRAWN_EDGES", "EdgeSelection", "build_network", "compute_layout", "default_threshold", "infer_tfs",
    "layout_for", "mark_reference", "neighbourhood", "network_html", "network_id", "select_edges", "threshold_grid", "view_html",
    "view_positions", "focus_layout",
]
