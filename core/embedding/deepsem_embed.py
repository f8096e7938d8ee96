"""DeepSEM's embedding mode: the GRN-mixed posterior mean ``mu (I - W^T)`` (cells x genes) of one model.

Runner of the "deepsem_embed" method (needs ``core.models.deepsem``; registered only when it is present).
"""

from __future__ import annotations


def run_deepsem_embed(adata, ctx, setting: str = "non-specific", epochs: int = 0, alpha: float = -1.0,
                      beta: float = -1.0, lr: float = 1e-4, batch_size: int = 64, hidden: int = 128, layer: str = ""):
    """obsm["X_deepsem"] = DeepSEM.get_latent(); epochs/alpha/beta <= 0 / < 0 follow the setting's preset."""
    from ..models.deepsem.model import DeepSEM

    model = DeepSEM(adata, setting=setting, n_members=1, hidden=hidden, seed=ctx.seed, layer=layer or None)
    model.train(epochs=epochs if epochs > 0 else None, alpha=alpha if alpha >= 0 else None,
                beta=beta if beta >= 0 else None, lr=lr, batch_size=batch_size, ctx=ctx)
    out = adata.copy()
    out.obsm["X_deepsem"] = model.get_latent()
    if ctx.run_dir is not None:
        model.save(ctx.checkpoint_dir / "model.pt")
    return out
