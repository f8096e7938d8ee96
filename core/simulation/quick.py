"""Train a generative model in-process (no run directory) so that it can simulate: CLI and benchmarks."""

from __future__ import annotations

import anndata as ad

from ..errors import InputError
from ..jobs.context import RunContext


def train_model(
    adata: ad.AnnData,
    model: str,
    ctx: RunContext | None = None,
    *,
    likelihood: str | None = None,
    epochs: int | None = None,
    clusters: int | None = None,
    **params,
):
    """Train ``model`` ("deepsem", "vae" or "gmvae") on ``adata`` and return the trained model object."""
    ctx = ctx or RunContext()
    if model in ("vae", "gmvae"):
        from ..models.vae.model import VAEModel

        k = 0 if model == "vae" else int(clusters or 10)
        m = VAEModel(adata, likelihood=likelihood or "nb", clusters=k, seed=ctx.seed, device=ctx.device, **params)
        return m.train(epochs=int(epochs or 100), ctx=ctx)
    if model == "deepsem":
        from .deepsem_hooks import train_deepsem

        return train_deepsem(adata, ctx, epochs=epochs, **params)
    raise InputError(f"Cannot simulate with {model!r}; choose deepsem, vae or gmvae.")
