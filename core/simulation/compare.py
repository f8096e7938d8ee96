"""Real-vs-simulated comparison: do simulated cells look like the real ones?

All figures compare two cells x genes matrices on their shared genes:

* **Marginals** — per-gene mean, variance and zero fraction, real vs simulated, with Pearson correlations
  (means and variances on a log1p scale because they span orders of magnitude), and the mean-variance trend.
* **Classifier two-sample test** — a random forest on the first 50 PCA components (PCA fitted on the union
  of both sets), 5-fold stratified cross-validation on class-balanced sets, ROC AUC. 0.5 = the classifier
  cannot tell real from simulated; 1.0 = it always can. Simulated cells made by perturbing a real cell
  (``sim.obs["origin"]`` names it) are kept in the same fold as that cell (grouped folds), so the forest is
  never tested on a cell whose twin it was trained on.
* **Copy check** — the median distance from a simulated cell to its nearest real cell over the median
  distance between nearest real cells (``nn_distance_ratio``; ~1 = new cells, ~0 = near-copies of real cells,
  which no two-sample test can flag), and the share of near-copies (``copy_fraction``).
* **Energy distance** on the same PCA coordinates (Székely & Rizzo):
  ``E = 2·mean‖x−y‖ − mean‖x−x'‖ − mean‖y−y'‖`` over all pairs (V-statistic, Euclidean norm), which is 0
  for identical sets and > 0 otherwise; the scale-free ``energy_coefficient = E / (2·mean‖x−y‖)`` lies in
  [0, 1].
* **Joint UMAP** (scanpy) of both sets with Leiden clusters computed on the joint data, cluster proportions
  real vs simulated and their total-variation distance.
* **GRN consistency** (DeepSEM paper): infer a GRN on real and on simulated cells with the same registered
  method (Pearson by default); for K in (1, 5, 10, 20)% take the top N = K% of all scored edges of each and
  report |top-N(real) ∩ top-N(sim)| / N (a random ranking scores K% on average).

Counts are log-normalised (``normalize_total`` to 1e4 + ``log1p``, scanpy) before PCA/classifier/GRN;
marginals are computed on the values given.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import anndata as ad
import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..errors import InputError

DEFAULT_KS = (0.01, 0.05, 0.10, 0.20)


# ---- inputs -------------------------------------------------------------------------------------
def dense_matrix(adata: ad.AnnData, layer: str | None = None) -> np.ndarray:
    """``adata.X`` (or a layer) as a dense float64 array."""
    if layer:
        if layer not in adata.layers:
            raise InputError(f"Layer {layer!r} not found; available layers: {list(adata.layers) or 'none'}.")
        X = adata.layers[layer]
    else:
        X = adata.X
    X = X.toarray() if sp.issparse(X) else np.asarray(X)
    X = X.astype(np.float64)
    if not np.isfinite(X).all():
        raise InputError("The expression matrix contains NaN or infinite values; fix or remove them first.")
    return X


def align_genes(real: ad.AnnData, sim: ad.AnnData) -> tuple[ad.AnnData, ad.AnnData]:
    """Both datasets restricted to their shared genes, in the real data's order."""
    shared = [g for g in real.var_names if g in set(sim.var_names)]
    if len(shared) < 2:
        raise InputError(
            f"The real and simulated data share {len(shared)} gene(s); they must be measured on the same genes."
        )
    return real[:, shared], sim[:, shared]


def looks_like_counts(X: np.ndarray) -> bool:
    """Non-negative whole numbers (checked on up to 200k entries)."""
    flat = X.ravel()[:200_000]
    return bool(flat.size and flat.min() >= 0 and np.allclose(flat, np.round(flat)))


def log_normalize(X: np.ndarray, target_sum: float = 1e4) -> np.ndarray:
    """scanpy ``normalize_total`` + ``log1p`` of a non-negative matrix."""
    import scanpy as sc

    if X.min() < 0:
        raise InputError("Cannot log-normalise negative values; pass transform='none' for already-transformed data.")
    a = ad.AnnData(X.astype(np.float64))
    sc.pp.normalize_total(a, target_sum=target_sum)
    sc.pp.log1p(a)
    return np.asarray(a.X)


def _transform(Xr: np.ndarray, Xs: np.ndarray, transform: str) -> tuple[np.ndarray, np.ndarray, str]:
    if transform == "auto":
        transform = "lognorm" if looks_like_counts(Xr) and Xs.min() >= 0 else "none"
    if transform == "lognorm":
        return log_normalize(Xr), log_normalize(Xs), transform
    if transform in ("none", "log1p"):
        f = np.log1p if transform == "log1p" else (lambda a: a)
        return f(Xr), f(Xs), transform
    raise InputError(f"Unknown transform {transform!r}; use auto, lognorm, log1p or none.")


# ---- marginals ----------------------------------------------------------------------------------
def gene_stats(X: np.ndarray) -> pd.DataFrame:
    """Per-gene mean, variance (ddof=1) and fraction of zeros of a cells x genes matrix."""
    return pd.DataFrame({"mean": X.mean(axis=0), "var": X.var(axis=0, ddof=1), "zero_frac": (X == 0).mean(axis=0)})


def _pearson(a: np.ndarray, b: np.ndarray) -> float:
    if a.std() == 0 or b.std() == 0:
        return float("nan")
    return float(np.corrcoef(a, b)[0, 1])


def marginal_table(Xr: np.ndarray, Xs: np.ndarray, genes: Sequence[str]) -> pd.DataFrame:
    """Per-gene statistics side by side: ``real_mean, sim_mean, real_var, sim_var, real_zero_frac, ...``."""
    r, s = gene_stats(Xr), gene_stats(Xs)
    out = pd.DataFrame(index=pd.Index(list(genes), name="gene"))
    for col in ("mean", "var", "zero_frac"):
        out[f"real_{col}"] = r[col].to_numpy()
        out[f"sim_{col}"] = s[col].to_numpy()
    return out


def marginal_correlations(table: pd.DataFrame) -> dict[str, float]:
    """Pearson r of real vs simulated per-gene mean and variance (log1p scale when non-negative) and zero fraction."""
    out = {}
    for col in ("mean", "var", "zero_frac"):
        a, b = table[f"real_{col}"].to_numpy(), table[f"sim_{col}"].to_numpy()
        if col != "zero_frac" and min(a.min(), b.min()) >= 0:
            a, b = np.log1p(a), np.log1p(b)
        out[f"{col}_corr"] = _pearson(a, b)
    return out


def mean_variance_trend(table: pd.DataFrame, n_bins: int = 15) -> pd.DataFrame:
    """Binned mean-variance trend of both sets: median log10 variance per log10-mean bin.

    Columns ``source`` (real/simulated), ``log10_mean`` (bin centre), ``log10_var`` (median), ``n_genes``.
    """
    eps = 1e-8
    frames = []
    lm_all = np.log10(np.concatenate([table["real_mean"], table["sim_mean"]]).clip(min=0) + eps)
    edges = np.linspace(lm_all.min(), lm_all.max() + 1e-9, n_bins + 1)
    for prefix, name in (("real", "real"), ("sim", "simulated")):
        lm = np.log10(table[f"{prefix}_mean"].to_numpy().clip(min=0) + eps)
        lv = np.log10(table[f"{prefix}_var"].to_numpy().clip(min=0) + eps)
        idx = np.clip(np.digitize(lm, edges) - 1, 0, n_bins - 1)
        for b in np.unique(idx):
            m = idx == b
            frames.append(
                {"source": name, "log10_mean": (edges[b] + edges[b + 1]) / 2, "log10_var": float(np.median(lv[m])), "n_genes": int(m.sum())}
            )
    return pd.DataFrame(frames)


# ---- two-sample tests ---------------------------------------------------------------------------
def joint_pca(Lr: np.ndarray, Ls: np.ndarray, n_comps: int = 50, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """PCA fitted on the union of both (already transformed) sets; returns each set's coordinates."""
    from sklearn.decomposition import PCA

    X = np.vstack([Lr, Ls])
    k = int(min(n_comps, X.shape[1], X.shape[0] - 1))
    Z = PCA(n_components=k, random_state=seed).fit_transform(X)
    return Z[: len(Lr)], Z[len(Lr) :]


def classifier_auc(
    Zr: np.ndarray,
    Zs: np.ndarray,
    n_folds: int = 5,
    seed: int = 0,
    n_estimators: int = 200,
    n_jobs: int = 1,
    groups_r: np.ndarray | None = None,
    groups_s: np.ndarray | None = None,
) -> dict[str, Any]:
    """Random-forest two-sample test: stratified k-fold ROC AUC of telling the two sets apart.

    The larger set is subsampled to the size of the smaller (balanced classes). Returns ``auc`` (mean over
    folds), ``auc_sd`` and ``folds``.

    ``groups_r`` / ``groups_s`` (one label per row) keep related cells in the same fold: a simulated cell made
    by perturbing real cell *c* is given the group of *c*. Without this, a real cell and its simulated twin
    fall into different folds and the forest, trained on the twin with the opposite label, misclassifies the
    held-out cell systematically: the AUC is biased (below 0.5 for near-copies), not a fair two-sample test.
    """
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold, cross_val_score

    rng = np.random.default_rng(seed)
    n = min(len(Zr), len(Zs))
    if n < n_folds:
        raise InputError(f"Need at least {n_folds} cells in each set for a {n_folds}-fold classifier test.")
    ir = rng.choice(len(Zr), n, replace=False)
    is_ = rng.choice(len(Zs), n, replace=False)
    X = np.vstack([Zr[ir], Zs[is_]])
    y = np.r_[np.zeros(n), np.ones(n)]
    clf = RandomForestClassifier(n_estimators=n_estimators, random_state=seed, n_jobs=n_jobs)
    groups = None
    if groups_r is not None or groups_s is not None:
        gr = np.asarray(groups_r if groups_r is not None else [f"r{i}" for i in range(len(Zr))], dtype=object)
        gs = np.asarray(groups_s if groups_s is not None else [f"s{i}" for i in range(len(Zs))], dtype=object)
        if len(gr) != len(Zr) or len(gs) != len(Zs):
            raise ValueError("groups_r / groups_s need one label per row of Zr / Zs")
        groups = pd.factorize(np.r_[gr[ir], gs[is_]].astype(str))[0]
        # every fold needs both classes: with fewer distinct groups than folds in a class (e.g. all cells
        # perturbed from a handful of real cells) grouped folds are impossible, so fall back to plain folds
        if min(len(np.unique(groups[:n])), len(np.unique(groups[n:]))) < n_folds:
            groups = None
    cv = (StratifiedKFold if groups is None else StratifiedGroupKFold)(n_splits=n_folds, shuffle=True, random_state=seed)
    scores = cross_val_score(clf, X, y, cv=cv, groups=groups, scoring="roc_auc")
    return {"auc": float(scores.mean()), "auc_sd": float(scores.std()), "folds": [float(s) for s in scores],
            "grouped": groups is not None}


def origin_groups(real: ad.AnnData, sim: ad.AnnData) -> tuple[np.ndarray, np.ndarray] | None:
    """Fold groups linking simulated cells to the real cells they were made from (``sim.obs["origin"]``).

    Real cell *c* gets group *c*; a simulated cell whose origin is a real cell's name gets that group; any
    other simulated cell (prior samples, unknown origin) gets a group of its own. None when no simulated cell
    names a real cell as its origin (then plain stratified folds are used).
    """
    if "origin" not in sim.obs:
        return None
    names = pd.Index(real.obs_names.astype(str))
    origin = sim.obs["origin"].astype(str).to_numpy()
    linked = names.get_indexer(origin) >= 0 if names.is_unique else np.isin(origin, names)
    if not linked.any():
        return None
    gr = np.asarray(["real:" + c for c in names], dtype=object)
    gs = np.where(linked, np.char.add("real:", origin.astype(str)),
                  np.char.add("sim:", np.arange(len(origin)).astype(str))).astype(object)
    return gr, gs


def energy_distance(A: np.ndarray, B: np.ndarray, max_points: int = 2000, seed: int = 0) -> dict[str, float]:
    """Energy distance ``E = 2·mean‖a−b‖ − mean‖a−a'‖ − mean‖b−b'‖`` (V-statistic) and ``E / (2·mean‖a−b‖)``.

    Each set is subsampled to ``max_points`` rows (quadratic cost). 0 for identical sets.
    """
    from scipy.spatial.distance import cdist

    rng = np.random.default_rng(seed)
    if len(A) > max_points:
        A = A[rng.choice(len(A), max_points, replace=False)]
    if len(B) > max_points:
        B = B[rng.choice(len(B), max_points, replace=False)]
    dab = cdist(A, B).mean()
    e = float(max(2 * dab - cdist(A, A).mean() - cdist(B, B).mean(), 0.0))
    return {"energy_distance": e, "energy_coefficient": float(e / (2 * dab)) if dab > 0 else 0.0}


def copy_check(Zr: np.ndarray, Zs: np.ndarray) -> dict[str, float]:
    """Are simulated cells new cells or near-copies of real ones? (a two-sample test cannot tell: copies of
    real cells are, by construction, indistinguishable from real cells).

    ``nn_distance_ratio`` = median distance from a simulated cell to its nearest real cell / median distance
    from a real cell to its nearest *other* real cell (Euclidean, PCA coordinates). About 1 or more: simulated
    cells are as far from the real ones as real cells are from each other; near 0: they sit on top of real
    cells (copies, or a decoder that reproduces its input). ``copy_fraction``: share of simulated cells closer
    to a real cell than a tenth of that real-real median.
    """
    from sklearn.neighbors import NearestNeighbors

    nn = NearestNeighbors(n_neighbors=2).fit(Zr)
    d_rr = nn.kneighbors(Zr, 2, return_distance=True)[0][:, 1]
    d_sr = nn.kneighbors(Zs, 1, return_distance=True)[0][:, 0]
    ref = float(np.median(d_rr))
    if ref <= 0:
        return {"nn_distance_ratio": float("nan"), "copy_fraction": float("nan")}
    return {"nn_distance_ratio": float(np.median(d_sr) / ref), "copy_fraction": float(np.mean(d_sr < 0.1 * ref))}


# ---- joint embedding ----------------------------------------------------------------------------
def joint_embedding(
    Zr: np.ndarray, Zs: np.ndarray, seed: int = 0, resolution: float = 0.5, n_neighbors: int = 15
) -> tuple[pd.DataFrame, pd.DataFrame, float]:
    """Joint UMAP + Leiden clusters (scanpy) on PCA coordinates of both sets.

    Returns (cells table ``source, cluster, umap1, umap2``; cluster proportions per source; total-variation
    distance between the two sets' cluster proportions, 0 = same mix, 1 = disjoint clusters).
    """
    import scanpy as sc

    Z = np.vstack([Zr, Zs]).astype(np.float32)
    joint = ad.AnnData(np.zeros((len(Z), 1), dtype=np.float32))
    joint.obsm["X_pca"] = Z
    joint.obs["source"] = pd.Categorical(["real"] * len(Zr) + ["simulated"] * len(Zs), categories=["real", "simulated"])
    from core.embedding.tools import neighbours

    neighbours(joint, "X_pca", n_neighbors=n_neighbors, seed=seed, method="umap")
    sc.tl.umap(joint, random_state=seed)
    sc.tl.leiden(
        joint, resolution=resolution, key_added="cluster", random_state=seed, flavor="igraph", n_iterations=2, directed=False
    )
    cells = pd.DataFrame(
        {
            "source": joint.obs["source"].to_numpy(),
            "cluster": joint.obs["cluster"].to_numpy(),
            "umap1": joint.obsm["X_umap"][:, 0],
            "umap2": joint.obsm["X_umap"][:, 1],
        }
    )
    props = pd.crosstab(cells["cluster"], cells["source"], normalize="columns").reindex(columns=["real", "simulated"], fill_value=0.0)
    props.index = props.index.astype(str)
    tvd = float(0.5 * np.abs(props["real"] - props["simulated"]).sum())
    return cells, props, tvd


# ---- GRN consistency ----------------------------------------------------------------------------
def infer_grn(adata: ad.AnnData, method: str = "pearson", tfs: Sequence[str] | None = None, params: dict | None = None, seed: int = 0) -> pd.DataFrame:
    """Run a registered GRN method (by name) on ``adata`` outside any run directory; returns its edge table."""
    from ..context import RunContext
    from ..registry import get_method

    spec = get_method(method)
    if spec.task != "grn":
        raise InputError(f"{spec.label} is not a GRN method.")
    ctx = RunContext(seed=seed, tfs=list(tfs) if tfs is not None else None, device="cpu")
    return spec.load_runner()(adata, ctx, **spec.resolve_params(params))


def grn_overlap(real_edges: pd.DataFrame, sim_edges: pd.DataFrame, ks: Sequence[float] = DEFAULT_KS) -> pd.DataFrame:
    """Overlap of the top N = K% edges of two edge tables, for each K (fraction of the real table's size).

    Columns ``k`` (fraction), ``n_edges`` (N), ``overlap`` (|top-N real ∩ top-N sim| / N), ``chance`` (K, the
    expected overlap of a random ranking of the same edges).
    """
    total = len(real_edges)
    key = lambda e: set(zip(e["source"].astype(str), e["target"].astype(str)))  # noqa: E731
    rows = []
    for k in ks:
        n = max(1, int(round(k * total)))
        top_r = key(real_edges.nlargest(n, "weight"))
        top_s = key(sim_edges.nlargest(n, "weight"))
        rows.append({"k": float(k), "n_edges": n, "overlap": len(top_r & top_s) / n, "chance": float(n / total)})
    return pd.DataFrame(rows)


def grn_consistency(
    Lr: np.ndarray,
    Ls: np.ndarray,
    genes: Sequence[str],
    method: str = "pearson",
    ks: Sequence[float] = DEFAULT_KS,
    tfs: Sequence[str] | None = None,
    params: dict | None = None,
    seed: int = 0,
) -> pd.DataFrame:
    """Infer a GRN on real and simulated (transformed) data with the same method and compare their top edges."""
    var = pd.DataFrame(index=pd.Index([str(g) for g in genes]))
    er = infer_grn(ad.AnnData(Lr.astype(np.float32), var=var), method, tfs, params, seed)
    es = infer_grn(ad.AnnData(Ls.astype(np.float32), var=var.copy()), method, tfs, params, seed)
    return grn_overlap(er, es, ks)


# ---- everything ---------------------------------------------------------------------------------
@dataclass
class Comparison:
    """Everything of one real-vs-simulated comparison. ``summary`` holds the scalar figures."""

    summary: dict[str, Any]
    genes: pd.DataFrame  # per-gene real/sim mean, var, zero_frac
    trend: pd.DataFrame  # binned mean-variance trend of both
    grn: pd.DataFrame  # GRN consistency per K
    classifier_folds: list[float] = field(default_factory=list)
    cells: pd.DataFrame | None = None  # joint UMAP coordinates, source, cluster
    cluster_props: pd.DataFrame | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the summary plus GRN overlaps and cluster proportions."""
        out = dict(self.summary)
        out["classifier_folds"] = self.classifier_folds
        out["grn_consistency"] = {f"{row.k:.0%}": row.overlap for row in self.grn.itertuples()}
        if self.cluster_props is not None:
            out["cluster_proportions"] = self.cluster_props.round(4).to_dict(orient="index")
        return out


#: each set is compared on at most this many cells (a random subsample; stated on the Simulation page)
MAX_COMPARE_CELLS = 10_000


def subsample(adata: ad.AnnData, n: int, seed: int = 0) -> ad.AnnData:
    """``adata`` itself when it has at most ``n`` cells, else ``n`` random cells (in their order), as a view."""
    if adata.n_obs <= n:
        return adata
    return adata[np.sort(np.random.default_rng(seed).choice(adata.n_obs, n, replace=False))]


def sample_sizes(summary: dict[str, Any]) -> str:
    """The sentence stating how many cells each figure used ("" when every cell was used everywhere)."""
    nr, ns = summary.get("n_real"), summary.get("n_sim")
    tr, ts = summary.get("n_real_total", nr), summary.get("n_sim_total", ns)
    pca = summary.get("n_pca_cells") or [nr, ns]
    parts = []
    if (nr, ns) != (tr, ts):
        parts.append(f"Compared on random subsamples: {nr:,} of {tr:,} real and {ns:,} of {ts:,} simulated cells "
                     f"(at most {MAX_COMPARE_CELLS:,} per set).")
    if list(pca) != [nr, ns]:
        parts.append(f"Classifier test, energy distance, copy check and joint UMAP on {pca[0]:,} real and "
                     f"{pca[1]:,} simulated cells (random subsamples).")
    return " ".join(parts)


def compare(
    real: ad.AnnData,
    sim: ad.AnnData,
    layer: str | None = None,
    sim_layer: str | None = None,
    transform: str = "auto",
    n_pcs: int = 50,
    grn_method: str | None = "pearson",
    grn_params: dict | None = None,
    ks: Sequence[float] = DEFAULT_KS,
    tfs: Sequence[str] | None = None,
    embed: bool = True,
    max_cells: int = 5000,
    n_estimators: int = 200,
    seed: int = 0,
    max_compare_cells: int = MAX_COMPARE_CELLS,
) -> Comparison:
    """Compare real and simulated cells (see the module docstring for every figure).

    ``layer``/``sim_layer`` pick the matrices (``sim_layer`` defaults to ``layer`` when the simulated data has
    it); ``transform`` is auto (log-normalise counts), lognorm, log1p or none; ``grn_method`` is a registered
    GRN method name (None skips GRN consistency); ``embed=False`` skips UMAP/Leiden; ``max_cells`` caps each
    set for the PCA-based tests (random subsample); ``n_estimators`` is the random forest's size;
    ``max_compare_cells`` caps each set for everything (a random subsample taken before any matrix is densified;
    the summary states ``n_real`` / ``n_sim`` used and ``n_real_total`` / ``n_sim_total``).
    """
    real, sim = align_genes(real, sim)
    n_real_total, n_sim_total = real.n_obs, sim.n_obs
    real, sim = subsample(real, max_compare_cells, seed), subsample(sim, max_compare_cells, seed + 1)
    if sim_layer is None:
        sim_layer = layer if layer and layer in sim.layers else None
    Xr, Xs = dense_matrix(real, layer), dense_matrix(sim, sim_layer)
    if len(Xr) < 10 or len(Xs) < 10:
        raise InputError("Need at least 10 real and 10 simulated cells to compare them.")
    genes = list(real.var_names)
    table = marginal_table(Xr, Xs, genes)
    summary: dict[str, Any] = {"n_real": len(Xr), "n_sim": len(Xs), "n_genes": len(genes),
                               "n_real_total": n_real_total, "n_sim_total": n_sim_total,
                               "n_pca_cells": [min(len(Xr), max_cells), min(len(Xs), max_cells)]}
    summary.update(marginal_correlations(table))

    Lr, Ls, used = _transform(Xr, Xs, transform)
    summary["transform"] = used
    rng = np.random.default_rng(seed)
    ir = rng.choice(len(Lr), min(len(Lr), max_cells), replace=False)
    is_ = rng.choice(len(Ls), min(len(Ls), max_cells), replace=False)
    Zr, Zs = joint_pca(Lr[ir], Ls[is_], n_pcs, seed)
    summary["n_pcs"] = Zr.shape[1]
    groups = origin_groups(real, sim)  # perturbed cells stay in their originating cell's fold
    clf = classifier_auc(Zr, Zs, seed=seed, n_estimators=n_estimators,
                         groups_r=None if groups is None else groups[0][ir],
                         groups_s=None if groups is None else groups[1][is_])
    summary["classifier_grouped"] = clf["grouped"]
    summary["classifier_auc"] = clf["auc"]
    summary["classifier_auc_sd"] = clf["auc_sd"]
    summary.update(energy_distance(Zr, Zs, seed=seed))
    summary.update(copy_check(Zr, Zs))

    cells = props = None
    if embed:
        cells, props, tvd = joint_embedding(Zr, Zs, seed=seed)
        summary["n_clusters"] = int(len(props))
        summary["cluster_tvd"] = tvd

    grn = pd.DataFrame(columns=["k", "n_edges", "overlap", "chance"])
    if grn_method:
        grn = grn_consistency(Lr, Ls, genes, grn_method, ks, tfs, grn_params, seed)
        summary["grn_method"] = grn_method
        for row in grn.itertuples():
            summary[f"grn_overlap_{round(row.k * 100)}"] = row.overlap
    return Comparison(summary, table, mean_variance_trend(table), grn, clf["folds"], cells, props)
