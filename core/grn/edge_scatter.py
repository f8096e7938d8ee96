"""A TF-vs-target expression scatter for one edge, coloured by cluster (what the GRN page draws for a chosen edge).

Expression is what regulons are scored on (:func:`core.grn.regulons.scoring_matrix`: log-normalised counts
when raw counts are known). Clusters: the dataset's label column (the Data page's choice), else the Leiden
clusters of a finished embedding of the same cells, else none.
"""

from __future__ import annotations

from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd
import plotly.graph_objects as go
import scipy.sparse as sp
from scipy.stats import spearmanr

from ..errors import InputError

MAX_POINTS = 20_000  # beyond this the scatter shows an even sample of cells (same seed every time)


def cell_groups(adata: ad.AnnData, dataset_path: str | Path | None = None) -> tuple[str, np.ndarray] | None:
    """(name, per-cell group) from the dataset's labels, else a finished embedding's Leiden clusters."""
    from ..models.setup import dataset_record

    key = dataset_record(adata).get("labels_key")
    if key and key in adata.obs:
        return str(key), adata.obs[key].astype(str).to_numpy()
    if dataset_path:
        from ..embedding.views import finished_embed_runs, load_embedding

        want = str(Path(dataset_path).resolve())
        for r in finished_embed_runs():
            if r.params.get("dataset") == want:
                emb = load_embedding(r)
                if emb.n_obs == adata.n_obs and "leiden" in emb.obs:
                    return f"Leiden clusters of {r.id}", emb.obs["leiden"].astype(str).to_numpy()
    return None


def edge_expression(matrix, var_names, tf: str, target: str) -> pd.DataFrame:
    """Columns ``tf``, ``target``: each gene's expression per cell from ``matrix`` (cells x ``var_names``, e.g.
    :func:`core.grn.regulons.scoring_matrix`); InputError when a gene is missing."""
    names = pd.Index([str(g) for g in var_names])
    missing = [g for g in (tf, target) if g not in names]
    if missing:
        raise InputError(f"{', '.join(missing)} not in this run's dataset: the scatter needs both genes' expression.")
    cols = [int(np.flatnonzero(names == g)[0]) for g in (tf, target)]
    m = matrix[:, cols]
    m = m.toarray() if sp.issparse(m) else np.asarray(m)
    return pd.DataFrame({"tf": m[:, 0].astype(float), "target": m[:, 1].astype(float)})


def edge_scatter(expr: pd.DataFrame, tf: str, target: str, groups: tuple[str, np.ndarray] | None = None,
                 signed_weight: float | None = None) -> tuple[go.Figure, float]:
    """The scatter and the Spearman correlation of the two genes over all cells."""
    from ..embedding.views import qualitative_palette

    rho = spearmanr(expr["tf"], expr["target"]).statistic if expr["tf"].std() > 0 and expr["target"].std() > 0 else np.nan
    idx = np.arange(len(expr))
    if len(idx) > MAX_POINTS:
        idx = np.sort(np.random.default_rng(0).choice(idx, MAX_POINTS, replace=False))
    fig = go.Figure()
    marker = dict(size=5, opacity=0.7)
    if groups is None:
        fig.add_trace(go.Scattergl(x=expr["tf"].to_numpy()[idx], y=expr["target"].to_numpy()[idx], mode="markers",
                                   marker=marker, name="cells"))
    else:
        g = pd.Series(groups[1][idx])
        order = sorted(g.unique(), key=lambda c: (not c.isdigit(), int(c) if c.isdigit() else 0, c))
        for c, colour in zip(order, qualitative_palette(len(order))):
            s = idx[(g == c).to_numpy()]
            fig.add_trace(go.Scattergl(x=expr["tf"].to_numpy()[s], y=expr["target"].to_numpy()[s], mode="markers",
                                       name=c, marker={**marker, "color": colour}))
    sign = "" if signed_weight is None or not np.isfinite(signed_weight) else \
        (" · network sign +" if signed_weight > 0 else " · network sign −")
    fig.update_layout(height=460, xaxis_title=f"{tf} (log expression)", yaxis_title=f"{target} (log expression)",
                      title=f"{tf} → {target}: Spearman ρ = {rho:.2f}{sign}", legend={"itemsizing": "constant",
                      "title": groups[0] if groups else None}, margin=dict(l=10, r=10, t=40, b=10))
    return fig, float(rho)


def load_cells(dataset_path: str | Path) -> tuple[object, list[str], tuple[str, np.ndarray] | None]:
    """A run's dataset as (scoring matrix, gene names, cell groups) for :func:`edge_expression` / :func:`edge_scatter`."""
    from ..data.store import PreparedDataset, load_prepared
    from .regulons import scoring_matrix

    folder = Path(dataset_path).parent if Path(dataset_path).is_file() else Path(dataset_path)
    adata = PreparedDataset(folder).load() if (folder / "meta.json").is_file() else load_prepared(dataset_path)
    return scoring_matrix(adata), [str(g) for g in adata.var_names], cell_groups(adata, dataset_path)
