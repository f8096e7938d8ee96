"""Embedding runners for the job runner / CLI: ``fn(adata, ctx, **params) -> AnnData``.

The returned AnnData is a copy of the input with ``obsm["X_<model>"]`` (posterior means), for the GMVAE
``obs["gmvae_cluster"]`` (argmax q(y|x)) and ``obsm["gmvae_cluster_probs"]``, and
``uns["scgrn_model"]`` (config + final loss). With a run directory the checkpoint is saved as
``checkpoints/model.pt``.
"""

from __future__ import annotations

from ...context import RunContext
from .model import VAEModel

_TRAIN_KEYS = ("epochs", "lr", "batch_size", "beta", "kl_warmup", "free_nats")


def _run(adata, ctx: RunContext, clusters: int, **params):
    train_kw = {k: params.pop(k) for k in _TRAIN_KEYS if k in params}
    model = VAEModel(adata, clusters=clusters, seed=ctx.seed, device=ctx.device, **params)
    ctx.log(f"{model.name}: {adata.n_obs} cells x {adata.n_vars} genes, likelihood {model.config['likelihood']}, "
            f"layer {model.config['layer'] or 'X'}, device {model.device}")
    model.train(ctx=ctx, **train_kw)
    out = adata.copy()
    out.obsm[f"X_{model.name}"] = model.get_latent()
    if model.is_gmvae:
        probs = model.get_cluster_probs()
        out.obsm["gmvae_cluster_probs"] = probs
        out.obs["gmvae_cluster"] = probs.argmax(1).astype(str)
        out.obs["gmvae_cluster"] = out.obs["gmvae_cluster"].astype("category")
    cfg = {k: v for k, v in model.config.items() if k not in ("genes", "transform")}
    info = {**cfg, "layer": cfg["layer"] or "X", "final_loss": model.history[-1]["loss"] if model.history else None}
    out.uns["scgrn_model"] = {k: v for k, v in info.items() if v is not None}  # h5ad cannot store None
    if ctx.run_dir is not None:
        model.save(ctx.checkpoint_dir / "model.pt")
    return out


def run_vae(adata, ctx: RunContext, **params):
    params.pop("clusters", None)
    return _run(adata, ctx, 0, **params)


def run_gmvae(adata, ctx: RunContext, clusters: int = 10, **params):
    return _run(adata, ctx, int(clusters), **params)
