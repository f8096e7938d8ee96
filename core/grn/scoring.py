"""Score a ranked edge table against a reference network: EPR and AUPRC ratio, two conventions.

``convention="beeline"`` (Pratapa et al. 2020, the project default):
  * ground truth: self-loops and duplicate edges dropped; TFs = the distinct regulators (``Gene1``), or the
    given TF list restricted to ground-truth genes; genes = every ground-truth gene;
  * candidate pool = every (TF, gene) pair with TF != gene; k = true edges inside the pool;
  * predictions: |weight|, self-loops and repeated pairs dropped, restricted to the pool;
  * EPR: take the top k predictions *keeping ties at the cut-off* (and never zero-weight edges, as BEELINE
    does); EPR = precision of that set / (k / pool size);
  * AUPRC ratio: ``sklearn.metrics.average_precision_score`` over the whole pool, unpredicted pairs scored 0,
    divided by the density k / pool size.

``convention="deepsem"`` (the DeepSEM tutorial, Shu et al. 2021):
  * ground truth kept as given (distinct pairs, self-loops included); TFs = distinct ``Gene1``;
  * EPR: predictions restricted to TF -> ground-truth gene, self pairs dropped, *strict* top k rows by
    |weight|; EPR = hits / (k^2 / (n_TF * n_genes - n_TF));
  * AUPRC ratio: average precision over every TF x gene pair *including self pairs*, unpredicted pairs
    scored -1, divided by the positive rate.

Both reproduce the published numbers: DeepSEM's hESC demo output scores EPR 1.218 / AUPRC ratio 1.163 with
``convention="deepsem"`` (see tests/test_scoring.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, precision_recall_curve

from ..errors import InputError

CONVENTIONS = ("beeline", "deepsem")


@dataclass
class GRNEvaluation:
    """Result of :func:`evaluate_grn`: ``metrics`` (JSON-able dict), ``pr_curve`` (recall, precision) and
    ``top_edges`` (the early-precision set: source, target, weight, is_true)."""

    metrics: dict[str, Any]
    pr_curve: pd.DataFrame
    top_edges: pd.DataFrame


def _as_pairs(df: pd.DataFrame, what: str) -> pd.DataFrame:
    """Normalise a network/edge table to columns source, target[, weight]."""
    cols = {c.lower(): c for c in df.columns}
    for src, tgt in (("source", "target"), ("gene1", "gene2"), ("tf", "target")):
        if src in cols and tgt in cols:
            out = pd.DataFrame({"source": df[cols[src]].astype(str), "target": df[cols[tgt]].astype(str)})
            for w in ("weight", "edgeweight", "importance", "score"):
                if w in cols:
                    out["weight"] = pd.to_numeric(df[cols[w]], errors="coerce")
                    break
            return out
    if df.shape[1] >= 2:  # positional fallback: regulator, target[, weight]
        out = pd.DataFrame({"source": df.iloc[:, 0].astype(str), "target": df.iloc[:, 1].astype(str)})
        if df.shape[1] >= 3:
            out["weight"] = pd.to_numeric(df.iloc[:, 2], errors="coerce")
        return out
    raise InputError(f"The {what} needs at least two columns (regulator, target); got {list(df.columns)}.")


def _thin_curve(recall: np.ndarray, precision: np.ndarray, max_points: int) -> pd.DataFrame:
    n = len(recall)
    idx = np.arange(n) if n <= max_points else np.unique(np.linspace(0, n - 1, max_points).round().astype(int))
    return pd.DataFrame({"recall": recall[idx], "precision": precision[idx]})


def _pool_scores(pred_w: np.ndarray, pred_y: np.ndarray, n_pool: int, n_pos: int, missing: float):
    """Scores and labels over the whole pool: the predicted pairs plus the unpredicted ones at ``missing``."""
    n_missing = n_pool - len(pred_w)
    missing_pos = n_pos - int(pred_y.sum())
    y = np.concatenate([pred_y, np.ones(missing_pos, bool), np.zeros(n_missing - missing_pos, bool)])
    s = np.concatenate([pred_w, np.full(n_missing, missing, dtype=np.float64)])
    return y, s


def evaluate_grn(
    edges: pd.DataFrame,
    truth: pd.DataFrame,
    tfs: Sequence[str] | None = None,
    convention: str = "beeline",
    max_curve_points: int = 1000,
) -> GRNEvaluation:
    """Score ``edges`` (source, target, weight; any order) against ``truth`` (regulator, target).

    ``tfs`` overrides the regulators (default: the ground truth's distinct regulators). See the module
    docstring for the two conventions.
    """
    if convention not in CONVENTIONS:
        raise InputError(f"Unknown scoring convention {convention!r}; use one of {list(CONVENTIONS)}.")
    truth = _as_pairs(truth, "ground-truth network")[["source", "target"]]
    pred = _as_pairs(edges, "edge table")
    if "weight" not in pred.columns:
        raise InputError("The edge table has no weight column (source, target, weight).")
    if convention == "beeline":
        truth = truth[truth.source != truth.target]
    truth = truth.drop_duplicates()
    if truth.empty:
        raise InputError("The ground-truth network has no edges (after dropping self-loops and duplicates).")
    genes = set(truth.source) | set(truth.target)
    tf_set = set(truth.source) if tfs is None else set(map(str, tfs)) & genes
    if not tf_set:
        raise InputError("None of the given TFs is a gene of the ground-truth network.")
    n_tf, n_genes = len(tf_set), len(genes)
    truth = truth[truth.source.isin(tf_set)]
    true_keys = set(zip(truth.source, truth.target))
    k = len(true_keys)
    if k == 0:
        raise InputError("No ground-truth edge starts at one of the given TFs.")
    n_candidates = n_tf * n_genes - n_tf  # TF x genes without self pairs
    density = k / n_candidates

    pred = pred.assign(weight=pred["weight"].abs().fillna(0.0))
    pred = pred.sort_values("weight", ascending=False, kind="stable")
    pred = pred[pred.source.isin(tf_set) & pred.target.isin(genes) & (pred.source != pred.target)]
    pred = pred.drop_duplicates(["source", "target"], keep="first").reset_index(drop=True)
    if pred.empty:
        raise InputError(
            f"No predicted edge links genes of the ground-truth network ({n_genes} genes, e.g. "
            f"{', '.join(sorted(genes)[:3])}): nothing to score. Check the gene-name format and the species."
        )
    is_true = np.fromiter((p in true_keys for p in zip(pred.source, pred.target)), bool, count=len(pred))
    w = pred["weight"].to_numpy(np.float64)

    if convention == "beeline":
        maxk = min(len(pred), k)
        if maxk == 0 or not (w > 0).any():
            keep = np.zeros(len(pred), bool)
        else:
            cutoff = max(w[maxk - 1], w[w > 0].min())
            keep = w >= cutoff  # ties at the cut-off are kept
        n_kept = int(keep.sum())
        early_precision = float(is_true[keep].sum() / n_kept) if n_kept else 0.0
        epr = early_precision / density
        n_pool, missing = n_candidates, 0.0
    else:
        keep = np.zeros(len(pred), bool)
        keep[:k] = True  # strict top k
        n_kept = int(keep.sum())
        hits = int(is_true[keep].sum())
        early_precision = hits / k
        epr = hits / (k * k / n_candidates)
        n_pool, missing = n_tf * n_genes, -1.0  # DeepSEM's AUPRC pool keeps the self pairs

    y, s = _pool_scores(w, is_true, n_pool, k, missing)
    positive_rate = k / n_pool
    ap = float(average_precision_score(y, s))
    prec, rec, _ = precision_recall_curve(y, s)
    top = pred.loc[keep, ["source", "target", "weight"]].assign(is_true=is_true[keep]).reset_index(drop=True)
    metrics = {
        "epr": float(epr),
        "auprc_ratio": ap / positive_rate,
        "auprc": ap,
        "early_precision": early_precision,
        "density": positive_rate,
        "n_true_edges": k,
        "n_candidates": n_candidates,
        "n_pool_auprc": n_pool,
        "n_tfs": n_tf,
        "n_genes": n_genes,
        "n_predicted_in_pool": int(len(pred)),
        "n_top_edges": n_kept,
        "n_true_in_top": int(is_true[keep].sum()),
        "convention": convention,
    }
    return GRNEvaluation(metrics=metrics, pr_curve=_thin_curve(rec, prec, max_curve_points), top_edges=top)


def score_grn(edges: pd.DataFrame, truth: pd.DataFrame, tfs: Sequence[str] | None = None, convention: str = "beeline") -> dict[str, Any]:
    """The metrics dict of :func:`evaluate_grn` (epr, auprc_ratio, n_true_edges, n_candidates, ...)."""
    return evaluate_grn(edges, truth, tfs=tfs, convention=convention).metrics


score_edges = score_grn  # name used by core.grn.task
