"""Tree-ensemble peers GENIE3 and GRNBoost2, re-implemented on scikit-learn (arboreto 0.1.6 from PyPI
fails with current dask).

Both regress each target gene on the regulators (the TFs, or every gene when no TF list is given; a gene
never regulates itself) and score edge regulator -> target by the regulator's importance:

* **GENIE3** (Huynh-Thu et al. 2010, as in its reference Python code): the target is scaled to unit
  variance; a random forest (or extra-trees) with ``max_features="sqrt"``; the importance of a regulator is
  its total impurity decrease, unnormalised and averaged over the trees (so a target's importances sum to
  the fraction of its variance explained).
* **GRNBoost2** (Moerman et al. 2019, as in arboreto): stochastic gradient boosting with
  learning_rate 0.01, up to 5000 trees, max_features 0.1, subsample 0.9, stopped early when the mean
  out-of-bag improvement over the last 25 rounds turns negative; importance = scikit-learn's normalised
  importance times the number of trees fitted (arboreto's de-normalisation).

Targets run in parallel with joblib (``n_jobs``); every regressor gets ``random_state = seed``, so a given
seed gives the same network.
"""

from __future__ import annotations

from functools import partial

import numpy as np
import pandas as pd
import scipy.sparse as sp
from joblib import Parallel, delayed
from sklearn.ensemble import ExtraTreesRegressor, GradientBoostingRegressor, RandomForestRegressor

from ..errors import InputError
from ..context import RunContext
from .edges import adjacency_to_edges

GRNBOOST2_KWARGS = {"learning_rate": 0.01, "n_estimators": 5000, "max_features": 0.1, "subsample": 0.9}


class EarlyStopMonitor:
    """arboreto's stopping rule: stop when the mean OOB improvement over the last ``window`` rounds is < 0."""

    def __init__(self, window: int = 25):
        self.window = window

    def __call__(self, i: int, regressor, _locals) -> bool:
        if i < self.window - 1:
            return False
        return bool(np.mean(regressor.oob_improvement_[i - self.window + 1 : i + 1]) < 0)


def _genie3_target(X, y, seed, n_estimators, max_features, tree_method):
    sd = y.std()
    if sd == 0:
        return np.zeros(X.shape[1])
    cls = RandomForestRegressor if tree_method == "RF" else ExtraTreesRegressor
    model = cls(n_estimators=n_estimators, max_features=max_features, random_state=seed, n_jobs=1)
    model.fit(X, y / sd)
    imps = [t.tree_.compute_feature_importances(normalize=False) for t in model.estimators_]
    return np.mean(imps, axis=0)


def _grnboost2_target(X, y, seed, early_stop_window, kwargs):
    if y.std() == 0:
        return np.zeros(X.shape[1])
    model = GradientBoostingRegressor(random_state=seed, **kwargs)
    model.fit(X, y, monitor=EarlyStopMonitor(early_stop_window) if early_stop_window > 0 else None)
    return model.feature_importances_ * len(model.estimators_)


def _one_target(fit_one, X, reg_idx, t, seed):
    regs = reg_idx[reg_idx != t]
    return t, regs, fit_one(X[:, regs], X[:, t], seed)


def _expression(adata, layer: str) -> np.ndarray:
    X = adata.layers[layer] if layer else adata.X
    if sp.issparse(X):
        from ..memory import require_dense

        require_dense(X.shape, 4)
    X = X.toarray() if sp.issparse(X) else np.asarray(X)
    return np.ascontiguousarray(X, dtype=np.float32)


def _tree_grn(adata, ctx: RunContext | None, fit_one, layer: str, n_jobs: int, name: str) -> pd.DataFrame:
    ctx = ctx or RunContext()
    X = _expression(adata, layer)
    genes = [str(g) for g in adata.var_names]
    if ctx.tfs is not None:
        tf_set = set(map(str, ctx.tfs))
        reg_idx = np.array([i for i, g in enumerate(genes) if g in tf_set], dtype=int)
        if len(reg_idx) == 0:
            raise InputError(f"{name}: none of the {len(tf_set)} TFs is a gene of this dataset.")
    else:
        reg_idx = np.arange(len(genes))
    G = len(genes)
    ctx.log(f"{name}: {X.shape[0]} cells, {G} targets, {len(reg_idx)} regulators, n_jobs={n_jobs}, seed={ctx.seed}")

    scores = np.zeros((G, G))
    done = 0
    chunk = max(1, G // 20)
    runner = Parallel(n_jobs=n_jobs, return_as="generator_unordered")
    for t, regs, imp in runner(delayed(_one_target)(fit_one, X, reg_idx, t, ctx.seed) for t in range(G)):
        scores[regs, t] = imp
        done += 1
        if done % chunk == 0 or done == G:
            ctx.progress(done, G)
    edges = adjacency_to_edges(scores, genes, tfs=ctx.tfs)
    return edges[edges.weight > 0].reset_index(drop=True)


def genie3_grn(
    adata,
    ctx: RunContext | None = None,
    n_estimators: int = 1000,
    max_features: str = "sqrt",
    tree_method: str = "RF",
    n_jobs: int = -1,
    layer: str = "",
) -> pd.DataFrame:
    """GENIE3 edge table (weight = importance); a scikit-learn re-implementation."""
    mf = max_features if max_features in ("sqrt", "log2") else (None if max_features == "all" else float(max_features))

    fit_one = partial(_genie3_target, n_estimators=n_estimators, max_features=mf, tree_method=tree_method)
    return _tree_grn(adata, ctx, fit_one, layer, n_jobs, "GENIE3")


def grnboost2_grn(
    adata,
    ctx: RunContext | None = None,
    learning_rate: float = 0.01,
    n_estimators: int = 5000,
    max_features: float = 0.1,
    subsample: float = 0.9,
    early_stop_window: int = 25,
    n_jobs: int = -1,
    layer: str = "",
) -> pd.DataFrame:
    """GRNBoost2 edge table (weight = importance); a scikit-learn re-implementation of arboreto's."""
    kwargs = {"learning_rate": learning_rate, "n_estimators": n_estimators, "max_features": max_features, "subsample": subsample}

    fit_one = partial(_grnboost2_target, early_stop_window=early_stop_window, kwargs=kwargs)
    return _tree_grn(adata, ctx, fit_one, layer, n_jobs, "GRNBoost2")
