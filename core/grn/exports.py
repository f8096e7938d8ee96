"""Export an edge table in the formats other GRN tools read.

| format  | file | columns / content | read by |
|---|---|---|---|
| scenic  | .tsv | ``TF, target, importance`` (arboreto/pySCENIC adjacencies) | pySCENIC, our reader |
| beeline | .csv | ``Gene1,Gene2,EdgeWeight`` (BEELINE rankedEdges) | BEELINE, our reader |
| graphml | .graphml | directed graph; edge ``weight``, ``signed_weight``, ``rank``; node ``is_tf`` | Cytoscape, Gephi, networkx |
| gexf    | .gexf | same as GraphML | Gephi, networkx |
| sif     | .sif | ``source <tab> activates/represses/regulates <tab> target`` | Cytoscape |
| gmt     | .gmt | one regulon per TF: ``TF <tab> description <tab> target...`` | GSEA, AUCell, decoupler |
| html    | .html | the interactive view (vis-network inlined, works offline) | a browser |
| png/svg | .png/.svg | a static picture at the view's fixed layout | anything |

Weights written are the ranking score ``weight`` (non-negative); the sign survives in GraphML/GEXF
(``signed_weight``) and SIF (interaction type). Edge ``confidence`` (when the network has it) is an extra
column of the SCENIC TSV (``confidence``) and BEELINE CSV (``Confidence``) and an edge attribute of
GraphML/GEXF; the HTML view shows it in edge tooltips.
"""

from __future__ import annotations

import io
from pathlib import Path

import networkx as nx
import pandas as pd

from ..errors import InputError
from .view.select import MAX_DRAWN_EDGES, ranked, select_edges

FORMATS = {
    "scenic": ".tsv", "beeline": ".csv", "graphml": ".graphml", "gexf": ".gexf", "sif": ".sif",
    "gmt": ".gmt", "html": ".html", "png": ".png", "svg": ".svg",
}
MIME = {
    "scenic": "text/tab-separated-values", "beeline": "text/csv", "graphml": "application/xml",
    "gexf": "application/xml", "sif": "text/plain", "gmt": "text/plain", "html": "text/html",
    "png": "image/png", "svg": "image/svg+xml",
}


def filter_edges(edges: pd.DataFrame, *, top_k: int | None = None, threshold: float | None = None) -> pd.DataFrame:
    """Edges with ``weight >= threshold`` and/or the best ``top_k``, ranked (rank column added)."""
    sel = select_edges(edges, threshold=threshold, top_k=top_k, cap=max(len(edges), 1))
    return sel.edges


def to_graph(edges: pd.DataFrame, tfs=None) -> nx.DiGraph:
    """A networkx DiGraph: edge attributes ``weight``, ``signed_weight`` (when known), ``rank``; node ``is_tf``."""
    edges = ranked(edges)
    G = nx.DiGraph()
    tf_set = set(map(str, tfs)) if tfs is not None else set(edges["source"])
    for g in sorted(set(edges["source"]).union(edges["target"])):
        G.add_node(g, is_tf=g in tf_set)
    has_sign = "signed_weight" in edges.columns
    has_conf = "confidence" in edges.columns
    for row in edges.itertuples(index=False):
        attrs = {"weight": float(row.weight), "rank": int(row.rank)}
        if has_sign:
            attrs["signed_weight"] = float(row.signed_weight)
        if has_conf:
            attrs["confidence"] = float(row.confidence)
        G.add_edge(row.source, row.target, **attrs)
    return G


def _check_names(edges: pd.DataFrame, fmt: str) -> None:
    bad = [g for g in set(edges["source"]).union(edges["target"]) if any(c in g for c in "\t\r\n")]
    if bad:
        raise InputError(f"{fmt} cannot hold gene names containing tabs or line breaks: {sorted(bad)[:3]}")


def _sif(edges: pd.DataFrame) -> str:
    _check_names(edges, "SIF")
    if "signed_weight" in edges.columns:
        kind = edges["signed_weight"].map(lambda v: "activates" if v >= 0 else "represses")
    else:
        kind = pd.Series("regulates", index=edges.index)
    return "".join(f"{s}\t{k}\t{t}\n" for s, k, t in zip(edges["source"], kind, edges["target"]))


def _gmt(edges: pd.DataFrame, min_targets: int = 1) -> str:
    """One line per TF with its targets (strongest first); TFs with fewer than ``min_targets`` are dropped."""
    _check_names(edges, "GMT")
    lines = []
    for tf, grp in ranked(edges).groupby("source", sort=True):
        if len(grp) < min_targets:
            continue
        desc = f"scGRN regulon: {len(grp)} targets, weight >= {grp['weight'].min():.4g}"
        lines.append("\t".join([tf, desc, *grp["target"].tolist()]) + "\n")
    return "".join(lines)


def export_bytes(
    edges: pd.DataFrame,
    fmt: str,
    *,
    tfs=None,
    positions: dict | None = None,
    html: str | None = None,
    reference: pd.DataFrame | None = None,
    focus: str | None = None,
    modules: dict[str, int] | None = None,
) -> bytes:
    """The file content of ``edges`` in ``fmt`` (see the module table).

    ``html`` reuses an already rendered view for ``fmt="html"``; ``positions`` (the view's fixed layout) is
    used by html/png/svg and computed when absent; ``focus`` (a searched gene) draws its neighbourhood around
    it as the page does; ``modules`` colours genes by module.
    """
    fmt = fmt.lower()
    if fmt not in FORMATS:
        raise InputError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}")
    edges = ranked(edges)
    if fmt == "scenic":
        cols = ["TF", "target", "importance"] + (["confidence"] if "confidence" in edges.columns else [])
        out = edges.rename(columns={"source": "TF", "weight": "importance"})[cols]
        return out.to_csv(sep="\t", index=False).encode("utf-8")
    if fmt == "beeline":
        out = edges.rename(columns={"source": "Gene1", "target": "Gene2", "weight": "EdgeWeight"})
        cols = ["Gene1", "Gene2", "EdgeWeight"] + (["Confidence"] if "confidence" in edges.columns else [])
        return out.rename(columns={"confidence": "Confidence"})[cols].to_csv(index=False).encode("utf-8")
    if fmt in ("graphml", "gexf"):
        buf = io.BytesIO()
        G = to_graph(edges, tfs)
        (nx.write_graphml if fmt == "graphml" else nx.write_gexf)(G, buf)
        return buf.getvalue()
    if fmt == "sif":
        return _sif(edges).encode("utf-8")
    if fmt == "gmt":
        return _gmt(edges).encode("utf-8")
    from .view import infer_tfs, layout_for, view_html, view_positions
    from .view.picture import render_picture
    from .view.select import EdgeSelection

    if positions is None:
        positions = layout_for(edges)
    tf_set = infer_tfs(edges, tfs)
    sel = EdgeSelection(edges=edges.head(MAX_DRAWN_EDGES), matching=edges, n_total=len(edges), cap=MAX_DRAWN_EDGES,
                        focus=focus if focus in set(edges["source"]).union(edges["target"]) else None)
    if fmt == "html":
        if html is None:
            html = view_html(sel, positions, tfs=tf_set, reference=reference, modules=modules)
        return html.encode("utf-8")
    return render_picture(edges, view_positions(sel, positions), fmt=fmt, tfs=tf_set, reference=reference,
                          focus=sel.focus, modules=modules)


def export_edges(edges: pd.DataFrame, fmt: str, path: str | Path, **kwargs) -> Path:
    """Write :func:`export_bytes` to ``path``; returns the path."""
    path = Path(path)
    path.write_bytes(export_bytes(edges, fmt, **kwargs))
    return path
