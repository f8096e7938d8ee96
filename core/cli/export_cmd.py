"""``scgrn export EDGES --format F [--top-k K | --threshold T] --out FILE``: write a network for other tools."""

from __future__ import annotations

from ..grn.exports import FORMATS


def register(sub) -> None:
    p = sub.add_parser("export", help="export an edge table (SCENIC, BEELINE, GraphML, GEXF, SIF, GMT, HTML, PNG, SVG)")
    p.add_argument("edges", help="edge table: a run's edges.tsv, or any network file scgrn reads")
    p.add_argument("--format", "-f", required=True, choices=list(FORMATS), help="output format")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--top-k", type=int, default=None, help="keep the K strongest edges")
    which.add_argument("--threshold", type=float, default=None, help="keep edges with weight >= T")
    p.add_argument("--tfs", default=None, help="TF list (one per line or a CSV with a TF column) for is_tf / shapes")
    p.add_argument("--out", "-o", required=True, help="output file")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..errors import InputError
    from ..grn.explorer import load_edges
    from ..grn.exports import export_edges, filter_edges
    from ..grn.hubs import network_size
    from ..io.networks import read_tf_list
    from . import emit

    from . import output_path

    output_path(args.out)

    if args.top_k is not None and args.top_k < 1:
        raise InputError("--top-k must be at least 1")
    edges = load_edges(args.edges)
    kept = filter_edges(edges, top_k=args.top_k, threshold=args.threshold)
    if kept.empty:
        raise InputError(f"no edge has weight >= {args.threshold} (the strongest is {edges['weight'].max():.4g})")
    tfs = read_tf_list(args.tfs) if args.tfs else None
    out = export_edges(kept, args.format, args.out, tfs=tfs)
    size = network_size(kept)
    print(f"wrote {size['edges']} edges among {size['genes']} genes as {args.format} to {out}")
    emit({"format": args.format, "out": str(out), **size})
    return 0
