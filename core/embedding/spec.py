"""Embedding baselines: PCA (the floor) and DeepSEM's embedding mode when its model is available."""

import importlib.util

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

if importlib.util.find_spec("core.models.deepsem") is not None:
    SPECS.append(MethodSpec(
        name="deepsem_embed", label="DeepSEM embedding", task="embed",
        runner="core.embedding.deepsem_embed:run_deepsem_embed", neural=True, uses_tfs=False,
        description="DeepSEM trained as for a GRN; the embedding is its GRN-mixed posterior mean "
                    "mu (I - W^T) (one dimension per gene).",
        params=(
            Param("setting", "non-specific", "DeepSEM preset (input transform and loss).", kind="choice",
                  choices=("non-specific", "cell-type-specific")),
            Param("epochs", 0, "Training epochs (0 = the setting's default).", kind="int", min=0, max=10000),
            Param("alpha", -1.0, "L1 weight on W (-1 = the setting's default).", min=-1.0),
            Param("beta", -1.0, "KL weight (-1 = the setting's default).", min=-1.0),
            Param("lr", 1e-4, "RMSprop learning rate.", min=1e-7, max=1.0, log=True),
            Param("batch_size", 64, "Cells per minibatch.", kind="int", min=1, max=100000),
            Param("hidden", 128, "Hidden width of the per-gene MLPs.", kind="int", min=2, max=4096),
            Param("layer", "", "AnnData layer (empty = X).", kind="str"),
        ),
    ))
