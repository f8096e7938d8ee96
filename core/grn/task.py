"""The "grn" job task: run a registered GRN method on the prepared dataset and write ``edges.tsv``.

When the run has a reference network, the edges are scored against it (``metrics.json``).
"""

from __future__ import annotations

import time
from typing import Any

import anndata as ad
import pandas as pd

from ..atomic import write_json_atomic
from ..context import RunContext
from ..registry import get_method
from .edges import write_edges


def infer_grn(adata: ad.AnnData, method: str, ctx: RunContext, params: dict[str, Any] | None = None,
              preset: str | None = None) -> pd.DataFrame:
    """Resolve the method's parameters (defaults < preset < given) and run it; returns the edge table."""
    spec = get_method(method)
    resolved = spec.resolve_params(params, preset)
    ctx.log(f"{spec.label} parameters: {resolved}")
    edges = spec.load_runner()(adata, ctx, **resolved)
    return edges


def score_against_reference(edges: pd.DataFrame, reference_path: str, tfs: list[str] | None = None) -> dict[str, Any]:
    """EPR / AUPRC ratio against a reference network (BEELINE conventions) when scoring is available."""
    try:
        from .scoring import score_edges
    except ImportError:  # scoring lands with the DeepSEM issue
        return {}
    from ..io.networks import read_network

    return score_edges(edges, read_network(reference_path), tfs=tfs)


def run(adata: ad.AnnData, params: dict[str, Any], ctx: RunContext) -> dict[str, Any]:
    t0 = time.time()
    edges = infer_grn(adata, params["method"], ctx, params.get("params"), params.get("preset"))
    write_edges(edges, ctx.artifact("edges.tsv"))
    from .explorer import precompute_layout

    precompute_layout(ctx.run_dir)  # the GRN page's fixed layout, computed once here (never raises)
    metrics: dict[str, Any] = {"n_edges": int(len(edges)), "seconds": round(time.time() - t0, 3)}
    metrics.update({k: v for k, v in getattr(edges, "attrs", {}).items() if isinstance(v, (int, float, str))})
    if params.get("reference"):
        try:
            metrics.update(score_against_reference(edges, params["reference"], params.get("tfs")))
        except Exception as exc:  # scoring must never turn a trained network into a failed run
            ctx.log(f"scoring against the reference failed: {exc}")
    write_json_atomic(ctx.artifact("metrics.json"), metrics)
    ctx.log(f"wrote {len(edges)} edges")
    return metrics
