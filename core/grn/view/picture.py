"""A static PNG/SVG picture of the view, drawn with matplotlib at the same fixed layout as the HTML."""

from __future__ import annotations

import io
import math

import networkx as nx
import pandas as pd

from .html import (FP_COLOUR, NEG_COLOUR, POS_COLOUR, TARGET_COLOUR, TF_COLOUR, TP_COLOUR, UNSIGNED_COLOUR,
                   always_labelled, legend_items)
from .layout import ring_position
from .select import MAX_DRAWN_EDGES, mark_reference

LABEL_LIMIT = 150  # label every node up to this many; beyond, only TFs, hubs and the focus gene


def render_picture(
    edges: pd.DataFrame,
    positions: dict[str, tuple[float, float]],
    *,
    fmt: str = "png",
    tfs: set[str] | None = None,
    reference: pd.DataFrame | None = None,
    focus: str | None = None,
    cap: int = MAX_DRAWN_EDGES,
    dpi: int = 150,
    modules: dict[str, int] | None = None,
) -> bytes:
    """PNG or SVG bytes of ``edges`` (strongest ``cap`` only) drawn like the interactive view, with gene labels
    (all up to ``LABEL_LIMIT`` genes, else TFs, hubs and the focus gene) and the view's legend."""
    from .modules import module_colour
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    if fmt not in ("png", "svg"):
        raise ValueError("fmt must be 'png' or 'svg'")
    edges = edges.head(cap)
    if reference is not None:
        edges = mark_reference(edges, reference)
    tfs = set(tfs or ())
    G = nx.DiGraph()
    G.add_edges_from(zip(edges["source"], edges["target"]))
    pos = {g: positions.get(g) or ring_position(g, positions) for g in G.nodes}
    pos = {g: (x, -y) for g, (x, y) in pos.items()}  # screen y grows downwards, matplotlib's upwards
    if "in_reference" in edges.columns:
        colours = [TP_COLOUR if r else FP_COLOUR for r in edges["in_reference"]]
    elif "signed_weight" in edges.columns:
        colours = [POS_COLOUR if v >= 0 else NEG_COLOUR for v in edges["signed_weight"]]
    else:
        colours = [UNSIGNED_COLOUR] * len(edges)
    wmax = float(edges["weight"].abs().max()) if len(edges) else 1.0
    widths = [0.3 + 2.5 * abs(w) / (wmax or 1.0) for w in edges["weight"]]
    out_deg = edges["source"].value_counts()
    nodes = list(G.nodes)
    sizes = [30 + 25 * math.sqrt(out_deg.get(g, 0)) for g in nodes]
    side = min(16.0, max(6.0, math.sqrt(len(nodes)) * 0.8))
    fig, ax = plt.subplots(figsize=(side, side))
    try:
        edgelist = list(zip(edges["source"], edges["target"]))
        arrows = len(edgelist) <= 300  # FancyArrowPatch per edge is slow; lines beyond that
        nx.draw_networkx_edges(G, pos, edgelist=edgelist, edge_color=colours, width=widths, alpha=0.7,
                               arrows=arrows, arrowsize=8, ax=ax, node_size=sizes if arrows else 30)
        for shape, members in (("D", [g for g in nodes if g in tfs]), ("o", [g for g in nodes if g not in tfs])):
            if members:
                base = TF_COLOUR if shape == "D" else TARGET_COLOUR
                fill = [module_colour(modules[g]) if modules and g in modules else base for g in members]
                nx.draw_networkx_nodes(G, pos, nodelist=members, node_shape=shape, ax=ax,
                                       node_size=[sizes[nodes.index(g)] for g in members],
                                       node_color=fill, edgecolors="#555555", linewidths=0.5)
        always = always_labelled(edges, tfs, focus)
        labelled = nodes if len(nodes) <= LABEL_LIMIT else [g for g in nodes if g in always]
        # matplotlib draws text as text (no markup is interpreted except $...$ mathtext, disabled here)
        for g in labelled:
            x, y = pos[g]
            ax.text(x, y, g, fontsize=7 if len(nodes) > 60 else 9, ha="center", va="bottom", usetex=False,
                    parse_math=False, fontweight="bold" if g == focus else "normal")
        _legend(ax, legend_items(edges, tfs, "in_reference" in edges.columns, modules))
        ax.set_axis_off()
        ax.margins(0.05)
        buf = io.BytesIO()
        fig.savefig(buf, format=fmt, dpi=dpi, bbox_inches="tight")
        return buf.getvalue()
    finally:
        plt.close(fig)


def _legend(ax, items: list[dict]) -> None:
    """The view's legend (only what is drawn) in the picture's corner."""
    from matplotlib.lines import Line2D

    handles = []
    for it in items:
        if it["kind"] == "node":
            handles.append(Line2D([], [], marker="D" if it["text"] == "TF" else "o", linestyle="", markersize=7,
                                  color=it["colour"], label=it["text"]))
        elif it["kind"] == "edge":
            handles.append(Line2D([], [], color=it["colour"], linewidth=2, label=it["text"]))
        else:
            handles.append(Line2D([], [], linestyle="", label=it["text"]))
    ax.legend(handles=handles, loc="upper left", fontsize=8, frameon=True, framealpha=0.85)
