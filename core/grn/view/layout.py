"""Node layout for the GRN view: computed ONCE per network (networkx spring layout) and then reused.

The layout depends only on the network, never on the threshold, so moving a slider never moves a node.
Positions are cached in memory by network id and, when a cache file is given (``layout.json`` in a run
directory), on disk, so a server restart does not recompute them either. ``LAYOUT_CALLS`` counts actual
computations (the benchmark and tests use it to prove the slider does not recompute the layout).
"""

from __future__ import annotations

import hashlib
import json
import math
import random
from collections import OrderedDict
from pathlib import Path

import networkx as nx
import pandas as pd

from ...atomic import write_text_atomic

LAYOUT_VERSION = 4
LAYOUT_NEIGHBOURS = 3  # each gene's strongest edges that shape the layout
_CACHE: OrderedDict[str, dict[str, tuple[float, float]]] = OrderedDict()
_CACHE_SIZE = 16
LAYOUT_CALLS = 0  # number of layouts actually computed in this process


def network_id(edges: pd.DataFrame) -> str:
    """A content hash of an edge table (source, target, weight): the default cache key."""
    h = hashlib.sha1()
    h.update(pd.util.hash_pandas_object(edges[["source", "target", "weight"]], index=False).values.tobytes())
    return h.hexdigest()[:16]


def _layout_graph(edges: pd.DataFrame, per_gene: int) -> nx.Graph:
    """Undirected backbone: every gene's ``per_gene`` strongest edges (as regulator and as target).

    A k-nearest-neighbour backbone spreads the picture evenly; the globally strongest edges alone would
    crush the densest module into a clump and leave weakly linked genes without a place.
    """
    part = pd.concat([edges.groupby("source", sort=False).head(per_gene), edges.groupby("target", sort=False).head(per_gene)])
    G = nx.Graph()
    G.add_nodes_from(sorted(set(edges["source"]).union(edges["target"])))
    for s, t, w in part[["source", "target", "weight"]].itertuples(index=False):
        w = abs(float(w))
        if s != t and (not G.has_edge(s, t) or G[s][t]["weight"] < w):
            G.add_edge(s, t, weight=w)
    return G


#: above this many genes in a component the layout is igraph's Fruchterman-Reingold (C, grid-accelerated);
#: networkx's dense variant holds n x n x 2 floats per iteration (2,000 genes: ~40 s on 2 busy cores)
IGRAPH_FROM = 500


def _spring(G: nx.Graph, seed: int) -> dict:
    """Fruchterman-Reingold spring layout: networkx up to IGRAPH_FROM nodes, igraph beyond (same force model,
    in C: 5,000 genes in about a second)."""
    if G.number_of_nodes() > IGRAPH_FROM:
        return _spring_igraph(G, seed)
    return nx.spring_layout(G, seed=seed, iterations=50, weight="weight")


def _spring_igraph(G: nx.Graph, seed: int) -> dict:
    import igraph as ig
    import numpy as np

    nodes = list(G)
    index = {g: i for i, g in enumerate(nodes)}
    edges = [(index[a], index[b]) for a, b in G.edges()]
    weights = [float(d.get("weight", 1.0)) or 1e-6 for *_, d in G.edges(data=True)]
    # igraph's grid has cells of unit size: start spread over ~sqrt(n) units (all in one cell is quadratic again)
    spread = math.sqrt(len(nodes))
    start = np.random.RandomState(seed).uniform(-spread, spread, size=(len(nodes), 2)).tolist()
    saved = random.getstate()  # igraph draws from Python's random module: seed it, then give its state back
    random.seed(seed)
    try:
        layout = ig.Graph(n=len(nodes), edges=edges).layout_fruchterman_reingold(
            weights=weights, seed=start, niter=500, grid=True)
    finally:
        random.setstate(saved)
    xy = nx.rescale_layout(np.asarray(layout.coords, dtype=float), scale=1)
    return dict(zip(nodes, xy))


def compute_layout(edges: pd.DataFrame, *, per_gene: int = LAYOUT_NEIGHBOURS, seed: int = 0) -> dict[str, tuple[float, float]]:
    """Spring layout (networkx) of the whole network, scaled to screen units; same seed => same layout."""
    global LAYOUT_CALLS
    LAYOUT_CALLS += 1
    edges = edges.sort_values("weight", ascending=False, kind="stable")
    G = _layout_graph(edges, per_gene)
    if G.number_of_nodes() == 0:
        return {}
    wmax = max((d["weight"] for *_, d in G.edges(data=True)), default=1.0) or 1.0
    for *_, d in G.edges(data=True):
        d["weight"] = d["weight"] / wmax
    return _packed(G, seed)


def _packed(G: nx.Graph, seed: int) -> dict[str, tuple[float, float]]:
    """Lay out each connected component on its own (spring layout, radius ~ sqrt(size)) and pack them in
    rows, largest first, so that small components do not fly off to the edges of the picture."""
    comps = sorted((sorted(c) for c in nx.connected_components(G)), key=lambda c: (-len(c), c[0]))
    boxes = []
    for comp in comps:
        if len(comp) == 1:
            local = {comp[0]: (0.0, 0.0)}
        elif len(comp) == 2:
            local = {comp[0]: (-0.5, 0.0), comp[1]: (0.5, 0.0)}
        else:
            local = _spring(G.subgraph(comp), seed)
        radius = 60.0 * math.sqrt(len(comp)) + 20.0
        boxes.append(({g: (float(x) * radius, float(y) * radius) for g, (x, y) in local.items()}, radius))
    total = sum((2 * r) ** 2 for _, r in boxes)
    row_width = max(2 * boxes[0][1], 1.3 * math.sqrt(total)) if boxes else 0.0
    out: dict[str, tuple[float, float]] = {}
    x = y = row_h = 0.0
    for local, r in boxes:
        side = 2 * r + 40.0
        if x > 0 and x + side > row_width:
            x, y, row_h = 0.0, y + row_h, 0.0
        cx, cy = x + side / 2, y + side / 2
        for g, (px, py) in local.items():
            out[str(g)] = (round(cx + px, 2), round(cy + py, 2))
        x += side
        row_h = max(row_h, side)
    return out


def layout_for(
    edges: pd.DataFrame,
    key: str | None = None,
    *,
    cache_file: str | Path | None = None,
    seed: int = 0,
) -> dict[str, tuple[float, float]]:
    """Positions for every gene of ``edges``, computed once per network ``key`` (default: content hash).

    ``cache_file`` (e.g. ``run_dir/layout.json``) persists the layout; it is reused only when its key matches.
    """
    key = f"{key or network_id(edges)}:{seed}:v{LAYOUT_VERSION}"
    if key in _CACHE:
        _CACHE.move_to_end(key)
        return _CACHE[key]
    pos = None
    if cache_file is not None and Path(cache_file).is_file():
        try:
            saved = json.loads(Path(cache_file).read_text(encoding="utf-8"))
            if saved.get("key") == key:
                pos = {str(g): (float(x), float(y)) for g, (x, y) in saved["positions"].items()}
        except (ValueError, KeyError, TypeError):
            pos = None  # a damaged cache is simply recomputed
    if pos is None:
        pos = compute_layout(edges, seed=seed)
        if cache_file is not None:
            try:
                write_text_atomic(Path(cache_file), json.dumps({"key": key, "positions": pos}))
            except OSError:
                pass  # read-only run directory: keep the in-memory cache only
    _CACHE[key] = pos
    while len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return pos


def ring_position(gene: str, positions: dict[str, tuple[float, float]]) -> tuple[float, float]:
    """A stable position on an outer ring for a gene the layout does not know (e.g. a reference-only gene)."""
    radius = 1.15 * max((math.hypot(x, y) for x, y in positions.values()), default=200.0)
    angle = (int(hashlib.sha1(gene.encode("utf-8")).hexdigest()[:8], 16) % 3600) / 3600 * 2 * math.pi
    return (round(radius * math.cos(angle), 2), round(radius * math.sin(angle), 2))


def clear_cache() -> None:
    """Forget in-memory layouts (tests)."""
    _CACHE.clear()


__all__ = ["compute_layout", "layout_for", "network_id", "ring_position", "clear_cache"]
