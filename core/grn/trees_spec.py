"""Specs of the tree-ensemble peers (scikit-learn re-implementations of GENIE3 and GRNBoost2)."""

from ..specs import MethodSpec, Param

_LAYER = Param("layer", "", "AnnData layer to use (empty = X).", kind="str")
_JOBS = Param("n_jobs", -1, "Parallel worker processes over target genes (-1 = all cores).", kind="int", min=-1,
               label="worker processes (n_jobs)")

SPECS = [
    MethodSpec(
        name="genie3",
        label="GENIE3",
        capabilities=("grn",),
        runner="core.grn.trees:genie3_grn",
        params=(
            Param("n_estimators", 1000, "Trees per target gene.", kind="int", min=1, max=10000,
                  label="trees per target (n_estimators)"),
            Param("max_features", "sqrt", "Regulators tried per split.", kind="choice", choices=("sqrt", "log2", "all"),
                  label="regulators per split (max_features)"),
            Param("tree_method", "RF", "Random forest (RF) or extra-trees (ET).", kind="choice", choices=("RF", "ET"),
                  label="tree method"),
            _JOBS,
            _LAYER,
        ),
        presets={"fast": {"n_estimators": 100}},
        description="GENIE3 (Huynh-Thu et al. 2010): a random forest per target with the TFs as regulators; "
        "scikit-learn re-implementation of the reference method.",
    ),
    MethodSpec(
        name="grnboost2",
        label="GRNBoost2",
        capabilities=("grn",),
        runner="core.grn.trees:grnboost2_grn",
        params=(
            Param("learning_rate", 0.01, "Boosting learning rate.", min=1e-4, max=1.0, log=True, label="learning rate"),
            Param("n_estimators", 5000, "Maximum boosting rounds (early stopping usually ends far sooner).", kind="int", min=1,
                  label="boosting rounds (n_estimators)"),
            Param("max_features", 0.1, "Fraction of regulators tried per split.", min=0.01, max=1.0,
                  label="share of regulators per split (max_features)"),
            Param("subsample", 0.9, "Fraction of cells per boosting round (< 1 enables early stopping).", min=0.1, max=1.0,
                  label="share of cells per round (subsample)"),
            Param("early_stop_window", 25, "Stop when the mean out-of-bag improvement over this many rounds is < 0 (0 = off).",
                  kind="int", min=0, label="early-stopping window (rounds)"),
            _JOBS,
            _LAYER,
        ),
        description="GRNBoost2 (Moerman et al. 2019): stochastic gradient boosting per target with arboreto's "
        "settings and early stopping; scikit-learn re-implementation (arboreto fails with current dask).",
    ),
]
