"""The "simulate" job task: simulate cells from a finished training run, then compare them with the real ones.

A simulate run's params.json holds ``dataset`` (the training run's prepared dataset), and in ``params``:
``source_run`` (training run directory), ``n_cells``, ``noise``, ``component``, ``mode``, ``keep_zeros``,
``grn_method``. Artifacts: ``simulated.h5ad``, ``comparison.json`` (summary + readings), ``genes.tsv``,
``trend.tsv``, ``grn_consistency.tsv``, ``cells.tsv`` (joint UMAP), ``cluster_props.tsv``, ``metrics.json``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import anndata as ad
import pandas as pd

from ..atomic import write_json_atomic
from ..context import RunContext
from .compare import Comparison, compare
from .readings import readings

SCALAR_KEYS = ("classifier_auc", "mean_corr", "var_corr", "zero_frac_corr", "energy_distance", "energy_coefficient",
               "nn_distance_ratio", "copy_fraction", "cluster_tvd", "grn_overlap_10")


def compare_simulated(real: ad.AnnData, sim: ad.AnnData, **kwargs) -> Comparison:
    """Compare simulated cells with the real data on the layer the simulated values correspond to."""
    info = sim.uns.get("simulation", {}) or {}
    layer = info.get("layer", "X")
    layer = None if layer in (None, "", "X") else layer
    if info.get("scale") == "deepsem-log":  # DeepSEM log-normalised the counts it was trained on
        from .deepsem_hooks import real_log_expression

        real = real_log_expression({"layer": layer}, real)
        return compare(real, sim, transform="none", **kwargs)
    return compare(real, sim, layer=layer, sim_layer=None if layer is None or layer not in sim.layers else layer, **kwargs)


def save_comparison(res: Comparison, folder: Path) -> None:
    folder = Path(folder)
    out = res.to_dict()
    out["readings"] = readings(res.summary)
    write_json_atomic(folder / "comparison.json", json.loads(json.dumps(out, default=str)))
    res.genes.to_csv(folder / "genes.tsv", sep="\t")
    res.trend.to_csv(folder / "trend.tsv", sep="\t", index=False)
    res.grn.to_csv(folder / "grn_consistency.tsv", sep="\t", index=False)
    if res.cells is not None:
        res.cells.to_csv(folder / "cells.tsv", sep="\t", index=False)
        res.cluster_props.to_csv(folder / "cluster_props.tsv", sep="\t")


def load_comparison(folder: Path) -> tuple[Comparison, list[str]] | None:
    """A comparison saved by :func:`save_comparison` and its readings (None when absent)."""
    folder = Path(folder)
    if not (folder / "comparison.json").exists():
        return None
    d = json.loads((folder / "comparison.json").read_text())
    read = lambda name, **kw: pd.read_csv(folder / name, sep="\t", **kw) if (folder / name).exists() else None  # noqa: E731
    cells = read("cells.tsv", dtype={"cluster": str})
    props = read("cluster_props.tsv", index_col=0)
    if props is not None:
        props.index = props.index.astype(str)
    res = Comparison(
        summary={k: v for k, v in d.items() if k not in ("readings", "classifier_folds", "grn_consistency", "cluster_proportions")},
        genes=read("genes.tsv", index_col=0),
        trend=read("trend.tsv"),
        grn=read("grn_consistency.tsv"),
        classifier_folds=d.get("classifier_folds", []),
        cells=cells,
        cluster_props=props,
    )
    return res, d.get("readings", [])


def run(adata: ad.AnnData, params: dict[str, Any], ctx: RunContext) -> dict[str, Any]:
    """Job entry point (``core.jobs.tasks``): simulate, write ``simulated.h5ad``, compare, write artifacts."""
    from .simulate import simulate_from_run

    p = params.get("params", {}) or {}
    n_steps = 3
    ctx.log(f"simulating {p.get('n_cells')} cells from {p.get('source_run')}")
    component = p.get("component")
    sim = simulate_from_run(
        p["source_run"], int(p.get("n_cells", 500)), p.get("noise"),
        None if component in (None, "") else int(component), ctx.seed,
        mode=p.get("mode", "auto"), keep_zeros=bool(p.get("keep_zeros", True)), adata=adata,
    )
    ctx.progress(1, n_steps)
    if ctx.run_dir is not None:
        sim.write_h5ad(ctx.artifact("simulated.h5ad"), compression="gzip")
    ctx.log("comparing with the real cells")
    res = compare_simulated(adata, sim, grn_method=p.get("grn_method", "pearson") or None, tfs=ctx.tfs,
                            embed=bool(p.get("embed", True)), seed=ctx.seed)
    ctx.progress(2, n_steps)
    if ctx.run_dir is not None:
        save_comparison(res, ctx.run_dir)
    metrics = {k: res.summary[k] for k in SCALAR_KEYS if k in res.summary}
    metrics["n_cells"] = sim.n_obs
    if ctx.run_dir is not None:
        write_json_atomic(ctx.artifact("metrics.json"), metrics)
    ctx.progress(3, n_steps)
    for line in readings(res.summary):
        ctx.log(line)
    return metrics


def launch_simulation(
    source_run,
    n_cells: int,
    *,
    noise: float | None = None,
    component: int | None = None,
    mode: str = "auto",
    keep_zeros: bool = True,
    grn_method: str = "pearson",
    seed: int = 0,
    executor=None,
):
    """Create a "simulate" run from a finished training run and submit it (returns the Run at once)."""
    from ..errors import InputError
    from ..jobs.executor import default_executor
    from ..jobs.rundir import create_run, get_run
    from .simulate import DEEPSEM_METHODS, VAE_METHODS

    src = get_run(source_run)
    sp = src.params
    if sp.get("method") not in VAE_METHODS + DEEPSEM_METHODS:
        raise InputError(f"Run {src.id} used {sp.get('method')!r}; simulate from a DeepSEM, VAE or GMVAE run.")
    if src.state != "finished":
        raise InputError(f"Run {src.id} is {src.state}; simulate from a finished run.")
    if int(n_cells) < 10:
        raise InputError("Simulate at least 10 cells.")
    params = {"source_run": str(src.path), "n_cells": int(n_cells), "noise": noise, "component": component,
              "mode": mode, "keep_zeros": bool(keep_zeros), "grn_method": grn_method}
    run = create_run(
        "simulate", "simulate", sp["dataset"], params, seed=seed, device=sp.get("device", "auto"), tfs=sp.get("tfs"),
        label=f"Simulation from {sp.get('label') or sp.get('method')}",
        extra={"source_run": src.id, "source_method": sp.get("method"), "dataset_id": sp.get("dataset_id"),
               "dataset_name": sp.get("dataset_name")},
    )
    (executor or default_executor()).submit(run)
    return run
