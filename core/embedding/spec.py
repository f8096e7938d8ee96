"""Embedding baselines: PCA (the floor) and DeepSEM's embedding mode when its model is available."""

from ..specs import MethodSpec, Param

SPECS = [
    MethodSpec(
        name="pca", label="PCA", task="embed", runner="core.embedding.pca:run_pca",
        params=(Param("n_comps", 10, "Principal components.", kind="int", min=2, max=200),
                Param("layer", "auto", "Layer: 'auto' = 'counts' (library-normalised, log1p) when present, "
                      "else X ('X' forces X).", kind="str")),
        uses_tfs=False,
        description="Principal components of log-normalised counts: the floor a learned embedding should beat.",
    ),
]
