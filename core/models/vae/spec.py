"""MethodSpecs of the VAE and GMVAE: every hyperparameter (declared here only) and the simulation options."""

from ...distributions import LIKELIHOODS
from ...specs import MethodSpec, Param

LIKELIHOOD_HELP = "Which noise model the decoder uses. " + " ".join(
    f"{lk.name}: {lk.hint}" for lk in LIKELIHOODS.values())

_COMMON = (
    Param("likelihood", "nb", LIKELIHOOD_HELP, kind="choice", choices=tuple(LIKELIHOODS), label="likelihood (noise model)"),
    Param("latent_dim", 10, "Size of the latent space.", kind="int", min=2, max=256),
    Param("hidden", 128, "Units of the hidden layer (encoder and decoder).", kind="int", min=8, max=4096),
    Param("epochs", None, "Passes over the data (unset: scaled to the data size so that training takes at least "
          "6000 mini-batch steps, scvi-tools' rule otherwise, at most 1000).", kind="int", min=1, max=10000),
    Param("lr", 1e-3, "Adam learning rate.", kind="float", min=1e-6, max=1.0, log=True, label="learning rate"),
    Param("batch_size", 128, "Cells per mini-batch.", kind="int", min=2, max=65536),
    Param("beta", 1.0, "Weight of the KL term (beta-VAE); <1 keeps more detail, >1 disentangles.",
          kind="float", min=0.0, max=100.0, label="KL weight (beta)"),
    Param("kl_warmup", 50, "Epochs over which the KL weight ramps from 0 to beta (0 = off).",
          kind="int", min=0, max=10000, label="KL warm-up epochs"),
    Param("free_nats", 0.0, "KL floor per cell (nats): the KL is not pushed below it, avoiding collapse.",
          kind="float", min=0.0, max=1000.0, label="free nats (KL floor)"),
    Param("layer", "auto", "AnnData layer: 'auto' = the raw 'counts' layer for count likelihoods when "
          "present, else X; 'X' forces X.", kind="str"),
    Param("n_layers", 1, "Hidden layers of the encoder and of the decoder.", kind="int", min=1, max=8, label="hidden layers"),
    Param("dropout", 0.1, "Dropout rate in the encoder.", min=0.0, max=0.9),
    Param("input_transform", "auto", "Encoder input: log1p(x) ('auto' picks it for raw counts) or x as it is ('none'; "
          "'auto' for already log-normalised data).",
          kind="choice", choices=("auto", "log1p", "none")),
)

# Every preset keeps the size-aware epoch rule (train.default_epochs): a fixed epoch count under-trains small
# datasets (30 epochs on the 600-cell sample: simulated cells told apart with AUC 1.00; the rule: ~0.5).
_PRESETS = {
    "size-aware (default)": {},
    "wider network": {"hidden": 256, "kl_warmup": 100},
}

_SIMULATION = (
    Param("mode", "perturb", "perturb: encode real cells and move their latent by 'noise' posterior standard deviations "
          "(1 = posterior-predictive replicates); prior: draw new latent points from the prior.", kind="choice",
          choices=("perturb", "prior")),
    Param("noise", 1.0, "Latent noise (perturb mode), in posterior standard deviations.", min=0.0, max=10.0),
)

SPECS = [
    MethodSpec(
        name="vae", label="VAE", capabilities=("latent", "simulate", "denoise"), model="core.models.vae.model:VAE",
        params=_COMMON, presets=_PRESETS, neural=True, uses_tfs=False, simulation_params=_SIMULATION,
        advised_epochs="core.models.vae.train:default_epochs", cost="core.models.vae.cost:cost",
        description="Variational autoencoder with a choice of likelihood; latent = posterior mean. "
                    "Count likelihoods (nb recommended) model raw UMI counts with the observed library size.",
    ),
    MethodSpec(
        name="gmvae", label="GMVAE", capabilities=("latent", "simulate", "denoise"), model="core.models.vae.model:GMVAE",
        params=(*_COMMON[:3],
                Param("clusters", 10, "Mixture components (expected number of cell types).", kind="int",
                      min=2, max=200),
                Param("balance", 1.0, "Weight of KL(batch-average q(y|x) || uniform), which keeps every component in "
                      "use (0 = off).", min=0.0, max=100.0),
                *_COMMON[3:]),
        presets=_PRESETS, neural=True, uses_tfs=False, advised_epochs="core.models.vae.train:default_epochs",
        cost="core.models.vae.cost:cost", simulation_params=(*_SIMULATION,
                           Param("component", None, "One mixture component (cluster) only: its prior, or the real "
                                 "cells assigned to it when perturbing (unset: all).", kind="int", min=0)),
        description="Gaussian-mixture VAE (scVAE): learns clusters jointly with the embedding; "
                    "clusters = most probable mixture component.",
    ),
]
