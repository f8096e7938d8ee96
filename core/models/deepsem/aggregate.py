"""Combining the W of DeepSEM ensemble members into one edge score.

The authors advise averaging |W| over seeds. Trained members do not all land in the same kind of solution,
though: on BEELINE some members' W collapses towards 0 (lowest loss), most stay near their initial scale,
and a few settle in solutions whose strongest edges the other members do not share (and that score far
worse against every reference network). A plain mean lets such a member's large |W| pull the ensemble.

Rules (``aggregate_members(..., rule=...)``):

* ``"consensus_rank"`` (default): leave out the members whose strongest edges disagree with the rest of the
  ensemble (see :func:`consensus_members`), then average each remaining member's within-member rank of |W|
  (every member counts equally whatever its scale: collapsed members' |W| is ten times smaller);
* ``"consensus"``: the same filter, then mean |W|;
* ``"mean"``: mean |W| over all members (the authors' advice);
* ``"rank"``: mean rank over all members.

Measured in ``bench/deepsem_aggregate.py`` (results in bench/grn_beeline_results.md).
"""

from __future__ import annotations

import numpy as np
from scipy.stats import rankdata

RULES = ("consensus_rank", "consensus", "mean", "rank")
DEFAULT_RULE = "consensus_rank"


def _ranks(X: np.ndarray) -> np.ndarray:
    """Within-row ranks (ties averaged), 1 = weakest."""
    return rankdata(X, axis=1)


def _agreement(R: np.ndarray, top_fraction: float) -> np.ndarray:
    m, n = R.shape
    if m < 3:
        return np.ones(m)
    k = int(min(n - 1, max(10, round(top_fraction * n))))
    total = R.sum(0)
    out = np.empty(m)
    for i in range(m):
        loo = total - R[i]  # the other members' mean rank, times (m - 1)
        mine = np.argpartition(-R[i], k)[:k]
        theirs = np.argpartition(-loo, k)[:k]
        out[i] = np.intersect1d(mine, theirs, assume_unique=True).size / k
    return out


def _keep(agree: np.ndarray, top_fraction: float, min_ratio: float) -> np.ndarray:
    med = float(np.median(agree))
    if med <= 3 * top_fraction:  # no consensus to speak of (chance overlap = top_fraction): nothing to leave out
        return np.ones(len(agree), bool)
    return agree >= min_ratio * med


def _candidate_scores(W: np.ndarray, candidates: np.ndarray | None) -> np.ndarray:
    A = np.abs(np.asarray(W, dtype=np.float32))
    flat = A.reshape(A.shape[0], -1)
    return flat if candidates is None else flat[:, np.asarray(candidates, bool).ravel()]


def member_agreement(W: np.ndarray, candidates: np.ndarray | None = None, top_fraction: float = 0.01) -> np.ndarray:
    """Per member: the share of its top ``top_fraction`` candidate edges (by |W|) that are also among the top of
    the leave-one-out consensus (the mean rank of the other members). W: (members, target, source)."""
    return _agreement(_ranks(_candidate_scores(W, candidates)), top_fraction)


def consensus_members(W: np.ndarray, candidates: np.ndarray | None = None, top_fraction: float = 0.01,
                      min_ratio: float = 0.6) -> np.ndarray:
    """Boolean mask of the members kept: agreement (:func:`member_agreement`) at least ``min_ratio`` times the
    ensemble's median agreement. Fewer than half the members can fall below a fraction of the median, so at
    least half are always kept; with no shared signal (median agreement near chance) all are kept."""
    return _keep(member_agreement(W, candidates, top_fraction), top_fraction, min_ratio)


def aggregate_members(W: np.ndarray, rule: str = DEFAULT_RULE, candidates: np.ndarray | None = None,
                      top_fraction: float = 0.01, min_ratio: float = 0.6) -> tuple[np.ndarray, np.ndarray]:
    """One score per edge from members' W (members, target, source): ``(scores (target, source), kept members)``.

    ``candidates`` (bool, target x source) marks the edges that can be reported (e.g. TF sources, no self-pairs);
    the consensus filter and the ranks look at those only (for rank rules other entries score 0).
    """
    if rule not in RULES:
        raise ValueError(f"unknown aggregation rule {rule!r}; choose from {RULES}")
    W = np.asarray(W, dtype=np.float64)
    if W.ndim == 2:
        W = W[None]
    keep = np.ones(len(W), bool)
    R = None
    if rule.startswith("consensus") or rule.endswith("rank"):
        R = _ranks(_candidate_scores(W, candidates))  # within-member ranks: computed once, whoever is kept
    if rule.startswith("consensus"):
        keep = _keep(_agreement(R, top_fraction), top_fraction, min_ratio)
    if not rule.endswith("rank"):
        return np.abs(W[keep]).mean(0), keep
    mean_rank = R[keep].mean(0) / R.shape[1]
    if candidates is None:
        return mean_rank.reshape(W.shape[1:]), keep
    out = np.zeros(W.shape[1:])
    out[np.asarray(candidates, bool)] = mean_rank
    return out, keep
