"""Specs of the correlation baselines."""

from ..specs import MethodSpec, Param

_LAYER = Param("layer", "", "AnnData layer to use (empty = X).", kind="str")

SPECS = [
    MethodSpec(
        name="pearson",
        label="Pearson |r|",
        capabilities=("grn",),
        runner="core.grn.correlation:pearson_grn",
        params=(_LAYER,),
        description="Absolute Pearson correlation between genes; sources restricted to TFs when given.",
    ),
    MethodSpec(
        name="spearman",
        label="Spearman |rho|",
        capabilities=("grn",),
        runner="core.grn.correlation:spearman_grn",
        params=(_LAYER,),
        description="Absolute Spearman rank correlation between genes; sources restricted to TFs when given.",
    ),
]
