"""Spec of RegDiffusion (optional package ``regdiffusion``; see core/grn/regdiffusion.py)."""

from ..specs import MethodSpec, Param
from .regdiffusion import INSTALL_HINT

SPECS = [
    MethodSpec(
        name="regdiffusion",
        label="RegDiffusion (peer)",
        capabilities=("grn",),
        runner="core.grn.regdiffusion:regdiffusion_grn",
        requires=("regdiffusion",),
        install=INSTALL_HINT,
        params=(
            Param("n_steps", 1000, "Training steps (its authors' default 1000); each step is one batch of cells.",
                  kind="int", min=1, max=100000, label="training steps"),
            Param("batch_size", 128, "Cells per step (sampled with replacement).", kind="int", min=2, max=100000),
            Param("hidden", 16, "Width of its three feature layers (and of the gene embeddings).", kind="int",
                  min=2, max=1024),
            Param("sparse_loss_coef", 0.25, "Weight of the L1 penalty on the adjacency (switched on after step 10).",
                  min=0.0, max=100.0, label="L1 weight"),
            Param("adj_dropout", 0.3, "Probability that an edge is dropped at each step.", min=0.0, max=0.95,
                  label="edge dropout"),
            Param("lr_nn", 1e-3, "Learning rate of the networks (the adjacency's follows the regulatory norm).",
                  min=1e-6, max=1.0, log=True, label="learning rate"),
            Param("layer", "", "AnnData layer to use (empty = X). Raw counts are normalised and log1p-transformed.",
                  kind="str"),
        ),
        presets={"fast": {"n_steps": 300}},
        description="RegDiffusion 0.2.3 (Zhu & Slonim 2024, PyPI package 'regdiffusion'): a diffusion model that "
        "predicts the noise added to the expression through (I - A); the GRN is |A|. The strongest published "
        f"peer, to run side by side with ours. Needs the optional package: {INSTALL_HINT}.",
    ),
]
