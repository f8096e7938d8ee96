"""What the Embedding page shows, computed here (the page only lays it out): finished embedding runs,
their comparison table, the WebGL UMAP figure, the latent-activity chart, saving a lasso selection."""

from __future__ import annotations

from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd
import plotly.graph_objects as go
import scipy.sparse as sp

from ..errors import InputError
from ..jobs.rundir import Run, list_runs

ARTIFACT = "embedding.h5ad"
MAX_CATEGORIES = 60


def finished_embed_runs(root: Path | None = None) -> list[Run]:
    """Finished runs of task "embed" that have their embedding.h5ad, newest first."""
    return [r for r in list_runs(root) if r.params.get("task") == "embed" and r.state == "finished"
            and (r.path / ARTIFACT).exists()]


def comparison_table(runs: list[Run]) -> pd.DataFrame:
    """One row per run: model, (the sweep grid: one column per swept parameter, when runs belong to a sweep),
    likelihood, ASW (labels / clusters), ARI, NMI, active units, seconds."""
    from ..jobs.sweep import add_grid_columns, plain_label

    rows = []
    for r in runs:
        m = r.metrics() if callable(getattr(r, "metrics", None)) else {}
        p = r.params.get("params", {}) or {}
        rows.append({
            "run": r.id, "model": plain_label(r.params),
            "likelihood": p.get("likelihood") or m.get("likelihood") or "—",
            "ASW labels": m.get("asw_labels"), "ASW clusters": m.get("asw_clusters"), "ARI": m.get("ari"),
            "NMI": m.get("nmi"), "active units": m.get("active_units"), "latent dim": m.get("latent_dim"),
            "seconds": m.get("seconds"),
        })
    return add_grid_columns(pd.DataFrame(rows), runs)


def load_embedding(run: Run | str | Path) -> ad.AnnData:
    """The run's embedding.h5ad (a Run, its folder or the file itself)."""
    p = Path(run.path if isinstance(run, Run) else run)
    return ad.read_h5ad(p / ARTIFACT if p.is_dir() else p)


def _recorded(adata: ad.AnnData, what: str, method: str) -> str:
    """A key the embedding task recorded in uns["scgrn_embedding"] (older files: the method's default name)."""
    info = adata.uns.get("scgrn_embedding", {}) or {}
    default = f"X_{method}" if what == "latent_key" else f"{method}_cluster"
    return str(info.get(what) or default)


def latent_key(adata: ad.AnnData, method: str) -> str:
    key = _recorded(adata, "latent_key", method)
    if key in adata.obsm:
        return key
    keys = [k for k in adata.obsm if k.startswith("X_") and k != "X_umap"]
    if not keys:
        raise InputError("This embedding file has no latent representation in obsm.")
    return keys[0]


def colour_options(adata: ad.AnnData, method: str) -> dict[str, list[str]]:
    """What the UMAP can be coloured by: obs columns (labels/clusters), genes, latent dimensions."""
    obs = [c for c in adata.obs.columns if adata.obs[c].nunique() <= MAX_CATEGORIES or
           pd.api.types.is_numeric_dtype(adata.obs[c])]
    first = [c for c in ("leiden", _recorded(adata, "cluster_key", method)) if c in obs]
    z = adata.obsm[latent_key(adata, method)]
    return {"obs": first + [c for c in obs if c not in first], "gene": [str(g) for g in adata.var_names],
            "latent": [f"z{i}" for i in range(z.shape[1])]}


def colour_values(adata: ad.AnnData, method: str, kind: str, name: str) -> tuple[np.ndarray, bool]:
    """(values, categorical?) for one colouring choice."""
    if kind == "obs":
        col = adata.obs[name]
        categorical = not pd.api.types.is_numeric_dtype(col) or col.nunique() <= 12 and col.dtype.kind in "iub"
        return (col.astype(str).to_numpy() if categorical else col.to_numpy(float)), categorical
    if kind == "gene":
        src = adata.layers["counts"] if "counts" in adata.layers else adata.X
        col = src[:, adata.var_names.get_loc(name)]
        col = col.toarray().ravel() if sp.issparse(col) else np.asarray(col).ravel()
        return np.log1p(np.maximum(col, 0)) if "counts" in adata.layers else col, False
    z = adata.obsm[latent_key(adata, method)]
    return np.asarray(z[:, int(name.lstrip("z"))]), False


def qualitative_palette(n: int) -> list[str]:
    """``n`` distinct colours (no two categories share one): Plotly's 10, Dark24, Alphabet (26), then evenly
    spaced hues of the Turbo colour scale for more categories."""
    import plotly.express as px

    for seq in (px.colors.qualitative.Plotly, px.colors.qualitative.Dark24, px.colors.qualitative.Alphabet):
        if n <= len(seq):
            return list(seq[:max(n, 1)])
    return px.colors.sample_colorscale("Turbo", [i / (n - 1) for i in range(n)])


def tidy_log_axes(fig: go.Figure) -> go.Figure:
    """Log axes labelled at powers of ten only (10^-2, 10^-1, 1, ...), never the cluttered 2 and 5 minor labels."""
    fig.for_each_xaxis(lambda ax: ax.update(dtick=1, exponentformat="power") if ax.type == "log" else None)
    fig.for_each_yaxis(lambda ax: ax.update(dtick=1, exponentformat="power") if ax.type == "log" else None)
    return fig


#: from this many cells the page offers the density view (and uses it by default from DENSITY_DEFAULT_CELLS)
DENSITY_OFFER_CELLS = 50_000
DENSITY_DEFAULT_CELLS = 200_000
DENSITY_BINS = 300


def marker_style(n_cells: int) -> dict:
    """Point size and opacity that keep a UMAP readable as cells grow (5 px up to 5k, 3 px to 50k, then 2 px)."""
    if n_cells <= 5_000:
        return {"size": 5, "opacity": 0.85}
    if n_cells <= 50_000:
        return {"size": 3, "opacity": 0.7}
    return {"size": 2, "opacity": 0.6}


def _layout(fig: go.Figure, title: str, dragmode: str) -> go.Figure:
    fig.update_layout(height=620, dragmode=dragmode, xaxis_title="UMAP1", yaxis_title="UMAP2", title=title,
                      legend={"itemsizing": "constant"}, margin=dict(l=10, r=10, t=40, b=10))
    fig.update_xaxes(showticklabels=False)
    fig.update_yaxes(showticklabels=False, scaleanchor="x")
    return fig


def umap_xy(adata: ad.AnnData) -> np.ndarray:
    if "X_umap" not in adata.obsm:
        raise InputError("This embedding has no UMAP (obsm['X_umap']).")
    return np.asarray(adata.obsm["X_umap"], dtype=np.float32)


def umap_figure(adata: ad.AnnData, values: np.ndarray, categorical: bool, title: str = "") -> go.Figure:
    """WebGL (Scattergl) UMAP of every cell; each point carries its cell index as customdata (for lasso
    selection). Coordinates and colours travel as float32 typed arrays; markers shrink as cells grow."""
    xy = umap_xy(adata)
    idx = np.arange(adata.n_obs, dtype=np.int32)
    fig = go.Figure()
    marker = marker_style(adata.n_obs)
    if categorical:
        cats = pd.Series(values).astype(str)
        order = sorted(cats.unique(), key=lambda c: (not c.isdigit(), int(c) if c.isdigit() else 0, c))
        for c, colour in zip(order, qualitative_palette(len(order))):
            sel = (cats == c).to_numpy()
            fig.add_trace(go.Scattergl(x=xy[sel, 0], y=xy[sel, 1], mode="markers", name=c, customdata=idx[sel],
                                       marker={**marker, "color": colour}, hovertemplate=f"{c}<extra></extra>"))
    else:
        fig.add_trace(go.Scattergl(x=xy[:, 0], y=xy[:, 1], mode="markers", customdata=idx, name=title,
                                   marker={**marker, "color": np.asarray(values, np.float32), "colorscale": "Viridis",
                                           "showscale": True},
                                   hovertemplate="%{marker.color:.3g}<extra></extra>"))
    return _layout(fig, title, "lasso")


def density_figure(adata: ad.AnnData, values: np.ndarray, categorical: bool, title: str = "",
                   bins: int = DENSITY_BINS) -> tuple[go.Figure, str]:
    """The UMAP as a ``bins`` x ``bins`` image binned here (datashader's idea with numpy: the browser gets the
    image, not the cells): a continuous colouring shows its mean per pixel, a categorical one the number of
    cells per pixel (log scale). Returns the figure and a sentence saying what a pixel shows."""
    xy = umap_xy(adata)
    rng_x = [float(xy[:, 0].min()), float(xy[:, 0].max())]
    rng_y = [float(xy[:, 1].min()), float(xy[:, 1].max())]
    counts, ex, ey = np.histogram2d(xy[:, 0], xy[:, 1], bins=bins, range=[rng_x, rng_y])
    cx, cy = (ex[:-1] + ex[1:]) / 2, (ey[:-1] + ey[1:]) / 2
    if categorical:
        z, label, what = np.where(counts > 0, np.log10(np.maximum(counts, 1)), np.nan), "log10 cells", (
            f"Density view of {adata.n_obs:,} cells: each of {bins} x {bins} pixels shows its number of cells "
            "(log scale); colour by a continuous value to see its mean per pixel. Lasso selection needs the cell view.")
    else:
        v = np.asarray(values, np.float64)
        sums, _, _ = np.histogram2d(xy[:, 0], xy[:, 1], bins=[ex, ey], weights=v)
        z = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
        label, what = "mean", (f"Density view of {adata.n_obs:,} cells: each of {bins} x {bins} pixels shows the mean "
                               "value of its cells. Lasso selection needs the cell view.")
    fig = go.Figure(go.Heatmap(x=cx.astype(np.float32), y=cy.astype(np.float32), z=z.T.astype(np.float32),
                               colorscale="Viridis", colorbar={"title": label}, hoverongaps=False,
                               hovertemplate="%{z:.3g}<extra></extra>"))
    return _layout(fig, title, "zoom"), what


def activity_figure(activity: list[float], threshold: float = 0.01) -> go.Figure:
    """Bar chart of A_z per latent dimension, active units (A > threshold) highlighted."""
    a = np.asarray(activity, float)
    fig = go.Figure(go.Bar(x=[f"z{i}" for i in range(len(a))], y=a,
                           marker_color=np.where(a > threshold, "#1f77b4", "#bbbbbb")))
    fig.add_hline(y=threshold, line_dash="dot", annotation_text=f"active if A > {threshold}")
    fig.update_layout(height=300, yaxis_type="log", yaxis_title="A_z = Var(E[z|x])",
                      margin=dict(l=10, r=10, t=20, b=10))
    return tidy_log_axes(fig)


def selected_cells(event, fig: go.Figure | None = None) -> np.ndarray:
    """Cell indices of a plotly selection event from the page: each point's customdata, or else its
    (curve_number, point_index) looked up in ``fig``'s traces."""
    sel = getattr(event, "selection", None) or (event.get("selection") if isinstance(event, dict) else None) or {}
    points = sel.get("points", []) if isinstance(sel, dict) else getattr(sel, "points", [])
    out = []
    for p in points:
        cd = p.get("customdata")
        if isinstance(cd, (list, tuple)):
            cd = cd[0] if cd else None
        if cd is None and fig is not None and p.get("curve_number") is not None:
            trace = fig.data[int(p["curve_number"])]
            idx = p.get("point_index", p.get("point_number"))
            cd = None if idx is None or trace.customdata is None else trace.customdata[int(idx)]
        if cd is not None:
            out.append(int(cd))
    return np.unique(np.asarray(out, dtype=int))


def save_selection(run: Run, name: str, cells: np.ndarray) -> ad.AnnData:
    """Add obs[name] = "selected"/"other" to the run's embedding.h5ad (rewritten in place)."""
    name = (name or "").strip()
    if not name or not name.replace("_", "").isalnum():
        raise InputError("Name the selection with letters, digits and underscores (e.g. 'tcells_lasso').")
    if len(cells) == 0:
        raise InputError("Nothing selected: draw a lasso on the UMAP first.")
    adata = load_embedding(run)
    col = np.full(adata.n_obs, "other", dtype=object)
    col[cells] = "selected"
    adata.obs[name] = pd.Categorical(col, categories=["selected", "other"])
    tmp = run.path / (ARTIFACT + ".tmp")
    adata.write_h5ad(tmp)
    tmp.replace(run.path / ARTIFACT)
    return adata
