"""MethodSpec of CaTran (the Train page and the CLI render from it)."""

from ...specs import MethodSpec, Param

SPEC = MethodSpec(
    name="catran",
    label="CaTran (causal transformer)",
    capabilities=("grn",),
    model="core.models.catran.model:CaTran",
    neural=True,
    cost="core.models.catran.cost:cost",
    description=(
        "Ultra-light attention model (~9000 + 40 x genes parameters): gene embeddings whose softmax attention over "
        "incoming edges is the GRN, trained to predict hidden (shuffled) values; with a perturbation key the "
        "interventional loss aligns a perturbed gene's outgoing attention with its measured effects."
    ),
    params=(
        Param("embed_dim", 40, "Gene embedding size (40 in the paper).", kind="int", min=4, max=256, label="gene embedding size"),
        Param("lr", 1e-3, "Lion learning rate (1e-3 measured better than the authors' code 1e-4 here; see bench).", min=1e-6, max=1e-1, log=True, label="learning rate"),
        Param("epochs", 25, "Training epochs.", kind="int", min=1, max=1000),
        Param("batch_cells", 2048, "Cells per mini-batch (at most).", kind="int", min=16, max=100000),
        Param("max_genes", 500, "Genes per mini-batch (a random subset when the dataset has more).", kind="int", min=2, max=20000),
        Param("hide_fraction", 0.8, "Fraction of genes hidden (shuffled) in each cell.", min=0.05, max=0.95),
        Param("min_steps_per_epoch", 20, "Per epoch, at least this many optimiser steps in which a given gene pair is in the "
              "batch (with more genes than 'Genes per mini-batch', divided by the chance that a pair is drawn together: "
              "BEELINE mDC, 821 genes, gets 54 steps; beyond twice 'Genes per mini-batch' the steps grow linearly with the genes, "
              "not quadratically: 2,000 genes 160 steps). Small datasets fit in one batch; 25 epochs x 20 steps train them "
              "(x 10 did not, on BEELINE).", kind="int", min=1, max=1000),
        Param("weight_decay", 0.05, "Lion's decoupled weight decay.", min=0.0, max=10.0),
        Param("perturbation_key", "", "obs column naming each cell's perturbed gene ('control' otherwise); empty = the "
              "perturbation column chosen on the Data page, if any (else observational).", kind="str"),
        Param("intervention_weight", 10.0, "Weight of the interventional loss (10 as in the authors' code).", min=0.0, max=1000.0),
        Param("intervention_target", "effect", "Attention target for a perturbed gene's outgoing edges: 'effect' (default) = its "
              "measured effect (Welch t vs control cells, Bonferroni-gated) on the attention's scale; 'paper' = the authors' "
              "sigmoid(err_not/err_pert - 1); 'centred' maps no effect to 0; 'scaled' also scales it to the row's strongest attention.",
              kind="choice", choices=("effect", "scaled", "centred", "paper")),
        Param("mask_intervened", True, "Leave a perturbed gene's own values in its perturbed cells out of the reconstruction loss "
              "(they are set by the intervention, not by its regulators).", kind="bool"),
        Param("cells_per_class", 25, "Cells per perturbation class in a mini-batch (error-ratio targets 'paper'/'centred'/'scaled' only).", kind="int", min=2, max=1000),
        Param("tf_sources", False, "With a TF list, only TFs are attention sources (each target's softmax runs over its "
              "incoming edges from TFs); off = every gene is a source (measured better on BEELINE).", kind="bool"),
        Param("ensemble", 1, "Models trained with consecutive seeds whose attention is averaged (less run-to-run noise; "
              "that many times slower).", kind="int", min=1, max=20),
        Param("top_k", 0, "Keep only the best k edges (0 = all, ranked).", kind="int", min=0),
        Param("symmetrise", False, "Score both directions by max(a->b, b->a) (the authors' challenge export).", kind="bool"),
        Param("use_counts", True, "Train on raw counts (layers['counts']) when available.", kind="bool"),
        Param("standardize", True, "Z-score each gene before training (no library normalisation / log).", kind="bool"),
    ),
    presets={
        "quick": {"epochs": 10, "min_steps_per_epoch": 5},
        "paper": {"epochs": 25, "lr": 1e-3, "hide_fraction": 0.8, "embed_dim": 40},
        "authors' code": {"lr": 1e-4, "epochs": 50, "intervention_target": "paper", "intervention_weight": 10.0,
                        "mask_intervened": False},
    },
)

SPECS = [SPEC]
