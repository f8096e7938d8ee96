"""Build, train and save any registered family's model the same way (the job tasks, the CLI and notebooks).

    model = train_model("deepsem", adata, ctx, {"ensemble": 3})   # resolved by the spec; checkpoint saved in a run
"""

from __future__ import annotations

from typing import Any

import anndata as ad

from ..context import RunContext
from ..errors import InputError
from ..registry import get_method
from ..specs import MethodSpec
from .base import CHECKPOINT, BaseModel


def build_model(spec: MethodSpec | str, adata: ad.AnnData, ctx: RunContext, params: dict[str, Any] | None = None,
                preset: str | None = None) -> BaseModel:
    """The family's model on ``adata`` with the run's seed, device and TFs; parameters resolved by the spec."""
    spec = get_method(spec) if isinstance(spec, str) else spec
    if spec.model is None:
        raise InputError(f"{spec.label} has no model to train (it is computed directly).")
    resolved = spec.resolve_params(params, preset)
    return spec.load_model()(adata, seed=ctx.seed, device=ctx.device, tfs=ctx.tfs, **resolved)


def train_model(spec: MethodSpec | str, adata: ad.AnnData, ctx: RunContext | None = None,
                params: dict[str, Any] | None = None, preset: str | None = None) -> BaseModel:
    """Build, train (``ctx`` is the progress callback) and, inside a run, save ``checkpoints/model.pt``."""
    ctx = ctx or RunContext()
    model = build_model(spec, adata, ctx, params, preset)
    ctx.log(model.describe())
    ctx.log(f"{model.spec.label} parameters: {model.params}")
    model.train(callbacks=[ctx])
    if ctx.run_dir is not None and model.spec.neural:
        model.save(ctx.checkpoint_dir / CHECKPOINT)
    return model
