"""EPR / AUPRC ratio for the CaTran benchmarks.

Uses ``core.grn.scoring`` when the grneval branch has landed; until then a small local implementation of
the BEELINE convention (see ../shared/README.md): candidates = (TF, gene) pairs of the ground-truth gene
set with TF = distinct regulators, self-pairs dropped; EPR = precision of the top-k (k = true edges) /
density; AUPRC ratio = average precision over all candidates (missing pairs score 0) / density.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score


def _local_scores(edges: pd.DataFrame, truth: pd.DataFrame) -> dict[str, float]:
    truth = truth.rename(columns={truth.columns[0]: "Gene1", truth.columns[1]: "Gene2"})
    truth = truth[truth["Gene1"] != truth["Gene2"]].drop_duplicates(["Gene1", "Gene2"])
    tfs = sorted(set(truth["Gene1"]))
    genes = sorted(set(truth["Gene1"]) | set(truth["Gene2"]))
    true = set(zip(truth["Gene1"], truth["Gene2"]))
    cand = [(a, b) for a in tfs for b in genes if a != b]
    score = {(s, t): abs(w) for s, t, w in zip(edges["source"], edges["target"], edges["weight"])}
    y = np.array([p in true for p in cand], dtype=float)
    s = np.array([score.get(p, 0.0) for p in cand])
    k = int(y.sum())
    density = k / len(cand)
    order = np.argsort(-s, kind="stable")[:k]
    epr = y[order].mean() / density
    auprc = average_precision_score(y, s) / density
    return {"epr": float(epr), "auprc_ratio": float(auprc)}


def score_edges(edges: pd.DataFrame, truth: pd.DataFrame) -> dict[str, float]:
    """{"epr", "auprc_ratio"} of a ranked edge table against a BEELINE-format ground truth."""
    try:
        from core.grn import scoring  # grneval branch
    except ImportError:
        return _local_scores(edges, truth)
    res = scoring.score_edges(edges, truth) if hasattr(scoring, "score_edges") else None
    if isinstance(res, dict) and "epr" in res:
        return {"epr": float(res["epr"]), "auprc_ratio": float(res.get("auprc_ratio", np.nan))}
    return _local_scores(edges, truth)
