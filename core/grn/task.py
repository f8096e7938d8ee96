"""The "grn" job task: run a registered GRN method on the prepared dataset and write ``edges.tsv``.

A method is either a model family with the ``grn`` capability (trained through core.models.build, its
checkpoint saved) or a direct runner (correlation, tree peers). When the run has a reference network, the
edges are scored against it (``metrics.json``).
"""

from __future__ import annotations

import time
from typing import Any

import anndata as ad
import pandas as pd

from ..atomic import write_json_atomic
from ..context import RunContext
from ..errors import InputError
from ..registry import get_method
from .edges import write_edges


def infer_grn(adata: ad.AnnData, method: str, ctx: RunContext, params: dict[str, Any] | None = None,
              preset: str | None = None) -> pd.DataFrame:
    """Resolve the method's parameters (defaults < preset < given) and run it; returns the edge table."""
    spec = get_method(method)
    if not spec.can("grn"):
        raise InputError(f"{spec.label} does not infer a network; choose a GRN method.")
    if spec.unavailable:
        raise InputError(spec.unavailable)
    if spec.runner is not None:
        resolved = spec.resolve_params(params, preset)
        ctx.log(f"{spec.label} parameters: {resolved}")
        return spec.load_runner()(adata, ctx, **resolved)
    from ..models.build import train_model

    model = train_model(spec, adata, ctx, params, preset)
    ctx.stage("Reading the network out of the trained model")
    edges = model.get_grn(tfs=ctx.tfs)
    if edges.attrs.get("note"):
        ctx.log(edges.attrs["note"])
    return edges


def score_against_reference(edges: pd.DataFrame, reference_path: str, tfs: list[str] | None = None) -> dict[str, Any]:
    """EPR / AUPRC ratio against a reference network (BEELINE conventions)."""
    from ..io.networks import read_network
    from .scoring import score_edges

    return score_edges(edges, read_network(reference_path), tfs=tfs)


def prepare_inputs(adata: ad.AnnData, params: dict[str, Any], ctx: RunContext) -> tuple[ad.AnnData, dict[str, Any]]:
    """Apply the run's ``grn_inputs`` (TFs + top-N variable genes, cell subsample; core.data.grn_inputs) and
    record the choice (``grn_inputs.json``, the log); runs made before it existed use the data as they are."""
    settings = params.get("grn_inputs")
    if not settings:
        return adata, {}
    from ..data.grn_inputs import select_grn_inputs

    ctx.stage("Choosing the network's inputs (TFs + variable genes, cell subsample)")
    adata, rec = select_grn_inputs(adata, params.get("tfs"), seed=ctx.seed, labels_key=params.get("labels_key"),
                                   n_top_genes=int(settings.get("n_top_genes", 0)),
                                   max_cells=int(settings.get("max_cells", 0)))
    ctx.log(f"inputs: {rec.words()}")
    if ctx.artifact("grn_inputs.json") is not None:
        write_json_atomic(ctx.artifact("grn_inputs.json"), rec.record())
    return adata, {"grn_genes": rec.n_genes, "grn_cells": rec.n_cells}


def run(adata: ad.AnnData, params: dict[str, Any], ctx: RunContext) -> dict[str, Any]:
    t0 = time.time()
    adata, input_metrics = prepare_inputs(adata, params, ctx)
    edges = infer_grn(adata, params["method"], ctx, params.get("params"), params.get("preset"))
    ctx.stage("Writing the edge table and laying out the network")
    write_edges(edges, ctx.artifact("edges.tsv"))
    from .explorer import precompute_layout

    precompute_layout(ctx.run_dir)  # the GRN page's fixed layout, computed once here (never raises)
    metrics: dict[str, Any] = {"n_edges": int(len(edges)), "seconds": round(time.time() - t0, 3), **input_metrics}
    metrics.update({k: v for k, v in getattr(edges, "attrs", {}).items() if isinstance(v, (int, float, str))})
    if params.get("reference"):
        ctx.stage("Scoring the network against the reference (EPR, AUPRC)")
        try:
            metrics.update(score_against_reference(edges, params["reference"], params.get("tfs")))
        except Exception as exc:  # scoring must never turn a trained network into a failed run
            ctx.log(f"scoring against the reference failed: {exc}")
    write_json_atomic(ctx.artifact("metrics.json"), metrics)
    ctx.log(f"wrote {len(edges)} edges")
    return metrics
