"""``scgrn eval-grn EDGES TRUTH [--convention beeline|deepsem] [--tfs FILE]``: EPR and AUPRC ratio.

Without ``--tfs`` the TFs are the ground truth's distinct regulators (``Gene1``), as BEELINE does. The last
stdout line is a JSON object: epr, auprc_ratio, n_true_edges, n_candidates, n_tfs, n_genes, convention, ...
"""

from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser("eval-grn", help="score ranked edges against a reference network (JSON on the last line)")
    p.add_argument("edges", help="edge table (source,target,weight TSV; SCENIC or DeepSEM formats also read)")
    p.add_argument("truth", help="reference network (BEELINE Gene1,Gene2 CSV or any edge table)")
    p.add_argument("--convention", choices=("beeline", "deepsem"), default="beeline", help="scoring convention (default: beeline)")
    p.add_argument("--tfs", metavar="FILE", help="TF list (default: the reference's regulators)")
    p.add_argument("--pr-curve", metavar="TSV", help="also write the precision-recall curve (recall, precision)")
    p.add_argument("--top-edges", metavar="TSV", help="also write the early-precision edge set with is_true")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..grn.scoring import evaluate_grn
    from ..io.networks import read_network, read_tf_list
    from . import emit

    from . import warn

    edges = read_network(args.edges)
    truth = read_network(args.truth)
    warn(truth.attrs.get("warnings"))
    tf_warnings: list[str] = []
    tfs = read_tf_list(args.tfs, tf_warnings) if args.tfs else None
    warn(tf_warnings)
    ev = evaluate_grn(edges, truth, tfs=tfs, convention=args.convention)
    if args.pr_curve:
        ev.pr_curve.to_csv(args.pr_curve, sep="\t", index=False)
    if args.top_edges:
        ev.top_edges.to_csv(args.top_edges, sep="\t", index=False)
    m = ev.metrics
    print(f"EPR {m['epr']:.3f}, AUPRC ratio {m['auprc_ratio']:.3f} ({m['convention']}: {m['n_true_edges']} true edges, "
          f"{m['n_candidates']} candidates, {m['n_tfs']} TFs)")
    emit(m)
    return 0
