"""Combining DeepSEM ensemble members: the consensus filter, rank averaging, and get_grn's use of them."""

from __future__ import annotations

import numpy as np
import pytest

from core.errors import InputError
from core.context import RunContext
from core.models.deepsem.aggregate import aggregate_members, consensus_members, member_agreement
from core.models.deepsem.model import DeepSEM


def _members(rng, n_good=8, n_odd=2, shape=(60, 50), n_true=40):
    """Good members: a shared planted network at very different scales (as collapsed and uncollapsed DeepSEM
    members) plus noise; odd members: a strong network of their own at a large scale."""
    n = shape[0] * shape[1]
    truth = np.zeros(n, bool)
    truth[rng.choice(n, n_true, replace=False)] = True
    W = []
    for m in range(n_good):
        scale = [0.05, 1.0][m % 2]
        W.append(scale * (truth * rng.uniform(1, 2, n) + rng.normal(0, 0.4, n)))
    for _ in range(n_odd):
        own = np.zeros(n, bool)
        own[rng.choice(n, n_true, replace=False)] = True
        W.append(5.0 * (own * rng.uniform(2, 4, n) + rng.normal(0, 0.4, n)))
    return np.stack(W).reshape(-1, *shape), truth.reshape(shape)


def _precision(scores, truth):
    k = int(truth.sum())
    return truth.ravel()[np.argsort(-scores.ravel())[:k]].mean()


def test_consensus_leaves_out_members_with_a_network_of_their_own():
    W, truth = _members(np.random.default_rng(0))
    agree = member_agreement(W)
    assert agree[:8].min() > 2 * agree[8:].max()
    assert consensus_members(W).tolist() == [True] * 8 + [False] * 2
    precision = {rule: _precision(aggregate_members(W, rule)[0], truth) for rule in ("mean", "consensus", "consensus_rank")}
    # the odd members' large |W| swamp the mean; left out, the planted network is recovered
    assert precision["mean"] < 0.6 and precision["consensus"] > 0.9 and precision["consensus_rank"] > 0.9


def test_no_shared_signal_keeps_every_member():
    W = np.random.default_rng(1).normal(size=(10, 60, 50))
    assert consensus_members(W).all()
    assert len(member_agreement(W[:2])) == 2 and consensus_members(W[:2]).all()  # too few to vote


def test_rank_rules_ignore_a_members_scale_and_candidates_restrict_them():
    rng = np.random.default_rng(2)
    W = rng.normal(size=(4, 12, 12))
    scaled = W.copy()
    scaled[1] *= 1000.0
    assert np.allclose(aggregate_members(W, "rank")[0], aggregate_members(scaled, "rank")[0])
    assert not np.allclose(aggregate_members(W, "mean")[0], aggregate_members(scaled, "mean")[0])
    assert np.allclose(aggregate_members(W, "mean")[0], np.abs(W).mean(0))
    cand = ~np.eye(12, dtype=bool)
    cand[:, 6:] = False  # only the first 6 sources can be reported
    out, keep = aggregate_members(W, "rank", cand)
    assert keep.all() and np.all(out[~cand] == 0) and out[cand].min() > 0 and out[cand].max() <= 1
    with pytest.raises(ValueError, match="rule"):
        aggregate_members(W, "vote")


def test_get_grn_combines_members_by_the_chosen_rule():
    from core.data.synthetic import synthetic_dataset

    adata, _, tfs = synthetic_dataset(n_cells=60, n_genes=12, n_tfs=3, seed=1)
    model = DeepSEM(adata, ensemble=3, hidden=8, seed=0, epochs=3).train()
    W = model.adjacency()
    g = {n: i for i, n in enumerate(model.genes)}
    mean = model.get_grn(tfs=tfs, aggregate="mean")
    r = mean.iloc[0]
    assert np.isclose(r.weight, np.abs(W[:, g[r.target], g[r.source]]).mean())
    default = model.get_grn(tfs=tfs)
    assert default.attrs["aggregate"] == "consensus_rank" and len(default) == len(mean) == 3 * 11
    assert set(default.attrs["members_kept"]) <= {0, 1, 2} and len(default.attrs["members_kept"]) >= 2
    assert default.weight.between(0, 1).all() and default.weight.is_monotonic_decreasing
    with pytest.raises(InputError, match="aggregation rule"):
        model.get_grn(aggregate="vote")
    with pytest.raises(InputError, match="must be one of"):  # refused by the spec, before any training
        DeepSEM(adata, ensemble=2, epochs=50, aggregate="vote")
