"""Regulons on the Embedding page, computed here (the page only lays them out): which finished GRN runs fit an
embedding's genes, the regulons job of an (embedding, GRN) pair, the activity it wrote, and the cluster x
regulon specificity heatmap."""

from __future__ import annotations

from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ..grn.regulons import DEFAULT_TOP_TARGETS, specificity, stored_activity
from ..grn.regulons_task import ARTIFACT, TASK
from ..jobs.rundir import Run, list_runs

MIN_SHARED = 0.5  # a network fits the data when this share of its genes are among the data's genes


def matching_grn_runs(var_names, runs: list[Run] | None = None) -> list[Run]:
    """Finished GRN runs (newest first) whose network genes are mostly among ``var_names``."""
    from ..grn.explorer import open_network

    genes = set(map(str, var_names))
    out = []
    for r in runs if runs is not None else list_runs():
        if r.params.get("task") != "grn" or r.state != "finished" or not (r.path / "edges.tsv").is_file():
            continue
        try:
            net_genes = open_network(r.path).genes()
        except Exception:  # a damaged run: not offered
            continue
        if net_genes and len(genes.intersection(net_genes)) >= MIN_SHARED * len(net_genes):
            out.append(r)
    return out


def regulon_runs(embed_run: Run, grn_run: Run, top_targets: int = DEFAULT_TOP_TARGETS, scoring: str = "ulm",
                 runs: list[Run] | None = None) -> list[Run]:
    """Regulons runs of this (embedding, GRN, top targets, scoring), newest first (any state)."""
    e, g = str(Path(embed_run.path).resolve()), str(Path(grn_run.path).resolve())
    return [r for r in (runs if runs is not None else list_runs())
            if r.params.get("task") == TASK and r.params.get("embed_run") == e and r.params.get("grn_run") == g
            and int(r.params.get("top_targets") or 0) == int(top_targets) and r.params.get("scoring") == scoring]


def load_activity(run: Run | str | Path) -> pd.DataFrame:
    """A finished regulons run's activity (cells x regulons): a Run or its folder."""
    return stored_activity(ad.read_h5ad(Path(getattr(run, "path", run)) / ARTIFACT))


def group_columns(adata: ad.AnnData, candidates: list[str]) -> list[str]:
    """The obs columns among ``candidates`` that group cells (not continuous numbers)."""
    return [c for c in candidates if not pd.api.types.is_float_dtype(adata.obs[c])]


def specificity_figure(activity: pd.DataFrame, clusters, per_cluster: int = 3) -> tuple[go.Figure, pd.DataFrame]:
    """Heatmap of RSS (clusters x the ``per_cluster`` most specific regulons of each cluster) and the RSS table."""
    rss = specificity(activity, clusters)
    keep: list[str] = []
    for c in rss.index:
        for name in rss.loc[c].sort_values(ascending=False).index[:per_cluster]:
            if name not in keep:
                keep.append(name)
    sub = rss[keep]
    fig = go.Figure(go.Heatmap(z=sub.to_numpy(), x=keep, y=[str(c) for c in sub.index], colorscale="Viridis",
                               colorbar={"title": "RSS"},
                               hovertemplate="cluster %{y}<br>regulon %{x}<br>RSS %{z:.3f}<extra></extra>"))
    fig.update_layout(height=max(260, 28 * len(sub) + 120), xaxis_title="regulon", yaxis_title="cluster",
                      yaxis={"type": "category", "autorange": "reversed"}, xaxis={"type": "category"},
                      margin=dict(l=10, r=10, t=30, b=10), title="Regulon specificity (RSS) per cluster")
    return fig, rss


def regulon_values(activity: pd.DataFrame, name: str) -> np.ndarray:
    """One regulon's activity per cell, in the embedding's cell order."""
    return activity[name].to_numpy(float)
