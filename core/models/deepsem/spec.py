"""MethodSpec of DeepSEM: every hyperparameter (declared here only), its two published settings, and its
simulation options."""

from typing import Any

from ...specs import MethodSpec, Param
from .aggregate import DEFAULT_RULE, RULES

#: The two published settings (Shu et al. 2021): input transform and the values that unset epochs / alpha /
#: beta take. lr, batch size, K1/K2 and hidden size are shared.
SETTINGS: dict[str, dict[str, Any]] = {
    "non-specific": {"transform": "zscore", "alpha": 100.0, "beta": 1.0, "epochs": 90},
    "cell-type-specific": {"transform": "nonzero", "alpha": 1.0, "beta": 0.01, "epochs": 150},
}
_NS, _CT = SETTINGS["non-specific"], SETTINGS["cell-type-specific"]
#: the preset named on the Train page for a quick CPU run
FAST_CPU = "fast CPU"
#: alternating = DeepSEM (RMSprop, networks k1 epochs then W k2 epochs); joint = DAZZLE (one Adam, both each step)
OPTIMISERS = ("alternating", "joint")

SPEC = MethodSpec(
    name="deepsem",
    label="DeepSEM",
    capabilities=("grn", "latent", "simulate"),
    model="core.models.deepsem.model:DeepSEM",
    neural=True,
    cost="core.models.deepsem.cost:cost",
    description=(
        "DeepSEM (Shu et al. 2021): a beta-VAE whose latent layer is a linear SEM; the GRN is |W|, combined "
        "over an ensemble of seeds trained together in one batched model. Pick a preset: non-specific "
        "(per-gene z-score, MSE on all entries) or cell-type-specific (non-zero standardisation, MSE on "
        "non-zero entries). Unset epochs/alpha/beta follow the chosen setting. As an embedding, the latent is the "
        "GRN-mixed posterior mean mu (I - W^T) of the first member (one dimension per gene)."
    ),
    params=(
        Param("setting", "non-specific", "Input transform and loss: non-specific = per-gene z-score, MSE on all "
              "entries; cell-type-specific = standardise each gene on its non-zero values (clip [-10, 10]), MSE "
              "on non-zero entries only.", kind="choice", choices=tuple(SETTINGS)),
        Param("ensemble", 10, "Number of seeds trained together (one batched model); their |W| are combined (see aggregate).",
              kind="int", min=1, max=100),
        Param("aggregate", DEFAULT_RULE, "How members are combined into one network. consensus_rank (default): leave out "
              "members whose top 1% edges overlap the other members' consensus less than 0.6 x the ensemble's median "
              "overlap, then average each member's rank of |W|; consensus: the same filter, then mean |W|; mean: mean "
              "|W| over all members (the authors' advice); rank: mean rank over all members. Measured in "
              "bench/deepsem_aggregate.py.", kind="choice", choices=RULES),
        Param("epochs", None, "Training epochs (unset: the setting's, non-specific 90, cell-type-specific 150).",
              kind="int", min=1, max=10000),
        Param("alpha", None, "Weight of the L1 penalty alpha*mean(|W|) (unset: the setting's, non-specific 100, "
              "cell-type-specific 1; the paper used 0.1 for hESC and mHSC-E).", min=0.0, log=True, label="L1 weight (alpha)"),
        Param("beta", None, "Weight of the KL term (beta-VAE; unset: the setting's, non-specific 1, "
              "cell-type-specific 0.01).", min=0.0, log=True, label="KL weight (beta)"),
        Param("lr", 1e-4, "RMSprop learning rate of the networks.", min=1e-7, max=1.0, log=True, label="learning rate (lr)"),
        Param("lr_w_ratio", 0.2, "W's learning rate as a fraction of lr.", min=0.0, max=100.0, label="W learning-rate ratio"),
        Param("batch_size", 64, "Cells per minibatch.", kind="int", min=1, max=100000),
        Param("k1", 1, "Epochs training the networks (W frozen) in each cycle.", kind="int", min=1, max=100, label="network epochs per cycle (k1)"),
        Param("k2", 2, "Epochs training W alone (networks frozen) in each cycle.", kind="int", min=1, max=100, label="W epochs per cycle (k2)"),
        Param("hidden", 128, "Hidden width of the per-gene encoder/decoder MLPs.", kind="int", min=2, max=4096),
        Param("lr_decay", False, "Multiply the networks' learning rate by gamma after every epoch. The reference "
              "code's StepLR(step_size=0.99, gamma=0.95) decayed every epoch on old PyTorch and never on current "
              "PyTorch. Off by default: on BEELINE mDC (non-specific preset, seed 0, 90 epochs) no decay gave EPR "
              "2.14 (STRING) / 2.63 (ChIP NonSpecific), per-epoch decay 1.89 / 2.08.", kind="bool", label="decay learning rate"),
        Param("gamma", 0.95, "Per-epoch learning-rate decay factor (used when lr_decay is on).", min=0.0, max=1.0, label="learning-rate decay (gamma)"),
        Param("prior", "standard", "Latent prior: standard = N(0, I) as in the paper; learned = the reference "
              "code's one-component mixture prior (a learned per-gene Gaussian, mixed by (I - W^T)).",
              kind="choice", choices=("standard", "learned")),
        Param("kl", "analytic", "KL estimator: analytic (exact, lower-variance gradients) or mc (the reference "
              "code's one-sample estimate log q(z) - log p(z)).", kind="choice", choices=("analytic", "mc"), label="KL estimator"),
        Param("dropout_augmentation", 0.0, "DAZZLE's dropout augmentation (Zhu & Slonim 2024): the share of entries "
              "set to zero in each batch before the encoder, with a small classifier of the latent values predicting "
              "which were zeroed (0 = off; DAZZLE uses 0.1).", min=0.0, max=0.9, label="dropout augmentation"),
        Param("da_weight", 0.5, "Weight of the dropout-augmentation classifier's loss (DAZZLE's chi; used when dropout "
              "augmentation is on).", min=0.0, max=100.0, label="augmentation classifier weight"),
        Param("nonzero_loss", False, "Reconstruction error on the entries that are non-zero in the data only (as "
              "DAZZLE does; the cell-type-specific setting always does).", kind="bool", label="loss on non-zero entries"),
        Param("l1_delay", 0, "Epochs before the L1 penalty is switched on (DAZZLE: 5).", kind="int", min=0, max=10000,
              label="L1 delay (epochs)"),
        Param("optimiser", "alternating", "alternating = DeepSEM: RMSprop, networks for k1 epochs then W for k2; joint "
              "= DAZZLE: one Adam (betas 0.9, 0.9) trains networks and W in every step (W at the W learning-rate "
              "ratio), rates halved after 1000 and 2000 steps; lr decay does not apply.", kind="choice",
              choices=OPTIMISERS),
        Param("layer", "", "AnnData layer to use (empty = X). Raw counts are normalised and log1p-transformed.",
              kind="str"),
        Param("threads", 0, "CPU threads for torch (0 = leave torch's default). On a busy shared machine use 1, or start "
              "the process with OMP_WAIT_POLICY=PASSIVE: spinning OpenMP threads can make 2 threads far slower.", kind="int", min=0, max=1024, label="CPU threads"),
    ),
    presets={
        "non-specific": {"setting": "non-specific", "epochs": _NS["epochs"], "alpha": _NS["alpha"],
                         "beta": _NS["beta"]},
        "cell-type-specific": {"setting": "cell-type-specific", "epochs": _CT["epochs"], "alpha": _CT["alpha"],
                               "beta": _CT["beta"]},
        "embedding (1 member)": {"ensemble": 1},
        # one DAZZLE-trained member (the DAZZLE preset below with ensemble 1): on BEELINE mDC / mHSC-L (seed 0) it
        # scored at or above the default 10-member ensemble on NonSpecific, while 3 x width 64 and 4 x width 32
        # ensembles (cheaper still) lost 9-38 % (bench/grn_beeline_results.md, 2026-12-02)
        FAST_CPU: {"setting": "non-specific", "epochs": 120, "alpha": 100.0, "beta": 1.0, "ensemble": 1,
                   "dropout_augmentation": 0.1, "da_weight": 0.5, "nonzero_loss": True, "l1_delay": 5,
                   "optimiser": "joint"},
        # DAZZLE's published defaults (TuftsBCB/dazzle runner.DEFAULT_DAZZLE_CONFIGS), on DeepSEM's ensemble
        "DAZZLE": {"setting": "non-specific", "epochs": 120, "alpha": 100.0, "beta": 1.0, "dropout_augmentation": 0.1,
                   "da_weight": 0.5, "nonzero_loss": True, "l1_delay": 5, "optimiser": "joint"},
    },
    preset_notes={
        FAST_CPU: "one model trained with DAZZLE's settings (dropout augmentation, one Adam optimiser, 120 epochs) "
                  "instead of a 10-member ensemble: about 230-320 CPU-seconds on BEELINE-sized data (400-900 cells, "
                  "600-1,100 genes), i.e. about 2 minutes on 2 free CPU cores; on BEELINE mDC and mHSC-L its early "
                  "precision matched the default ensemble's on ChIP networks (one seed measured). The default "
                  "ensemble takes 6-10 minutes on such a CPU (seconds on a GPU).",
        "DAZZLE": "DAZZLE's published settings (dropout augmentation, one Adam optimiser, 120 epochs) on DeepSEM's "
                  "ensemble; about 1.4x the default's time on a CPU (120 epochs instead of 90).",
    },
    simulation_params=(
        Param("noise", 1.0, "Latent noise in posterior standard deviations: z = mu + noise * sigma * n.", min=0.0,
              max=10.0),
        Param("keep_zeros", True, "Keep each originating cell's zero pattern (as in the DeepSEM paper).", kind="bool"),
    ),
)

SPECS = [SPEC]
