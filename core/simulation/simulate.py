"""Simulate cells from any trained model with the ``simulate`` capability (a model object or a finished run).

How cells are made is the family's (``model.simulate``: e.g. the VAE perturbs encoded cells or samples its
prior, DeepSEM perturbs the GRN-mixed latent of real cells); its options are the family spec's
``simulation_params``. This module draws no family distinction: it resolves the options, calls the model and
returns a standard AnnData with the model's genes, ``obs["source"] = "simulated"``, ``obs["origin"]``
(originating cell name, or ``"component k"`` / ``"prior"``), ``uns["run_id"]`` and ``uns["simulation"]``
(the settings, and ``layer``: which layer of the real data the simulated values are comparable with).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anndata as ad
import numpy as np
import pandas as pd

from ..errors import InputError
from ..models.base import CHECKPOINT, BaseModel


def _finish(values: ad.AnnData, origin, run_id: str | None, settings: dict[str, Any]) -> ad.AnnData:
    n = values.n_obs
    out = ad.AnnData(
        np.asarray(values.X, dtype=np.float32),
        obs=pd.DataFrame(
            {"source": pd.Categorical(["simulated"] * n), "origin": pd.Categorical([str(o) for o in origin])},
            index=[f"sim{i + 1:06d}" for i in range(n)],
        ),
        var=pd.DataFrame(index=values.var_names.copy()),
    )
    for key, layer in values.layers.items():
        out.layers[key] = np.asarray(layer, dtype=np.float32)
    out.uns["run_id"] = str(run_id or "")
    out.uns["simulation"] = {k: v for k, v in settings.items() if v is not None}  # h5ad cannot store None
    return out


def simulate(model: BaseModel, n_cells: int, *, adata: ad.AnnData | None = None, seed: int = 0,
             run_id: str | None = None, **options: Any) -> ad.AnnData:
    """Simulate ``n_cells`` cells from a trained ``model``; ``options`` are its spec's simulation parameters."""
    spec = model.spec
    if not spec.can("simulate"):
        raise InputError(f"{spec.label} cannot simulate cells; use a model with the 'simulate' capability.")
    if int(n_cells) < 1:
        raise InputError("n_cells must be at least 1.")
    resolved = spec.resolve_simulation(options)
    values, origin, settings = model.simulate(adata, int(n_cells), seed=int(seed), **resolved)
    if values.n_vars != len(model.genes):
        raise RuntimeError(f"{spec.label}.simulate returned {values.n_vars} genes for a model of {len(model.genes)}")
    values.var_names = model.genes  # the contract: the model's genes, in its order
    settings = {"model": spec.name, "n_cells": int(n_cells), "seed": int(seed), **settings}
    return _finish(values, origin, run_id, settings)


def load_run_model(run_dir: str | Path, adata: ad.AnnData | None = None) -> tuple[BaseModel, Any]:
    """(model, run) of a finished training run directory whose method can simulate."""
    from ..jobs.rundir import get_run

    run = get_run(run_dir)
    if run.state != "finished":
        raise InputError(f"Run {run.id} is {run.state}; simulate from a finished run.")
    ckpt = run.path / "checkpoints" / CHECKPOINT
    if not ckpt.exists():
        raise InputError(f"Run {run.id} ({run.params.get('label') or run.params.get('method')}) has no saved model "
                         f"(checkpoints/{CHECKPOINT}) to simulate from.")
    return BaseModel.load(ckpt, adata, device=str(run.params.get("device", "cpu"))), run


def simulate_from_run(run_dir: str | Path, n_cells: int, *, seed: int = 0, adata: ad.AnnData | None = None,
                      **options: Any) -> ad.AnnData:
    """Simulate from a finished run: loads its checkpoint and (for perturbation) its prepared dataset."""
    from ..jobs.rundir import get_run

    if adata is None:
        from ..data.store import load_prepared

        adata = load_prepared(get_run(run_dir).params["dataset"])
    model, run = load_run_model(run_dir, adata)
    return simulate(model, n_cells, adata=adata, seed=seed, run_id=run.id, **options)
