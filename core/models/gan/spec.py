"""MethodSpecs of scGAN and cscGAN: every hyperparameter (declared here only) and the simulation options."""

from ...specs import MethodSpec, Param

_COMMON = (
    Param("epochs", 300, "Passes of the critic over the data.", kind="int", min=1, max=100000),
    Param("critic_steps", 5, "Critic updates per generator update (WGAN-GP uses 5).", kind="int", min=1, max=50,
          label="critic steps per generator step"),
    Param("gp_weight", 10.0, "Weight of the gradient penalty that keeps the critic 1-Lipschitz (WGAN-GP uses 10).",
          min=0.0, max=1000.0, label="gradient-penalty weight"),
    Param("lr_generator", 1e-4, "Adam learning rate of the generator.", min=1e-7, max=1.0, log=True,
          label="generator learning rate"),
    Param("lr_critic", 1e-4, "Adam learning rate of the critic.", min=1e-7, max=1.0, log=True,
          label="critic learning rate"),
    Param("latent_dim", 64, "Size of the random noise vector each generated cell starts from (scGAN uses 128).",
          kind="int", min=2, max=1024, label="latent size"),
    Param("generator_widths", "256,512", "Units of the generator's hidden layers, comma-separated (scGAN: "
          "256,512,1024).", kind="str", label="generator layer widths"),
    Param("critic_widths", "512,256", "Units of the critic's hidden layers, comma-separated (scGAN: 1024,512,256).",
          kind="str", label="critic layer widths"),
    Param("batch_size", 128, "Cells per mini-batch.", kind="int", min=2, max=65536),
    Param("scale", None, "Library size every real and generated cell is normalised to (unset: the median of the "
          "training cells; scGAN used 20000).", kind="float", min=1.0, label="library scale"),
    Param("layer", "auto", "AnnData layer: 'auto' = the raw 'counts' layer when present, else X.", kind="str"),
)

_PRESETS = {"default": {}, "quick": {"epochs": 60}, "thorough": {"epochs": 1000, "generator_widths": "256,512,1024",
                                                               "critic_widths": "1024,512,256", "latent_dim": 128}}

SPECS = [
    MethodSpec(
        name="scgan", label="scGAN", capabilities=("simulate",), model="core.models.gan.model:ScGAN",
        params=_COMMON, presets=_PRESETS, neural=True, uses_tfs=False,
        description="Wasserstein GAN with gradient penalty whose generator ends in a library-size normalisation "
                    "layer (Marouf et al. 2020); simulates new cells.",
    ),
    MethodSpec(
        name="cscgan", label="cscGAN (conditional)", capabilities=("simulate",), model="core.models.gan.model:CscGAN",
        params=(Param("condition", "auto", "Cell annotation column the GAN is conditioned on (cell type or cluster); "
                      "'auto' = a cell-type / label / cluster column when present, else Leiden clusters computed "
                      "here.", kind="str", label="condition on column"), *_COMMON),
        presets=_PRESETS, neural=True, uses_tfs=False,
        simulation_params=(Param("cluster", None, "Simulate cells of this cell type / cluster only (unset: all, in "
                                 "the training proportions).", kind="str"),),
        description="Conditional scGAN: conditional batch norm in the generator and a projection critic, so you "
                    "can ask for N cells of one cell type or cluster.",
    ),
]
