"""The DeepSEM side of simulation: load a run's model, train one in-process, generate cells.

Generation itself is ``DeepSEM.simulate`` (core.models.deepsem.model): originating cells drawn with
replacement, ``z = mu + noise * sigma * n``, decoded, standardisation undone (log-expression scale; counts are
log-normalised by DeepSEM first), zeros of the originating cell kept on request. The values are therefore
comparable with the real data's log-expression, which :func:`real_log_expression` reproduces.
"""

from __future__ import annotations

from typing import Any

import anndata as ad
import numpy as np

from ..context import RunContext

CHECKPOINT = "deepsem.pt"


def _model_cls():
    from ..models.deepsem.model import DeepSEM

    return DeepSEM


def load_deepsem(run) -> Any:
    """The DeepSEM model saved by a finished run (``checkpoints/deepsem.pt``), with the run's layer noted."""
    from ..errors import InputError

    ckpt = run.path / "checkpoints" / CHECKPOINT
    if not ckpt.exists():
        raise InputError(f"Run {run.id} has no checkpoints/{CHECKPOINT} to simulate from.")
    model = _model_cls().load(ckpt, device="cpu")
    model.config.setdefault("layer", (run.params.get("params") or {}).get("layer") or None)
    return model


def train_deepsem(adata: ad.AnnData, ctx: RunContext, epochs: int | None = None, setting: str = "non-specific",
                  layer: str | None = None, hidden: int = 128, **train_kw) -> Any:
    """A single-member DeepSEM trained on ``adata`` (``layer`` or X)."""
    model = _model_cls()(adata, setting=setting, n_members=1, hidden=hidden, seed=ctx.seed, layer=layer or None)
    model.config.setdefault("layer", layer or None)
    return model.train(epochs=epochs, ctx=ctx, **train_kw)


def _on_layer(adata: ad.AnnData, layer: str | None) -> ad.AnnData:
    """``adata`` with the model's layer as X (DeepSEM's simulate reads X)."""
    if not layer:
        return adata
    from ..errors import InputError

    if layer not in adata.layers:
        raise InputError(f"The DeepSEM model was trained on layer {layer!r}, which this dataset lacks.")
    return ad.AnnData(adata.layers[layer], obs=adata.obs[[]].copy(), var=adata.var[[]].copy())


def deepsem_generate(model, adata: ad.AnnData, n_cells: int, noise: float, keep_zeros: bool, seed: int
                     ) -> tuple[ad.AnnData, np.ndarray, dict[str, Any]]:
    """(simulated values as AnnData, originating cell names, settings) from ``DeepSEM.simulate``."""
    layer = model.config.get("layer")
    data = _on_layer(adata, layer)
    sim = model.simulate(data, n_cells=int(n_cells), noise=float(noise), seed=int(seed), keep_zero_pattern=bool(keep_zeros))
    origin = adata.obs_names.to_numpy()[np.asarray(sim.obs["source_cell"], dtype=int)]
    settings = {"layer": layer or "X", "scale": "deepsem-log" if model.config.get("log_normalised_counts") else "as-given"}
    return sim, origin, settings


def real_log_expression(model_config: dict, real: ad.AnnData) -> ad.AnnData:
    """The real cells on the scale DeepSEM simulates on (its ``expression_matrix`` of the trained layer)."""
    from ..models.deepsem.preprocess import expression_matrix

    X, _ = expression_matrix(real, model_config.get("layer") or None)
    return ad.AnnData(X.astype(np.float32), obs=real.obs[[]].copy(), var=real.var[[]].copy())
