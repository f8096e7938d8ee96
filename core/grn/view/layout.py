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
from collections import OrderedDict
from pathlib import Path

import networkx as nx
import pandas as pd

from ...jobs.atomic import write_text_atomic

LAYOUT_VERSION = 1
LAYOUT_EDGES = 5000  # strongest edges that shape the layout (plus each gene's own strongest edge)
_CACHE: OrderedDict[str, dict[str, tuple[float, float]]] = OrderedDict()
_CACHE_SIZE = 16
LAYOUT_CALLS = 0  # number of layouts actually computed in this process


def network_id(edges: pd.DataFrame) -> str:
    """A content hash of an edge table (source, target, weight): the default cache key."""
    h = hashlib.sha1()
    h.update(pd.util.hash_pandas_object(edges[["source", "target", "weight"]], index=False).values.tobytes())
    return h.hexdigest()[:16]


def _layout_graph(edges: pd.DataFrame, n_edges: int) -> nx.Graph:
    """Undirected graph of the strongest edges plus every gene's strongest edge (so every gene is placed)."""
    best = pd.concat([edges.drop_duplicates("source"), edges.drop_duplicates("target")])
    part = pd.concat([edges.head(n_edges), best])
    G = nx.Graph()
    G.add_nodes_from(sorted(set(edges["source"]).union(edges["target"])))
    for s, t, w in part[["source", "target", "weight"]].itertuples(index=False):
        w = abs(float(w))
        if s != t and (not G.has_edge(s, t) or G[s][t]["weight"] < w):
            G.add_edge(s, t, weight=w)
    return G


def _spring(G: nx.Graph, seed: int) -> dict:
    """networkx's Fruchterman-Reingold spring layout.

    ``nx.spring_layout`` switches to a per-node Python loop (sparse variant) above 500 nodes, about 2x slower
    than its dense numpy variant, which is fine up to a few thousand nodes (n x n floats); call the dense one
    directly when this networkx has it, else the public function.
    """
    dense = getattr(nx.drawing.layout, "_fruchterman_reingold", None)
    if dense is None or not 500 <= G.number_of_nodes() <= 4000:
        return nx.spring_layout(G, seed=seed, iterations=50, weight="weight")
    import numpy as np

    A = nx.to_numpy_array(G, weight="weight")
    xy = dense(A, k=None, pos=None, fixed=None, iterations=50, threshold=1e-4, dim=2, seed=np.random.RandomState(seed))
    xy = nx.rescale_layout(xy, scale=1)
    return dict(zip(G, xy))


def compute_layout(edges: pd.DataFrame, *, n_edges: int = LAYOUT_EDGES, seed: int = 0) -> dict[str, tuple[float, float]]:
    """Spring layout (networkx) of the whole network, scaled to screen units; same seed => same layout."""
    global LAYOUT_CALLS
    LAYOUT_CALLS += 1
    edges = edges.sort_values("weight", ascending=False, kind="stable")
    G = _layout_graph(edges, n_edges)
    if G.number_of_nodes() == 0:
        return {}
    wmax = max((d["weight"] for *_, d in G.edges(data=True)), default=1.0) or 1.0
    for *_, d in G.edges(data=True):
        d["weight"] = d["weight"] / wmax
    pos = _spring(G, seed)
    scale = 80.0 * math.sqrt(G.number_of_nodes())  # ~constant node density on screen
    return {str(n): (round(float(x) * scale, 2), round(float(y) * scale, 2)) for n, (x, y) in pos.items()}


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
