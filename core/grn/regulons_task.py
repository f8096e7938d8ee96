"""The "regulons" job task: regulon activity of a finished GRN run's network in a finished embedding's cells.

params.json: ``dataset`` = the embedding run's ``embedding.h5ad`` (so cells and genes are the embedding's),
``grn_run`` (the GRN run directory), ``embed_run`` (the embedding run directory), ``top_targets`` and
``scoring`` (``ulm`` or ``aucell``). Writes ``regulons.h5ad``: the cells' obs, ``obsm["X_regulons"]``, the
regulon table in ``uns["scgrn_regulons"]`` (see :mod:`.regulons`), and no expression. A light job: scoring
20k cells takes seconds to a minute, too long to hold the page.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anndata as ad
import numpy as np

from ..context import RunContext
from ..errors import InputError
from .regulons import DEFAULT_TOP_TARGETS, OBSM_KEY, UNS_KEY, score_regulons

ARTIFACT = "regulons.h5ad"
TASK = "regulons"


def run(adata: ad.AnnData, params: dict[str, Any], ctx: RunContext) -> dict[str, Any]:
    from .explorer import load_edges

    grn = Path(params.get("grn_run") or "")
    if not (grn / "edges.tsv").is_file():
        raise InputError("The GRN run to take regulons from has no edges.tsv (was it deleted?).")
    edges = load_edges(grn / "edges.tsv")
    top = int(params.get("top_targets") or DEFAULT_TOP_TARGETS)
    method = str(params.get("scoring") or "ulm")
    ctx.log(f"regulons of {grn.name}: top {top} targets, {method} on {adata.n_obs} cells")
    regs = score_regulons(adata, edges, top_targets=top, method=method)
    out = ad.AnnData(np.zeros((adata.n_obs, 0), dtype=np.float32), obs=adata.obs.copy())
    out.obsm[OBSM_KEY] = adata.obsm[OBSM_KEY]
    out.uns[UNS_KEY] = adata.uns[UNS_KEY]
    out.write_h5ad(ctx.artifact(ARTIFACT))
    sizes = regs.table["size"].to_numpy()
    return {"n_regulons": int(len(sizes)), "median_size": float(np.median(sizes)), "scoring": method,
            "top_targets": top, "grn_run": grn.name}


def launch_regulons(embed_run, grn_run, *, top_targets: int = DEFAULT_TOP_TARGETS, scoring: str = "ulm",
                    executor=None):
    """Create and submit a regulons run for an embedding run and a GRN run (returns the new run)."""
    from ..jobs.executor import default_executor
    from ..jobs.rundir import create_run

    data = Path(embed_run.path) / "embedding.h5ad"
    if not data.is_file():
        raise InputError("This embedding run has no embedding.h5ad.")
    run = create_run(
        TASK, scoring, data, {}, seed=0, device="cpu",
        label=f"Regulons of {grn_run.params.get('label') or grn_run.params.get('method')}",
        extra={"grn_run": str(Path(grn_run.path).resolve()), "embed_run": str(Path(embed_run.path).resolve()),
               "top_targets": int(top_targets), "scoring": scoring},
    )
    (executor or default_executor()).submit(run)
    return run
