"""Simulate cells from a trained generative model (a model object or a finished run directory).

* VAE / GMVAE (``core.models.vae``): ``mode="prior"`` draws z from the prior (one GMVAE component with
  ``component=k``, else the mixture), ``mode="perturb"`` encodes real cells and moves their latent by
  ``noise`` posterior standard deviations (default 1: z is a draw from the posterior q(z|x), so the cells are
  posterior-predictive replicates; < 1 stays closer to the originating cell, > 1 moves further); x is then
  *sampled* from the likelihood (count likelihoods give integer counts, with the originating cell's observed
  library size).
* DeepSEM (``core.models.deepsem``): always perturbs real cells, ``z = mu + noise * sigma * n`` with
  ``n ~ N(0, I)``, decodes, undoes the input standardisation/log, and optionally keeps each simulated
  cell's zero pattern from its originating cell (``keep_zeros``).

The output AnnData has the model's genes, ``obs["source"] = "simulated"``, ``obs["origin"]`` (originating
cell name, or ``"component k"`` / ``"prior"``), ``uns["run_id"]`` and ``uns["simulation"]`` (settings, and
``layer``: which layer of the real data the simulated values are comparable with, "X" for X).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anndata as ad
import numpy as np
import pandas as pd

from ..errors import InputError

VAE_METHODS = ("vae", "gmvae")
DEEPSEM_METHODS = ("deepsem",)


def _subset(adata: ad.AnnData, idx: np.ndarray) -> ad.AnnData:
    """Rows ``idx`` (repeats allowed) as a new AnnData, without anndata's duplicate-name warning."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        sub = adata[idx].copy()
    sub.obs_names = [f"cell{i}" for i in range(sub.n_obs)]  # unique; the originating names are kept by callers
    return sub


def _pick_cells(n_obs: int, n_cells: int, rng: np.random.Generator) -> np.ndarray:
    """Originating cells: without replacement when possible, otherwise every cell then random extras."""
    if n_cells <= n_obs:
        return np.sort(rng.choice(n_obs, n_cells, replace=False))
    return np.r_[np.arange(n_obs), rng.choice(n_obs, n_cells - n_obs, replace=True)]


def _finish(values_adata: ad.AnnData, origin, run_id: str | None, settings: dict[str, Any]) -> ad.AnnData:
    n = values_adata.n_obs
    out = ad.AnnData(
        np.asarray(values_adata.X, dtype=np.float32),
        obs=pd.DataFrame(
            {"source": pd.Categorical(["simulated"] * n), "origin": pd.Categorical([str(o) for o in origin])},
            index=[f"sim{i + 1:06d}" for i in range(n)],
        ),
        var=pd.DataFrame(index=values_adata.var_names.copy()),
    )
    for key, layer in values_adata.layers.items():
        out.layers[key] = np.asarray(layer, dtype=np.float32)
    out.uns["run_id"] = str(run_id or "")
    out.uns["simulation"] = {k: v for k, v in settings.items() if v is not None}  # h5ad cannot store None
    return out


# ---- VAE / GMVAE ----------------------------------------------------------------------------------
def simulate_vae(
    model,
    n_cells: int,
    *,
    mode: str = "auto",
    noise: float = 1.0,
    component: int | None = None,
    adata: ad.AnnData | None = None,
    seed: int = 0,
    run_id: str | None = None,
) -> ad.AnnData:
    """Cells from a ``VAEModel`` (see the module docstring). ``mode`` auto = perturb when ``adata`` is given
    and no component is asked for, else prior. A GMVAE ``component`` with ``mode="perturb"`` perturbs only the
    real cells assigned to that component (argmax q(y|x))."""
    if mode == "auto":
        mode = "perturb" if adata is not None and component is None else "prior"
    layer = model.config.get("layer") or "X"
    settings = {"model": model.name, "mode": mode, "n_cells": int(n_cells), "seed": int(seed), "layer": layer,
                "likelihood": model.config.get("likelihood")}
    if component is not None and not model.is_gmvae:
        raise InputError("Only a GMVAE has components; leave the component empty for a VAE.")
    if component is not None:
        k = int(model.config["clusters"])
        if not 0 <= int(component) < k:
            raise InputError(f"component must be between 0 and {k - 1} (this GMVAE has {k} components).")
    if mode == "prior":
        sim = model.sample_prior(int(n_cells), component=None if component is None else int(component), seed=seed)
        origin = [f"component {component}"] * sim.n_obs if component is not None else ["prior"] * sim.n_obs
        settings["component"] = None if component is None else int(component)
    elif mode == "perturb":
        if adata is None:
            raise InputError("Perturbing cells needs the real cells (the run's dataset).")
        if noise < 0:
            raise InputError("noise must be >= 0.")
        pool = np.arange(adata.n_obs)
        if component is not None:  # GMVAE: perturb only the cells assigned to that component
            pool = np.flatnonzero(model.get_clusters(adata) == int(component))
            if pool.size == 0:
                raise InputError(f"No cell is assigned to component {component}; sample its prior instead.")
            settings["component"] = int(component)
        idx = pool[_pick_cells(pool.size, int(n_cells), np.random.default_rng(seed))]
        sub = _subset(adata, idx)
        sim = model.perturb(sub, noise=float(noise), seed=seed)
        origin = adata.obs_names[idx].to_numpy()
        settings["noise"] = float(noise)
    else:
        raise InputError(f"Unknown simulation mode {mode!r}; use prior or perturb.")
    return _finish(sim, origin, run_id, settings)


# ---- DeepSEM ----------------------------------------------------------------------------------------
def simulate_deepsem(
    model,
    adata: ad.AnnData,
    n_cells: int,
    *,
    noise: float = 1.0,
    keep_zeros: bool = True,
    seed: int = 0,
    run_id: str | None = None,
) -> ad.AnnData:
    """Cells from a trained DeepSEM model by perturbing the latent of real cells (see module docstring)."""
    from .deepsem_hooks import deepsem_generate

    if noise < 0:
        raise InputError("noise must be >= 0.")
    sim, origin, extra = deepsem_generate(model, adata, int(n_cells), float(noise), keep_zeros, seed)
    settings = {"model": "deepsem", "mode": "perturb", "n_cells": int(n_cells), "seed": int(seed), "noise": float(noise),
                "keep_zeros": bool(keep_zeros), **extra}
    return _finish(sim, origin, run_id, settings)


# ---- dispatch -----------------------------------------------------------------------------------------
def simulate(
    model,
    n_cells: int,
    *,
    adata: ad.AnnData | None = None,
    noise: float | None = None,
    component: int | None = None,
    mode: str = "auto",
    keep_zeros: bool = True,
    seed: int = 0,
    run_id: str | None = None,
) -> ad.AnnData:
    """Simulate ``n_cells`` cells from a trained model object (VAE/GMVAE ``VAEModel`` or DeepSEM model)."""
    if n_cells < 1:
        raise InputError("n_cells must be at least 1.")
    from ..models.vae.model import VAEModel  # light import: no training code runs

    if isinstance(model, VAEModel):
        return simulate_vae(model, n_cells, mode=mode, noise=1.0 if noise is None else noise, component=component,
                            adata=adata, seed=seed, run_id=run_id)
    if component is not None:
        raise InputError("component= applies to GMVAE models only.")
    if adata is None:
        raise InputError("DeepSEM simulates by perturbing real cells: pass the dataset it was trained on.")
    return simulate_deepsem(model, adata, n_cells, noise=1.0 if noise is None else noise, keep_zeros=keep_zeros,
                            seed=seed, run_id=run_id)


def load_run_model(run_dir: str | Path):
    """(model, method, run) of a finished training run directory."""
    from ..jobs.rundir import get_run

    run = get_run(run_dir)
    params = run.params
    method = str(params.get("method", ""))
    if run.state != "finished":
        raise InputError(f"Run {run.id} is {run.state}; simulate from a finished run.")
    if method in VAE_METHODS:
        from ..models.vae.model import VAEModel

        ckpt = run.path / "checkpoints" / "model.pt"
        if not ckpt.exists():
            raise InputError(f"Run {run.id} has no checkpoints/model.pt to simulate from.")
        return VAEModel.load(ckpt, device=params.get("device", "auto")), method, run
    if method in DEEPSEM_METHODS:
        from .deepsem_hooks import load_deepsem

        return load_deepsem(run), method, run
    raise InputError(f"Run {run.id} used {method!r}, which cannot simulate cells; use a DeepSEM, VAE or GMVAE run.")


def simulate_from_run(
    run_dir: str | Path,
    n_cells: int,
    noise: float | None = None,
    component: int | None = None,
    seed: int = 0,
    *,
    mode: str = "auto",
    keep_zeros: bool = True,
    adata: ad.AnnData | None = None,
) -> ad.AnnData:
    """Simulate from a finished run: loads its checkpoint and (for perturbation) its prepared dataset."""
    model, method, run = load_run_model(run_dir)
    if adata is None:
        from ..data.store import load_prepared

        adata = load_prepared(run.params["dataset"])
    return simulate(model, n_cells, adata=adata, noise=noise, component=component, mode=mode,
                    keep_zeros=keep_zeros, seed=seed, run_id=run.id)
