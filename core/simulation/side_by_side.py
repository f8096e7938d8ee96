"""Several simulators side by side on the same real cells (the Simulation page's comparison of GAN, cscGAN, VAE,
GMVAE, DeepSEM ...).

Every simulate run already compared its cells with the real cells of its training dataset
(:mod:`core.simulation.task`); here the saved comparisons of runs **on the same dataset** are put in one table
(:data:`FIGURES`: classifier AUC, per-gene statistics, energy distance, nearest-real ratio, cluster mix, GRN
consistency) with the best simulator per figure, and the GRN consistency per K in one long table.

The joint-Leiden cluster mix of each run is computed on that run's own clusters, so its proportions cannot be put
side by side. :func:`shared_cluster_proportions` therefore assigns every simulator's cells to **the real cells'
clusters** (a cell-type column when the data has one, else Leiden clusters of the real cells): a 15-nearest-
neighbour vote in the PCA space of the real cells, each simulator's cells and the real cells on the scale that
simulator is compared on (``model.comparable_real``). The real labels are fixed per cell, so every column of the
table refers to the same clusters.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import anndata as ad
import numpy as np
import pandas as pd

from ..errors import InputError


@dataclass(frozen=True)
class Figure:
    key: str  # key in a comparison's summary
    label: str
    better: str  # "lower", "higher" or "one" (closest to 1)
    help: str


FIGURES = (
    Figure("classifier_auc", "Classifier AUC", "lower", "0.5 = a random forest cannot tell simulated from real cells"),
    Figure("mean_corr", "Mean r", "higher", "per-gene means, real vs simulated (log scale)"),
    Figure("var_corr", "Variance r", "higher", "per-gene variances, real vs simulated (log scale)"),
    Figure("zero_frac_corr", "Zero-fraction r", "higher", "per-gene fraction of zeros, real vs simulated"),
    Figure("energy_coefficient", "Energy coefficient", "lower", "energy distance scaled to [0, 1]; 0 = same spread"),
    Figure("nn_distance_ratio", "Nearest-real ratio", "one", "~1 = new cells, ~0 = near-copies of real cells"),
    Figure("cluster_tvd", "Cluster mix distance", "lower", "total-variation distance of joint Leiden proportions"),
    Figure("grn_overlap_10", "GRN overlap top 10%", "higher", "share of the real cells' top-10% edges recovered"),
)


def same_data_simulations(runs: Sequence[Any], current: Any) -> list[Any]:
    """Finished simulate runs on ``current``'s dataset (``current`` first, then newest first)."""
    data = current.params.get("dataset")
    same = [r for r in runs if r.params.get("task") == "simulate" and r.state == "finished"
            and r.params.get("dataset") == data and r.id != current.id]
    return [current, *same]


def default_selection(candidates: Sequence[Any]) -> list[Any]:
    """One simulation per simulator (source method): the first listed of each (the current one, then newest)."""
    seen, out = set(), []
    for r in candidates:
        method = r.params.get("source_method")
        if method not in seen:
            seen.add(method)
            out.append(r)
    return out


def simulator_name(run: Any) -> str:
    """The simulator a simulate run used, in words, with the run's short id as the other pages show it
    ("VAE · run 63b1"; ids end in 4 random hex digits after a timestamp in seconds)."""
    from ..jobs.rundir import short_run_id
    from ..registry import get_method

    method = run.params.get("source_method")
    try:
        label = get_method(str(method), run.params.get("origin")).label
    except Exception:
        label = str(method)
    cluster = ((run.params.get("params") or {}).get("options") or {}).get("cluster")
    return f"{label}{f' (cluster {cluster})' if cluster not in (None, '') else ''} · {short_run_id(run.id)}"


def figures_table(runs: Sequence[Any]) -> pd.DataFrame:
    """One row per simulate run (index: :func:`simulator_name`), one column per :data:`FIGURES` label, plus
    ``cells``; runs without a saved comparison are left out."""
    from .task import load_comparison

    rows = {}
    for r in runs:
        loaded = load_comparison(r.path)
        if loaded is None:
            continue
        s = loaded[0].summary
        rows[simulator_name(r)] = {"cells": s.get("n_sim"), **{f.label: s.get(f.key) for f in FIGURES}}
    return pd.DataFrame.from_dict(rows, orient="index", columns=["cells", *[f.label for f in FIGURES]])


def best_per_figure(table: pd.DataFrame) -> dict[str, str]:
    """Figure label -> the simulator (row) that does best on it (figures nobody has are left out)."""
    out = {}
    for f in FIGURES:
        col = pd.to_numeric(table.get(f.label), errors="coerce") if f.label in table else None
        if col is None or col.isna().all():
            continue
        score = {"lower": col, "higher": -col, "one": (col - 1.0).abs()}[f.better]
        out[f.label] = str(score.idxmin())
    return out


#: a figure's direction, in words, beside its name in the figures-as-rows view
BETTER_WORDS = {"lower": "lower is better", "higher": "higher is better", "one": "best near 1"}


def figures_by_row(table: pd.DataFrame) -> pd.DataFrame:
    """:func:`figures_table` turned for reading: one row per figure (``"Classifier AUC (lower is better)"``,
    then ``cells``), one column per simulator. A table of many figures and few simulators stays as wide as
    the page. Figures that none of them has are left out."""
    rows = {f"{f.label} ({BETTER_WORDS[f.better]})": table[f.label] for f in FIGURES if f.label in table}
    rows["cells"] = table["cells"]
    out = pd.DataFrame(rows).T.apply(pd.to_numeric, errors="coerce")
    return out.dropna(how="all")  # a figure none of these simulations computed is no row


def grn_consistency_table(runs: Sequence[Any]) -> pd.DataFrame:
    """Long table ``simulator, K, overlap, chance`` of every run's GRN consistency."""
    from .task import load_comparison

    parts = []
    for r in runs:
        loaded = load_comparison(r.path)
        if loaded is None or loaded[0].grn is None or loaded[0].grn.empty:
            continue
        g = loaded[0].grn
        parts.append(pd.DataFrame({"simulator": simulator_name(r), "K": [f"{k:.0%}" for k in g["k"]],
                                   "overlap": g["overlap"].to_numpy(), "chance": g["chance"].to_numpy()}))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["simulator", "K", "overlap", "chance"])


# ---- cluster proportions on the real cells' clusters ----------------------------------------------------------
def real_cell_clusters(adata: ad.AnnData, seed: int = 0) -> tuple[pd.Series, str]:
    """(cluster of every real cell, indexed by cell name; where it comes from): a cell-type / label column when
    the data has one with 2-50 values, else Leiden clusters of the log-normalised cells."""
    from ..models import setup as S
    from ..models.gan.model import LABEL_COLUMNS, leiden_labels

    for key in LABEL_COLUMNS:
        if key in adata.obs and 2 <= adata.obs[key].nunique() <= 50:
            return pd.Series(adata.obs[key].astype(str).to_numpy(), index=adata.obs_names), f"column {key!r}"
    layer = "counts" if "counts" in adata.layers else None
    X = S.dense_matrix(adata, layer, min_shape=(2, 2))
    if X.min() < 0:
        raise InputError("The real cells have negative values and no cell-type column: cannot cluster them.")
    return pd.Series(leiden_labels(X, seed), index=adata.obs_names), "Leiden clusters of the real cells"


def assign_to_real_clusters(real: np.ndarray, labels: np.ndarray, sim: np.ndarray, n_pcs: int = 30,
                            k: int = 15, seed: int = 0) -> np.ndarray:
    """The real cluster of each simulated cell: k-nearest-real-neighbour vote in the real cells' PCA space
    (both matrices already on one scale)."""
    from sklearn.decomposition import PCA
    from sklearn.neighbors import KNeighborsClassifier

    n = max(1, min(n_pcs, real.shape[0] - 1, real.shape[1]))
    pca = PCA(n, random_state=seed).fit(real)
    knn = KNeighborsClassifier(n_neighbors=min(k, len(real))).fit(pca.transform(real), labels)
    return knn.predict(pca.transform(sim))


def shared_cluster_proportions(adata: ad.AnnData, runs: Sequence[Any], seed: int = 0
                               ) -> tuple[pd.DataFrame, dict[str, float], str]:
    """(proportions: real clusters x ["real", one column per simulator]; total-variation distance of each
    simulator's mix from the real one; where the clusters come from). Runs whose source model or simulated
    cells are gone are left out."""
    from .compare import _transform, align_genes, dense_matrix
    from .simulate import load_run_model

    labels, origin = real_cell_clusters(adata, seed)
    cols = {"real": labels.value_counts(normalize=True)}
    tvd = {}
    for r in runs:
        path = Path(r.path) / "simulated.h5ad"
        source = (r.params.get("params") or {}).get("source_run")
        if not path.exists() or not source:
            continue
        try:
            model, _ = load_run_model(source, adata)
        except InputError:
            continue
        sim = ad.read_h5ad(path)
        real, how = model.comparable_real(adata, dict(sim.uns.get("simulation", {}) or {}))
        real, sim = align_genes(real, sim)
        layer = how.get("layer")
        sim_layer = how.get("sim_layer", layer if layer and layer in sim.layers else None)
        Lr, Ls, _ = _transform(dense_matrix(real, layer), dense_matrix(sim, sim_layer), how.get("transform", "auto"))
        assigned = assign_to_real_clusters(Lr, labels.loc[real.obs_names].to_numpy(), Ls, seed=seed)
        name = simulator_name(r)
        cols[name] = pd.Series(assigned).value_counts(normalize=True)
    props = pd.DataFrame(cols).fillna(0.0)
    props.index = props.index.astype(str)
    props.index.name = "cluster"
    for name in props.columns[1:]:
        tvd[name] = float(0.5 * (props[name] - props["real"]).abs().sum())
    return props, tvd, origin
