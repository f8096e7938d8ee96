"""The embedding task, shared by the CLI and the job runner.

    adata_out, metrics = embed(adata, "vae", ctx, labels_key="bulk_labels", likelihood="nb", epochs=100)
    adata_out, metrics = run_embed_task(adata, spec, params, ctx, labels_key)   # job runner entry point

The method is any registered family with the ``latent`` capability: its model is trained (core.models.build)
and writes ``obsm[model.latent_key]`` (``"X_<method>"``, and its own clusters in ``obs[model.cluster_key]``
when it has them); this module then adds ``obs["leiden"]`` and ``obsm["X_umap"]`` (scanpy, on that latent), scores it and
stores the metrics in ``uns["scgrn_embedding"]``. With a run directory it writes the artifacts
``embedding.h5ad`` and ``metrics.json``.

Metrics: ``asw_labels`` / ``ari`` / ``nmi`` (Leiden clusters vs ``labels_key``; None without labels),
``asw_clusters`` (Leiden), for models with their own clusters (GMVAE) also ``model_asw_clusters``,
``model_ari``, ``model_nmi``; ``active_units``, ``latent_activity`` (list), ``latent_dim``,
``seconds`` (training + latent), ``seconds_total``, ``n_cells``, ``method``, ``likelihood``.
"""

from __future__ import annotations

import json
import time

import numpy as np

from ..errors import InputError
from ..atomic import write_json_atomic
from ..context import RunContext
from ..models.build import train_model
from ..registry import get_method
from ..specs import MethodSpec
from . import metrics as M
from .tools import neighbours_leiden_umap


def _labels(adata, labels_key):
    if not labels_key:
        return None
    if labels_key not in adata.obs:
        raise InputError(f"Label column {labels_key!r} not in obs; available: {', '.join(map(str, adata.obs.columns))}.")
    return adata.obs[labels_key].astype(str).to_numpy()


def run_embed_task(adata, spec: MethodSpec, params: dict, ctx: RunContext | None = None,
                   labels_key: str | None = None, *, resolution: float = 1.0, n_neighbors: int = 15,
                   umap: bool = True):
    """Train ``spec``'s model with resolved ``params``, add graph/UMAP, score; returns (adata, metrics)."""
    if not spec.can("latent"):
        raise InputError(f"{spec.label} does not learn a cell embedding; choose an embedding method.")
    ctx = ctx or RunContext()
    labels = _labels(adata, labels_key)
    t0 = time.perf_counter()
    model = train_model(spec, adata, ctx, params)
    ctx.stage("Encoding every cell into the latent space")
    out = model.embed(adata)
    seconds = time.perf_counter() - t0
    key = model.latent_key
    latent = np.asarray(out.obsm[key])
    ctx.stage("Post-processing: neighbour graph, Leiden clusters and UMAP of the latent")
    neighbours_leiden_umap(out, key, n_neighbors=n_neighbors, resolution=resolution, seed=ctx.seed, umap=umap)
    ctx.stage("Scoring the embedding (silhouette, ARI, NMI, active units)")
    activity = M.latent_activity(latent)
    result = {"method": spec.name, "likelihood": params.get("likelihood"), "labels_key": labels_key,
              "latent_key": key, **M.embedding_metrics(latent, out.obs["leiden"].to_numpy(), labels)}
    ck = model.cluster_key
    if ck in out.obs:
        result.update(M.embedding_metrics(latent, out.obs[ck].to_numpy(), labels, prefix="model_"))
        result["n_model_clusters"] = int(out.obs[ck].nunique())
        result["cluster_key"] = ck
    result.update(
        n_leiden_clusters=int(out.obs["leiden"].nunique()), active_units=M.active_units(activity),
        latent_dim=int(latent.shape[1]), latent_activity=[float(a) for a in activity],
        seconds=round(seconds, 3), seconds_total=round(time.perf_counter() - t0, 3), n_cells=int(out.n_obs),
        params={k: v for k, v in model.params.items()}, seed=ctx.seed,
    )
    out.uns["scgrn_embedding"] = {k: v for k, v in result.items() if v is not None and k != "params"}
    out.uns["scgrn_embedding"]["params_json"] = json.dumps(model.params, default=str)
    if ctx.run_dir is not None:
        ctx.stage("Saving the embedding")
        out.write_h5ad(ctx.artifact("embedding.h5ad"))
        write_json_atomic(ctx.artifact("metrics.json"), json.loads(json.dumps(result, default=str)))
    ctx.log("embedding: " + ", ".join(f"{k}={result[k]:.3f}" for k in ("asw_labels", "ari", "nmi", "asw_clusters")
                                      if isinstance(result.get(k), float)))
    return out, result


def embed(adata, method: str, ctx: RunContext | None = None, labels_key: str | None = None, *,
          preset: str | None = None, resolution: float = 1.0, n_neighbors: int = 15, umap: bool = True,
          **params):
    """Resolve ``method``'s parameters (defaults < preset < given) and run :func:`run_embed_task`."""
    spec = get_method(method)
    resolved = spec.resolve_params(params, preset)
    return run_embed_task(adata, spec, resolved, ctx, labels_key, resolution=resolution,
                          n_neighbors=n_neighbors, umap=umap)


def labels_key_for(params: dict, adata) -> str | None:
    """params["labels_key"], else the prepared dataset's meta.json "labels_key" (when that column exists)."""
    key = params.get("labels_key")
    if not key and params.get("dataset"):
        from pathlib import Path

        from ..atomic import read_json

        key = (read_json(Path(params["dataset"]).parent / "meta.json", {}) or {}).get("labels_key")
    return key if key and key in adata.obs else None


def run(adata, params: dict, ctx: RunContext) -> dict:
    """Job-runner entry (``core.jobs.tasks.TASKS["embed"]``): params.json holds ``method``, ``params``,
    ``preset`` and optionally ``labels_key`` (default: the dataset's). Writes embedding.h5ad + metrics.json;
    returns the metrics (without the per-dimension activity list)."""
    _, result = embed(adata, params["method"], ctx, labels_key_for(params, adata), preset=params.get("preset"),
                      **(params.get("params") or {}))
    return {k: v for k, v in result.items() if k not in ("latent_activity", "params")}
