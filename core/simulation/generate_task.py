"""The "generate" job task: train a simulator (any family with the ``simulate`` capability) and save it.

The run's checkpoint (``checkpoints/model.pt``) is then a source on the Simulation page and for
``scgrn simulate``. Metrics: the last epoch's loss terms and per-epoch values (e.g. a GAN's Wasserstein
estimate and the diversity of generated cells), ``seconds``.
"""

from __future__ import annotations

import time
from typing import Any

import anndata as ad

from ..atomic import write_json_atomic
from ..context import RunContext
from ..errors import InputError
from ..models.build import train_model
from ..registry import get_method


def run(adata: ad.AnnData, params: dict[str, Any], ctx: RunContext) -> dict[str, Any]:
    spec = get_method(params["method"], params.get("origin"))
    if not spec.can("simulate"):
        raise InputError(f"{spec.label} cannot simulate cells; choose a simulator.")
    t0 = time.time()
    model = train_model(spec, adata, ctx, params.get("params"), params.get("preset"))
    last = model.history[-1] if model.history else {"terms": {}, "metrics": {}}
    metrics = {**{k: float(v) for k, v in last["terms"].items()},
               **{k: float(v) for k, v in last["metrics"].items() if isinstance(v, (int, float))},
               "epochs_run": len(model.history), "seconds": round(time.time() - t0, 3)}
    if ctx.run_dir is not None:
        write_json_atomic(ctx.artifact("metrics.json"), metrics)
    return metrics
