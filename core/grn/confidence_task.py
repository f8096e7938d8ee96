"""The "grn_confidence" job task: bootstrap edge confidence for a finished single-model GRN run.

params.json: the parent run's method, dataset, params, TFs and seed, plus ``parent`` (its run directory),
``n_boot`` and ``top_k``. The method is fitted again on ``n_boot`` resamples of the cells (with replacement);
each edge of the parent network gets the share of resamples ranking it in their top k
(:func:`core.grn.confidence.bootstrap_confidence`). The result is written to this run's ``edges.tsv`` and
into the parent's ``edges.tsv`` (atomically), so the GRN page of the parent run shows and filters it.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import anndata as ad

from ..context import RunContext
from ..errors import InputError
from .confidence import bootstrap_confidence, default_k
from .edges import write_edges


def _replace_edges(edges, path: Path) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".edges-", suffix=".tsv")
    os.close(fd)
    write_edges(edges, tmp)
    os.replace(tmp, path)


def run(adata: ad.AnnData, params: dict[str, Any], ctx: RunContext) -> dict[str, Any]:
    from .explorer import load_edges
    from .task import infer_grn

    parent = Path(params.get("parent") or "")
    if not (parent / "edges.tsv").is_file():
        raise InputError("The run to add confidence to has no edges.tsv (is it a finished GRN run?).")
    edges = load_edges(parent / "edges.tsv").drop(columns=["rank", "confidence"], errors="ignore")
    n_boot = int(params.get("n_boot") or 10)
    k = int(params.get("top_k") or default_k(len(edges)))
    ctx.log(f"bootstrap confidence: {n_boot} resamples of {adata.n_obs} cells, top {k} edges each")

    def infer(sub: ad.AnnData, b: int):
        sub_ctx = RunContext(seed=ctx.seed + 1 + b, device=ctx.device, tfs=ctx.tfs)
        return infer_grn(sub, params["method"], sub_ctx, params.get("params"), params.get("preset"))

    out = bootstrap_confidence(adata, infer, edges, n_boot=n_boot, k=k, seed=ctx.seed,
                               progress=lambda b, n: ctx.progress(b, n))
    write_edges(out, ctx.artifact("edges.tsv"))
    _replace_edges(out, parent / "edges.tsv")
    share = float((out["confidence"] >= 0.5).mean())
    ctx.log(f"confidence written to {parent.name}/edges.tsv")
    return {"n_boot": n_boot, "top_k": k, "parent": parent.name, "n_edges": int(len(out)),
            "share_confidence_ge_half": round(share, 4)}


def launch_confidence(parent_run, *, n_boot: int = 10, top_k: int | None = None, executor=None):
    """Create and submit a bootstrap-confidence run for a finished GRN run (returns the new run)."""
    from ..jobs.executor import default_executor
    from ..jobs.rundir import create_run

    p = parent_run.params
    if p.get("task") != "grn":
        raise InputError("Bootstrap confidence applies to a GRN run.")
    run = create_run(
        "grn_confidence", p["method"], p["dataset"], p.get("params") or {}, seed=int(p.get("seed", 0)),
        device=p.get("device", "auto"), tfs=p.get("tfs"), label=f"Confidence of {p.get('label') or p['method']}",
        extra={"parent": str(parent_run.path), "n_boot": int(n_boot), "top_k": top_k, "preset": p.get("preset"),
               "dataset_name": p.get("dataset_name"), "origin": p.get("origin")},
    )
    (executor or default_executor()).submit(run)
    return run
