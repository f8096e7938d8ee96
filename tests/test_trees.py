"""GENIE3 / GRNBoost2 (scikit-learn re-implementations) recover a known synthetic network better than chance."""

from __future__ import annotations

import numpy as np
import pytest
import scanpy as sc

from core.errors import InputError
from core.grn.scoring import score_grn
from core.grn.trees import EarlyStopMonitor, genie3_grn, grnboost2_grn
from core.context import RunContext
from core.registry import get_method


@pytest.fixture(scope="module")
def data(synthetic_small):
    adata, truth, tfs = synthetic_small
    adata = adata.copy()
    sc.pp.normalize_total(adata, target_sum=1e4)
    sc.pp.log1p(adata)
    return adata, truth, tfs


@pytest.mark.parametrize("run,kw", [(genie3_grn, {"n_estimators": 60}), (grnboost2_grn, {})])
def test_tree_peer_beats_random_and_is_deterministic(data, run, kw):
    adata, truth, tfs = data
    edges = run(adata, RunContext(tfs=tfs, seed=3), n_jobs=1, **kw)
    assert set(edges.source) <= set(tfs) and not (edges.source == edges.target).any()
    assert edges.weight.is_monotonic_decreasing and (edges.weight > 0).all()
    m = score_grn(edges, truth)
    assert m["epr"] > 1.5 and m["auprc_ratio"] > 1.5  # random ranking scores about 1
    again = run(adata, RunContext(tfs=tfs, seed=3), n_jobs=2, **kw)  # parallel run, same seed: same network
    np.testing.assert_allclose(again.weight.to_numpy(), edges.weight.to_numpy())


def test_early_stopping_rule():
    class Fake:
        oob_improvement_ = np.array([1.0] * 20 + [-1.0] * 40)

    mon = EarlyStopMonitor(window=25)
    assert not mon(5, Fake, None)  # window not yet full
    assert not mon(24, Fake, None)  # mean of rounds 0..24 is positive
    assert mon(40, Fake, None)


def test_specs_registered_and_unknown_tfs(data):
    adata, _, _ = data
    assert get_method("grnboost2").resolve_params()["learning_rate"] == 0.01
    assert get_method("genie3").resolve_params(preset="fast")["n_estimators"] == 100
    with pytest.raises(InputError, match="none of the"):
        grnboost2_grn(adata, RunContext(tfs=["NOPE"]), n_jobs=1)
