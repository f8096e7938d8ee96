"""MethodSpecs of the VAE and GMVAE (task "embed"); the seed comes from the run context."""

from ...distributions import LIKELIHOODS
from ...specs import MethodSpec, Param

LIKELIHOOD_HELP = "Which noise model the decoder uses. " + " ".join(
    f"{lk.name}: {lk.hint}" for lk in LIKELIHOODS.values())

_COMMON = (
    Param("likelihood", "nb", LIKELIHOOD_HELP, kind="choice", choices=tuple(LIKELIHOODS)),
    Param("latent_dim", 10, "Size of the latent space.", kind="int", min=2, max=256),
    Param("hidden", 128, "Units of the hidden layer (encoder and decoder).", kind="int", min=8, max=4096),
    Param("epochs", 200, "Passes over the data.", kind="int", min=1, max=10000),
    Param("lr", 1e-3, "Adam learning rate.", kind="float", min=1e-6, max=1.0, log=True),
    Param("batch_size", 128, "Cells per mini-batch.", kind="int", min=2, max=65536),
    Param("beta", 1.0, "Weight of the KL term (beta-VAE); <1 keeps more detail, >1 disentangles.",
          kind="float", min=0.0, max=100.0),
    Param("kl_warmup", 50, "Epochs over which the KL weight ramps from 0 to beta (0 = off).",
          kind="int", min=0, max=10000),
    Param("free_nats", 0.0, "KL floor per cell (nats): the KL is not pushed below it, avoiding collapse.",
          kind="float", min=0.0, max=1000.0),
    Param("layer", "auto", "AnnData layer: 'auto' = the raw 'counts' layer for count likelihoods when "
          "present, else X; 'X' forces X.", kind="str"),
    Param("input_transform", "auto", "Encoder input: log1p(x) ('auto' for non-negative data) or x ('none').",
          kind="choice", choices=("auto", "log1p", "none")),
)

_PRESETS = {
    "quick": {"epochs": 30, "kl_warmup": 10},
    "standard": {"epochs": 200, "kl_warmup": 50},
    "thorough": {"epochs": 500, "kl_warmup": 100, "hidden": 256},
}

SPECS = [
    MethodSpec(
        name="vae", label="VAE", task="embed", runner="core.models.vae.runner:run_vae",
        params=_COMMON, presets=_PRESETS, neural=True, uses_tfs=False,
        description="Variational autoencoder with a choice of likelihood; latent = posterior mean. "
                    "Count likelihoods (nb recommended) model raw UMI counts with the observed library size.",
    ),
    MethodSpec(
        name="gmvae", label="GMVAE", task="embed", runner="core.models.vae.runner:run_gmvae",
        params=(*_COMMON[:3],
                Param("clusters", 10, "Mixture components (expected number of cell types).", kind="int",
                      min=2, max=200),
                *_COMMON[3:]),
        presets=_PRESETS, neural=True, uses_tfs=False,
        description="Gaussian-mixture VAE (scVAE): learns clusters jointly with the embedding; "
                    "clusters = most probable mixture component.",
    ),
]
