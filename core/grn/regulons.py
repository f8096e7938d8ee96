"""Regulons from an edge table and their activity in cells (decoupler), with specificity per cluster.

* :func:`build_regulons` — each regulator's ``top_targets`` strongest targets present in the data, signed by
  ``signed_weight`` (+1 when the network is unsigned), as decoupler's long ``source, target, weight`` net.
  ULM takes one signed regulon per TF; AUCell ranks genes and ignores weights, so each TF's activated and
  repressed targets become two regulons, ``TF(+)`` and ``TF(-)`` (as pySCENIC does).
* :func:`regulon_activity` — per-cell activity with ``decoupler.mt.ulm`` (t-value of a univariate linear
  model of the cell's expression on the regulon weights) or ``decoupler.mt.aucell`` (area under the recovery
  curve of the targets among the cell's top-ranked genes). Nothing here re-implements either.
* :func:`score_regulons` — both of the above, stored in ``adata.obsm[OBSM_KEY]`` with
  ``adata.uns[UNS_KEY]`` = ``{"names", "sizes", "method", "top_targets", "signed"}``.
* :func:`specificity` — the regulon specificity score (RSS, Suo et al. 2018, Cell Rep. 25:1436):
  ``1 - JS distance`` (base 2) between a regulon's activity scaled to [0, 1] and normalised to sum 1 over the
  cells, and the cluster's indicator normalised the same way; 1 = active only in that cluster.
* :func:`cluster_table` — cluster x regulon mean activity and RSS in one long table.

Expression scored: log-normalised counts (the ``counts`` layer, or X when X holds counts), else X as given.
"""

from __future__ import annotations

from dataclasses import dataclass

import anndata as ad
import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..errors import InputError

OBSM_KEY = "X_regulons"
UNS_KEY = "scgrn_regulons"
METHODS = ("ulm", "aucell")
DEFAULT_TOP_TARGETS = 50
MIN_SIZE = 5
MAX_REGULONS = 200


@dataclass
class Regulons:
    """decoupler's net (``source, target, weight``) and one row per regulon (``regulon, tf, size``)."""

    net: pd.DataFrame
    table: pd.DataFrame
    signed: bool

    @property
    def names(self) -> list[str]:
        return self.table["regulon"].tolist()


def build_regulons(edges: pd.DataFrame, genes, *, top_targets: int = DEFAULT_TOP_TARGETS, method: str = "ulm",
                   min_size: int = MIN_SIZE, max_regulons: int = MAX_REGULONS) -> Regulons:
    """Regulons of ``edges`` restricted to ``genes`` (the data's genes); the ``max_regulons`` regulators with the
    largest summed weight over their kept targets. InputError when no regulon of ``min_size`` targets remains."""
    if method not in METHODS:
        raise InputError(f"Unknown regulon scoring method {method!r}; choose one of {', '.join(METHODS)}.")
    if top_targets < 1:
        raise InputError("--top-targets must be at least 1.")
    genes = pd.Index([str(g) for g in genes])
    e = edges[edges["source"] != edges["target"]]
    shared = set(pd.unique(pd.concat([e["source"], e["target"]]))) & set(genes)
    if not shared:
        raise InputError("The network and the data share no gene: use the dataset the network was inferred from "
                         "(or one with the same gene names).")
    e = e[e["target"].isin(genes)].sort_values("weight", ascending=False, kind="stable")
    signed = "signed_weight" in e.columns
    sign = np.sign(e["signed_weight"].to_numpy(float)) if signed else np.ones(len(e))
    e = e.assign(sign=np.where(sign == 0, 1.0, sign))
    top = e.groupby("source", sort=False).head(int(top_targets))
    if method == "aucell":
        top = top.assign(regulon=top["source"] + np.where(top["sign"] > 0, "(+)", "(-)"), sign=1.0)
    else:
        top = top.assign(regulon=top["source"])
    grp = top.groupby("regulon", sort=False)
    table = pd.DataFrame({"tf": grp["source"].first(), "size": grp.size(), "strength": grp["weight"].sum()})
    table = table[table["size"] >= min_size].sort_values("strength", ascending=False, kind="stable")
    table = table.head(int(max_regulons))
    if table.empty:
        raise InputError(f"No regulator has {min_size} or more targets among the data's genes "
                         f"({len(shared)} genes shared with the network): show more edges per regulator "
                         "(--top-targets) or use the data the network was inferred from.")
    top = top[top["regulon"].isin(table.index)]
    net = pd.DataFrame({"source": top["regulon"].to_numpy(), "target": top["target"].to_numpy(),
                        "weight": top["sign"].to_numpy(float)})
    table = table.rename_axis("regulon").reset_index()[["regulon", "tf", "size"]]
    return Regulons(net=net.reset_index(drop=True), table=table, signed=signed)


def scoring_matrix(adata: ad.AnnData):
    """The expression decoupler scores: log-normalised counts when raw counts are known, else X."""
    from ..data.summary import counts_layer

    where = counts_layer(adata)
    if where is None:
        return adata.X
    import scanpy as sc

    tmp = ad.AnnData((adata.layers["counts"] if where == "counts" else adata.X).astype(np.float32))
    sc.pp.normalize_total(tmp)
    sc.pp.log1p(tmp)
    return tmp.X


def regulon_activity(adata: ad.AnnData, regulons: Regulons, method: str = "ulm") -> pd.DataFrame:
    """Cells x regulons activity from decoupler (``ulm`` t-values or ``aucell`` AUCs), rows in ``adata``'s order."""
    import decoupler as dc

    if method not in METHODS:
        raise InputError(f"Unknown regulon scoring method {method!r}; choose one of {', '.join(METHODS)}.")
    m = scoring_matrix(adata)
    m = m.toarray() if sp.issparse(m) else np.asarray(m)
    cells = [str(i) for i in range(adata.n_obs)]  # positional names: obs_names may repeat
    data = pd.DataFrame(np.asarray(m, dtype=np.float32), index=cells, columns=[str(g) for g in adata.var_names])
    data = data.loc[:, ~data.columns.duplicated()]
    res = getattr(dc.mt, method)(data, regulons.net, tmin=1, verbose=False)
    scores = res[0] if isinstance(res, tuple) else res
    # decoupler drops cells with no expression and regulons it cannot score: keep every cell and regulon
    scores = scores.reindex(index=cells, columns=regulons.names).astype(np.float64).fillna(0.0)
    scores.index = adata.obs_names
    return scores


def score_regulons(adata: ad.AnnData, edges: pd.DataFrame, *, top_targets: int = DEFAULT_TOP_TARGETS,
                   method: str = "ulm", min_size: int = MIN_SIZE, max_regulons: int = MAX_REGULONS) -> Regulons:
    """Build the regulons, score them, store ``obsm[OBSM_KEY]`` and ``uns[UNS_KEY]`` in ``adata``."""
    regs = build_regulons(edges, adata.var_names, top_targets=top_targets, method=method, min_size=min_size,
                          max_regulons=max_regulons)
    scores = regulon_activity(adata, regs, method)
    adata.obsm[OBSM_KEY] = scores.to_numpy(np.float32)
    adata.uns[UNS_KEY] = {"names": regs.names, "tfs": regs.table["tf"].tolist(),
                          "sizes": [int(s) for s in regs.table["size"]], "method": method,
                          "top_targets": int(top_targets), "signed": bool(regs.signed)}
    return regs


def stored_activity(adata: ad.AnnData) -> pd.DataFrame:
    """``obsm[OBSM_KEY]`` as a cells x regulons DataFrame named from ``uns[UNS_KEY]``."""
    if OBSM_KEY not in adata.obsm or UNS_KEY not in adata.uns:
        raise InputError("This AnnData holds no regulon activity (run `scgrn regulons` first).")
    names = [str(n) for n in adata.uns[UNS_KEY]["names"]]
    return pd.DataFrame(np.asarray(adata.obsm[OBSM_KEY]), index=adata.obs_names, columns=names)


def specificity(activity: pd.DataFrame, clusters) -> pd.DataFrame:
    """Regulon specificity scores, clusters x regulons (RSS, Suo et al. 2018), in [0, 1]."""
    from scipy.spatial.distance import jensenshannon

    clusters = pd.Series(np.asarray(clusters).astype(str), index=activity.index)
    a = activity.to_numpy(np.float64)
    a = a - a.min(axis=0)
    span = a.max(axis=0)
    a = np.divide(a, span, out=np.zeros_like(a), where=span > 0)
    total = a.sum(axis=0)
    p = np.divide(a, total, out=np.full_like(a, 1.0 / len(a)), where=total > 0)
    levels = sorted(clusters.unique(), key=lambda c: (not c.isdigit(), int(c) if c.isdigit() else 0, c))
    out = np.zeros((len(levels), a.shape[1]))
    for i, c in enumerate(levels):
        q = (clusters == c).to_numpy(float)
        q /= q.sum()
        out[i] = 1.0 - jensenshannon(p, q[:, None], base=2, axis=0)
    return pd.DataFrame(out, index=pd.Index(levels, name="cluster"), columns=activity.columns)


def cluster_table(activity: pd.DataFrame, clusters) -> pd.DataFrame:
    """Long table: cluster, regulon, mean activity, RSS, and the regulon's RSS rank within the cluster."""
    rss = specificity(activity, clusters)
    means = activity.groupby(np.asarray(clusters).astype(str)).mean().reindex(rss.index)
    long = rss.stack().rename("rss").to_frame().join(means.stack().rename("mean_activity"))
    long = long.reset_index().rename(columns={"level_1": "regulon"})
    long.columns = ["cluster", "regulon", "rss", "mean_activity"]
    long["cluster"] = pd.Categorical(long["cluster"], categories=list(rss.index), ordered=True)
    long["rank_in_cluster"] = long.groupby("cluster", observed=True)["rss"].rank(ascending=False, method="first").astype(int)
    return long.sort_values(["cluster", "rank_in_cluster"], kind="stable").reset_index(drop=True)
