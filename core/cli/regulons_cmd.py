"""``scgrn regulons EDGES_OR_RUN DATA [--top-targets N] [--method ulm|aucell] [--labels OBS] --out OUT.h5ad``.

Builds each regulator's regulon (its top targets, signed) from a run's ``edges.tsv`` (or any network file),
scores per-cell activity with decoupler and writes DATA with ``obsm["X_regulons"]`` and the regulon names in
``uns["scgrn_regulons"]`` (see :mod:`core.grn.regulons`). With ``--labels``, also the cluster x regulon
specificity table (``uns["scgrn_regulon_specificity"]``). The last stdout line is JSON: n_regulons,
median_size, asw_labels (silhouette of the activity matrix against the labels, else null), method, ...
"""

from __future__ import annotations

from pathlib import Path


def register(sub) -> None:
    from ..grn.regulons import DEFAULT_TOP_TARGETS, METHODS

    p = sub.add_parser("regulons", help="score regulons (TF -> top targets) per cell with decoupler; write .h5ad")
    p.add_argument("edges", metavar="EDGES_OR_RUN", help="a GRN run directory (its edges.tsv) or an edge table file")
    p.add_argument("data", help="expression file (h5ad, CSV/TSV, 10x) with the network's genes")
    p.add_argument("--top-targets", type=int, default=DEFAULT_TOP_TARGETS,
                   help=f"targets kept per regulator (default {DEFAULT_TOP_TARGETS})")
    p.add_argument("--method", choices=METHODS, default="ulm", help="decoupler method (default ulm)")
    p.add_argument("--labels", metavar="OBS_COLUMN", help="obs column with cell types: ASW and specificity")
    p.add_argument("--out", required=True, help="output .h5ad (activity in obsm['X_regulons'])")
    p.set_defaults(func=run)


def edges_path(source: str) -> Path:
    """A run directory's ``edges.tsv``, or the file itself."""
    from ..errors import InputError

    path = Path(source).expanduser()
    if path.is_dir():
        if not (path / "edges.tsv").is_file():
            raise InputError(f"{source}: this folder has no edges.tsv (is it a finished GRN run?).")
        return path / "edges.tsv"
    if not path.is_file():
        raise InputError(f"{source}: no such file or run directory.")
    return path


def run(args) -> int:
    import numpy as np

    from ..embedding.metrics import asw
    from ..errors import InputError
    from ..grn.explorer import load_edges
    from ..grn.regulons import cluster_table, score_regulons, stored_activity
    from ..io.expression import read_expression
    from . import emit, output_path

    output_path(args.out)
    if not str(args.out).endswith(".h5ad"):
        raise InputError("--out must end with .h5ad")
    edges = load_edges(edges_path(args.edges))
    adata = read_expression(args.data)
    if args.labels and args.labels not in adata.obs:
        raise InputError(f"--labels {args.labels}: no such obs column; available: {', '.join(map(str, adata.obs.columns)) or 'none'}.")
    regs = score_regulons(adata, edges, top_targets=args.top_targets, method=args.method)
    activity = stored_activity(adata)
    score = None
    if args.labels:
        labels = adata.obs[args.labels].astype(str).to_numpy()
        score = asw(activity.to_numpy(), labels)
        table = cluster_table(activity, labels)
        adata.uns["scgrn_regulon_specificity"] = {"labels": args.labels, "table": table.astype({"cluster": str})}
    adata.write_h5ad(args.out)
    sizes = regs.table["size"].to_numpy()
    print(f"wrote {args.out}: {len(sizes)} regulons ({args.method}), median {np.median(sizes):g} targets")
    emit({"n_regulons": int(len(sizes)), "median_size": float(np.median(sizes)), "asw_labels": score,
          "method": args.method, "top_targets": args.top_targets, "n_cells": int(adata.n_obs),
          "signed": regs.signed, "out": str(args.out)})
    return 0
