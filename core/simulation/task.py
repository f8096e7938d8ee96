"""The "simulate" job task: simulate cells from a finished training run, then compare them with the real ones.

A simulate run's params.json holds ``dataset`` (the training run's prepared dataset), and in ``params``:
``source_run`` (training run directory), the :data:`SPEC` parameters (``n_cells``, ``grn_method``, ``embed``)
and ``options`` (the source family's ``simulation_params``). Artifacts: ``simulated.h5ad``, ``comparison.json`` (summary + readings), ``genes.tsv``,
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
from ..specs import Param, resolve_values
from .compare import Comparison, compare
from .readings import readings

SCALAR_KEYS = ("classifier_auc", "mean_corr", "var_corr", "zero_frac_corr", "energy_distance", "energy_coefficient",
               "nn_distance_ratio", "copy_fraction", "cluster_tvd", "grn_overlap_10")


#: The simulation task's own parameters (the source family adds its ``simulation_params``).
SPEC_PARAMS = (
    Param("n_cells", 500, "Cells to simulate.", kind="int", min=10, max=1_000_000),
    Param("grn_method", "pearson", "Network inferred on real and simulated cells for GRN consistency (empty: skip).",
          kind="str"),
    Param("embed", True, "Joint UMAP and Leiden clusters of real and simulated cells.", kind="bool"),
)


def compare_simulated(real: ad.AnnData, sim: ad.AnnData, model=None, **kwargs) -> Comparison:
    """Compare simulated cells with the real data on the scale the simulated values are on (the model's
    ``comparable_real``; without a model, the layer recorded in ``sim.uns["simulation"]``)."""
    info = dict(sim.uns.get("simulation", {}) or {})
    if model is not None:
        real, how = model.comparable_real(real, info)
    else:
        layer = info.get("layer", "X")
        how = {"layer": None if layer in (None, "", "X") else layer}
    if how.get("layer") is not None:
        how.setdefault("sim_layer", how["layer"] if how["layer"] in sim.layers else None)
    return compare(real, sim, **how, **kwargs)


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


def _resolve(params: dict[str, Any]) -> dict[str, Any]:
    return resolve_values(SPEC_PARAMS, {p.name: p.default for p in SPEC_PARAMS},
                   {k: v for k, v in params.items() if k in {p.name for p in SPEC_PARAMS}}, "Simulation")


def run(adata: ad.AnnData, params: dict[str, Any], ctx: RunContext) -> dict[str, Any]:
    """Job entry point (``core.jobs.tasks``): simulate, write ``simulated.h5ad``, compare, write artifacts."""
    from .simulate import load_run_model, simulate

    p = params.get("params", {}) or {}
    task = _resolve(p)
    n_steps = 3
    ctx.log(f"simulating {task['n_cells']} cells from {p.get('source_run')}")
    model, src = load_run_model(p["source_run"], adata)
    sim = simulate(model, task["n_cells"], adata=adata, seed=ctx.seed, run_id=src.id, **(p.get("options") or {}))
    ctx.progress(1, n_steps)
    if ctx.run_dir is not None:
        sim.write_h5ad(ctx.artifact("simulated.h5ad"), compression="gzip")
    ctx.stage("Comparing with the real cells (per-gene statistics, classifier, joint UMAP, GRN consistency)")
    res = compare_simulated(adata, sim, model, grn_method=task["grn_method"] or None, tfs=ctx.tfs,
                            embed=task["embed"], seed=ctx.seed)
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


def simulation_sources(runs) -> list:
    """Finished training runs whose method can simulate and that saved their model, newest first."""
    from ..models.base import CHECKPOINT
    from ..registry import methods

    able = methods("simulate")
    return [r for r in runs if r.params.get("task") in ("grn", "embed", "generate") and r.params.get("method") in able
            and r.state == "finished" and (r.path / "checkpoints" / CHECKPOINT).exists()]


def simulation_choices(source_run) -> dict[str, list[str]]:
    """The values the source model knows for its text simulation options (e.g. a cscGAN's clusters; {} when
    none or when the checkpoint cannot be read)."""
    from ..models.base import CHECKPOINT, BaseModel

    try:
        model = BaseModel.load(Path(getattr(source_run, "path", source_run)) / "checkpoints" / CHECKPOINT)
        return {k: [str(v) for v in vals] for k, vals in model.simulation_choices().items()}
    except Exception:  # an unreadable checkpoint: the page falls back to typing the value
        return {}


def launch_simulation(source_run, n_cells: int, *, options: dict[str, Any] | None = None, grn_method: str = "pearson",
                      embed: bool = True, seed: int = 0, executor=None):
    """Create a "simulate" run from a finished training run and submit it (returns the Run at once).
    ``options`` are the source family's simulation parameters (validated now)."""
    from ..errors import InputError
    from ..jobs.executor import default_executor
    from ..jobs.rundir import create_run, get_run
    from ..registry import get_method

    src = get_run(source_run)
    sp = src.params
    spec = get_method(str(sp.get("method")), sp.get("origin"))
    if not simulation_sources([src]):
        if not spec.can("simulate"):
            raise InputError(f"Run {src.id} used {spec.label}, which cannot simulate cells.")
        raise InputError(f"Run {src.id} is {src.state} or has no saved model; simulate from a finished run.")
    task = _resolve({"n_cells": n_cells, "grn_method": grn_method, "embed": embed})
    params = {"source_run": str(src.path), **task, "options": spec.resolve_simulation(options)}
    run = create_run(
        "simulate", "simulate", sp["dataset"], params, seed=seed, device=sp.get("device", "auto"), tfs=sp.get("tfs"),
        label=f"Simulation from {sp.get('label') or sp.get('method')}",
        extra={"source_run": src.id, "source_method": sp.get("method"), "origin": sp.get("origin"),
               "dataset_id": sp.get("dataset_id"), "dataset_name": sp.get("dataset_name")},
    )
    (executor or default_executor()).submit(run)
    return run
