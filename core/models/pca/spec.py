"""MethodSpec of PCA."""

from ...specs import MethodSpec, Param

SPECS = [
    MethodSpec(
        name="pca", label="PCA", capabilities=("latent",), model="core.models.pca.model:PCA",
        params=(Param("n_comps", 10, "Principal components.", kind="int", min=2, max=200),
                Param("layer", "auto", "Layer: 'auto' = 'counts' (library-normalised, log1p) when present, "
                      "else X ('X' forces X).", kind="str"),
                Param("target_sum", 1e4, "Counts per cell after library-size normalisation (raw counts only).",
                      min=1.0, log=True)),
        uses_tfs=False,
        description="Principal components of log-normalised counts: the floor a learned embedding should beat.",
    ),
]
