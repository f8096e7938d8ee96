"""Modules of the shown network: Leiden communities (igraph + leidenalg) of its undirected weighted graph.

``find_modules(edges)`` gives gene -> module number (0 = largest); ``module_table`` lists each module's genes,
its TFs and its size, for the page and for export. Genes of modules smaller than ``min_size`` get no module.
"""

from __future__ import annotations

import pandas as pd

PALETTE = ("#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#b07aa1", "#76b7b2", "#edc948", "#ff9da7",
           "#9c755f", "#8cd17d", "#499894", "#d37295", "#a0cbe8", "#ffbe7d", "#86bcb6", "#d4a6c8")
NO_MODULE = "#bbbbbb"


def module_colour(module: int) -> str:
    """The colour of module ``module`` (modules past the palette share grey)."""
    return PALETTE[int(module)] if 0 <= int(module) < len(PALETTE) else NO_MODULE


def find_modules(edges: pd.DataFrame, *, resolution: float = 1.0, seed: int = 0, min_size: int = 3) -> dict[str, int]:
    """Leiden communities (modularity with ``resolution``) of the edges as an undirected graph weighted by rank
    score; modules numbered by size (largest first); genes in modules under ``min_size`` are left out."""
    import igraph as ig
    import leidenalg

    if edges.empty:
        return {}
    und = edges.assign(a=edges[["source", "target"]].min(axis=1), b=edges[["source", "target"]].max(axis=1))
    und = und.groupby(["a", "b"], sort=True)["weight"].max().reset_index()
    w = und["weight"].abs().to_numpy(float)
    w = w / (w.max() or 1.0)
    g = ig.Graph.TupleList(und[["a", "b"]].itertuples(index=False), directed=False)
    part = leidenalg.find_partition(g, leidenalg.RBConfigurationVertexPartition, weights=list(w + 1e-9),
                                    resolution_parameter=float(resolution), seed=int(seed))
    groups = sorted((sorted(g.vs[i]["name"] for i in c) for c in part), key=lambda c: (-len(c), c[0]))
    return {gene: k for k, members in enumerate(groups) if len(members) >= min_size for gene in members}


def module_table(modules: dict[str, int], tfs: set[str] | None = None) -> pd.DataFrame:
    """One row per module: ``module`` (1-based), ``size``, ``tfs`` and ``genes`` (comma-separated, sorted)."""
    tfs = set(tfs or ())
    rows = []
    for k in sorted(set(modules.values())):
        genes = sorted(g for g, m in modules.items() if m == k)
        rows.append({"module": k + 1, "size": len(genes), "tfs": ", ".join(g for g in genes if g in tfs),
                     "genes": ", ".join(genes), "colour": module_colour(k)})
    return pd.DataFrame(rows, columns=["module", "size", "tfs", "genes", "colour"])
